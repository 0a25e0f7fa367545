package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
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
// Isolation inside a group comes from two phases per op:
//
//  1. check reads and validates through a reader, which has no way to
//     write. An error or a panic there fails that op alone: the
//     transaction is untouched and the group goes on.
//  2. apply, returned by check, writes. An error or a panic there leaves
//     the transaction half-written: it is rolled back, the op fails alone,
//     and the other ops of the group run again in a fresh transaction.
//
// Each op sees the writes of the ops before it in its group. A failed
// commit fails every op of the group.
//
// Once a transaction commits, the leader announces the effects it put in
// the outbox (AnnounceEffects), before it wakes the writers: the woken
// writers run in whatever order the scheduler picks, so effects handed on
// by them could reach the outbox worker out of Seq order.

// txFunc is one op's check phase. It returns the op's writes as apply (nil
// when there is nothing to write) or an error. now is the transaction's
// clock reading, in UTC. It may run more than once if its group is
// retried.
type txFunc func(r reader, now time.Time) (apply applyFunc, err error)

// applyFunc is one op's write phase.
type applyFunc func(tx *wtx) error

type op struct {
	fn  txFunc
	err error
	// panicked/pval carry a panic from fn or its apply back to the
	// caller's goroutine.
	panicked bool
	pval     any
	// sig receives false when the op is done, true when the goroutine must
	// lead the next group.
	sig chan bool
}

// maxGroup caps the ops in one transaction so that one commit stays small.
const maxGroup = 1000

// write runs fn in a write transaction shared with concurrent writers, and
// returns once it is committed (or failed). A panic in fn or its apply is
// re-raised here, in the caller's goroutine.
func (db *DB) write(ctx context.Context, fn txFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := db.checkFence(); err != nil {
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

// writeMany is write for several ops queued at once: they share one
// transaction (unless there are more than maxGroup), while each still
// stands or fails alone. It returns each op's error, in order; a panic in
// any is re-raised once all are done.
func (db *DB) writeMany(ctx context.Context, fns []txFunc) []error {
	errs := make([]error, len(fns))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	if len(fns) == 0 {
		return errs
	}
	ops := make([]*op, len(fns))
	for i, fn := range fns {
		ops[i] = &op{fn: fn, sig: make(chan bool, 1)}
	}
	db.mu.Lock()
	db.queue = append(db.queue, ops...)
	lead := !db.leading
	db.leading = true
	db.mu.Unlock()
	if lead {
		db.lead()
	}
	// Leadership only ever passes to the first op of the queue, and these
	// ops are queued in order, so waiting on them in order cannot miss it.
	var pval any
	for i, o := range ops {
		for <-o.sig {
			db.lead()
		}
		if o.panicked && pval == nil {
			pval = o.pval
		}
		errs[i] = o.err
	}
	if pval != nil {
		panic(pval)
	}
	return errs
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
// op whose apply failed, or without the ops that did not fit.
var errRetry = errors.New("retry group")

// runGroup commits the ops of group, setting each op's outcome. They share
// one transaction unless the backend cannot hold them all (etcd's limit on
// the operations of one commit): then the ops that fit are committed and
// the rest go on in the next transaction.
func (db *DB) runGroup(group []*op) {
	// A fault reading a corrupt page becomes a panic (then an error), not
	// a crash of the process.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	pending := group
	for len(pending) > 0 {
		n := len(pending) // pending[:n] share the transaction
		for n > 0 {
			failed, fit, err := db.runTx(pending[:n])
			if failed != nil {
				// The transaction was rolled back; run the others again.
				pending = without(pending, failed)
				n--
				continue
			}
			if fit > 0 {
				n = fit
				continue
			}
			if err != nil {
				for _, o := range pending[:n] {
					if o.err == nil && !o.panicked {
						o.err = fmt.Errorf("commit: %w", err)
					}
				}
			}
			break
		}
		pending = pending[n:]
	}
}

// runTx runs ops in one write transaction and commits it. If an op's apply
// fails the transaction is rolled back and that op returned as failed; if
// an op does not fit in the transaction it is rolled back and fit is the
// number of ops before it. Otherwise err is the commit's outcome.
func (db *DB) runTx(ops []*op) (failed *op, fit int, err error) {
	db.groups.Add(1)
	// Version is odd while the transaction runs (see Version): a reader
	// may see the commit before the bump after it.
	db.writes.Add(1)
	var added []incident.Effect
	err = db.kv.update(func(t kvTx) error {
		failed, fit, added = nil, 0, nil
		now := db.now().UTC()
		r, w := reader{t}, &wtx{t: t}
		for i, o := range ops {
			o.err, o.panicked, o.pval = nil, false, nil
			apply := o.check(r, now)
			if apply == nil {
				continue
			}
			if !o.apply(apply, w) {
				if i > 0 && errors.Is(o.err, errTxnFull) {
					o.err, fit = nil, i
				} else {
					failed = o
				}
				return errRetry
			}
		}
		added = w.added
		return nil
	})
	// Readers that cache what they read key it by Version: bump it after
	// every transaction, committed or not (a failed commit may still have
	// changed what a reader would see of nothing, but costs only a
	// re-read).
	db.writes.Add(1)
	if failed != nil || fit > 0 {
		return failed, fit, nil
	}
	if err == nil {
		db.announce(added)
	}
	return nil, 0, err
}

// check runs the op's check phase and returns its apply, or nil when the
// op has nothing to write or has failed.
func (o *op) check(r reader, now time.Time) (apply applyFunc) {
	defer o.recover()
	apply, o.err = o.fn(r, now)
	if o.err != nil {
		return nil
	}
	return apply
}

// apply runs the op's writes and reports whether they succeeded.
func (o *op) apply(apply applyFunc, tx *wtx) (ok bool) {
	defer o.recover()
	o.err = apply(tx)
	return o.err == nil
}

// recover records a panic of the op. A panic caused by a damaged file (a
// fault, a bbolt page check) is an error; any other panic is the
// caller's, re-raised by write.
func (o *op) recover() {
	r := recover()
	if r == nil {
		return
	}
	if err := corruptionError(r); err != nil {
		o.err = err
		return
	}
	o.panicked = true
	o.pval = fmt.Sprintf("%v\n\n[panic inside store transaction]\n%s", r, debug.Stack())
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
