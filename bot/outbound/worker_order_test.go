package outbound_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/store"
)

// quiet is the store without its announcements: the worker learns of new
// effects from Add alone, as on a store that is no Announcer.
func quiet(db *store.DB) outbound.Store { return struct{ outbound.Store }{db} }

// TestWorker_EffectsHandedOverLateGoOutInSeqOrder: the writers of one
// group commit wake in whatever order the scheduler picks, and each hands
// its effects to the worker (Add) once its write returns. Two posts to one
// war room committed together can so be handed over later one first; they
// must still go out in the order they were committed.
func TestWorker_EffectsHandedOverLateGoOutInSeqOrder(t *testing.T) {
	f := newFixture(t, "")
	f.listening(t)
	ch, err := f.db.Apply(context.Background(), incident.Change{Effects: []incident.Effect{eff("first", "room"), eff("second", "room")}})
	if err != nil {
		t.Fatal(err)
	}
	first, second := ch.Effects[0], ch.Effects[1]
	f.w.Add(second)
	f.waitCalls(t, 1) // the worker took one of the lane
	f.w.Add(first)
	f.idle(t)
	lane := f.d.deliveredOf("first", "second")
	if !slices.Equal(lane, []string{"first", "second"}) {
		t.Errorf("lane room delivered %v, want first (Seq %d) then second (Seq %d)", lane, first.Seq, second.Seq)
	}
}

// TestWorker_ConcurrentWritersOneLane: many writers commit a post each to
// one war room at once (the store groups them), then hand it over as the
// App does. The room gets them in commit order, each once.
func TestWorker_ConcurrentWritersOneLane(t *testing.T) {
	f := newFixture(t, "")
	const writers = 64
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			e := eff(fmt.Sprint("post", i), "room")
			e.IncidentID = 1
			ch, err := f.db.Apply(context.Background(), incident.Change{Effects: []incident.Effect{e}})
			if err != nil {
				t.Error(err)
				return
			}
			// The writers of a group wake in any order: a little of
			// it here, as a busy scheduler would.
			for range rand.IntN(50) {
				runtime.Gosched()
			}
			f.w.Add(ch.Effects...)
		})
	}
	wg.Wait()
	f.idle(t)
	calls := f.d.calledWith()
	if len(calls) != writers {
		t.Fatalf("%d deliveries of %d effects", len(calls), writers)
	}
	if !slices.IsSortedFunc(calls, func(a, b call) int { return int(a.seq) - int(b.seq) }) {
		var seqs []uint64
		for _, c := range calls {
			seqs = append(seqs, c.seq)
		}
		t.Errorf("the room's posts went out in the order %v, not in commit order", seqs)
	}
}

// stallStore is the store with PendingEffects held, once armed, between
// its read and its answer: a reconcile whose read goes stale.
type stallStore struct {
	*store.DB
	read  chan struct{} // receives at each PendingEffects
	armed atomic.Bool
	hold  chan struct{} // the armed call's answer waits on it
}

func (s *stallStore) PendingEffects(ctx context.Context, limit int) ([]incident.Effect, error) {
	effs, err := s.DB.PendingEffects(ctx, limit)
	held := s.armed.CompareAndSwap(true, false)
	s.read <- struct{}{}
	if held {
		<-s.hold
	}
	return effs, err
}

// TestWorker_ReconcileSkipsWhatFinishedWhileItRead: the minutely
// reconcile reads the outbox while a delivery finishes; what it read of
// that effect is stale and must not queue it again (a second delivery).
func TestWorker_ReconcileSkipsWhatFinishedWhileItRead(t *testing.T) {
	s := &stallStore{read: make(chan struct{}, 10), hold: make(chan struct{})}
	f := newFixtureOn(t, "", func(db *store.DB) outbound.Store { s.DB = db; return s })
	release := sync.OnceFunc(func() { close(s.hold) })
	t.Cleanup(release) // before the fixture's: the worker must not be held then
	<-s.read           // the start's reconcile
	f.d.mu.Lock()
	f.d.block = make(chan struct{})
	f.d.mu.Unlock()
	s.armed.Store(true)
	f.enqueue(t, eff("post", "room"))
	f.waitCalls(t, 1)
	f.clk.Add(time.Minute)
	<-s.read // the reconcile has read the post as pending
	close(f.d.block)
	deadline := time.Now().Add(5 * time.Second)
	for f.w.Pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the delivery did not finish: %v", f.w.Describe())
		}
		time.Sleep(time.Millisecond)
	}
	release()
	// The next reconcile starts once the worker has acted on this one's
	// answer.
	f.clk.Add(time.Minute)
	<-s.read
	f.idle(t)
	if calls := f.d.calledWith(); len(calls) != 1 {
		t.Errorf("delivered %d times: %+v", len(calls), calls)
	}
}
