package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// checkKeys refuses deduplication keys bbolt cannot store (with the 8
// bytes of time in front, for the seen_time index).
func checkKeys(keys []string) error {
	for _, k := range keys {
		if k == "" || len(k) > bolt.MaxKeySize-8 {
			return incident.Errorf(incident.EINVALID, "A deduplication key must be 1 to %d bytes long.", bolt.MaxKeySize-8)
		}
	}
	return nil
}

// seenAny reports whether any of keys was recorded.
func seenAny(r reader, keys []string) bool {
	for _, k := range keys {
		if r.get(bucketSeen, []byte(k)) != nil {
			return true
		}
	}
	return false
}

// seenTimeKey is the seen_time key of key, seen at t (itob of UnixNano).
func seenTimeKey(t, key []byte) []byte {
	return append(append(make([]byte, 0, len(t)+len(key)), t...), key...)
}

// markSeen records keys as seen at now. A key seen before moves to the
// new time.
func markSeen(tx *wtx, keys []string, now time.Time) error {
	seen, byTime := bucket(tx, bucketSeen), bucket(tx, bucketSeenTime)
	t := itob(uint64(now.UnixNano()))
	for _, k := range keys {
		if old := seen.Get([]byte(k)); old != nil {
			if err := byTime.Delete(seenTimeKey(old, []byte(k))); err != nil {
				return err
			}
		}
		if err := seen.Put([]byte(k), t); err != nil {
			return err
		}
		if err := byTime.Put(seenTimeKey(t, []byte(k)), nil); err != nil {
			return err
		}
	}
	return nil
}

// Seen reports whether any of keys was recorded by Receive. Errors are
// internal.
func (db *DB) Seen(ctx context.Context, keys []string) (bool, error) {
	var seen bool
	err := db.view(func(r reader) error {
		seen = seenAny(r, keys)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seen: %w", err)
	}
	return seen, nil
}

// RememberKeys records deduplication keys as seen at at, without a
// request: for tools and tests that fill a store. On etcd a long list is
// recorded in several transactions (see maxWrites). Returns EINVALID for a
// key Receive would refuse.
func (db *DB) RememberKeys(ctx context.Context, at time.Time, keys []string) error {
	if err := checkKeys(keys); err != nil {
		return err
	}
	for chunk := range chunks(keys, db.maxWrites()/2) {
		err := db.write(ctx, func(reader, time.Time) (applyFunc, error) {
			return func(tx *wtx) error { return markSeen(tx, chunk, at) }, nil
		})
		if err != nil {
			return fmt.Errorf("remember %d keys: %w", len(keys), err)
		}
	}
	return nil
}

// pruneBatch caps the keys one PruneSeen transaction removes, so that a
// long backlog is pruned without holding up other writers. Tests lower it.
var pruneBatch = 10_000

// PruneSeen forgets deduplication keys recorded before olderThan and
// returns how many it removed. It reads the seen_time index from its
// oldest entry, so its cost follows what it removes, not what is kept; it
// removes at most pruneBatch keys per transaction (fewer on etcd, see
// maxWrites). Errors are internal.
func (db *DB) PruneSeen(ctx context.Context, olderThan time.Time) (int, error) {
	limit := uint64(olderThan.UnixNano())
	batch := pruneBatch
	if mw := db.maxWrites(); mw > 0 {
		batch = min(batch, mw/2)
	}
	total := 0
	for {
		var n int
		err := db.write(ctx, func(r reader, _ time.Time) (applyFunc, error) {
			n = 0
			var old [][]byte
			c := r.cursor(bucketSeenTime)
			for k, _ := c.first(); k != nil && len(old) < batch; k, _ = c.next() {
				if len(k) < 8 || btoi(k[:8]) >= limit {
					break
				}
				old = append(old, append([]byte(nil), k...))
			}
			if len(old) == 0 {
				return nil, nil
			}
			return func(tx *wtx) error {
				seen, byTime := bucket(tx, bucketSeen), bucket(tx, bucketSeenTime)
				for _, k := range old {
					if err := byTime.Delete(k); err != nil {
						return err
					}
					if err := seen.Delete(k[8:]); err != nil {
						return err
					}
				}
				n = len(old)
				return nil
			}, nil
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("prune seen: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}
