package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// inbox processes acknowledged requests on a small bounded pool, in the
// order they came, and replays at start what a stop or a crash left. The
// requests of one incident run one at a time, in the order they were
// acknowledged: a note acknowledged before a cancel must not find the
// incident cancelled because the cancel needed no Slack call and the note
// did.
type inbox struct {
	a       *App
	workers int

	mu      sync.Mutex
	queue   []queued // by seq
	running int
	busy    map[int64]bool // incidents with a request running
	// open counts each incident's requests stored and not yet processed,
	// from before their ack (see settle); done is closed and replaced
	// whenever one is processed.
	open map[int64]int
	done chan struct{}
	wake chan struct{}
	idle chan struct{} // closed and replaced whenever the inbox empties
	wg   sync.WaitGroup
	quit chan struct{} // closed by stop: take no more requests
}

type queued struct {
	seq       uint64
	op        op
	attempts  int
	notBefore time.Time
}

// maxRequestAttempts bounds the processing of one request that keeps
// failing for an internal reason (a Slack read timing out, say).
const maxRequestAttempts = 5

func newInbox(a *App, workers int) *inbox {
	if workers <= 0 {
		workers = 4
	}
	return &inbox{a: a, workers: workers, busy: map[int64]bool{}, open: map[int64]int{}, done: make(chan struct{}), wake: make(chan struct{}, 1), idle: make(chan struct{}), quit: make(chan struct{})}
}

// start replays the stored requests and starts the workers.
func (in *inbox) start(ctx context.Context) error {
	reqs, err := in.a.store.Requests(ctx, 0)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		var o op
		if err := json.Unmarshal(r.Payload, &o); err != nil || r.Kind != requestOp {
			in.a.log.Error("unreadable request in the inbox; dropping it", "request", r.Seq, "kind", r.Kind, "err", err)
			if _, err := in.a.store.Apply(ctx, incident.Change{Request: r.Seq}); err != nil {
				return err
			}
			continue
		}
		in.mu.Lock()
		in.insertLocked(queued{seq: r.Seq, op: o, attempts: r.Attempts})
		in.openLocked(o.Incident)
		in.mu.Unlock()
	}
	if len(reqs) > 0 {
		in.a.log.Info("replaying acknowledged requests", "count", len(reqs))
	}
	for range in.workers {
		in.wg.Go(func() { in.work(ctx) })
	}
	return nil
}

// stop waits for the requests being processed (their context ends a
// grace period after shutdown begins); queued ones stay stored for the
// next start.
func (in *inbox) stop() {
	close(in.quit)
	in.wg.Wait()
}

// opened counts a request of incident id (0: none) stored and about to be
// pushed: accept calls it before the ack, so that a request acknowledged
// after it waits for it (settle) even if it is not pushed yet.
func (in *inbox) opened(id int64) {
	in.mu.Lock()
	in.openLocked(id)
	in.mu.Unlock()
}

func (in *inbox) openLocked(id int64) {
	if id != 0 {
		in.open[id]++
	}
}

// processedLocked uncounts a request of incident id (0: none) done with.
func (in *inbox) processedLocked(id int64) {
	if id == 0 {
		return
	}
	if in.open[id]--; in.open[id] <= 0 {
		delete(in.open, id)
	}
	close(in.done)
	in.done = make(chan struct{})
}

// settle waits until every request of incident id acknowledged so far is
// processed, at most d (Slack's clock, not the injected one: d bounds an
// ack), and reports whether they were.
func (in *inbox) settle(ctx context.Context, id int64, d time.Duration) bool {
	if id == 0 {
		return true
	}
	in.mu.Lock()
	n := in.open[id]
	in.mu.Unlock()
	if n == 0 {
		// Most requests find nothing to wait for: no timer for them. A
		// stopped timer can stay in the runtime's timer heap for a while,
		// holding its context, and a busy bot would make hundreds a second.
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return in.waitZero(ctx, func() (int, chan struct{}) { return in.open[id], in.done }) == nil
}

// waitZero waits until count, called under in.mu, returns 0, looking
// again whenever the channel it returns with the count is closed.
func (in *inbox) waitZero(ctx context.Context, count func() (int, chan struct{})) error {
	for {
		in.mu.Lock()
		n, changed := count()
		in.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// push queues request seq, counted by opened.
func (in *inbox) push(seq uint64, o op) {
	in.mu.Lock()
	in.insertLocked(queued{seq: seq, op: o})
	in.mu.Unlock()
	in.poke()
}

// insertLocked queues q in seq order: requests stored concurrently may be
// pushed out of order, and a request to retry keeps its place.
func (in *inbox) insertLocked(q queued) {
	i, _ := slices.BinarySearchFunc(in.queue, q.seq, func(x queued, seq uint64) int { return cmp.Compare(x.seq, seq) })
	in.queue = slices.Insert(in.queue, i, q)
}

func (in *inbox) poke() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

func (in *inbox) pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.queue) + in.running
}

func (in *inbox) waitIdle(ctx context.Context) error {
	return in.waitZero(ctx, func() (int, chan struct{}) { return len(in.queue) + in.running, in.idle })
}

// next takes the first request that may run now, or says when one may. A
// request waits while an earlier one of its incident runs or waits.
func (in *inbox) next(now time.Time) (q queued, ok bool, wait time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	earlier := map[int64]bool{}
	for i, x := range in.queue {
		id := x.op.Incident
		if id != 0 && (in.busy[id] || earlier[id]) {
			continue
		}
		if id != 0 {
			earlier[id] = true
		}
		if x.notBefore.After(now) {
			if d := x.notBefore.Sub(now); wait == 0 || d < wait {
				wait = d
			}
			continue
		}
		in.queue = slices.Delete(in.queue, i, i+1)
		in.running++
		if id != 0 {
			in.busy[id] = true
		}
		return x, true, 0
	}
	return queued{}, false, wait
}

func (in *inbox) work(ctx context.Context) {
	for {
		select {
		case <-in.quit:
			return
		default:
		}
		q, ok, wait := in.next(in.a.clk.Now())
		if !ok {
			var timer <-chan time.Time
			if wait > 0 {
				timer = in.a.clk.After(wait)
			}
			select {
			case <-ctx.Done():
				return
			case <-in.quit:
				return
			case <-in.wake:
			case <-timer:
			}
			continue
		}
		retry := in.process(ctx, q)
		in.mu.Lock()
		in.running--
		delete(in.busy, q.op.Incident)
		if retry != nil {
			in.insertLocked(*retry)
		} else {
			in.processedLocked(q.op.Incident)
		}
		if len(in.queue)+in.running == 0 {
			close(in.idle)
			in.idle = make(chan struct{})
		}
		in.mu.Unlock()
		in.poke()
	}
}

// process runs one request and finishes it: with its change, or, when the
// change is refused, with a reply saying why. An internal failure is
// retried a few times, then answered with an apology.
func (in *inbox) process(ctx context.Context, q queued) (retry *queued) {
	a := in.a
	c := &call{op: q.op, seq: q.seq}
	err := recovered(a.log, "request", q.seq, func() error { return a.exec(ctx, c) })
	switch {
	case ctx.Err() != nil:
		return nil // shutting down: the request stays stored
	case err == nil && c.finished:
		return nil
	case err == nil:
		// Nothing to change (a message pinned twice): just finish it.
		err = a.finish(ctx, c, nil)
	case incident.ErrorCode(err) != incident.EINTERNAL:
		a.log.Debug("request refused after its ack", "request", q.seq, "kind", q.op.Kind, "user_id", q.op.Actor, "reason", incident.ErrorMessage(err))
		err = a.finish(ctx, c, []incident.Effect{a.replyError(c.op, err)})
	case q.attempts+1 < maxRequestAttempts:
		a.log.Warn("request failed; will retry", "request", q.seq, "kind", q.op.Kind, "attempt", q.attempts+1, "err", err)
		if rerr := a.store.RetryRequest(ctx, q.seq); rerr != nil {
			a.log.Error("record request attempt", "request", q.seq, "err", rerr)
		}
		q.attempts++
		q.notBefore = a.clk.Now().Add(time.Second << q.attempts)
		return &q
	default:
		a.log.Error("request failed for good", "request", q.seq, "kind", q.op.Kind, "err", err)
		err = a.finish(ctx, c, []incident.Effect{a.replyError(c.op, err)})
	}
	if err != nil && ctx.Err() == nil {
		a.log.Error("finish request", "request", q.seq, "err", err)
		q.attempts++
		q.notBefore = a.clk.Now().Add(time.Second << min(q.attempts, 6))
		return &q
	}
	return nil
}

// finish ends request c.seq with effects (a reply), in one transaction.
func (a *App) finish(ctx context.Context, c *call, effs []incident.Effect) error {
	ch, err := a.store.Apply(ctx, incident.Change{Request: c.seq, Effects: effs})
	if err != nil {
		return err
	}
	a.outbox.Add(ch.Effects...)
	return nil
}

// recovered runs fn, turning a panic into an internal error (logged with
// its stack): a stored request that panics is retried, then answered with
// an apology, instead of ending the process, which would replay it, and
// panic again, at every start.
func recovered(log *slog.Logger, what string, seq uint64, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error(what+" panicked", "seq", seq, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%s %d panicked: %v", what, seq, r)
		}
	}()
	return fn()
}
