package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// MustCreateIncident stores inc and returns it with its ID.
func MustCreateIncident(tb testing.TB, db *DB, inc *incident.Incident, evs ...incident.Event) *incident.Incident {
	tb.Helper()
	if _, err := db.CreateIncident(context.Background(), inc, incident.Change{Events: evs}); err != nil {
		tb.Fatal(err)
	}
	return inc
}

// events adapts a domain command's result to UpdateIncident.
func events(evs []incident.Event, err error) (incident.Change, error) {
	return incident.Change{Events: evs}, err
}

func TestDB_CreateIncident(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			db := b.open(t)
			want := fullIncident(t)
			want.Status = incident.StatusInvestigating
			evs := []incident.Event{{Kind: incident.EventDeclared, Actor: "U1", Text: "db down", Fields: map[string]string{"severity": "major"}}, {Kind: incident.EventNote}}
			inc := want.Clone()
			inc.Pinned = slices.Clone(want.Pinned)
			ch, err := db.CreateIncident(ctx, inc, incident.Change{Events: evs})
			if err != nil {
				t.Fatal(err)
			}
			want.ID, want.Rev = 1, 1
			if !reflect.DeepEqual(inc, want) {
				t.Fatalf("CreateIncident changed the incident\n got %+v\nwant %+v", inc, want)
			}
			got, err := db.FindIncidentByID(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
			stored, err := db.Events(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			wantEvs := []incident.Event{
				{IncidentID: 1, Seq: 1, At: epoch, Actor: "U1", Kind: incident.EventDeclared, Text: "db down", Fields: map[string]string{"severity": "major"}},
				{IncidentID: 1, Seq: 2, At: epoch, Kind: incident.EventNote},
			}
			if !reflect.DeepEqual(stored, wantEvs) {
				t.Fatalf("events %+v\nwant %+v", stored, wantEvs)
			}
			if !reflect.DeepEqual(ch.Events, wantEvs) {
				t.Fatalf("stored events not returned: %+v", ch.Events)
			}
		})

		t.Run("SequentialIDs", func(t *testing.T) {
			db := b.open(t)
			for i := int64(1); i <= 5; i++ {
				if inc := MustCreateIncident(t, db, &incident.Incident{Title: "x", ID: 99}); inc.ID != i {
					t.Fatalf("ID = %d, want %d", inc.ID, i)
				}
			}
		})

		t.Run("ErrChannelTaken", func(t *testing.T) {
			db := b.open(t)
			MustCreateIncident(t, db, &incident.Incident{ChannelID: "C1"})
			_, err := db.CreateIncident(ctx, &incident.Incident{ChannelID: "C1"}, incident.Change{})
			if incident.ErrorCode(err) != incident.ECONFLICT {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

func TestDB_FindIncidentByID(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		db := b.open(t)
		_, err := db.FindIncidentByID(context.Background(), 7)
		if incident.ErrorCode(err) != incident.ENOTFOUND || incident.ErrorMessage(err) != "Incident #7 does not exist." {
			t.Fatalf("err = %v", err)
		}
		if _, err := db.Events(context.Background(), 7); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Fatalf("Events err = %v", err)
		}
	})
}

func TestDB_UpdateIncident(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		t.Run("OK", func(t *testing.T) {
			db := b.open(t)
			MustCreateIncident(t, db, &incident.Incident{Title: "a", Status: incident.StatusInvestigating}, incident.Event{Kind: incident.EventDeclared})
			at := epoch.Add(time.Hour)
			inc, ch, err := db.UpdateIncident(ctx, 1, func(inc *incident.Incident) (incident.Change, error) {
				inc.Title = "b"
				inc.ID = 42 // ignored
				return incident.Change{Events: []incident.Event{{Kind: incident.EventNote, Text: "n"}, {Kind: incident.EventNote, At: at}}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if inc.ID != 1 || inc.Title != "b" {
				t.Fatalf("inc = %+v", inc)
			}
			want := []incident.Event{
				{IncidentID: 1, Seq: 2, At: epoch, Kind: incident.EventNote, Text: "n"},
				{IncidentID: 1, Seq: 3, At: at, Kind: incident.EventNote},
			}
			if !reflect.DeepEqual(ch.Events, want) {
				t.Fatalf("events = %+v", ch.Events)
			}
			if inc.Rev != 2 {
				t.Fatalf("Rev = %d, want 2", inc.Rev)
			}
			if got, _ := db.FindIncidentByID(ctx, 1); !reflect.DeepEqual(got, inc) {
				t.Fatalf("stored %+v\nreturned %+v", got, inc)
			}
			if all, _ := db.Events(ctx, 1); len(all) != 3 {
				t.Fatalf("%d events", len(all))
			}
		})

		t.Run("ErrFn", func(t *testing.T) {
			db := b.open(t)
			MustCreateIncident(t, db, &incident.Incident{Title: "a", ChannelID: "C1", WakeAt: epoch}, incident.Event{Kind: incident.EventDeclared})
			before := MustDump(t, db)
			domainErr := incident.Errorf(incident.EUNAUTHORIZED, "Only the operator can resolve.")
			_, _, err := db.UpdateIncident(ctx, 1, func(inc *incident.Incident) (incident.Change, error) {
				inc.Title, inc.ChannelID, inc.Status, inc.WakeAt = "changed", "C2", incident.StatusClosed, time.Time{}
				return incident.Change{Events: []incident.Event{{Kind: incident.EventNote}}}, domainErr
			})
			if err != domainErr {
				t.Fatalf("err = %v, want the fn's error unchanged", err)
			}
			var e *incident.Error
			if !errors.As(err, &e) || e.Code != incident.EUNAUTHORIZED {
				t.Fatalf("errors.As: %v", err)
			}
			if after := MustDump(t, db); !reflect.DeepEqual(before, after) {
				t.Fatalf("a failed update wrote:\nbefore %v\nafter  %v", before, after)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			db := b.open(t)
			called := false
			_, _, err := db.UpdateIncident(ctx, 3, func(*incident.Incident) (incident.Change, error) { called = true; return incident.Change{}, nil })
			if incident.ErrorCode(err) != incident.ENOTFOUND || incident.ErrorMessage(err) != "Incident #3 does not exist." || called {
				t.Fatalf("err = %v, called = %v", err, called)
			}
		})

		t.Run("ErrCanceled", func(t *testing.T) {
			db := b.open(t)
			MustCreateIncident(t, db, &incident.Incident{})
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, _, err := db.UpdateIncident(cctx, 1, func(*incident.Incident) (incident.Change, error) { return incident.Change{}, nil })
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v", err)
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			db := b.open(t)
			MustCreateIncident(t, db, &incident.Incident{Title: "a"}, incident.Event{Kind: incident.EventDeclared})
			const n = 50
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					_, _, err := db.UpdateIncident(ctx, 1, func(inc *incident.Incident) (incident.Change, error) {
						inc.Updates++
						inc.Pinned = append(inc.Pinned, fmt.Sprint(i))
						return incident.Change{Events: []incident.Event{{Kind: incident.EventNote, Text: fmt.Sprint(i)}}}, nil
					})
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			inc, _ := db.FindIncidentByID(ctx, 1)
			if inc.Updates != n || len(inc.Pinned) != n {
				t.Fatalf("Updates = %d, Pinned = %d, want %d", inc.Updates, len(inc.Pinned), n)
			}
			evs, _ := db.Events(ctx, 1)
			MustDenseSeqs(t, evs, n+1)
			texts := map[string]bool{}
			for _, e := range evs[1:] {
				texts[e.Text] = true
			}
			if len(texts) != n {
				t.Fatalf("%d distinct events, want %d", len(texts), n)
			}
		})
	})
}

// MustDenseSeqs fails unless evs has seqs 1..n in order.
func MustDenseSeqs(tb testing.TB, evs []incident.Event, n int) {
	tb.Helper()
	if len(evs) != n {
		tb.Fatalf("%d events, want %d", len(evs), n)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			tb.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
}

// MustDump returns every key and value in every bucket, and their
// sequences.
func MustDump(tb testing.TB, db *DB) map[string]string {
	tb.Helper()
	out := map[string]string{}
	err := db.view(func(r reader) error {
		for _, name := range allBuckets {
			out[string(name)+"#seq"] = fmt.Sprint(r.sequence(name))
			_ = r.forEach(name, func(k, v []byte) error {
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestDB_AppendEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		a := MustCreateIncident(t, db, &incident.Incident{Title: "a"}, incident.Event{Kind: incident.EventDeclared})
		other := MustCreateIncident(t, db, &incident.Incident{Title: "b"})
		before, _ := db.FindIncidentByID(ctx, a.ID)
		evs, err := db.AppendEvents(ctx, a.ID, incident.Event{Kind: incident.EventNote}, incident.Event{Kind: incident.EventNote})
		if err != nil {
			t.Fatal(err)
		}
		if evs[0].Seq != 2 || evs[1].Seq != 3 || evs[1].IncidentID != a.ID {
			t.Fatalf("evs = %+v", evs)
		}
		if _, err := db.AppendEvents(ctx, other.ID, incident.Event{Kind: incident.EventNote}); err != nil {
			t.Fatal(err)
		}
		all, _ := db.Events(ctx, a.ID)
		MustDenseSeqs(t, all, 3)
		all, _ = db.Events(ctx, other.ID)
		MustDenseSeqs(t, all, 1)
		if after, _ := db.FindIncidentByID(ctx, a.ID); !reflect.DeepEqual(before, after) {
			t.Fatal("AppendEvents changed the incident")
		}
		if _, err := db.AppendEvents(ctx, 9, incident.Event{}); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
}

// indexes returns the open and due index contents.
func indexes(tb testing.TB, db *DB) (open []int64, due []string) {
	tb.Helper()
	err := db.view(func(r reader) error {
		_ = r.forEach(bucketOpen, func(k, _ []byte) error {
			open = append(open, int64(btoi(k)))
			return nil
		})
		return r.forEach(bucketDue, func(k, _ []byte) error {
			t := time.Unix(0, int64(btoi(k[:8])^(1<<63))).UTC()
			due = append(due, fmt.Sprintf("%d@%s", btoi(k[8:]), t.Format("15:04")))
			return nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return open, due
}

func TestDB_Indexes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		p := incident.DefaultPolicy()
		declare := func(title string, at time.Time) *incident.Incident {
			inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: title, DeclaredBy: "U1"}, at)
			if err != nil {
				t.Fatal(err)
			}
			return MustCreateIncident(t, db, inc, evs...)
		}
		update := func(id int64, fn func(inc *incident.Incident) (incident.Change, error)) {
			t.Helper()
			if _, _, err := db.UpdateIncident(ctx, id, fn); err != nil {
				t.Fatal(err)
			}
		}
		check := func(wantOpen []int64, wantDue ...string) {
			t.Helper()
			open, due := indexes(t, db)
			if !slices.Equal(open, wantOpen) || !slices.Equal(due, wantDue) {
				t.Fatalf("open %v due %v, want open %v due %v", open, due, wantOpen, wantDue)
			}
		}

		// major: update every 30 min, heads-up 5 min before.
		declare("one", epoch)                      // wakes 00:25
		declare("two", epoch.Add(-20*time.Minute)) // wakes 00:05
		check([]int64{1, 2}, "2@00:05", "1@00:25")

		// A status update moves the promise: one entry, at the new time.
		update(1, func(inc *incident.Incident) (incident.Change, error) {
			return events(inc.PostUpdate(p, "U1", incident.Update{Text: "on it", Next: time.Hour}, epoch))
		})
		check([]int64{1, 2}, "2@00:05", "1@00:55")

		due, err := db.DueIncidents(ctx, epoch.Add(10*time.Minute), 0)
		if err != nil || !slices.Equal(due, []int64{2}) {
			t.Fatalf("due = %v, %v", due, err)
		}
		due, _ = db.DueIncidents(ctx, epoch.Add(55*time.Minute), 0) // inclusive
		if !slices.Equal(due, []int64{2, 1}) {
			t.Fatalf("due = %v", due)
		}
		due, _ = db.DueIncidents(ctx, epoch.Add(2*time.Hour), 1)
		if !slices.Equal(due, []int64{2}) {
			t.Fatalf("due with limit = %v", due)
		}
		due, _ = db.DueIncidents(ctx, epoch, 0)
		if len(due) != 0 {
			t.Fatalf("due = %v", due)
		}

		// The reminder runner moves incident 2 to its last stage.
		update(2, func(inc *incident.Incident) (incident.Change, error) {
			inc.Reminder.Stage = incident.StageDue
			inc.Replan(p)
			return incident.Change{}, nil
		})
		check([]int64{1, 2}, "2@00:20", "1@00:55") // escalation at due + 10 min

		// Resolving drops the due entry; closing drops the open entry.
		update(2, func(inc *incident.Incident) (incident.Change, error) { return events(inc.Resolve(p, "U1", "", epoch)) })
		check([]int64{1, 2}, "1@00:55")
		update(2, func(inc *incident.Incident) (incident.Change, error) { return events(inc.Close(p, "U1", epoch)) })
		check([]int64{1}, "1@00:55")
		// An update that does not touch WakeAt leaves the entry alone.
		update(1, func(inc *incident.Incident) (incident.Change, error) {
			return events(inc.AddNote(p, "U1", "hi", epoch))
		})
		check([]int64{1}, "1@00:55")

		open, err := db.FindIncidents(ctx, incident.Filter{OpenOnly: true})
		if err != nil || len(open) != 1 || open[0].ID != 1 {
			t.Fatalf("open incidents = %v, %v", open, err)
		}
	})
}

func TestDB_FindIncidentByChannel(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		MustCreateIncident(t, db, &incident.Incident{Title: "a"})
		MustCreateIncident(t, db, &incident.Incident{Title: "b", ChannelID: "C2"})
		if _, err := db.FindIncidentByChannel(ctx, "C1"); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
		setChannel := func(id int64, ch string) error {
			_, _, err := db.UpdateIncident(ctx, id, func(inc *incident.Incident) (incident.Change, error) {
				inc.ChannelID = ch
				return incident.Change{}, nil
			})
			return err
		}
		if err := setChannel(1, "C1"); err != nil {
			t.Fatal(err)
		}
		if inc, err := db.FindIncidentByChannel(ctx, "C1"); err != nil || inc.ID != 1 {
			t.Fatalf("inc = %v, err = %v", inc, err)
		}
		if inc, err := db.FindIncidentByChannel(ctx, "C2"); err != nil || inc.ID != 2 {
			t.Fatalf("inc = %v, err = %v", inc, err)
		}
		if err := setChannel(1, "C2"); incident.ErrorCode(err) != incident.ECONFLICT {
			t.Fatalf("taking another incident's channel: err = %v", err)
		}
		// Moving the war room drops the old entry.
		if err := setChannel(1, "C3"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindIncidentByChannel(ctx, "C1"); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Fatalf("old channel still found: %v", err)
		}
		if inc, err := db.FindIncidentByChannel(ctx, "C3"); err != nil || inc.ID != 1 {
			t.Fatalf("inc = %v, err = %v", inc, err)
		}
		if _, err := db.FindIncidentByChannel(ctx, ""); incident.ErrorCode(err) != incident.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDB_FindIncidents(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		for i := range 5 {
			st := incident.StatusInvestigating
			if i%2 == 1 {
				st = incident.StatusClosed
			}
			MustCreateIncident(t, db, &incident.Incident{Title: fmt.Sprint(i + 1), Status: st, DeclaredAt: epoch.Add(time.Duration(i) * time.Hour)})
		}
		ids := func(f incident.Filter) []int64 {
			t.Helper()
			incs, err := db.FindIncidents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, inc := range incs {
				out = append(out, inc.ID)
			}
			return out
		}
		for name, tt := range map[string]struct {
			f    incident.Filter
			want []int64
		}{
			"All":       {incident.Filter{}, []int64{5, 4, 3, 2, 1}},
			"OpenOnly":  {incident.Filter{OpenOnly: true}, []int64{5, 3, 1}},
			"Since":     {incident.Filter{Since: epoch.Add(2 * time.Hour)}, []int64{5, 4, 3}},
			"Limit":     {incident.Filter{Limit: 2}, []int64{5, 4}},
			"OpenSince": {incident.Filter{OpenOnly: true, Since: epoch.Add(time.Hour), Limit: 1}, []int64{5}},
		} {
			t.Run(name, func(t *testing.T) {
				if got := ids(tt.f); !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}
	})
}

// TestDB_UpdateIncidents: many incidents change in one transaction, each
// standing or failing alone, results in the order asked.
func TestDB_UpdateIncidents(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		for _, title := range []string{"a", "b", "c", "d"} {
			MustCreateIncident(t, db, &incident.Incident{Title: title, Status: incident.StatusInvestigating}, incident.Event{Kind: incident.EventDeclared})
		}
		refuse := incident.Errorf(incident.ECONFLICT, "not this one")
		before := db.WriteTransactions()
		got := db.UpdateIncidents(ctx, []int64{4, 2, 99, 3, 1}, func(inc *incident.Incident) (incident.Change, error) {
			if inc.Title == "c" {
				return incident.Change{}, refuse
			}
			inc.Title += "!"
			return incident.Change{Events: []incident.Event{{Kind: incident.EventNote, Text: inc.Title}}}, nil
		})
		if n := db.WriteTransactions() - before; n != 1 {
			t.Errorf("%d write transactions, want 1", n)
		}
		wantIDs := []int64{4, 2, 99, 3, 1}
		for i, u := range got {
			if u.ID != wantIDs[i] {
				t.Fatalf("result %d is for incident %d, want %d", i, u.ID, wantIDs[i])
			}
		}
		for _, i := range []int{0, 1, 4} {
			u := got[i]
			if u.Err != nil || u.Incident == nil || !strings.HasSuffix(u.Incident.Title, "!") || len(u.Change.Events) != 1 || u.Change.Events[0].Seq != 2 {
				t.Errorf("incident %d: %+v", u.ID, u)
			}
		}
		if got[2].Err == nil || incident.ErrorCode(got[2].Err) != incident.ENOTFOUND || got[2].Incident != nil {
			t.Errorf("missing incident: %+v", got[2])
		}
		if got[3].Err != refuse || got[3].Incident != nil {
			t.Errorf("refused change: %+v, want fn's error as is", got[3])
		}
		for id, want := range map[int64]string{1: "a!", 2: "b!", 3: "c", 4: "d!"} {
			inc, err := db.FindIncidentByID(ctx, id)
			if err != nil || inc.Title != want {
				t.Errorf("stored #%d = %+v, %v; want title %q", id, inc, err, want)
			}
		}
		if out := db.UpdateIncidents(ctx, nil, nil); len(out) != 0 {
			t.Errorf("no IDs: %+v", out)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if out := db.UpdateIncidents(cancelled, []int64{1}, nil); !errors.Is(out[0].Err, context.Canceled) {
			t.Errorf("cancelled context: %+v", out)
		}
	})
}
