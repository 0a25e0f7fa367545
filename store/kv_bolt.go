package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// boltKV is the bbolt backend: db's file. It reads db.bolt at every call,
// since a migration that rewrites the file reopens it.
type boltKV struct{ db *DB }

func (b boltKV) view(fn func(t kvTx) error) error {
	return b.db.bolt.View(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (b boltKV) update(fn func(t kvTx) error) error {
	return b.db.bolt.Update(func(tx *bolt.Tx) error { return fn(boltTx{tx}) })
}

func (b boltKV) close() error { return b.db.bolt.Close() }

// boltTx is a bbolt transaction.
type boltTx struct{ tx *bolt.Tx }

func (t boltTx) bolt() *bolt.Tx { return t.tx }

func (t boltTx) get(bucket, key []byte) []byte {
	if b := t.tx.Bucket(bucket); b != nil {
		return b.Get(key)
	}
	return nil
}

func (t boltTx) sequence(bucket []byte) uint64 {
	if b := t.tx.Bucket(bucket); b != nil {
		return b.Sequence()
	}
	return 0
}

func (t boltTx) cursor(bucket, prefix []byte) cursor {
	b := t.tx.Bucket(bucket)
	switch {
	case b == nil:
		return emptyCursor{}
	case prefix == nil:
		return boltCursor{b.Cursor()}
	}
	return &boltPrefixCursor{c: b.Cursor(), prefix: prefix}
}

func (t boltTx) buckets() ([][]byte, error) {
	var names [][]byte
	err := t.tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, append([]byte(nil), name...))
		return nil
	})
	return names, err
}

// writable returns bucket name for writing: append-only buckets fill
// their pages (see appendFill). FillPercent lives on the bucket handle of
// one transaction, which bbolt keeps for the transaction, so setting it
// at each write is cheap.
func (t boltTx) writable(name []byte) (*bolt.Bucket, error) {
	b := t.tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("bucket %s is missing (is it in allBuckets?)", name)
	}
	if appendOnly(name) {
		b.FillPercent = appendFill
	}
	return b, nil
}

func (t boltTx) put(bucket, key, value []byte) error {
	b, err := t.writable(bucket)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

func (t boltTx) delete(bucket, key []byte) error {
	b, err := t.writable(bucket)
	if err != nil {
		return err
	}
	return b.Delete(key)
}

func (t boltTx) setSequence(bucket []byte, n uint64) error {
	b, err := t.writable(bucket)
	if err != nil {
		return err
	}
	return b.SetSequence(n)
}

// boltCursor is a bbolt cursor.
type boltCursor struct{ c *bolt.Cursor }

func (c boltCursor) first() ([]byte, []byte)        { return c.c.First() }
func (c boltCursor) last() ([]byte, []byte)         { return c.c.Last() }
func (c boltCursor) next() ([]byte, []byte)         { return c.c.Next() }
func (c boltCursor) prev() ([]byte, []byte)         { return c.c.Prev() }
func (c boltCursor) seek(k []byte) ([]byte, []byte) { return c.c.Seek(k) }

// boltPrefixCursor is a bbolt cursor kept to the keys with prefix. It
// moves like a bbolt cursor on a bucket holding only those keys.
type boltPrefixCursor struct {
	c      *bolt.Cursor
	prefix []byte
	// past says a seek went past the last key: prev then finds it.
	past bool
}

// in returns k, v if k is in range, nil, nil if not.
func (c *boltPrefixCursor) in(k, v []byte) ([]byte, []byte) {
	if k != nil && bytes.HasPrefix(k, c.prefix) {
		return k, v
	}
	return nil, nil
}

func (c *boltPrefixCursor) first() ([]byte, []byte) {
	c.past = false
	return c.in(c.c.Seek(c.prefix))
}

// next and prev that find no key in range step back onto the key they
// left, as a bbolt cursor stays on the last key when Next finds none.
func (c *boltPrefixCursor) next() ([]byte, []byte) {
	k, v := c.c.Next()
	if k != nil && !bytes.HasPrefix(k, c.prefix) {
		c.c.Prev()
		return nil, nil
	}
	return k, v
}

func (c *boltPrefixCursor) prev() ([]byte, []byte) {
	if c.past {
		return c.last()
	}
	k, v := c.c.Prev()
	if k != nil && !bytes.HasPrefix(k, c.prefix) {
		c.c.Next()
		return nil, nil
	}
	return k, v
}

func (c *boltPrefixCursor) last() ([]byte, []byte) {
	c.past = false
	end := prefixEnd(c.prefix)
	if end == nil {
		return c.in(c.c.Last())
	}
	if k, _ := c.c.Seek(end); k == nil {
		return c.in(c.c.Last())
	}
	return c.in(c.c.Prev())
}

func (c *boltPrefixCursor) seek(k []byte) ([]byte, []byte) {
	if bytes.Compare(k, c.prefix) < 0 {
		return c.first()
	}
	k, v := c.in(c.c.Seek(k))
	c.past = k == nil
	return k, v
}

// prefixEnd returns the first key after every key starting with p, nil
// when there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// emptyCursor is a cursor on a bucket that does not exist.
type emptyCursor struct{}

func (emptyCursor) first() ([]byte, []byte)      { return nil, nil }
func (emptyCursor) last() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) next() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) prev() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) seek([]byte) ([]byte, []byte) { return nil, nil }
