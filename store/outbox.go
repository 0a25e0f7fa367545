package store

import (
	"context"
	"fmt"
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
	return out, nil
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
