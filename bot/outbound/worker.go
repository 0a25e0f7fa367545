package outbound

import (
	"cmp"
	"context"
	"log/slog"
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
// the pending effects in memory, loaded from the store at start and told
// of each commit's (see Announcer), and reconciles with the store every
// minute.
type Worker struct {
	o   WorkerOptions
	log *slog.Logger

	mu    sync.Mutex
	items map[uint64]*item
	lanes map[string][]*item // by Seq
	// busy holds the lanes with a delivery in progress. It is not always
	// the lane's head: an effect can arrive after one with a higher Seq in
	// its lane has started, and sort before it (one a reconcile finds, its
	// commit's answer lost; any, on a store that is no Announcer).
	busy    map[string]bool
	running int
	h       handover
	wake    chan struct{}
	idle    chan struct{} // closed and replaced whenever the worker goes idle
}

type item struct {
	e     incident.Effect
	lane  string // laneKey(e)
	fresh bool   // enqueued by this process and never attempted
	// started: this worker has attempted it (or is attempting it).
	started bool
	// wasFresh is fresh before the running attempt: an attempt that sent
	// nothing (not ready, rate limited) leaves the effect fresh.
	wasFresh bool
	running  bool
	// readyAt delays an effect that was not ready or rate limited, without
	// a store write.
	readyAt  time.Time
	notReady int // consecutive ErrNotReady answers
	// woken: an effect of the same incident was delivered while this one
	// ran. If this one was not ready, what it waited for may have come
	// meanwhile: it tries again at once instead of after its delay.
	woken bool
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
	return &Worker{o: o, log: o.Logger, items: map[uint64]*item{}, lanes: map[string][]*item{}, busy: map[string]bool{}, wake: make(chan struct{}, 1), idle: make(chan struct{})}
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
// effect it was not told of is still delivered: one whose commit failed
// but took effect (etcd), or, on a store that is no Announcer, one
// committed without Add (a bug).
const reconcileEvery = time.Minute

// Run loads the outbox and delivers it until ctx ends, then waits for the
// deliveries in progress: they may go on for Grace after ctx ends. It
// listens to the store's announcements (Announcer) while it runs, from
// before it loads the outbox: what is committed before is loaded, what
// after is announced. A Worker that never runs (an App that only serves
// HTTP) does not listen, and holds only what Add gives it.
func (w *Worker) Run(ctx context.Context) error {
	defer w.listen()()
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

// dispatch starts the deliveries that may start now and returns when the
// next waiting effect becomes ready (zero: none waits).
func (w *Worker) dispatch(ctx context.Context, now time.Time, wg *sync.WaitGroup) (next time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var heads []*item
	for key, lane := range w.lanes {
		if len(lane) > 0 && !w.busy[key] {
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
		it.running, it.started, it.woken = true, true, false
		w.busy[it.lane] = true
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
