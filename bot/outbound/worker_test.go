package outbound_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/store"
)

var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// deliverer records deliveries and answers with what the test scripted
// for each effect (by Kind), then completes it in the store as the real
// one does.
type deliverer struct {
	db *store.DB

	mu        sync.Mutex
	script    map[string][]error // Kind → errors to return, in order
	calls     []call
	abandoned []uint64
	running   map[string]int           // lane → deliveries in progress
	maxLane   int                      // most deliveries ever in progress in one lane
	block     chan struct{}            // when set, deliveries wait on it
	hold      map[string]chan struct{} // Kind → what its deliveries wait on
}

type call struct {
	seq     uint64
	kind    string
	recheck bool
}

func newDeliverer(db *store.DB) *deliverer {
	return &deliverer{db: db, script: map[string][]error{}, running: map[string]int{}, hold: map[string]chan struct{}{}}
}

func (d *deliverer) Deliver(ctx context.Context, e incident.Effect, recheck bool) error {
	d.mu.Lock()
	d.calls = append(d.calls, call{e.Seq, e.Kind, recheck})
	d.running[e.Lane]++
	d.maxLane = max(d.maxLane, d.running[e.Lane])
	var err error
	if s := d.script[e.Kind]; len(s) > 0 {
		err, d.script[e.Kind] = s[0], s[1:]
	}
	block := d.block
	if h := d.hold[e.Kind]; h != nil {
		block = h
	}
	d.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	defer func() {
		d.mu.Lock()
		d.running[e.Lane]--
		d.mu.Unlock()
	}()
	if err != nil {
		return err
	}
	_, err = d.db.Apply(context.WithoutCancel(ctx), incident.Change{Done: []uint64{e.Seq}})
	return err
}

func (d *deliverer) Abandon(ctx context.Context, e incident.Effect, cause error) error {
	d.mu.Lock()
	d.abandoned = append(d.abandoned, e.Seq)
	d.mu.Unlock()
	_, err := d.db.Apply(ctx, incident.Change{Done: []uint64{e.Seq}})
	return err
}

func (d *deliverer) abandonedSeqs() []uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.abandoned)
}

// mostInOneLane is the most deliveries ever in progress in one lane.
func (d *deliverer) mostInOneLane() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.maxLane
}

// deliveredOf lists the kinds of the deliveries of the given kinds, in
// the order they were made.
func (d *deliverer) deliveredOf(kinds ...string) []string {
	var out []string
	for _, c := range d.calledWith() {
		if slices.Contains(kinds, c.kind) {
			out = append(out, c.kind)
		}
	}
	return out
}

func (d *deliverer) calledWith() []call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

type fixture struct {
	db   *store.DB
	clk  *clock.Fake
	d    *deliverer
	w    *outbound.Worker
	stop func()
}

func newFixture(t *testing.T, path string) *fixture {
	t.Helper()
	return newFixtureOn(t, path, nil)
}

// newFixtureOn is newFixture with the worker reading the store through
// storeOf(db) (nil: db itself).
func newFixtureOn(t *testing.T, path string, storeOf func(db *store.DB) outbound.Store) *fixture {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "db")
	}
	clk := clock.NewFake(t0)
	db, err := store.Open(path, store.WithNow(clk.Now), store.WithNoSync(true))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clk: clk, d: newDeliverer(db)}
	var st outbound.Store = db
	if storeOf != nil {
		st = storeOf(db)
	}
	f.w = outbound.NewWorker(outbound.WorkerOptions{Store: st, Deliverer: f.d, Clock: clk, Workers: 4, MaxAttempts: 3, MaxAge: time.Hour, Grace: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.w.Run(ctx) }()
	f.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		if err := db.Check(); err != nil {
			t.Error(err)
		}
		db.Close()
	}
	t.Cleanup(func() {
		if f.stop != nil {
			f.stop()
		}
	})
	return f
}

// enqueue stores effects as a change would, and hands them to the worker.
func (f *fixture) enqueue(t *testing.T, effs ...incident.Effect) []incident.Effect {
	t.Helper()
	ch, err := f.db.Apply(context.Background(), incident.Change{Effects: effs})
	if err != nil {
		t.Fatal(err)
	}
	f.w.Add(ch.Effects...)
	return ch.Effects
}

// listening waits until Run listens to the store, so that what is
// committed next is announced, fresh: before, the load at start may find
// an effect before its writer hands it over, and take it for one an
// earlier process may have attempted. It delivers an effect of its own,
// then forgets the deliverer's calls.
func (f *fixture) listening(t *testing.T) {
	t.Helper()
	f.enqueue(t, eff("warm", "/warm"))
	f.idle(t)
	f.d.mu.Lock()
	f.d.calls = nil
	f.d.mu.Unlock()
}

func (f *fixture) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.w.WaitIdle(ctx); err != nil {
		t.Fatalf("worker not idle: %v %v", err, f.w.Describe())
	}
}

// waitCalls waits until the deliverer was called n times.
func (f *fixture) waitCalls(t *testing.T, n int) []call {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c := f.d.calledWith(); len(c) >= n {
			return c
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d deliveries, want %d: %v", len(f.d.calledWith()), n, f.w.Describe())
	return nil
}

func eff(kind, lane string) incident.Effect { return incident.Effect{Kind: kind, Lane: lane} }

func TestWorker_LaneOrderAndFreshness(t *testing.T) {
	f := newFixture(t, "")
	f.listening(t)
	f.enqueue(t, eff("a", "room"), eff("b", "room"), eff("c", "other"), eff("d", "room"))
	f.idle(t)
	calls := f.d.calledWith()
	var room []string
	for _, c := range calls {
		if c.recheck {
			t.Errorf("a fresh effect was rechecked: %+v", c)
		}
		if c.kind != "c" {
			room = append(room, c.kind)
		}
	}
	if !slices.Equal(room, []string{"a", "b", "d"}) {
		t.Errorf("room lane delivered %v, want in order", room)
	}
	if n := f.d.mostInOneLane(); n != 1 {
		t.Errorf("%d deliveries at once in one lane", n)
	}
	if pending, _ := f.db.PendingEffects(context.Background(), 0); len(pending) != 0 {
		t.Errorf("pending after delivery: %v", pending)
	}
}

func TestWorker_NotReadyKeepsFreshAndWaits(t *testing.T) {
	f := newFixture(t, "")
	f.listening(t)
	f.d.script["post"] = []error{outbound.ErrNotReady, outbound.ErrNotReady}
	effs := f.enqueue(t, eff("post", "ann"), eff("thread", "ann"))
	f.waitCalls(t, 1)
	// Not ready waits (a short backoff on the clock) and blocks its lane;
	// it is no failed attempt, and nothing was sent, so no check follows.
	for len(f.d.calledWith()) < 3 {
		f.clk.Add(time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	f.idle(t)
	calls := f.d.calledWith()
	if len(calls) != 4 || calls[2].seq != effs[0].Seq || calls[3].seq != effs[1].Seq {
		t.Fatalf("calls %+v", calls)
	}
	for _, c := range calls {
		if c.recheck {
			t.Errorf("rechecked after not ready: %+v", c)
		}
	}
}

func TestWorker_AmbiguousRetriedWithCheck(t *testing.T) {
	f := newFixture(t, "")
	f.d.script["post"] = []error{slack.StatusCodeError{Code: 503, Status: "503"}}
	effs := f.enqueue(t, eff("post", "room"))
	f.waitCalls(t, 1)
	// The failure is recorded durably, with its backoff.
	deadline := time.Now().Add(5 * time.Second)
	var pending []incident.Effect
	for time.Now().Before(deadline) {
		pending, _ = f.db.PendingEffects(context.Background(), 0)
		if len(pending) == 1 && pending[0].Attempts == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if len(pending) != 1 || pending[0].Attempts != 1 || !pending[0].NotBefore.After(t0) {
		t.Fatalf("pending %+v", pending)
	}
	// Nothing is retried before the backoff has passed on the clock.
	time.Sleep(20 * time.Millisecond)
	if n := len(f.d.calledWith()); n != 1 {
		t.Fatalf("retried before the backoff: %d calls", n)
	}
	f.clk.Set(pending[0].NotBefore)
	calls := f.waitCalls(t, 2)
	if !calls[1].recheck || calls[1].seq != effs[0].Seq {
		t.Errorf("the retry does not check first: %+v", calls[1])
	}
	f.idle(t)
}

func TestWorker_RateLimitedIsNoAttempt(t *testing.T) {
	f := newFixture(t, "")
	f.listening(t)
	f.d.script["post"] = []error{&slack.RateLimitedError{RetryAfter: 30 * time.Second}}
	f.enqueue(t, eff("post", "room"))
	f.waitCalls(t, 1)
	time.Sleep(20 * time.Millisecond)
	f.clk.Add(29 * time.Second)
	time.Sleep(20 * time.Millisecond)
	if n := len(f.d.calledWith()); n != 1 {
		t.Fatalf("retried before Retry-After: %d calls", n)
	}
	f.clk.Add(time.Second)
	calls := f.waitCalls(t, 2)
	if calls[1].recheck {
		t.Error("a 429 did nothing, yet the retry checks first")
	}
	f.idle(t)
	if got := f.d.abandonedSeqs(); len(got) != 0 {
		t.Errorf("abandoned %v", got)
	}
}

func TestWorker_PermanentAbandonedOnce(t *testing.T) {
	f := newFixture(t, "")
	f.d.script["post"] = []error{slack.SlackErrorResponse{Err: "not_in_channel"}}
	effs := f.enqueue(t, eff("post", "ann"), eff("next", "ann"))
	f.idle(t)
	if got := f.d.abandonedSeqs(); !slices.Equal(got, []uint64{effs[0].Seq}) {
		t.Errorf("abandoned %v, want the refused post", got)
	}
	if n := len(f.d.calledWith()); n != 2 {
		t.Errorf("%d calls: the permanent failure was retried, or the lane stalled", n)
	}
}

func TestWorker_GivesUpAfterAttemptsAndAge(t *testing.T) {
	f := newFixture(t, "")
	for range 1000 {
		f.d.script["post"] = append(f.d.script["post"], context.DeadlineExceeded)
	}
	f.enqueue(t, eff("post", "room"))
	// Three attempts (MaxAttempts) are not enough while the effect is
	// younger than MaxAge: it keeps trying, then gives up past both.
	for i := 0; i < 400 && len(f.d.abandonedSeqs()) == 0; i++ {
		f.clk.Add(10 * time.Second)
		time.Sleep(time.Millisecond)
	}
	f.idle(t)
	if got := f.d.abandonedSeqs(); len(got) != 1 {
		t.Fatalf("abandoned %v", got)
	}
	n := len(f.d.calledWith())
	if n < 4 {
		t.Errorf("gave up after %d attempts, before MaxAge", n)
	}
	if f.clk.Now().Sub(t0) < time.Hour {
		t.Errorf("gave up after %s, before MaxAge", f.clk.Now().Sub(t0))
	}
}

func TestWorker_RestartChecksWhatAnEarlierProcessLeft(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	f := newFixture(t, path)
	f.d.block = make(chan struct{}) // never answers: the process dies first
	f.enqueue(t, eff("post", "room"))
	f.waitCalls(t, 1)
	// Shutdown cuts the delivery short after the grace period: nothing is
	// recorded, as after a crash.
	f.stop()
	f.stop = nil

	g := newFixture(t, path)
	calls := g.waitCalls(t, 1)
	if !calls[0].recheck {
		t.Error("an effect left by an earlier process is delivered without a check")
	}
	g.idle(t)
}
func TestWorker_GraceLetsDeliveriesFinish(t *testing.T) {
	f := newFixture(t, "")
	f.d.block = make(chan struct{})
	f.enqueue(t, eff("post", "room"))
	f.waitCalls(t, 1)
	go func() { time.Sleep(50 * time.Millisecond); close(f.d.block) }()
	f.stop() // waits: the delivery finishes within the grace period
	f.stop = nil
	db, err := store.Open(f.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if pending, _ := db.PendingEffects(context.Background(), 0); len(pending) != 0 {
		t.Errorf("a delivery in progress at shutdown was not recorded: %v", pending)
	}
}

// TestWorker_LanesPerIncident: a lane belongs to its incident: one
// incident's waiting war room does not hold up another's.
func TestWorker_LanesPerIncident(t *testing.T) {
	f := newFixture(t, "")
	for range 3 {
		f.d.script["stuck"] = append(f.d.script["stuck"], outbound.ErrNotReady)
	}
	stuck := eff("stuck", "room")
	stuck.IncidentID = 1
	other := eff("post", "room")
	other.IncidentID = 2
	shared := eff("git", "/git")
	shared.IncidentID = 1
	f.enqueue(t, stuck, other, shared)
	f.waitCalls(t, 3)
	kinds := map[string]bool{}
	for _, c := range f.d.calledWith() {
		kinds[c.kind] = true
	}
	if !kinds["post"] || !kinds["git"] {
		t.Errorf("delivered %v: another incident's lane waited behind a stuck one", kinds)
	}
	for len(f.d.calledWith()) < 6 {
		f.clk.Add(time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	f.idle(t)
}

// TestWorker_LateLowerSeqWaitsForItsLane: on a store that does not
// announce its commits, effects reach the worker after their commit, from
// the goroutines that committed them, so one can arrive after an effect of
// its lane with a higher Seq has started (on any store, a reconcile can
// find one whose commit's answer was lost). It sorts first in the lane but
// must still wait: a lane runs one delivery at a time (two postmortem
// commits at once fought over .git/index.lock).
func TestWorker_LateLowerSeqWaitsForItsLane(t *testing.T) {
	f := newFixtureOn(t, "", quiet)
	// Once an effect is delivered, the worker has read the outbox at
	// start: it learns of the effects below only from Add.
	f.enqueue(t, eff("warm", "room"))
	f.idle(t)
	f.d.mu.Lock()
	f.d.block = make(chan struct{})
	f.d.mu.Unlock()
	ch, err := f.db.Apply(context.Background(), incident.Change{Effects: []incident.Effect{eff("first", "/git"), eff("second", "/git"), eff("other", "room")}})
	if err != nil {
		t.Fatal(err)
	}
	first, second, other := ch.Effects[0], ch.Effects[1], ch.Effects[2]
	f.w.Add(second)
	f.waitCalls(t, 2)
	// other is added last: once it is delivered, the worker has seen first.
	f.w.Add(first)
	f.w.Add(other)
	f.waitCalls(t, 3)
	for _, s := range f.w.Describe() {
		if strings.HasPrefix(s, fmt.Sprintf("effect %d ", first.Seq)) && strings.HasSuffix(s, " running") {
			t.Errorf("%s while effect %d of its lane is delivered", s, second.Seq)
		}
	}
	close(f.d.block)
	f.idle(t)
	lane := f.d.deliveredOf("first", "second")
	if !slices.Equal(lane, []string{"second", "first"}) {
		t.Errorf("lane /git delivered %v, want second then first", lane)
	}
	if n := f.d.mostInOneLane(); n != 1 {
		t.Errorf("%d deliveries at once in one lane", n)
	}
}

// TestWorker_NotReadyWokenWhileRunning: an effect answers "not ready"
// while what it waits for, in another lane of its incident, is delivered.
// It tries again at once: waiting for its delay would wait for a clock
// that may not move (the tests' stands still) when nothing else of the
// incident is left to wake it.
func TestWorker_NotReadyWokenWhileRunning(t *testing.T) {
	f := newFixture(t, "")
	f.d.script["pin"] = []error{outbound.ErrNotReady}
	f.d.mu.Lock()
	f.d.hold["pin"] = make(chan struct{})
	f.d.mu.Unlock()
	pin, card := eff("pin", "aux"), eff("card", "room")
	pin.IncidentID, card.IncidentID = 1, 1
	f.enqueue(t, pin)
	f.waitCalls(t, 1) // the pin runs, and will find no card
	f.enqueue(t, card)
	f.waitCalls(t, 2)
	deadline := time.Now().Add(5 * time.Second)
	for pending, _ := f.db.PendingEffects(context.Background(), 0); len(pending) > 1; pending, _ = f.db.PendingEffects(context.Background(), 0) {
		if time.Now().After(deadline) {
			t.Fatalf("the card was not delivered: %v", f.w.Describe())
		}
		time.Sleep(time.Millisecond)
	}
	f.d.mu.Lock()
	close(f.d.hold["pin"])
	f.d.mu.Unlock()
	f.idle(t) // the clock never moves
	if calls := f.d.calledWith(); len(calls) != 3 || calls[2].kind != "pin" {
		t.Errorf("calls %v, want the pin tried again", calls)
	}
}
