package store

import (
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

func (t boltTx) cursor(bucket []byte) cursor {
	if b := t.tx.Bucket(bucket); b != nil {
		return boltCursor{b.Cursor()}
	}
	return emptyCursor{}
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

// emptyCursor is a cursor on a bucket that does not exist.
type emptyCursor struct{}

func (emptyCursor) first() ([]byte, []byte)      { return nil, nil }
func (emptyCursor) last() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) next() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) prev() ([]byte, []byte)       { return nil, nil }
func (emptyCursor) seek([]byte) ([]byte, []byte) { return nil, nil }
