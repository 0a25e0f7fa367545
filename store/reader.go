package store

import (
	"fmt"
	"runtime/debug"
	"strings"
)

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
			err = fmt.Errorf("read store %s: internal error: %v; if it persists, stop incidentbot and check the store", db.name, p)
		}
	}()
	return db.kv.view(func(t kvTx) error { return fn(reader{t}) })
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
