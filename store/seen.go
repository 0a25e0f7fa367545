package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// FirstTime records key (an envelope or event ID) with the time now and
// reports whether it was new. Returns EINVALID for an empty key or one
// longer than bbolt allows.
func (db *DB) FirstTime(ctx context.Context, key string, now time.Time) (bool, error) {
	if key == "" || len(key) > bolt.MaxKeySize {
		return false, incident.Errorf(incident.EINVALID, "A deduplication key must be 1 to %d bytes long.", bolt.MaxKeySize)
	}
	var first bool
	err := db.write(ctx, func(tx *bolt.Tx, _ time.Time, dirty func()) error {
		b := tx.Bucket(bucketSeen)
		first = b.Get([]byte(key)) == nil
		if !first {
			return nil
		}
		dirty()
		return b.Put([]byte(key), itob(uint64(now.UnixNano())))
	})
	if err != nil {
		return false, fmt.Errorf("first time %q: %w", key, err)
	}
	return first, nil
}

// PruneSeen forgets FirstTime keys recorded before olderThan and returns
// how many it removed. It scans the whole seen bucket; run it from a
// daily job. Errors are internal.
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
