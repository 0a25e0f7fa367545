package nudge_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/store"
)

// planner decides reminders with the domain and records each as an
// effect, as the Slack surface does.
type planner struct {
	p incident.Policy

	mu       sync.Mutex
	enqueued []incident.Effect
}

func (pl *planner) Wake(inc *incident.Incident, now time.Time) incident.Change {
	var ch incident.Change
	if r, evs, ok := inc.NextReminder(pl.p, now); ok {
		ch.Events = evs
		ch.Effects = append(ch.Effects, incident.Effect{Kind: "reminder", Lane: "room", Payload: []byte{byte(r.Stage)}})
	}
	if inc.TakeArchive(pl.p, now) {
		ch.Effects = append(ch.Effects, incident.Effect{Kind: "archive", Lane: "room"})
	}
	return ch
}

func (pl *planner) Enqueued(effs []incident.Effect) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.enqueued = append(pl.enqueued, effs...)
}

// stages lists the reminder stages enqueued so far.
func (pl *planner) stages() []incident.ReminderStage {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	var out []incident.ReminderStage
	for _, e := range pl.enqueued {
		if e.Kind == "reminder" {
			out = append(out, incident.ReminderStage(e.Payload[0]))
		}
	}
	return out
}

type fixture struct {
	now   time.Time
	db    *store.DB
	pl    *planner
	sched *nudge.Scheduler
	inc   *incident.Incident
}

func (f *fixture) Now() time.Time { return f.now }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	db, err := store.Open(filepath.Join(t.TempDir(), "db"), store.WithNow(f.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	p := incident.DefaultPolicy()
	p.ArchiveAfter = time.Hour
	f.pl = &planner{p: p}
	f.sched = &nudge.Scheduler{Store: db, Planner: f.pl, Now: f.Now}
	inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1"}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	inc.ChannelID = "C1"
	if _, err := db.CreateIncident(context.Background(), inc, incident.Change{Events: evs}); err != nil {
		t.Fatal(err)
	}
	f.inc = inc
	return f
}

func (f *fixture) tick(t *testing.T, at time.Duration) nudge.TickResult {
	t.Helper()
	f.now = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(at)
	res, err := f.sched.Tick(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestScheduler_Tick(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newFixture(t) // major: due at 30m, heads-up at 25m, escalation at 40m
		for _, step := range []struct {
			at      time.Duration
			effects int
		}{{24 * time.Minute, 0}, {25 * time.Minute, 1}, {29 * time.Minute, 0}, {30 * time.Minute, 1}, {39 * time.Minute, 0}, {40 * time.Minute, 1}, {5 * time.Hour, 0}} {
			if res := f.tick(t, step.at); res.Effects != step.effects {
				t.Errorf("at %s: %+v, want %d effects", step.at, res, step.effects)
			}
		}
		want := []incident.ReminderStage{incident.StageHeadsUp, incident.StageDue, incident.StageEscalated}
		if got := f.pl.stages(); !slices.Equal(got, want) {
			t.Errorf("enqueued %v, want %v", got, want)
		}
		// The effects are in the store, in the same transactions as their
		// timeline events.
		pending, err := f.db.PendingEffects(context.Background(), 0)
		if err != nil || len(pending) != 3 {
			t.Fatalf("pending %v, %v", pending, err)
		}
		evs, _ := f.db.Events(context.Background(), f.inc.ID)
		var kinds []incident.EventKind
		for _, e := range evs[2:] {
			kinds = append(kinds, e.Kind)
		}
		if !slices.Equal(kinds, []incident.EventKind{incident.EventReminderHeadsUp, incident.EventReminderDue, incident.EventEscalated}) {
			t.Errorf("events %v", kinds)
		}
	})
	t.Run("Archive", func(t *testing.T) {
		f := newFixture(t)
		ctx := context.Background()
		if _, _, err := f.db.UpdateIncident(ctx, f.inc.ID, func(i *incident.Incident) (incident.Change, error) {
			if _, err := i.Resolve(f.pl.p, "U1", "", f.now); err != nil {
				return incident.Change{}, err
			}
			evs, err := i.Close(f.pl.p, "U1", f.now)
			return incident.Change{Events: evs}, err
		}); err != nil {
			t.Fatal(err)
		}
		if res := f.tick(t, 59*time.Minute); res.Due != 0 {
			t.Errorf("woken before the archive: %+v", res)
		}
		if res := f.tick(t, time.Hour); res.Effects != 1 {
			t.Errorf("tick %+v, want the archive", res)
		}
		if res := f.tick(t, 2*time.Hour); res.Due != 0 {
			t.Errorf("archived twice: %+v", res)
		}
	})
	t.Run("RacingTicksDoNotDouble", func(t *testing.T) {
		f := newFixture(t)
		f.now = f.now.Add(30 * time.Minute)
		other := &nudge.Scheduler{Store: f.db, Planner: f.pl, Now: f.Now}
		var wg sync.WaitGroup
		for _, s := range []*nudge.Scheduler{f.sched, other, f.sched, other} {
			wg.Go(func() { s.Tick(context.Background()) })
		}
		wg.Wait()
		if got := f.pl.stages(); len(got) != 1 || got[0] != incident.StageDue {
			t.Errorf("enqueued %v, want one nudge", got)
		}
	})
	t.Run("OnlyDueIncidentsRead", func(t *testing.T) {
		f := newFixture(t)
		if res := f.tick(t, time.Minute); res.Due != 0 {
			t.Errorf("tick read %d incidents with nothing due", res.Due)
		}
	})
}

// TestScheduler_TickTransactions: a tick with many incidents due costs
// one write transaction, whatever their number: their changes are queued
// together in the store's group commit.
func TestScheduler_TickTransactions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.pl.p
	for range 9 {
		inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1"}, f.now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.CreateIncident(ctx, inc, incident.Change{Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	before := f.db.WriteTransactions()
	res := f.tick(t, 30*time.Minute)
	if res.Due != 10 || res.Effects != 10 {
		t.Fatalf("tick %+v, want 10 due", res)
	}
	if n := f.db.WriteTransactions() - before; n != 1 {
		t.Errorf("a tick with 10 due made %d write transactions, want 1", n)
	}
}
