package store

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// enqueueEffects stores effs in the outbox and returns them as stored:
// Seq assigned, CreatedAt defaulted to now, IncidentID defaulted to id.
func enqueueEffects(tx *wtx, now time.Time, id int64, effs []incident.Effect) ([]incident.Effect, error) {
	if len(effs) == 0 {
		return nil, nil
	}
	b := bucket(tx, bucketOutbox)
	out := make([]incident.Effect, len(effs))
	for i, e := range effs {
		seq, err := b.NextSequence()
		if err != nil {
			return nil, err
		}
		e.Seq = seq
		if e.IncidentID == 0 {
			e.IncidentID = id
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = now
		}
		e.CreatedAt, e.NotBefore = utc(e.CreatedAt), utc(e.NotBefore)
		if err := b.Put(itob(seq), marshalEffect(&e)); err != nil {
			return nil, err
		}
		out[i] = e
	}
	tx.added = append(tx.added, out...)
	return out, nil
}

// AnnounceEffects makes fn hear the effects that each later commit puts in
// the outbox, in Seq order, commits in the order they are made, before the
// writers of the commit return. The outbox worker learns of new effects
// this way: each lane is delivered in Seq order, and a worker told by the
// writers after their writes return could start an effect while an
// earlier one of its lane, committed in the same group, is not yet known
// to it (the writers of a group wake in any order). stop ends it; a commit
// made while stop runs may still be announced.
//
// fn runs in the goroutine that commits, while later writers wait: it
// must be quick and must not use the store. A commit that fails is not
// announced, even if it may have taken effect (an etcd commit whose answer
// was lost): PendingEffects still lists its effects.
func (db *DB) AnnounceEffects(fn func([]incident.Effect)) (stop func()) {
	s := &effectSub{fn: fn}
	db.mu.Lock()
	// A new slice each time: announce reads the old one without the lock.
	db.subs = append(slices.Clip(db.subs), s)
	db.mu.Unlock()
	return sync.OnceFunc(func() {
		db.mu.Lock()
		db.subs = slices.DeleteFunc(slices.Clone(db.subs), func(x *effectSub) bool { return x == s })
		db.mu.Unlock()
	})
}

// effectSub is one AnnounceEffects subscription.
type effectSub struct{ fn func([]incident.Effect) }

// announce tells the subscribers the effects one commit added. A panic of
// a subscriber is logged, not raised: it would stop the group commit with
// writers still waiting for it.
func (db *DB) announce(effs []incident.Effect) {
	if len(effs) == 0 {
		return
	}
	db.mu.Lock()
	subs := db.subs
	db.mu.Unlock()
	for _, s := range subs {
		func() {
			defer func() {
				if r := recover(); r != nil {
					db.logger.Error("an outbox subscriber panicked", "panic", r, "stack", string(debug.Stack()))
				}
			}()
			s.fn(slices.Clone(effs))
		}()
	}
}

// PendingEffects returns up to limit (limit <= 0: all) effects not yet
// done, in Seq order, whatever their NotBefore: the caller decides what is
// ready. Errors are internal.
func (db *DB) PendingEffects(ctx context.Context, limit int) ([]incident.Effect, error) {
	var out []incident.Effect
	err := db.view(func(r reader) error {
		c := r.cursor(bucketOutbox)
		for k, v := c.first(); k != nil; k, v = c.next() {
			e, err := unmarshalEffect(btoi(k), v)
			if err != nil {
				return err
			}
			out = append(out, e)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending effects: %w", err)
	}
	return out, nil
}

// RetryEffect records a failed delivery of effect seq: its attempt count
// and the earliest time to try again. Returns ENOTFOUND when the effect is
// gone (done meanwhile).
func (db *DB) RetryEffect(ctx context.Context, seq uint64, attempts int, notBefore time.Time) error {
	err := db.write(ctx, func(r reader, _ time.Time) (applyFunc, error) {
		v := r.get(bucketOutbox, itob(seq))
		if v == nil {
			return nil, incident.Errorf(incident.ENOTFOUND, "Effect %d is not in the outbox.", seq)
		}
		e, err := unmarshalEffect(seq, v)
		if err != nil {
			return nil, err
		}
		e.Attempts, e.NotBefore = attempts, notBefore
		return func(tx *wtx) error { return bucket(tx, bucketOutbox).Put(itob(seq), marshalEffect(&e)) }, nil
	})
	switch {
	case incident.ErrorCode(err) == incident.ENOTFOUND:
		return err
	case err != nil:
		return fmt.Errorf("retry effect %d: %w", seq, err)
	}
	return nil
}
