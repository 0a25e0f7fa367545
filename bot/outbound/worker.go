package outbound

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/incident"
)

// Store is what the Worker needs of the store.
type Store interface {
	PendingEffects(ctx context.Context, limit int) ([]incident.Effect, error)
	RetryEffect(ctx context.Context, seq uint64, attempts int, notBefore time.Time) error
}

// Deliverer performs effects; the Slack surface implements it.
type Deliverer interface {
	// Deliver performs e and records it done, with what it learned (a
	// message's ts, a channel's ID), in one store transaction. recheck
	// says e may have been performed already (an earlier attempt's answer
	// was lost, or the process stopped while delivering it): look before
	// acting. It returns ErrNotReady when e must wait for another effect,
	// and the Slack error otherwise.
	Deliver(ctx context.Context, e incident.Effect, recheck bool) error
	// Abandon records e done without performing it, after a permanent
	// failure or too many attempts, and tells the people concerned. It is
	// called at most once per effect, unless it fails.
	Abandon(ctx context.Context, e incident.Effect, cause error) error
}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Store     Store
	Deliverer Deliverer
	Clock     clock.Clock
	Logger    *slog.Logger
	// Workers bounds the effects delivered at once (default 8).
	Workers int
	// An ambiguous failure is retried with backoff until both MaxAttempts
	// (default 20) and MaxAge (default 1 h, from the effect's creation) are
	// reached; then the effect is abandoned.
	MaxAttempts int
	MaxAge      time.Duration
	// Grace is how long deliveries in progress may go on once Run's
	// context ends (default 8 s): a message Slack took is then recorded,
	// not left to be checked after the restart.
	Grace time.Duration
	// Observe, when set, hears every delivery's outcome ("delivered",
	// "not_ready", "rate_limited", "retry", "abandoned") for metrics.
	Observe func(e incident.Effect, outcome string)
}

// Worker delivers the outbox. Effects of one lane go out one at a time in
// Seq order; lanes proceed independently, at most Workers at once. It keeps
// the pending effects in memory, loaded from the store at start and added
// by Add after each commit, and reconciles with the store every minute.
type Worker struct {
	o   WorkerOptions
	log *slog.Logger

	mu      sync.Mutex
	items   map[uint64]*item
	lanes   map[string][]*item // by Seq
	running int
	wake    chan struct{}
	idle    chan struct{} // closed and replaced whenever the worker goes idle
}

type item struct {
	e     incident.Effect
	lane  string // laneKey(e)
	fresh bool   // enqueued by this process and never attempted
	// wasFresh is fresh before the running attempt: an attempt that sent
	// nothing (not ready, rate limited) leaves the effect fresh.
	wasFresh bool
	running  bool
	// readyAt delays an effect that was not ready or rate limited, without
	// a store write.
	readyAt  time.Time
	notReady int // consecutive ErrNotReady answers
}

// NewWorker returns a Worker; Run starts it.
func NewWorker(o WorkerOptions) *Worker {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Grace <= 0 {
		o.Grace = 8 * time.Second
	}
	return &Worker{o: o, log: o.Logger, items: map[uint64]*item{}, lanes: map[string][]*item{}, wake: make(chan struct{}, 1), idle: make(chan struct{})}
}

// Add queues effects just committed by this process. They are known not to
// have been attempted, so their first delivery needs no check.
func (w *Worker) Add(effs ...incident.Effect) {
	if len(effs) == 0 {
		return
	}
	w.mu.Lock()
	for _, e := range effs {
		w.addLocked(e, true)
	}
	w.mu.Unlock()
	w.poke()
}

func (w *Worker) addLocked(e incident.Effect, fresh bool) {
	if e.Seq == 0 || w.items[e.Seq] != nil {
		return
	}
	it := &item{e: e, fresh: fresh, lane: laneKey(e)}
	w.items[e.Seq] = it
	lane := w.lanes[it.lane]
	i, _ := slices.BinarySearchFunc(lane, e.Seq, func(x *item, seq uint64) int { return cmp.Compare(x.e.Seq, seq) })
	w.lanes[it.lane] = slices.Insert(lane, i, it)
}

// laneKey scopes an effect's lane to its incident ("room" of incident 4 is
// "4/room"), unless the lane starts with "/": a lane shared by every
// incident, such as the git commits of postmortems.
func laneKey(e incident.Effect) string {
	if e.IncidentID == 0 || strings.HasPrefix(e.Lane, "/") {
		return e.Lane
	}
	return strconv.FormatInt(e.IncidentID, 10) + "/" + e.Lane
}

func (w *Worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Pending reports how many effects are queued or being delivered.
func (w *Worker) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.items)
}

// WaitIdle waits until nothing is queued or running (or ctx ends). An
// effect waiting for a retry counts as queued.
func (w *Worker) WaitIdle(ctx context.Context) error {
	for {
		w.mu.Lock()
		n, idle := len(w.items), w.idle
		w.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reconcileEvery is how often the worker re-reads the outbox, so that an
// effect committed without Add (a bug) is still delivered.
const reconcileEvery = time.Minute

// Run loads the outbox and delivers it until ctx ends, then waits for the
// deliveries in progress: they may go on for Grace after ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	if err := w.reconcile(ctx); err != nil {
		return err
	}
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(w.o.Grace, cancel)
		context.AfterFunc(dctx, func() { t.Stop() })
	})
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	reconcileAt := w.o.Clock.Now().Add(reconcileEvery)
	var timer <-chan time.Time
	var timerAt time.Time
	for {
		now := w.o.Clock.Now()
		if !now.Before(reconcileAt) {
			if err := w.reconcile(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("read the outbox", "err", err)
			}
			reconcileAt = now.Add(reconcileEvery)
		}
		next := w.dispatch(dctx, now, &wg)
		if next.IsZero() || next.After(reconcileAt) {
			next = reconcileAt
		}
		if !next.Equal(timerAt) {
			timerAt, timer = next, w.o.Clock.After(next.Sub(now))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-timer:
			timerAt = time.Time{}
		}
	}
}

// reconcile adds what the store holds and the worker does not know: at
// start, everything (it may have been attempted by an earlier process, so
// it is checked before it is delivered).
func (w *Worker) reconcile(ctx context.Context) error {
	effs, err := w.o.Store.PendingEffects(ctx, 0)
	if err != nil {
		return err
	}
	w.mu.Lock()
	for _, e := range effs {
		w.addLocked(e, false)
	}
	w.mu.Unlock()
	return nil
}

// dispatch starts the deliveries that may start now and returns when the
// next waiting effect becomes ready (zero: none waits).
func (w *Worker) dispatch(ctx context.Context, now time.Time, wg *sync.WaitGroup) (next time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var heads []*item
	for _, lane := range w.lanes {
		if len(lane) > 0 && !lane[0].running {
			heads = append(heads, lane[0])
		}
	}
	slices.SortFunc(heads, func(a, b *item) int { return cmp.Compare(a.e.Seq, b.e.Seq) })
	for _, it := range heads {
		at := it.e.NotBefore
		if it.readyAt.After(at) {
			at = it.readyAt
		}
		if at.After(now) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		if w.running >= w.o.Workers {
			break
		}
		it.running = true
		w.running++
		recheck := !it.fresh || it.e.Attempts > 0
		it.wasFresh, it.fresh = it.fresh, false
		e := it.e
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.deliver(ctx, e, recheck)
			w.done(ctx, it, err)
		}()
	}
	return next
}

// deliver runs one delivery. A panic is a bug in that one effect: it is
// turned into a permanent error, so that the effect is abandoned and
// reported instead of ending the process, which would replay it, and
// panic again, at every start.
func (w *Worker) deliver(ctx context.Context, e incident.Effect, recheck bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("delivery panicked", "effect", e.Seq, "kind", e.Kind, "incident_id", e.IncidentID, "panic", r, "stack", string(debug.Stack()))
			err = PermanentError(fmt.Sprintf("delivery panicked: %v", r))
		}
	}()
	return w.o.Deliverer.Deliver(ctx, e, recheck)
}

// done records the outcome of one delivery. The store is written outside
// the worker's lock; the item's state changes under it.
func (w *Worker) done(ctx context.Context, it *item, err error) {
	now := w.o.Clock.Now()
	w.mu.Lock()
	e, wasFresh, notReady := it.e, it.wasFresh, it.notReady
	w.mu.Unlock()
	outcome := "delivered"
	finished := err == nil
	var readyAt time.Time
	fresh := false
	attempts, notBefore := e.Attempts, e.NotBefore
	switch class, wait := Classify(err); {
	case err == nil:
	case ctx.Err() != nil:
		// Shutting down: the call was cut short. The next process checks
		// before it delivers again.
		outcome = "interrupted"
	case errors.Is(err, ErrNotReady):
		// Nothing was sent: the next attempt needs no check.
		outcome = "not_ready"
		notReady++
		readyAt = now.Add(min(100*time.Millisecond<<min(notReady, 8), 5*time.Second))
		fresh = wasFresh
	case class == RateLimited:
		// Slack (or our own limiter) refused before doing anything.
		outcome = "rate_limited"
		readyAt = now.Add(wait)
		fresh = wasFresh
	case class == Permanent || (e.Attempts+1 >= w.o.MaxAttempts && now.Sub(e.CreatedAt) >= w.o.MaxAge):
		outcome = "abandoned"
		if aerr := w.o.Deliverer.Abandon(ctx, e, err); aerr != nil {
			w.log.Error("record an abandoned effect; will try again", "effect", e.Seq, "kind", e.Kind, "err", aerr)
			readyAt = now.Add(time.Minute)
			break
		}
		finished = true
		w.log.Warn("effect abandoned", "effect", e.Seq, "kind", e.Kind, "incident_id", e.IncidentID, "class", class, "attempts", e.Attempts+1, "err", err)
	default:
		outcome = "retry"
		attempts, notBefore = e.Attempts+1, now.Add(backoff(e.Attempts+1))
		if rerr := w.o.Store.RetryEffect(ctx, e.Seq, attempts, notBefore); rerr != nil {
			if incident.ErrorCode(rerr) == incident.ENOTFOUND {
				// Done meanwhile (recorded by an attempt whose answer
				// was lost to us).
				finished = true
				break
			}
			w.log.Error("record a failed delivery", "effect", e.Seq, "err", rerr)
		}
		w.log.Warn("delivery failed; will check and retry", "effect", e.Seq, "kind", e.Kind, "incident_id", e.IncidentID, "attempt", attempts, "retry_in", notBefore.Sub(now).Round(time.Millisecond), "err", err)
	}
	if w.o.Observe != nil {
		w.o.Observe(e, outcome)
	}
	w.mu.Lock()
	it.running, it.fresh, it.readyAt, it.notReady = false, fresh, readyAt, notReady
	it.e.Attempts, it.e.NotBefore = attempts, notBefore
	w.running--
	if finished {
		w.removeLocked(it)
		if err == nil {
			w.wakeIncidentLocked(e.IncidentID)
		}
	}
	if len(w.items) == 0 {
		close(w.idle)
		w.idle = make(chan struct{})
	}
	w.mu.Unlock()
	w.poke()
}

func (w *Worker) removeLocked(it *item) {
	delete(w.items, it.e.Seq)
	lane := w.lanes[it.lane]
	if i := slices.Index(lane, it); i >= 0 {
		lane = slices.Delete(lane, i, i+1)
	}
	if len(lane) == 0 {
		delete(w.lanes, it.lane)
	} else {
		w.lanes[it.lane] = lane
	}
}

// wakeIncidentLocked makes the effects of an incident that were not ready
// try again at once: the effect just delivered may be what they waited
// for.
func (w *Worker) wakeIncidentLocked(id int64) {
	if id == 0 {
		return
	}
	for _, it := range w.items {
		if it.e.IncidentID == id && it.notReady > 0 {
			it.readyAt = time.Time{}
		}
	}
}

// backoff is the wait before attempt n+1: exponential from one second,
// capped at two minutes, with ±20% jitter so that effects failed together
// do not retry together.
func backoff(attempts int) time.Duration {
	d := min(time.Second<<min(attempts-1, 7), 2*time.Minute)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Describe lists the queued effects, for diagnostics: "seq kind lane
// (attempts, waiting until …)".
func (w *Worker) Describe() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, it := range w.items {
		s := fmt.Sprintf("effect %d %s lane %q attempts %d", it.e.Seq, it.e.Kind, it.lane, it.e.Attempts)
		if it.running {
			s += " running"
		}
		if it.notReady > 0 {
			s += fmt.Sprintf(" not ready ×%d", it.notReady)
		}
		if at := it.e.NotBefore; it.readyAt.After(at) {
			s += " until " + it.readyAt.Format(time.RFC3339Nano)
		} else if !at.IsZero() {
			s += " until " + at.Format(time.RFC3339Nano)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
