package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_write(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()

		t.Run("LoneWriter", func(t *testing.T) {
			db := b.open(t)
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

		t.Run("CheckFails", func(t *testing.T) {
			// An op failing or panicking in its check phase fails alone, and
			// the rest of its group commits in the same transaction.
			db := b.open(t)
			errCheck := errors.New("check failed")
			res := runQueued(t, db, []namedOp{
				{"ok1", put("ok1")},
				{"checkErr", func(reader, time.Time) (applyFunc, error) { return nil, errCheck }},
				{"checkPanic", func(reader, time.Time) (applyFunc, error) { panic("boom in check") }},
				{"ok2", put("ok2")},
			})
			if res.txs != 1 {
				t.Fatalf("%d transactions for the group, want 1", res.txs)
			}
			want := map[string]string{"ok1": "<nil>", "checkErr": "check failed", "ok2": "<nil>"}
			if fmt.Sprint(res.errs) != fmt.Sprint(want) {
				t.Fatalf("results %v, want %v", res.errs, want)
			}
			if p := res.panics["checkPanic"]; !strings.HasPrefix(p, "boom in check") {
				t.Fatalf("panic = %q", p)
			}
			MustKeys(t, db, map[string]bool{"leader": true, "ok1": true, "ok2": true})
		})

		t.Run("ApplyFails", func(t *testing.T) {
			// An op failing or panicking after it has written is rolled back
			// alone: the transaction is retried without it.
			db := b.open(t)
			errApply := errors.New("apply failed")
			writeThen := func(key string, then func() error) txFunc {
				return func(r reader, now time.Time) (applyFunc, error) {
					return func(tx *wtx) error {
						if err := tx.Bucket(bucketMeta).Put([]byte(key), []byte("x")); err != nil {
							return err
						}
						return then()
					}, nil
				}
			}
			res := runQueued(t, db, []namedOp{
				{"ok1", put("ok1")},
				{"applyErr", writeThen("applyErr", func() error { return errApply })},
				{"ok2", put("ok2")},
				{"applyPanic", writeThen("applyPanic", func() error { panic("boom in apply") })},
				{"ok3", put("ok3")},
			})
			if res.txs != 3 {
				t.Fatalf("%d transactions for the group, want 3 (one, then one retry per failed op)", res.txs)
			}
			want := map[string]string{"ok1": "<nil>", "applyErr": "apply failed", "ok2": "<nil>", "ok3": "<nil>"}
			if fmt.Sprint(res.errs) != fmt.Sprint(want) {
				t.Fatalf("results %v, want %v", res.errs, want)
			}
			if p := res.panics["applyPanic"]; !strings.HasPrefix(p, "boom in apply") {
				t.Fatalf("panic = %q", p)
			}
			MustKeys(t, db, map[string]bool{"leader": true, "ok1": true, "ok2": true, "ok3": true, "applyErr": false, "applyPanic": false})
			// The store still works.
			if err := db.write(ctx, put("after")); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("SeesEarlierOps", func(t *testing.T) {
			// Each op's check sees what the ops before it in the group wrote.
			db := b.open(t)
			var saw bool
			res := runQueued(t, db, []namedOp{
				{"first", put("first")},
				{"second", func(r reader, now time.Time) (applyFunc, error) {
					saw = r.get(bucketMeta, []byte("first")) != nil
					return nil, nil
				}},
			})
			if res.txs != 1 || !saw {
				t.Fatalf("%d transactions, saw the first op's write: %v", res.txs, saw)
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			db := b.open(t)
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
	})
}

// put is an op that stores key in the meta bucket.
func put(key string) txFunc {
	return func(r reader, now time.Time) (applyFunc, error) {
		return func(tx *wtx) error { return tx.Bucket(bucketMeta).Put([]byte(key), []byte("x")) }, nil
	}
}

type namedOp struct {
	name string
	fn   txFunc
}

// queued is what runQueued observed.
type queued struct {
	errs   map[string]string // error text of each op that returned
	panics map[string]string // panic of each op that panicked
	txs    int64             // transactions run for the queued ops
}

// runQueued runs ops as one group: a leader op (which stores "leader")
// holds its transaction open until all of them have queued behind it.
func runQueued(t *testing.T, db *DB, ops []namedOp) queued {
	t.Helper()
	ctx := context.Background()
	res := queued{errs: map[string]string{}, panics: map[string]string{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := func(name string, fn txFunc) {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					res.panics[name] = fmt.Sprint(p)
					mu.Unlock()
				}
			}()
			err := db.write(ctx, fn)
			mu.Lock()
			res.errs[name] = fmt.Sprint(err)
			mu.Unlock()
		})
	}
	release, started := make(chan struct{}), make(chan struct{})
	run("leader", func(r reader, now time.Time) (applyFunc, error) {
		close(started)
		<-release
		return put("leader")(r, now)
	})
	<-started
	for i, o := range ops {
		run(o.name, o.fn)
		for { // wait until it has queued, to keep the order
			db.mu.Lock()
			l := len(db.queue)
			db.mu.Unlock()
			if l == i+1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	before := db.groups.Load()
	close(release)
	wg.Wait()
	res.txs = db.groups.Load() - before
	if res.errs["leader"] != "<nil>" {
		t.Fatalf("leader: %s", res.errs["leader"])
	}
	delete(res.errs, "leader")
	return res
}

// MustKeys fails unless the meta bucket holds exactly the given keys
// (true) and lacks the others (false).
func MustKeys(tb testing.TB, db *DB, want map[string]bool) {
	tb.Helper()
	err := db.view(func(r reader) error {
		for key, want := range want {
			if got := r.get(bucketMeta, []byte(key)) != nil; got != want {
				tb.Errorf("key %s stored = %v, want %v", key, got, want)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestDB_writeMany: ops queued together share a transaction, more than
// maxGroup split into groups, other writers meanwhile neither deadlock nor
// lose anything, and a panic is re-raised once every op is done.
func TestDB_writeMany(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		const n = maxGroup + maxGroup/2
		fns := make([]txFunc, n)
		want := map[string]bool{}
		for i := range fns {
			key := fmt.Sprintf("many-%d", i)
			fns[i], want[key] = put(key), true
		}
		var wg sync.WaitGroup
		for w := range 8 { // other writers, before, during and after
			key := fmt.Sprintf("other-%d", w)
			want[key] = true
			wg.Go(func() {
				if err := db.write(ctx, put(key)); err != nil {
					t.Error(err)
				}
			})
		}
		before := db.groups.Load()
		for i, err := range db.writeMany(ctx, fns) {
			if err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
		}
		wg.Wait()
		most := int64(2 + 8)
		if db.etcd != nil {
			// etcd splits a group to fit --max-txn-ops (one put is one op).
			most += int64(n / (db.etcd.maxOps / 2))
		}
		if txs := db.groups.Load() - before; txs < 2 || txs > most {
			t.Errorf("%d transactions for %d ops queued at once (max %d per group, %d transactions expected at most)", txs, n, maxGroup, most)
		}
		MustKeys(t, db, want)

		errCheck := errors.New("check failed")
		func() {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "boom") {
					t.Errorf("panic = %v, want the op's", p)
				}
				MustKeys(t, db, map[string]bool{"after-panic": true})
			}()
			db.writeMany(ctx, []txFunc{
				func(reader, time.Time) (applyFunc, error) { panic("boom") },
				func(reader, time.Time) (applyFunc, error) { return nil, errCheck },
				put("after-panic"),
			})
		}()
	})
}
