package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// requestRecord is how an incident.Request is stored under
// inbox/itob(seq).
type requestRecord struct {
	V          int       `json:"v"`
	Kind       string    `json:"kind"`
	Payload    []byte    `json:"payload,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
	Attempts   int       `json:"attempts,omitempty"`
}

func marshalRequest(r incident.Request) ([]byte, error) {
	return json.Marshal(requestRecord{V: recordVersion, Kind: r.Kind, Payload: r.Payload, ReceivedAt: utc(r.ReceivedAt), Attempts: r.Attempts})
}

func unmarshalRequest(seq uint64, data []byte) (incident.Request, error) {
	var r requestRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return incident.Request{}, fmt.Errorf("decode request %d: %w", seq, err)
	}
	if r.V > recordVersion {
		return incident.Request{}, fmt.Errorf("decode request %d: record version %d is newer than %d", seq, r.V, recordVersion)
	}
	return incident.Request{Seq: seq, Kind: r.Kind, Payload: r.Payload, ReceivedAt: utc(r.ReceivedAt), Attempts: r.Attempts}, nil
}

// Receive stores r in the inbox and remembers keys, unless one of keys was
// seen before: then it writes nothing and reports dup. A zero ReceivedAt
// becomes the transaction's clock. Returns EINVALID for an empty key or one
// longer than bbolt allows; other errors are internal.
func (db *DB) Receive(ctx context.Context, r incident.Request, keys []string) (uint64, bool, error) {
	if err := checkKeys(keys); err != nil {
		return 0, false, err
	}
	var seq uint64
	var dup bool
	err := db.write(ctx, func(tx *bolt.Tx, now time.Time, dirty func()) error {
		seq, dup = 0, false
		if dup = seenAny(tx, keys); dup {
			return nil
		}
		dirty()
		if err := markSeen(tx, keys, now); err != nil {
			return err
		}
		b := tx.Bucket(bucketInbox)
		var err error
		if seq, err = b.NextSequence(); err != nil {
			return err
		}
		if r.ReceivedAt.IsZero() {
			r.ReceivedAt = now
		}
		data, err := marshalRequest(r)
		if err != nil {
			return err
		}
		return b.Put(itob(seq), data)
	})
	if err != nil {
		return 0, false, fmt.Errorf("receive %s request: %w", r.Kind, err)
	}
	return seq, dup, nil
}

// Requests returns up to limit (limit <= 0: all) unfinished requests,
// oldest first. Errors are internal.
func (db *DB) Requests(ctx context.Context, limit int) ([]incident.Request, error) {
	var out []incident.Request
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketInbox).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := unmarshalRequest(btoi(k), v)
			if err != nil {
				return err
			}
			out = append(out, r)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inbox requests: %w", err)
	}
	return out, nil
}

// RetryRequest counts a failed processing attempt of request seq. A request
// that is gone (finished meanwhile) is not an error.
func (db *DB) RetryRequest(ctx context.Context, seq uint64) error {
	err := db.write(ctx, func(tx *bolt.Tx, _ time.Time, dirty func()) error {
		b := tx.Bucket(bucketInbox)
		v := b.Get(itob(seq))
		if v == nil {
			return nil
		}
		r, err := unmarshalRequest(seq, v)
		if err != nil {
			return err
		}
		r.Attempts++
		data, err := marshalRequest(r)
		if err != nil {
			return err
		}
		dirty()
		return b.Put(itob(seq), data)
	})
	if err != nil {
		return fmt.Errorf("retry request %d: %w", seq, err)
	}
	return nil
}
