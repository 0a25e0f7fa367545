package nudge_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/store"
)

// Benchmarks of one reminder tick on a large store. Run them with, for
// instance:
//
//	go test -run '^$' -bench 'Tick|DueIncidents' -benchtime 200x -count 6 ./bot/nudge/

// benchNow is the scheduler's clock in the benchmarks.
var benchNow = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

const (
	benchOpen     = 1000 // open incidents in every store
	benchArmable  = 100  // open incidents that the benchmark makes due
	benchFarAhead = 1000 * time.Hour
)

// benchStores builds each store size once per process (the top-level
// benchmark function runs once; its sub-benchmarks run -count times).
type benchStores struct {
	dir   string
	mu    sync.Mutex
	paths map[int]string
}

// path returns a closed store file with stored incidents: stored-benchOpen
// closed ones (zero WakeAt), benchOpen open ones waking benchFarAhead from
// now, the first benchArmable of which (IDs 1..benchArmable) can be made
// due by arm.
func (s *benchStores) path(b *testing.B, stored int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.paths[stored]; ok {
		return p
	}
	start := time.Now()
	p := filepath.Join(s.dir, fmt.Sprintf("stored-%d.db", stored))
	db, err := store.Open(p, store.WithNoSync(true), store.WithNow(func() time.Time { return benchNow }))
	if err != nil {
		b.Fatal(err)
	}
	policy := incident.DefaultPolicy()
	// Concurrent writers share transactions (group commit), so 64
	// goroutines create the incidents in a few thousand commits.
	const workers = 64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range (stored - w + workers - 1) / workers {
				inc := benchIncident(policy, false)
				if _, err := db.CreateIncident(context.Background(), inc, incident.Change{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	// IDs follow commit order; open IDs 1..benchOpen afterwards.
	ctx := context.Background()
	benchParallel(b, benchOpen, func(i int) error {
		_, _, err := db.UpdateIncident(ctx, int64(i+1), func(inc *incident.Incident) (incident.Change, error) {
			*inc = *benchIncident(policy, true)
			return incident.Change{}, nil
		})
		return err
	})
	due, err := db.DueIncidents(ctx, benchNow.Add(2*benchFarAhead), 0)
	if err != nil || len(due) != benchOpen {
		b.Fatalf("built store: %d incidents in the due index (err %v), want %d", len(due), err, benchOpen)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a store of %d incidents in %v", stored, time.Since(start).Round(time.Millisecond))
	s.paths[stored] = p
	return p
}

// benchIncident returns an incident as declared an hour ago: closed, or
// open with its next update promised benchFarAhead from now.
func benchIncident(p incident.Policy, open bool) *incident.Incident {
	declared := benchNow.Add(-time.Hour)
	inc := &incident.Incident{
		Title: "Checkout is down for some customers in eu-west", Severity: "major",
		Status: incident.StatusClosed, DeclaredBy: "U00000001", Operator: "U00000001", Spokesperson: "U00000002",
		ChannelName: "inc-checkout-is-down", CardTS: "1772614800.000100",
		Announcements: []incident.Announcement{{ChannelID: "C00000001", TS: "1772614800.000200"}},
		DeclaredAt:    declared, AcknowledgedAt: declared, UpdatedAt: declared,
		ResolvedAt: benchNow, ClosedAt: benchNow,
	}
	if open {
		inc.Status = incident.StatusInvestigating
		inc.ResolvedAt, inc.ClosedAt = time.Time{}, time.Time{}
		inc.NextUpdateDue = benchNow.Add(benchFarAhead)
	}
	inc.Replan(p)
	return inc
}

// benchParallel runs fn(0..n-1) from concurrent goroutines, so that the
// store groups the writes into few transactions.
func benchParallel(b *testing.B, n int, fn func(i int) error) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// arm makes incidents 1..due due now: the next update is promised in two
// minutes, so the heads-up (five minutes before) is overdue.
func arm(b *testing.B, db *store.DB, p incident.Policy, due int) {
	benchParallel(b, due, func(i int) error {
		_, _, err := db.UpdateIncident(context.Background(), int64(i+1), func(inc *incident.Incident) (incident.Change, error) {
			inc.NextUpdateDue = benchNow.Add(2 * time.Minute)
			inc.Reminder = incident.ReminderState{}
			inc.Replan(p)
			return incident.Change{}, nil
		})
		return err
	})
}

// BenchmarkTick measures one Scheduler.Tick over a store of stored
// incidents, benchOpen of them open and due of them due: each due incident
// gets its reminder decided and stored with its effect (delivery is the
// outbox's job, outside the tick). The due incidents are re-armed before each tick,
// outside the timer. fsync=on is the production setting; fsync=off shows
// the cost without the disk flushes.
func BenchmarkTick(b *testing.B) {
	stores := &benchStores{dir: b.TempDir(), paths: map[int]string{}}
	policy := incident.DefaultPolicy()
	for _, fsync := range []bool{false, true} {
		for _, stored := range []int{10_000, 100_000} {
			for _, due := range []int{10, 100} {
				name := fmt.Sprintf("fsync=%s/stored=%dk/due=%d", map[bool]string{false: "off", true: "on"}[fsync], stored/1000, due)
				b.Run(name, func(b *testing.B) {
					path := stores.path(b, stored)
					db, err := store.Open(path, store.WithNoSync(!fsync), store.WithNow(func() time.Time { return benchNow }))
					if err != nil {
						b.Fatal(err)
					}
					defer db.Close()
					s := &nudge.Scheduler{Store: db, Planner: &planner{p: policy}, Now: func() time.Time { return benchNow }}
					ctx := context.Background()
					var txs int64
					for b.Loop() {
						b.StopTimer()
						arm(b, db, policy, due)
						before := db.WriteTransactions()
						b.StartTimer()
						res, err := s.Tick(ctx)
						b.StopTimer()
						txs += db.WriteTransactions() - before
						b.StartTimer()
						if err != nil {
							b.Fatal(err)
						}
						if res.Due != due || res.Effects != due {
							b.Fatalf("tick = %+v, want %d due, each with its reminder", res, due)
						}
					}
					b.ReportMetric(float64(txs)/float64(b.N), "tx/tick")
				})
			}
		}
	}
}

// BenchmarkDueIncidents measures the read half of a tick alone: finding
// the due incidents in the index, with 10 due.
func BenchmarkDueIncidents(b *testing.B) {
	stores := &benchStores{dir: b.TempDir(), paths: map[int]string{}}
	policy := incident.DefaultPolicy()
	for _, stored := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("stored=%dk/due=10", stored/1000), func(b *testing.B) {
			db, err := store.Open(stores.path(b, stored), store.WithNoSync(true))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			arm(b, db, policy, 10)
			ctx := context.Background()
			for b.Loop() {
				ids, err := db.DueIncidents(ctx, benchNow, 500)
				if err != nil || len(ids) != 10 {
					b.Fatalf("due = %v, %v", ids, err)
				}
			}
		})
	}
}
