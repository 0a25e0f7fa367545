package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// effectRecord is how an incident.Effect is stored under outbox/itob(seq).
type effectRecord struct {
	V          int       `json:"v"`
	Lane       string    `json:"lane,omitempty"`
	Kind       string    `json:"kind"`
	IncidentID int64     `json:"incident_id,omitempty"`
	Payload    []byte    `json:"payload,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	NotBefore  time.Time `json:"not_before,omitzero"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

func marshalEffect(e incident.Effect) ([]byte, error) {
	return json.Marshal(effectRecord{
		V: recordVersion, Lane: e.Lane, Kind: e.Kind, IncidentID: e.IncidentID, Payload: e.Payload,
		Attempts: e.Attempts, NotBefore: utc(e.NotBefore), CreatedAt: utc(e.CreatedAt),
	})
}

func unmarshalEffect(seq uint64, data []byte) (incident.Effect, error) {
	var r effectRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return incident.Effect{}, fmt.Errorf("decode effect %d: %w", seq, err)
	}
	if r.V > recordVersion {
		return incident.Effect{}, fmt.Errorf("decode effect %d: record version %d is newer than %d", seq, r.V, recordVersion)
	}
	return incident.Effect{
		Seq: seq, Lane: r.Lane, Kind: r.Kind, IncidentID: r.IncidentID, Payload: r.Payload,
		Attempts: r.Attempts, NotBefore: utc(r.NotBefore), CreatedAt: utc(r.CreatedAt),
	}, nil
}

// enqueueEffects stores effs in the outbox and returns them as stored:
// Seq assigned, CreatedAt defaulted to now, IncidentID defaulted to id.
func enqueueEffects(tx *bolt.Tx, now time.Time, id int64, effs []incident.Effect) ([]incident.Effect, error) {
	if len(effs) == 0 {
		return nil, nil
	}
	b := tx.Bucket(bucketOutbox)
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
		data, err := marshalEffect(e)
		if err != nil {
			return nil, err
		}
		if err := b.Put(itob(seq), data); err != nil {
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

// RetryEffect records a failed delivery of effect seq: its attempt count
// and the earliest time to try again. Returns ENOTFOUND when the effect is
// gone (done meanwhile).
func (db *DB) RetryEffect(ctx context.Context, seq uint64, attempts int, notBefore time.Time) error {
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
		e.Attempts, e.NotBefore = attempts, notBefore
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
		return fmt.Errorf("retry effect %d: %w", seq, err)
	}
	return nil
}
