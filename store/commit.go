package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Group commit.
//
// Every write goes through (*DB).write. A writer appends its op to db.queue.
// If no goroutine is leading, the writer becomes the leader: it takes the
// whole queue, runs it in one bolt Update (one fsync) and wakes every
// writer in it. Writers arriving meanwhile queue up; when the leader is
// done it hands leadership to the first of them, whose goroutine then runs
// the next group, including its own op. So a lone writer commits at once
// (no Batch delay), and under load each fsync carries every op that queued
// during the previous one.
//
// Isolation inside a group: a txFunc does all its reads and checks first
// and calls markDirty just before its first write. An error before that
// leaves the transaction untouched, so only that op fails and the group
// goes on. An error (or panic) after it has written is not isolatable in
// place: the transaction is rolled back, the op fails alone, and the rest
// of the group is run again in a fresh transaction. A failed commit fails
// every op of the group.

// txFunc is one op's work inside a write transaction. now is the
// transaction's clock reading, in UTC.
type txFunc func(tx *bolt.Tx, now time.Time, markDirty func()) error

type op struct {
	fn  txFunc
	err error
	// panicked/pval carry a panic from fn back to the caller's goroutine.
	panicked bool
	pval     any
	// sig receives false when the op is done, true when the goroutine must
	// lead the next group.
	sig chan bool
}

// maxGroup caps the ops in one transaction so that one commit stays small.
const maxGroup = 1000

// write runs fn in a write transaction shared with concurrent writers, and
// returns once it is committed (or failed).
func (db *DB) write(ctx context.Context, fn txFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{fn: fn, sig: make(chan bool, 1)}
	db.mu.Lock()
	db.queue = append(db.queue, o)
	lead := !db.leading
	db.leading = true
	db.mu.Unlock()
	if lead {
		db.lead()
	}
	for <-o.sig {
		db.lead()
	}
	if o.panicked {
		panic(o.pval)
	}
	return o.err
}

// lead runs one group and passes leadership on.
func (db *DB) lead() {
	db.mu.Lock()
	n := min(len(db.queue), maxGroup)
	group := db.queue[:n:n]
	db.queue = db.queue[n:]
	db.mu.Unlock()

	db.runGroup(group)

	db.mu.Lock()
	var next *op
	if len(db.queue) > 0 {
		next = db.queue[0]
	} else {
		db.leading = false
		db.queue = nil
	}
	db.mu.Unlock()
	for _, o := range group {
		o.sig <- false
	}
	if next != nil {
		next.sig <- true
	}
}

// errRetry aborts a transaction so that the group runs again without the
// op that dirtied it.
var errRetry = errors.New("retry group")

// runGroup commits the ops of group, setting each op's err.
func (db *DB) runGroup(group []*op) {
	pending := group
	for len(pending) > 0 {
		db.groups.Add(1)
		var failed *op // an op that failed after writing
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			now := db.now().UTC()
			for _, o := range pending {
				dirty := false
				o.err, o.panicked, o.pval = nil, false, nil
				o.err = runOp(o, tx, now, &dirty)
				if (o.err != nil || o.panicked) && (dirty || o.panicked) {
					failed = o
					return errRetry
				}
			}
			return nil
		})
		if failed != nil {
			// The transaction was rolled back; run the others again.
			pending = without(pending, failed)
			for _, o := range pending {
				o.err = nil
			}
			continue
		}
		if err != nil {
			for _, o := range pending {
				if o.err == nil {
					o.err = fmt.Errorf("commit: %w", err)
				}
			}
		}
		return
	}
}

// runOp calls o.fn, turning a panic into o.panicked.
func runOp(o *op, tx *bolt.Tx, now time.Time, dirty *bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			o.panicked = true
			o.pval = fmt.Sprintf("%v\n\n[panic inside store transaction]\n%s", r, debug.Stack())
		}
	}()
	return o.fn(tx, now, func() { *dirty = true })
}

func without(ops []*op, x *op) []*op {
	out := make([]*op, 0, len(ops)-1)
	for _, o := range ops {
		if o != x {
			out = append(out, o)
		}
	}
	return out
}
