package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Effect is a durable record of something to do in Slack (create a
// channel, post a message), written before it is attempted so that it is
// retried after a crash or a rate limit until CompleteEffect.
type Effect struct {
	// Seq numbers the effect in the outbox; Enqueue assigns it.
	Seq uint64
	// Key is the effect's idempotency key, e.g. "announce:42:1".
	Key string
	// Kind names the effect for the code that performs it.
	Kind       string
	IncidentID int64
	// Payload is the effect's arguments, opaque to the store.
	Payload []byte
	// Attempts counts failed attempts (see DeferEffect).
	Attempts int
	// NotBefore is the earliest time to try again; zero means now.
	NotBefore time.Time
	// CreatedAt defaults to the transaction's clock.
	CreatedAt time.Time
}

// effectRecord is how an Effect is stored under outbox/itob(seq).
type effectRecord struct {
	V          int       `json:"v"`
	Key        string    `json:"key,omitempty"`
	Kind       string    `json:"kind"`
	IncidentID int64     `json:"incident_id,omitempty"`
	Payload    []byte    `json:"payload,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	NotBefore  time.Time `json:"not_before,omitzero"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

func marshalEffect(e Effect) ([]byte, error) {
	return json.Marshal(effectRecord{
		V: recordVersion, Key: e.Key, Kind: e.Kind, IncidentID: e.IncidentID, Payload: e.Payload,
		Attempts: e.Attempts, NotBefore: utc(e.NotBefore), CreatedAt: utc(e.CreatedAt),
	})
}

func unmarshalEffect(seq uint64, data []byte) (Effect, error) {
	var r effectRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return Effect{}, fmt.Errorf("decode effect %d: %w", seq, err)
	}
	return Effect{
		Seq: seq, Key: r.Key, Kind: r.Kind, IncidentID: r.IncidentID, Payload: r.Payload,
		Attempts: r.Attempts, NotBefore: utc(r.NotBefore), CreatedAt: utc(r.CreatedAt),
	}, nil
}

// Enqueue stores e in the outbox and returns its Seq. e.Seq is ignored;
// a zero CreatedAt becomes the transaction's clock. Errors are internal.
func (db *DB) Enqueue(ctx context.Context, e Effect) (uint64, error) {
	var seq uint64
	err := db.write(ctx, func(tx *bolt.Tx, now time.Time, dirty func()) error {
		b := tx.Bucket(bucketOutbox)
		dirty()
		var err error
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		if e.CreatedAt.IsZero() {
			e.CreatedAt = now
		}
		data, err := marshalEffect(e)
		if err != nil {
			return err
		}
		return b.Put(itob(seq), data)
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue effect %q: %w", e.Kind, err)
	}
	return seq, nil
}

// PendingEffects returns up to limit (limit <= 0: all) effects not yet
// completed, oldest first, whatever their NotBefore: the caller decides
// what is ready. Errors are internal.
func (db *DB) PendingEffects(ctx context.Context, limit int) ([]Effect, error) {
	var out []Effect
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
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

// CompleteEffect removes effect seq from the outbox. Completing an effect
// that is already gone is not an error, so a retry after a crash is safe.
// Errors are internal.
func (db *DB) CompleteEffect(ctx context.Context, seq uint64) error {
	err := db.write(ctx, func(tx *bolt.Tx, _ time.Time, dirty func()) error {
		dirty()
		return tx.Bucket(bucketOutbox).Delete(itob(seq))
	})
	if err != nil {
		return fmt.Errorf("complete effect %d: %w", seq, err)
	}
	return nil
}

// DeferEffect records a failed attempt of effect seq: it increments
// Attempts and sets NotBefore. Returns ENOTFOUND when the effect is gone.
func (db *DB) DeferEffect(ctx context.Context, seq uint64, notBefore time.Time) error {
	err := db.write(ctx, func(tx *bolt.Tx, _ time.Time, dirty func()) error {
		b := tx.Bucket(bucketOutbox)
		v := b.Get(itob(seq))
		if v == nil {
			return incident.Errorf(incident.ENOTFOUND, "Effect %d is not in the outbox.", seq)
		}
		e, err := unmarshalEffect(seq, v)
		if err != nil {
			return err
		}
		e.Attempts++
		e.NotBefore = notBefore
		data, err := marshalEffect(e)
		if err != nil {
			return err
		}
		dirty()
		return b.Put(itob(seq), data)
	})
	switch {
	case incident.ErrorCode(err) == incident.ENOTFOUND:
		return err
	case err != nil:
		return fmt.Errorf("defer effect %d: %w", seq, err)
	}
	return nil
}
