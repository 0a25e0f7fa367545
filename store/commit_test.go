package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_write(t *testing.T) {
	ctx := context.Background()

	t.Run("LoneWriter", func(t *testing.T) {
		db := MustOpenDB(t)
		MustCreateIncident(t, db, &incident.Incident{})
		before := db.groups.Load()
		for range 10 {
			if _, err := db.AppendEvents(ctx, 1, incident.Event{Kind: incident.EventNote}); err != nil {
				t.Fatal(err)
			}
		}
		if n := db.groups.Load() - before; n != 10 {
			t.Fatalf("%d transactions for 10 sequential writes", n)
		}
	})

	t.Run("Group", func(t *testing.T) {
		db := MustOpenDB(t)
		put := func(key string) txFunc {
			return func(tx *bolt.Tx, _ time.Time, dirty func()) error {
				dirty()
				return tx.Bucket(bucketSeen).Put([]byte(key), itob(1))
			}
		}
		errClean, errDirty := errors.New("clean"), errors.New("dirty")

		// The leader holds its transaction open until the others queue.
		release := make(chan struct{})
		var wg sync.WaitGroup
		results := make(map[string]error)
		var mu sync.Mutex
		run := func(name string, fn txFunc) {
			wg.Go(func() {
				err := db.write(ctx, fn)
				mu.Lock()
				results[name] = err
				mu.Unlock()
			})
		}
		started := make(chan struct{})
		run("leader", func(tx *bolt.Tx, now time.Time, dirty func()) error {
			close(started)
			<-release
			return put("leader")(tx, now, dirty)
		})
		waitQueue := func(n int) {
			for {
				db.mu.Lock()
				l := len(db.queue)
				db.mu.Unlock()
				if l == n {
					return
				}
				time.Sleep(time.Millisecond)
			}
		}
		<-started
		run("clean", func(*bolt.Tx, time.Time, func()) error { return errClean })
		waitQueue(1)
		run("dirty", func(tx *bolt.Tx, now time.Time, dirty func()) error {
			if err := put("dirty")(tx, now, dirty); err != nil {
				return err
			}
			return errDirty
		})
		waitQueue(2)
		run("ok", put("ok"))
		waitQueue(3)
		panicked := make(chan any, 1)
		wg.Go(func() {
			defer func() { panicked <- recover() }()
			_ = db.write(ctx, func(tx *bolt.Tx, now time.Time, dirty func()) error {
				_ = put("panic")(tx, now, dirty)
				panic("boom")
			})
		})
		waitQueue(4)
		before := db.groups.Load()
		close(release)
		wg.Wait()

		want := map[string]error{"leader": nil, "clean": errClean, "dirty": errDirty, "ok": nil}
		if fmt.Sprint(results) != fmt.Sprint(want) {
			t.Fatalf("results %v, want %v", results, want)
		}
		if p := fmt.Sprint(<-panicked); len(p) < 4 || p[:4] != "boom" {
			t.Fatalf("panic = %q", p)
		}
		// One group for the four queued ops, retried twice (dirty, panic).
		if n := db.groups.Load() - before; n != 3 {
			t.Fatalf("%d transactions, want 3", n)
		}
		_ = db.bolt.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSeen)
			for key, want := range map[string]bool{"leader": true, "ok": true, "dirty": false, "panic": false} {
				if got := b.Get([]byte(key)) != nil; got != want {
					t.Errorf("key %s stored = %v", key, got)
				}
			}
			return nil
		})
		// The store still works.
		if err := db.write(ctx, put("after")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		db := MustOpenDB(t)
		const incidents, writers, each = 4, 32, 20
		for range incidents {
			MustCreateIncident(t, db, &incident.Incident{})
		}
		before := db.groups.Load()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					id := int64(w%incidents + 1)
					if _, err := db.AppendEvents(ctx, id, incident.Event{Kind: incident.EventNote, Text: fmt.Sprint(w, i)}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		for id := int64(1); id <= incidents; id++ {
			evs, err := db.Events(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			MustDenseSeqs(t, evs, writers/incidents*each)
		}
		t.Logf("%d writes in %d transactions", writers*each, db.groups.Load()-before)
	})
}
