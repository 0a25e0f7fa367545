package outbound_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/store"
)

// slowAnnouncer is the store with the announcement of chosen commits
// kept back until the test passes it on: the committing goroutine was
// slow to announce, and a reconcile found the commit first.
type slowAnnouncer struct {
	*store.DB
	mu   sync.Mutex
	hold bool                         // keep the next announcement back
	kept [][]incident.Effect          // announcements kept back
	fn   func(effs []incident.Effect) // the worker's
}

func (s *slowAnnouncer) AnnounceEffects(fn func([]incident.Effect)) (stop func()) {
	s.mu.Lock()
	s.fn = fn
	s.mu.Unlock()
	return s.DB.AnnounceEffects(func(effs []incident.Effect) {
		s.mu.Lock()
		hold := s.hold
		if hold {
			s.hold, s.kept = false, append(s.kept, effs)
		}
		s.mu.Unlock()
		if !hold {
			fn(effs)
		}
	})
}

// passOn announces what was kept back.
func (s *slowAnnouncer) passOn() {
	s.mu.Lock()
	kept, fn := s.kept, s.fn
	s.kept = nil
	s.mu.Unlock()
	for _, effs := range kept {
		fn(effs)
	}
}

func (s *slowAnnouncer) holdNext() {
	s.mu.Lock()
	s.hold = true
	s.mu.Unlock()
}

func newSlowAnnouncer(t *testing.T) (*fixture, *slowAnnouncer) {
	s := &slowAnnouncer{}
	f := newFixtureOn(t, "", func(db *store.DB) outbound.Store { s.DB = db; return s })
	f.listening(t)
	return f, s
}

// TestWorker_LateAnnouncementOfWhatWasDelivered: a reconcile finds an
// effect whose announcement has not come yet, and delivers it. The
// announcement that then comes must not queue it again.
func TestWorker_LateAnnouncementOfWhatWasDelivered(t *testing.T) {
	f, s := newSlowAnnouncer(t)
	s.holdNext()
	if _, err := f.db.Apply(context.Background(), incident.Change{Effects: []incident.Effect{eff("post", "room")}}); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute) // the reconcile
	f.waitCalls(t, 1)
	f.idle(t)
	s.passOn()
	f.idle(t)
	if calls := f.d.deliveredOf("post"); len(calls) != 1 {
		t.Errorf("post delivered %d times", len(calls))
	}
}

// TestWorker_HandedOverAfterAReconcileIsFresh: a reconcile finds an
// effect before its writer hands it over, and takes it for one an earlier
// process may have attempted. The writer's word that it was just
// committed spares its delivery the check.
func TestWorker_HandedOverAfterAReconcileIsFresh(t *testing.T) {
	f, s := newSlowAnnouncer(t)
	f.d.mu.Lock()
	f.d.hold["first"] = make(chan struct{})
	f.d.mu.Unlock()
	f.enqueue(t, eff("first", "room"))
	f.waitCalls(t, 1) // first runs, and holds the lane
	s.holdNext()
	ch, err := f.db.Apply(context.Background(), incident.Change{Effects: []incident.Effect{eff("second", "room")}})
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute) // the reconcile finds second, queued behind first
	deadline := time.Now().Add(5 * time.Second)
	for f.w.Pending() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the reconcile did not find second: %v", f.w.Describe())
		}
		time.Sleep(time.Millisecond)
	}
	f.w.Add(ch.Effects...)
	f.d.mu.Lock()
	close(f.d.hold["first"])
	f.d.mu.Unlock()
	f.idle(t)
	s.passOn()
	f.idle(t)
	calls := f.d.calledWith()
	if len(calls) != 2 || calls[1].kind != "second" || calls[1].recheck {
		t.Errorf("calls %+v, want second delivered once, unchecked", calls)
	}
}
