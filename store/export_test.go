package store_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/internal/schema2"
	"github.com/incidentbot/incidentbot/store/storetest"
)

var epoch = storetest.Epoch

// mustCreate stores incidents with the given statuses, declared an hour
// apart from epoch, and returns nothing: IDs are 1, 2, 3…
func mustCreate(tb testing.TB, db *store.DB, statuses ...incident.Status) {
	tb.Helper()
	for i, st := range statuses {
		inc := &incident.Incident{Title: fmt.Sprint(i + 1), Status: st, DeclaredAt: epoch.Add(time.Duration(i) * time.Hour), Private: i%5 == 4}
		if _, err := db.CreateIncident(context.Background(), inc, incident.Change{Events: []incident.Event{{Kind: incident.EventDeclared, Text: inc.Title}}}); err != nil {
			tb.Fatal(err)
		}
	}
}

func ids(incs []*incident.Incident) []int64 {
	var out []int64
	for _, inc := range incs {
		out = append(out, inc.ID)
	}
	return out
}

func TestDB_CountOpen(t *testing.T) {
	store.EachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB, reopen func(testing.TB, *store.DB) *store.DB) {
		ctx := context.Background()
		db := open(t)
		count := func(want int) {
			t.Helper()
			if n, err := db.CountOpen(ctx); err != nil || n != want {
				t.Fatalf("CountOpen = %d, %v, want %d", n, err, want)
			}
		}
		count(0)
		mustCreate(t, db, incident.StatusInvestigating, incident.StatusClosed, incident.StatusResolved, "cancelled")
		count(2)
		setStatus := func(id int64, st incident.Status) {
			t.Helper()
			if _, _, err := db.UpdateIncident(ctx, id, func(inc *incident.Incident) (incident.Change, error) {
				inc.Status = st
				return incident.Change{}, nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		setStatus(1, incident.StatusMonitoring) // open to open
		count(2)
		setStatus(1, incident.StatusClosed)
		count(1)
		setStatus(2, incident.StatusInvestigating) // reopened
		count(2)
		setStatus(4, incident.StatusClosed) // cancelled to closed: both final
		count(2)
		db = reopen(t, db)
		count(2)
		if n, err := db.CountIncidents(ctx); err != nil || n != 4 {
			t.Fatalf("CountIncidents = %d, %v", n, err)
		}
		for st, want := range map[incident.Status]bool{incident.StatusInvestigating: true, incident.StatusResolved: true, incident.StatusClosed: false, "cancelled": false} {
			if got := store.OpenStatus(st); got != want {
				t.Errorf("OpenStatus(%s) = %v", st, got)
			}
		}
	})
}

func TestDB_FindIncidentsPage(t *testing.T) {
	store.EachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB, reopen func(testing.TB, *store.DB) *store.DB) {
		ctx := context.Background()
		db := open(t)
		var statuses []incident.Status
		for i := range 60 {
			st := incident.StatusClosed
			if i%3 != 0 {
				st = incident.StatusInvestigating
			}
			statuses = append(statuses, st)
		}
		mustCreate(t, db, statuses...) // open: IDs not in 1, 4, 7, … (40 of them)

		t.Run("OpenOnly", func(t *testing.T) {
			var all []int64
			before := int64(0)
			for page := 0; ; page++ {
				incs, next, err := db.FindIncidentsPage(ctx, incident.Filter{OpenOnly: true}, before)
				if err != nil {
					t.Fatal(err)
				}
				want := []int{25, 15}[page]
				if len(incs) != want {
					t.Fatalf("page %d: %d incidents, want %d", page, len(incs), want)
				}
				all = append(all, ids(incs)...)
				if next == 0 {
					break
				}
				if next != incs[len(incs)-1].ID {
					t.Fatalf("next = %d, last = %d", next, incs[len(incs)-1].ID)
				}
				before = next
			}
			var want []int64
			for id := int64(60); id >= 1; id-- {
				if (id-1)%3 != 0 {
					want = append(want, id)
				}
			}
			if !slices.Equal(all, want) {
				t.Fatalf("pages %v\nwant %v", all, want)
			}
			if n, _ := db.CountOpen(ctx); n != len(want) {
				t.Fatalf("CountOpen = %d, pages hold %d", n, len(want))
			}
		})

		for name, tt := range map[string]struct {
			f        incident.Filter
			before   int64
			want     []int64
			wantNext int64
		}{
			"All":       {incident.Filter{Limit: 3}, 0, []int64{60, 59, 58}, 58},
			"Before":    {incident.Filter{Limit: 3}, 58, []int64{57, 56, 55}, 55},
			"Last":      {incident.Filter{Limit: 3}, 3, []int64{2, 1}, 0},
			"Exact":     {incident.Filter{Limit: 2}, 3, []int64{2, 1}, 0},
			"PastEnd":   {incident.Filter{Limit: 2}, 1000, []int64{60, 59}, 59},
			"Since":     {incident.Filter{Limit: 3, Since: epoch.Add(57 * time.Hour)}, 0, []int64{60, 59, 58}, 0},
			"OpenSince": {incident.Filter{Limit: 3, OpenOnly: true, Since: epoch.Add(55 * time.Hour)}, 0, []int64{60, 59, 57}, 57},
			"Default":   {incident.Filter{}, 0, nil, 36},
		} {
			t.Run(name, func(t *testing.T) {
				incs, next, err := db.FindIncidentsPage(ctx, tt.f, tt.before)
				if err != nil {
					t.Fatal(err)
				}
				if tt.want == nil {
					if len(incs) != store.DefaultPageSize || next != tt.wantNext {
						t.Fatalf("%d incidents, next %d", len(incs), next)
					}
					return
				}
				if got := ids(incs); !slices.Equal(got, tt.want) || next != tt.wantNext {
					t.Fatalf("got %v next %d, want %v next %d", got, next, tt.want, tt.wantNext)
				}
			})
		}
	})
}

// damageIncident overwrites incident id's record in a closed store with
// bytes that fail their checksum, so that any read of it fails.
func damageIncident(tb testing.TB, path string, id uint64) {
	tb.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		k := make([]byte, 8)
		k[7] = byte(id)
		return tx.Bucket([]byte("incidents")).Put(k, []byte{2, 0, 0, 0, 0})
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestDB_FindIncidents_StopsAtLimit: a limited read never touches older
// incidents: the oldest one is unreadable, and the reads still work.
func TestDB_FindIncidents_StopsAtLimit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "incidentbot.db")
	db, err := store.Open(path, store.WithNoSync(true))
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, db, incident.StatusInvestigating, incident.StatusInvestigating, incident.StatusInvestigating, incident.StatusInvestigating)
	db.Close()
	damageIncident(t, path, 1)
	db, err = store.Open(path, store.WithNoSync(true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range []incident.Filter{{Limit: 3}, {Limit: 3, OpenOnly: true}} {
		incs, err := db.FindIncidents(ctx, f)
		if err != nil || !slices.Equal(ids(incs), []int64{4, 3, 2}) {
			t.Fatalf("%+v: %v, %v", f, ids(incs), err)
		}
		if incs, next, err := db.FindIncidentsPage(ctx, incident.Filter{Limit: 2, OpenOnly: f.OpenOnly}, 0); err != nil || next != 3 || len(incs) != 2 {
			t.Fatalf("page: %v %d %v", ids(incs), next, err)
		}
	}
	// Reading it fails, with an error naming the record.
	if _, err := db.FindIncidents(ctx, incident.Filter{}); err == nil || !strings.Contains(err.Error(), "decode incident 1: corrupt record: checksum mismatch") {
		t.Fatalf("err = %v", err)
	}
	if err := db.Check(); err == nil {
		t.Fatal("Check passed")
	}
}

func TestDB_ForEachIncident(t *testing.T) {
	store.EachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB, reopen func(testing.TB, *store.DB) *store.DB) {
		ctx := context.Background()
		db := open(t)
		mustCreate(t, db, incident.StatusClosed, incident.StatusInvestigating, incident.StatusClosed, incident.StatusResolved, incident.StatusClosed, incident.StatusClosed)
		// Incident 5 is private (i%5 == 4).
		if _, err := db.AppendEvents(ctx, 2, incident.Event{Kind: incident.EventNote, Text: "second"}); err != nil {
			t.Fatal(err)
		}
		walk := func(f store.ExportFilter) (got []int64) {
			t.Helper()
			err := db.ForEachIncident(ctx, f, func(inc *incident.Incident, evs []incident.Event) error {
				got = append(got, inc.ID)
				want, err := db.Events(ctx, inc.ID)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(evs, want) {
					t.Errorf("incident %d: events %+v, want %+v", inc.ID, evs, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		for name, tt := range map[string]struct {
			f    store.ExportFilter
			want []int64
		}{
			"Public":   {store.ExportFilter{}, []int64{1, 2, 3, 4, 6}},
			"All":      {store.ExportFilter{IncludePrivate: true}, []int64{1, 2, 3, 4, 5, 6}},
			"Since":    {store.ExportFilter{Since: epoch.Add(2 * time.Hour), IncludePrivate: true}, []int64{3, 4, 5, 6}},
			"Statuses": {store.ExportFilter{Statuses: []incident.Status{incident.StatusInvestigating, incident.StatusResolved}}, []int64{2, 4}},
		} {
			t.Run(name, func(t *testing.T) {
				if got := walk(tt.f); !slices.Equal(got, tt.want) {
					t.Fatalf("visited %v, want %v", got, tt.want)
				}
			})
		}

		t.Run("ErrFn", func(t *testing.T) {
			stop := errors.New("stop")
			n := 0
			err := db.ForEachIncident(ctx, store.ExportFilter{}, func(*incident.Incident, []incident.Event) error {
				n++
				return stop
			})
			if err != stop || n != 1 {
				t.Fatalf("err = %v after %d calls", err, n)
			}
		})

		t.Run("Canceled", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			n := 0
			err := db.ForEachIncident(cctx, store.ExportFilter{}, func(*incident.Incident, []incident.Event) error {
				n++
				cancel()
				return nil
			})
			if !errors.Is(err, context.Canceled) || n != 1 {
				t.Fatalf("err = %v after %d calls", err, n)
			}
		})

		t.Run("PanicFn", func(t *testing.T) {
			defer func() {
				if p := recover(); p != "boom" {
					t.Fatalf("recovered %v", p)
				}
			}()
			_ = db.ForEachIncident(ctx, store.ExportFilter{}, func(*incident.Incident, []incident.Event) error { panic("boom") })
			t.Fatal("no panic")
		})

		t.Run("Snapshot", func(t *testing.T) {
			// A writer updates incidents 1 and 2 in turn, each update with
			// one event, while the walk goes on. One snapshot for the whole
			// walk means incident 2 never has more updates than incident 1,
			// and each incident's events match its count.
			base := map[int64]int{}
			for _, id := range []int64{1, 2} {
				evs, _ := db.Events(ctx, id)
				inc, _ := db.FindIncidentByID(ctx, id)
				base[id] = len(evs) - inc.Updates
			}
			bump := func(id int64) error {
				_, _, err := db.UpdateIncident(ctx, id, func(inc *incident.Incident) (incident.Change, error) {
					inc.Updates++
					return incident.Change{Events: []incident.Event{{Kind: incident.EventNote}}}, nil
				})
				return err
			}
			stop, rounds := make(chan struct{}), make(chan int, 100)
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 1; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := bump(1); err != nil {
						t.Error(err)
						return
					}
					if err := bump(2); err != nil {
						t.Error(err)
						return
					}
					select {
					case rounds <- i:
					default:
					}
				}
			})
			<-rounds
			updates := map[int64]int{}
			err := db.ForEachIncident(ctx, store.ExportFilter{IncludePrivate: true}, func(inc *incident.Incident, evs []incident.Event) error {
				if inc.ID > 2 {
					return nil
				}
				updates[inc.ID] = inc.Updates
				if len(evs) != base[inc.ID]+inc.Updates {
					t.Errorf("incident %d: %d events for %d updates", inc.ID, len(evs), inc.Updates)
				}
				if inc.ID == 1 {
					// Let the writer go on, a while at most: a write that
					// must grow the memory map waits for this walk.
					timeout := time.After(time.Second)
					for n := 0; n < 3; {
						select {
						case <-rounds:
							n++
						case <-timeout:
							n = 3
						}
					}
				}
				return nil
			})
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if updates[2] > updates[1] {
				t.Fatalf("the walk saw %d updates of incident 1 and %d of incident 2: not one snapshot", updates[1], updates[2])
			}
		})
	})
}

func TestDB_PruneSeen_Batches(t *testing.T) {
	store.EachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB, reopen func(testing.TB, *store.DB) *store.DB) {
		ctx := context.Background()
		defer store.SetPruneBatch(100)()
		db := open(t)
		var keys []string
		for i := range 250 {
			keys = append(keys, fmt.Sprintf("env:%d", i))
		}
		if err := db.RememberKeys(ctx, epoch, keys); err != nil {
			t.Fatal(err)
		}
		if err := db.RememberKeys(ctx, epoch.Add(time.Hour), []string{"env:new", "env:7"}); err != nil {
			t.Fatal(err)
		}
		n, err := db.PruneSeen(ctx, epoch.Add(time.Minute))
		if err != nil || n != 249 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		for key, want := range map[string]bool{"env:7": true, "env:new": true, "env:8": false} {
			_, dup, err := db.Receive(ctx, incident.Request{Kind: "x"}, []string{key})
			if err != nil || dup != want {
				t.Fatalf("%s: dup %v, %v", key, dup, err)
			}
		}
	})
}

// TestGenerate: the generator's data is realistic, deterministic, and
// what it yields is what the store holds.
func TestGenerate(t *testing.T) {
	store.EachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB, reopen func(testing.TB, *store.DB) *store.DB) {
		ctx := context.Background()
		db := open(t)
		n := 300
		if db.Backend() == "etcd" {
			n = 60 // one transaction per incident: enough to cover it
		}
		o := storetest.GenOptions{Seed: 7, Now: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)}
		if err := storetest.Generate(ctx, db, n, o); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.CountIncidents(ctx); got != n {
			t.Fatalf("%d incidents", got)
		}
		nOpen, _ := db.CountOpen(ctx)
		if nOpen < n/20 || nOpen > n/5 {
			t.Fatalf("%d of %d open", nOpen, n)
		}
		next, stop := iter.Pull2(storetest.Incidents(n, o))
		defer stop()
		private, events := 0, 0
		err := db.ForEachIncident(ctx, store.ExportFilter{IncludePrivate: true}, func(inc *incident.Incident, evs []incident.Event) error {
			want, wantEvs, ok := next()
			if !ok {
				return errors.New("more incidents than generated")
			}
			want.ID, want.Rev = inc.ID, 1
			if !reflect.DeepEqual(normalizeTimes(inc), normalizeTimes(want)) {
				return fmt.Errorf("incident %d\n got %+v\nwant %+v", inc.ID, inc, want)
			}
			if len(evs) != len(wantEvs) || evs[len(evs)-1].Text != wantEvs[len(wantEvs)-1].Text || !evs[0].At.Equal(wantEvs[0].At) {
				return fmt.Errorf("incident %d: %d events, want %d", inc.ID, len(evs), len(wantEvs))
			}
			if len(evs) < 20 || len(evs) > 40 {
				return fmt.Errorf("incident %d has %d events", inc.ID, len(evs))
			}
			if inc.Private {
				private++
			}
			events += len(evs)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if private == 0 {
			t.Fatal("no private incident")
		}
		t.Logf("%d incidents, %d open, %d private, %d events", n, nOpen, private, events)
	})
}

// TestMigrate_Generated migrates a schema-2 file holding generated data
// and finds every incident and event unchanged.
func TestMigrate_Generated(t *testing.T) {
	ctx := context.Background()
	const n = 200
	o := storetest.GenOptions{Seed: 3}
	path := filepath.Join(t.TempDir(), "incidentbot.db")
	incs, evs := writeSchema2(t, path, n, o)

	db := storetest.OpenAt(t, path) // migrates; Cleanup runs Check
	i := 0
	err := db.ForEachIncident(ctx, store.ExportFilter{IncludePrivate: true}, func(inc *incident.Incident, got []incident.Event) error {
		want := incs[i]
		want.ID, want.Rev = inc.ID, 1
		if !reflect.DeepEqual(normalizeTimes(inc), normalizeTimes(want)) {
			return fmt.Errorf("incident %d\n got %+v\nwant %+v", inc.ID, inc, want)
		}
		for j := range got {
			e := evs[i][j]
			e.IncidentID, e.Seq, e.At = inc.ID, uint64(j+1), e.At.UTC()
			if !reflect.DeepEqual(got[j], e) {
				return fmt.Errorf("incident %d event %d\n got %+v\nwant %+v", inc.ID, j+1, got[j], e)
			}
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("%d incidents after migrating, want %d", i, n)
	}
	if got, _ := db.PruneSeen(ctx, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); got != n {
		t.Fatalf("pruned %d keys, want %d", got, n)
	}
}

// writeSchema2 writes the generator's n incidents and keys into a new
// schema-2 file at path, as the schema-2 store would have, and returns
// the incidents and events written.
func writeSchema2(tb testing.TB, path string, n int, o storetest.GenOptions) ([]*incident.Incident, [][]incident.Event) {
	tb.Helper()
	w, err := schema2.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	var all []*incident.Incident
	var allEvs [][]incident.Event
	var incs []*incident.Incident
	var evs [][]incident.Event
	flush := func() {
		if err := w.Add(incs, evs); err != nil {
			tb.Fatal(err)
		}
		incs, evs = nil, nil
	}
	keepAll := n <= 10_000 // the caller compares them; larger runs only write
	for inc, e := range storetest.Incidents(n, o) {
		incs, evs = append(incs, inc), append(evs, e)
		if keepAll {
			all, allEvs = append(all, inc), append(allEvs, e)
		}
		if len(incs) == 500 {
			flush()
		}
	}
	flush()
	var keys []string
	var at []time.Time
	for k, t := range storetest.SeenKeys(n, o) {
		keys, at = append(keys, k), append(at, t)
	}
	if err := w.Seen(keys, at); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return all, allEvs
}

// normalizeTimes returns inc with its times in UTC, as the store returns
// them.
func normalizeTimes(inc *incident.Incident) *incident.Incident {
	c := inc.Clone()
	for _, t := range []*time.Time{&c.DeclaredAt, &c.AcknowledgedAt, &c.MitigatedAt, &c.ResolvedAt, &c.ClosedAt, &c.UpdatedAt, &c.NextUpdateDue, &c.WakeAt, &c.ArchiveAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	for j := range c.ActionItems {
		for _, t := range []*time.Time{&c.ActionItems[j].CreatedAt, &c.ActionItems[j].DoneAt} {
			if !t.IsZero() {
				*t = t.UTC()
			}
		}
	}
	for j := range c.Pending {
		c.Pending[j].Due, c.Pending[j].NextAttempt = c.Pending[j].Due.UTC(), c.Pending[j].NextAttempt.UTC()
	}
	return c
}
