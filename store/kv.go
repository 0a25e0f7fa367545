package store

import (
	"errors"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// The key-value layer.
//
// The store's logic (incidents, timeline, indexes, inbox, outbox, seen
// keys, and every bucket added later) is written once, against a small
// transactional key-value interface with bbolt's shape: named buckets of
// ordered keys, each with a sequence. Two backends implement it: bbolt
// (kv_bolt.go), one file on one machine, and etcd (kv_etcd.go), the same
// buckets replicated by Raft. Code that is about the file itself (its page
// structure, migrations that rewrite it, damage) stays bbolt's; code that
// is about records and indexes goes through kvTx, via reader (reads and
// the check phase of writes) and wtx (the apply phase).

// kvTx is one transaction of a backend. Keys and values it returns are
// valid until the transaction ends. A read-only transaction returns
// errReadOnly from its write methods.
type kvTx interface {
	// get returns the value of key in bucket, or nil.
	get(bucket, key []byte) []byte
	// sequence returns the bucket's sequence (the last number it handed
	// out, or a count the store keeps there).
	sequence(bucket []byte) uint64
	// cursor returns a cursor on the keys of bucket that start with
	// prefix (nil: all), which sees the writes of the transaction made
	// before each of its moves.
	cursor(bucket, prefix []byte) cursor
	// buckets lists the buckets holding anything, in name order.
	buckets() ([][]byte, error)
	put(bucket, key, value []byte) error
	delete(bucket, key []byte) error
	setSequence(bucket []byte, n uint64) error
	// bolt returns the bbolt transaction under this one, nil on etcd.
	bolt() *bolt.Tx
}

// cursor walks the keys of one bucket in byte order. Each move returns the
// key and value it lands on, or nil, nil past either end.
type cursor interface {
	first() (k, v []byte)
	last() (k, v []byte)
	next() (k, v []byte)
	prev() (k, v []byte)
	// seek moves to the first key at or after k.
	seek(k []byte) (key, v []byte)
}

// backend runs transactions.
type backend interface {
	// view runs fn in a read-only transaction: one consistent snapshot.
	view(fn func(t kvTx) error) error
	// update runs fn in a read-write transaction and commits it if fn
	// returns nil. On etcd a transaction that meets a concurrent write
	// runs fn again on a fresh snapshot, so fn must be safe to repeat.
	update(fn func(t kvTx) error) error
	close() error
}

// errReadOnly is returned by the write methods of a read transaction.
var errReadOnly = errors.New("write in a read-only transaction")

// errTxnFull is returned by a write that would take a transaction past
// what its backend accepts in one commit (etcd's --max-txn-ops and
// request size). The group commit then commits the ops before the one that
// hit it and runs that one in the next transaction.
var errTxnFull = errors.New("the transaction is full")

// reader is a transaction without its write methods. Reads and the check
// phase of every write get one, so code that must not write cannot.
type reader struct{ t kvTx }

// get returns the value of key in bucket, or nil. It is valid until the
// transaction ends.
func (r reader) get(bucket, key []byte) []byte { return r.t.get(bucket, key) }

// sequence returns the bucket's sequence (the last number it handed out).
func (r reader) sequence(bucket []byte) uint64 { return r.t.sequence(bucket) }

// cursor returns a read-only cursor on bucket.
func (r reader) cursor(bucket []byte) cursor { return r.t.cursor(bucket, nil) }

// cursorIn returns a read-only cursor on the keys of bucket that start
// with prefix: its moves stop at the ends of that range. Walk the keys of
// one thing (an incident's events) with it, not with a cursor on the
// whole bucket: on etcd a move down (last, prev) reads every key between
// the cursor and the start of its range, so a cursor in a prefix keeps
// that read within it.
func (r reader) cursorIn(bucket, prefix []byte) cursor { return r.t.cursor(bucket, prefix) }

// bolt returns the bbolt transaction, for what only bbolt has (WriteTo,
// its pages); nil on etcd.
func (r reader) bolt() *bolt.Tx { return r.t.bolt() }

// release lets go of the file pages the transaction has read, on bbolt
// (releaseMapped); nothing on etcd.
func (r reader) release() {
	if tx := r.t.bolt(); tx != nil {
		releaseMapped(tx)
	}
}

// forEach calls fn for every key of bucket in order, stopping at fn's
// first error.
func (r reader) forEach(bucket []byte, fn func(k, v []byte) error) error {
	c := r.t.cursor(bucket, nil)
	for k, v := c.first(); k != nil; k, v = c.next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// wtx is a write transaction as an apply function sees it: the part of
// *bolt.Tx the store's apply functions use, on either backend. Code
// written for bbolt, func(tx *bolt.Tx) error with bucket(tx, name).Put…,
// ports by changing the parameter's type to *wtx (see PORTING in
// kv_etcd.go for the rest).
type wtx struct {
	t kvTx
	// added are the effects the transaction put in the outbox, announced
	// once it commits (see AnnounceEffects).
	added []incident.Effect
}

// Bucket returns the bucket called name. Unlike bbolt's it is never nil:
// buckets are created with the schema.
func (tx *wtx) Bucket(name []byte) wbucket { return wbucket{tx.t, name} }

// wbucket is one bucket of a write transaction, with bbolt's method names.
type wbucket struct {
	t    kvTx
	name []byte
}

// Get returns the value of key, or nil.
func (b wbucket) Get(key []byte) []byte { return b.t.get(b.name, key) }

// Put sets key to value.
func (b wbucket) Put(key, value []byte) error { return b.t.put(b.name, key, value) }

// Delete removes key; a missing key is not an error.
func (b wbucket) Delete(key []byte) error { return b.t.delete(b.name, key) }

// Sequence returns the bucket's sequence.
func (b wbucket) Sequence() uint64 { return b.t.sequence(b.name) }

// SetSequence sets the bucket's sequence.
func (b wbucket) SetSequence(n uint64) error { return b.t.setSequence(b.name, n) }

// NextSequence increments the bucket's sequence and returns it.
func (b wbucket) NextSequence() (uint64, error) {
	n := b.t.sequence(b.name) + 1
	return n, b.t.setSequence(b.name, n)
}

// Cursor returns a cursor on the bucket that sees the transaction's writes.
func (b wbucket) Cursor() cursor { return b.t.cursor(b.name, nil) }

// CursorIn is Cursor on the keys that start with prefix (see
// reader.cursorIn).
func (b wbucket) CursorIn(prefix []byte) cursor { return b.t.cursor(b.name, prefix) }

// bucket returns bucket name of tx, ready for writing.
func bucket(tx *wtx, name []byte) wbucket { return tx.Bucket(name) }
