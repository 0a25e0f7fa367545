package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// bucketSubscriptions maps itob(scope)|userID to a subscription record:
// scope is the incident followed, 0 for every incident. The subscribers of
// one incident are two prefix scans: its own and 0's.
var bucketSubscriptions = []byte("subscriptions")

var subscriptionRecord = newRecordType("subscription",
	strField(1, "tier", func(x *incident.Subscription) *string { return &x.Tier }),
	timeField(2, "created_at", func(x *incident.Subscription) *time.Time { return &x.CreatedAt }),
)

func subscriptionKey(scope int64, user string) []byte {
	return append(itob(uint64(scope)), user...)
}

// Subscribe stores s (replacing the same person's subscription to the same
// scope, whose tier it changes) and applies ch, which must have no events
// (it finishes the request and carries the reply), in one transaction.
// CreatedAt defaults to the transaction's time. Errors are internal.
func (db *DB) Subscribe(ctx context.Context, s incident.Subscription, ch incident.Change) (incident.Change, error) {
	if s.User == "" || s.Incident < 0 {
		return incident.Change{}, incident.Errorf(incident.EINVALID, "A subscription needs a person and an incident number (or 0 for all).")
	}
	var out incident.Change
	err := db.write(ctx, func(_ reader, now time.Time) (applyFunc, error) {
		return func(tx *wtx) error {
			x := s
			if x.CreatedAt.IsZero() {
				x.CreatedAt = now
			}
			x.CreatedAt = utc(x.CreatedAt)
			if err := tx.Bucket(bucketSubscriptions).Put(subscriptionKey(s.Incident, s.User), subscriptionRecord.marshal(&x)); err != nil {
				return err
			}
			var err error
			out, err = applyChange(tx, now, 0, ch)
			return err
		}, nil
	})
	if err != nil {
		return incident.Change{}, fmt.Errorf("subscribe %s to %d: %w", s.User, s.Incident, err)
	}
	return out, nil
}

// Unsubscribe removes user's subscription to scope (0: all) and applies
// ch, in one transaction; found says whether there was one. Errors are
// internal.
func (db *DB) Unsubscribe(ctx context.Context, user string, scope int64, ch incident.Change) (found bool, _ incident.Change, _ error) {
	var out incident.Change
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		key := subscriptionKey(scope, user)
		found = r.get(bucketSubscriptions, key) != nil
		return func(tx *wtx) error {
			if found {
				if err := tx.Bucket(bucketSubscriptions).Delete(key); err != nil {
					return err
				}
			}
			var err error
			out, err = applyChange(tx, now, 0, ch)
			return err
		}, nil
	})
	if err != nil {
		return false, incident.Change{}, fmt.Errorf("unsubscribe %s from %d: %w", user, scope, err)
	}
	return found, out, nil
}

// Subscribers returns the subscriptions to incident id and those to every
// incident, in that order. Errors are internal.
func (db *DB) Subscribers(ctx context.Context, id int64) ([]incident.Subscription, error) {
	var out []incident.Subscription
	err := db.view(func(r reader) error {
		for _, scope := range []int64{id, 0} {
			prefix := itob(uint64(scope))
			c := r.cursor(bucketSubscriptions)
			for k, v := c.seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.next() {
				s, err := decode(subscriptionRecord, v, "subscription %x", k)
				if err != nil {
					return err
				}
				s.Incident, s.User = scope, string(k[8:])
				out = append(out, s)
			}
			if id == 0 {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("subscribers of %d: %w", id, err)
	}
	return out, nil
}

// checkStamped checks every entry of a bucket whose keys are 8 bytes
// followed by a name (scope|user, time|address): shape names the parts,
// what the record, validate decodes it (Check).
func checkStamped(r reader, p *problems, bucket []byte, shape, what string, validate func([]byte) error) {
	_ = r.forEach(bucket, func(k, v []byte) error {
		if len(k) <= 8 {
			p.key(bucket, k, "not %s", shape)
			return nil
		}
		if err := validate(v); err != nil {
			p.key(bucket, k, "decode %s: %v", what, err)
		}
		return nil
	})
}
