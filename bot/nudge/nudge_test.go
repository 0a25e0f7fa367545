package nudge_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/store"
)

// recorder is a Notifier that records deliveries and fails on demand.
type recorder struct {
	mu       sync.Mutex
	got      []incident.ReminderStage
	failures int
	archived int
}

func (r *recorder) Remind(_ context.Context, _ *incident.Incident, rem incident.Reminder) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return errors.New("slack is down")
	}
	r.got = append(r.got, rem.Stage)
	return nil
}

func (r *recorder) Archive(context.Context, *incident.Incident) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.archived++
	return nil
}

type fixture struct {
	now   time.Time
	db    *store.DB
	rec   *recorder
	sched *nudge.Scheduler
	inc   *incident.Incident
}

func (f *fixture) Now() time.Time { return f.now }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), rec: &recorder{}}
	db, err := store.Open(filepath.Join(t.TempDir(), "db"), store.WithNow(f.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f.db = db
	p := incident.DefaultPolicy()
	f.sched = &nudge.Scheduler{Store: db, Policy: p, Notifier: f.rec, Now: f.Now}
	inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1"}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	inc.ChannelID = "C1"
	if err := db.CreateIncident(context.Background(), inc, evs); err != nil {
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
			at   time.Duration
			sent int
		}{{24 * time.Minute, 0}, {25 * time.Minute, 1}, {29 * time.Minute, 0}, {30 * time.Minute, 1}, {39 * time.Minute, 0}, {40 * time.Minute, 1}, {5 * time.Hour, 0}} {
			if res := f.tick(t, step.at); res.Sent != step.sent {
				t.Errorf("at %s: %+v, want %d sent", step.at, res, step.sent)
			}
		}
		want := []incident.ReminderStage{incident.StageHeadsUp, incident.StageDue, incident.StageEscalated}
		if len(f.rec.got) != 3 || f.rec.got[0] != want[0] || f.rec.got[1] != want[1] || f.rec.got[2] != want[2] {
			t.Errorf("delivered %v, want %v", f.rec.got, want)
		}
	})
	t.Run("RetryAfterFailure", func(t *testing.T) {
		f := newFixture(t)
		f.rec.failures = 2
		if res := f.tick(t, 30*time.Minute); res.Failed != 1 || res.Sent != 0 {
			t.Fatalf("first tick %+v", res)
		}
		if res := f.tick(t, 30*time.Minute+time.Second); res.Due != 0 {
			t.Errorf("retried before its backoff: %+v", res)
		}
		f.tick(t, 32*time.Minute) // fails again
		if res := f.tick(t, 40*time.Minute); res.Sent < 1 {
			t.Errorf("not delivered after Slack recovered: %+v", res)
		}
		if len(f.rec.got) == 0 || f.rec.got[0] != incident.StageDue {
			t.Errorf("delivered %v", f.rec.got)
		}
	})
	t.Run("StaleDiscarded", func(t *testing.T) {
		f := newFixture(t)
		f.rec.failures = 1
		f.tick(t, 30*time.Minute) // the nudge fails and is pending
		// The operator posts an update before the retry: the pending nudge is stale.
		f.now = f.now.Add(10 * time.Second)
		if _, _, err := f.db.UpdateIncident(context.Background(), f.inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
			return i.PostUpdate(f.sched.Policy, "U1", incident.Update{Text: "fine"}, f.now)
		}); err != nil {
			t.Fatal(err)
		}
		if res := f.tick(t, 35*time.Minute); res.Discarded != 1 || res.Sent != 0 {
			t.Errorf("tick %+v, want the stale nudge discarded", res)
		}
	})
	t.Run("GivesUpAfterMaxAttempts", func(t *testing.T) {
		f := newFixture(t)
		f.rec.failures = 1000 // Slack refuses for good (an archived channel)
		at := 30 * time.Minute
		for range incident.MaxDeliveryAttempts + 5 {
			f.tick(t, at)
			at += 5 * time.Minute
		}
		inc, err := f.db.FindIncidentByID(context.Background(), f.inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(inc.Pending) != 0 {
			t.Errorf("still %d pending after %d attempts: %+v", len(inc.Pending), incident.MaxDeliveryAttempts, inc.Pending)
		}
	})
	t.Run("OnlyDueIncidentsRead", func(t *testing.T) {
		f := newFixture(t)
		if res := f.tick(t, time.Minute); res.Due != 0 {
			t.Errorf("tick read %d incidents with nothing due", res.Due)
		}
	})
}
