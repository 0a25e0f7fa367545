package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store/etcdtest"
)

// benchEvent is a typical note: about 200 bytes stored.
var benchEvent = incident.Event{
	Actor: "U012AB3CD", Kind: incident.EventNote,
	Text:   strings.Repeat("rolled back deploy 1234 ", 5),
	Fields: map[string]string{"ts": "1700000000.000100"},
}

// runWriters calls op b.N times in total from writers goroutines, and
// reports events/s.
func runWriters(b *testing.B, writers int, op func(w int) error) {
	var n atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := range writers {
		wg.Go(func() {
			for n.Add(1) <= int64(b.N) {
				if err := op(w); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendEvents appends timeline events through the store, fsync
// on, to 64 pre-created incidents.
func BenchmarkAppendEvents(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "bench.db"), WithNow(func() time.Time { return epoch }))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			benchAppend(b, db, writers)
		})
	}
}

// BenchmarkAppendEventsEtcd is BenchmarkAppendEvents on etcd: a cluster
// of one or three members on this machine, each syncing its log to disk
// as a real one does, on the same disk and CPUs as the benchmark.
func BenchmarkAppendEventsEtcd(b *testing.B) {
	for _, members := range []int{1, 3} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			c := etcdtest.Start(b, etcdtest.Options{Members: members, Fsync: true})
			for _, writers := range []int{1, 64} {
				b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
					db, err := OpenEtcd(context.Background(), c.Client(b), NewEtcdPrefix(), WithNow(func() time.Time { return epoch }))
					if err != nil {
						b.Fatal(err)
					}
					defer db.Close()
					benchAppend(b, db, writers)
				})
			}
		})
	}
}

// benchAppend creates 64 incidents in db, then appends benchEvent b.N
// times from writers goroutines.
func benchAppend(b *testing.B, db *DB, writers int) {
	ctx := context.Background()
	for range 64 {
		if _, err := db.CreateIncident(ctx, &incident.Incident{Title: "bench"}, incident.Change{}); err != nil {
			b.Fatal(err)
		}
	}
	before := db.WriteTransactions()
	runWriters(b, writers, func(w int) error {
		_, err := db.AppendEvents(ctx, int64(w%64+1), benchEvent)
		return err
	})
	b.ReportMetric(float64(b.N)/float64(db.WriteTransactions()-before), "events/txn")
}

// BenchmarkRawBolt is the baseline: one Put of a same-sized value per op,
// straight on bbolt, fsync on.
func BenchmarkRawBolt(b *testing.B) {
	value := marshalEvent(&benchEvent)
	for _, bc := range []struct {
		name    string
		writers int
		batch   bool
		size    int // MaxBatchSize; 0 keeps bbolt's default (1000)
	}{
		{"update/writers=1", 1, false, 0},
		{"batch/writers=64", 64, true, 0},
		// With MaxBatchSize = writers a batch starts as soon as every
		// writer has joined, instead of after MaxBatchDelay (10 ms): the
		// best Batch can do here.
		{"batch-size64/writers=64", 64, true, 64},
	} {
		b.Run(bc.name, func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if bc.size > 0 {
				db.MaxBatchSize = bc.size
			}
			if err := db.Update(func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket(bucketTimeline)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			var seqs [64]atomic.Uint64
			runWriters(b, bc.writers, func(w int) error {
				key := key2(uint64(w%64+1), seqs[w%64].Add(1))
				put := func(tx *bolt.Tx) error { return tx.Bucket(bucketTimeline).Put(key, value) }
				if bc.batch {
					return db.Batch(put)
				}
				return db.Update(put)
			})
		})
	}
}
