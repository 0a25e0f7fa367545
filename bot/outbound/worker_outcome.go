package outbound

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// A delivery and what its outcome does to the queue: done, retried,
// abandoned; the lanes it wakes.

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
	if outcome == "not_ready" && it.woken {
		it.readyAt = time.Time{}
	}
	it.woken = false
	it.e.Attempts, it.e.NotBefore = attempts, notBefore
	delete(w.busy, it.lane)
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
	w.finishedLocked(it.e.Seq)
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
		switch {
		case it.e.IncidentID != id:
		case it.running:
			it.woken = true // it may be answering "not ready" right now
		case it.notReady > 0:
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
