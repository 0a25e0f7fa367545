package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// checkKeys refuses deduplication keys bbolt cannot store.
func checkKeys(keys []string) error {
	for _, k := range keys {
		if k == "" || len(k) > bolt.MaxKeySize {
			return incident.Errorf(incident.EINVALID, "A deduplication key must be 1 to %d bytes long.", bolt.MaxKeySize)
		}
	}
	return nil
}

// seenAny reports whether any of keys was recorded.
func seenAny(tx *bolt.Tx, keys []string) bool {
	b := tx.Bucket(bucketSeen)
	for _, k := range keys {
		if b.Get([]byte(k)) != nil {
			return true
		}
	}
	return false
}

// markSeen records keys with the time now.
func markSeen(tx *bolt.Tx, keys []string, now time.Time) error {
	b := tx.Bucket(bucketSeen)
	for _, k := range keys {
		if err := b.Put([]byte(k), itob(uint64(now.UnixNano()))); err != nil {
			return err
		}
	}
	return nil
}

// Seen reports whether any of keys was recorded by Receive. Errors are
// internal.
func (db *DB) Seen(ctx context.Context, keys []string) (bool, error) {
	var seen bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		seen = seenAny(tx, keys)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seen: %w", err)
	}
	return seen, nil
}

// PruneSeen forgets deduplication keys recorded before olderThan and
// returns how many it removed. It scans the whole seen bucket; run it from
// a daily job. Errors are internal.
func (db *DB) PruneSeen(ctx context.Context, olderThan time.Time) (int, error) {
	var n int
	err := db.write(ctx, func(tx *bolt.Tx, _ time.Time, dirty func()) error {
		b := tx.Bucket(bucketSeen)
		var old [][]byte
		limit := olderThan.UnixNano()
		err := b.ForEach(func(k, v []byte) error {
			if len(v) != 8 || int64(btoi(v)) < limit {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		dirty()
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune seen: %w", err)
	}
	return n, nil
}
