package store

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

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
	err := db.write(ctx, func(rd reader, now time.Time) (applyFunc, error) {
		seq, dup = 0, false
		if dup = seenAny(rd, keys); dup {
			return nil, nil
		}
		return func(tx *wtx) error {
			if err := markSeen(tx, keys, now); err != nil {
				return err
			}
			b := bucket(tx, bucketInbox)
			var err error
			if seq, err = b.NextSequence(); err != nil {
				return err
			}
			req := r
			if req.ReceivedAt.IsZero() {
				req.ReceivedAt = now
			}
			return b.Put(itob(seq), marshalRequest(&req))
		}, nil
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
	err := db.view(func(rd reader) error {
		c := rd.cursor(bucketInbox)
		for k, v := c.first(); k != nil; k, v = c.next() {
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
	err := db.write(ctx, func(rd reader, _ time.Time) (applyFunc, error) {
		v := rd.get(bucketInbox, itob(seq))
		if v == nil {
			return nil, nil
		}
		r, err := unmarshalRequest(seq, v)
		if err != nil {
			return nil, err
		}
		r.Attempts++
		return func(tx *wtx) error { return bucket(tx, bucketInbox).Put(itob(seq), marshalRequest(&r)) }, nil
	})
	if err != nil {
		return fmt.Errorf("retry request %d: %w", seq, err)
	}
	return nil
}
