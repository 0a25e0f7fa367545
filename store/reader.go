package store

import (
	"fmt"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// reader is a transaction without its write methods. Reads and the check
// phase of every write get one, so code that must not write cannot.
type reader struct {
	// tx is for bbolt's own read-only walks (ForEach, WriteTo, Check's);
	// the check phase of a write never touches it.
	tx *bolt.Tx
}

// get returns the value of key in bucket, or nil. It is valid until the
// transaction ends.
func (r reader) get(bucket, key []byte) []byte { return r.tx.Bucket(bucket).Get(key) }

// sequence returns the bucket's sequence (the last number it handed out).
func (r reader) sequence(bucket []byte) uint64 { return r.tx.Bucket(bucket).Sequence() }

// cursor returns a read-only cursor on bucket.
func (r reader) cursor(bucket []byte) cursor { return cursor{r.tx.Bucket(bucket).Cursor()} }

// cursor is a bolt cursor without Delete and Bucket.
type cursor struct{ c *bolt.Cursor }

func (c cursor) first() ([]byte, []byte)        { return c.c.First() }
func (c cursor) last() ([]byte, []byte)         { return c.c.Last() }
func (c cursor) next() ([]byte, []byte)         { return c.c.Next() }
func (c cursor) prev() ([]byte, []byte)         { return c.c.Prev() }
func (c cursor) seek(k []byte) ([]byte, []byte) { return c.c.Seek(k) }

// callerPanic carries a panic of a caller's callback through view, which
// turns every other panic into an error.
type callerPanic struct{ v any }

// view runs fn in a read transaction. A fault or a panic while reading (a
// corrupt page makes bbolt do either) becomes an error instead of killing
// the process.
func (db *DB) view(fn func(r reader) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if cp, ok := p.(callerPanic); ok {
			panic(cp.v)
		}
		if err = corruptionError(p); err == nil {
			db.logger.Error("panic in a store read", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("read store %q: internal error: %v; if it persists, stop incidentbot and check the file", db.path, p)
		}
	}()
	return db.bolt.View(func(tx *bolt.Tx) error { return fn(reader{tx}) })
}

// corruptionError returns an error for a recovered panic that a damaged
// file causes, nil for any other panic. With debug.SetPanicOnFault a
// fault on a page of the mapped file (a page number past its end) panics
// with a runtime.Error that has an Addr method; bbolt's own checks on the
// pages it reads panic with messages about pages, page IDs, bucket
// headers and its freelist.
func corruptionError(p any) error {
	if f, ok := p.(interface{ Addr() uintptr }); ok {
		if e, ok := p.(error); ok {
			return fmt.Errorf("%w: memory fault reading it (%v at %#x); restore a backup", errCorruptFile, e, f.Addr())
		}
	}
	var msg string
	switch v := p.(type) {
	case string:
		msg = v
	case error:
		msg = v.Error()
	default:
		return nil
	}
	for _, s := range []string{"assertion failed", "page", "pgid", "pgId", "bucket header", "inode overflow", "freelist", "mergepgids"} {
		if strings.Contains(msg, s) {
			return fmt.Errorf("%w: bbolt failed reading it (%s); restore a backup", errCorruptFile, msg)
		}
	}
	return nil
}
