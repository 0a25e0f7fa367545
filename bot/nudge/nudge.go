// Package nudge keeps the spokesperson's promises: it sends the heads-up,
// the nudge and the escalation for every update that falls due, and the
// daily digest. Its work is done by plain methods that read an injected
// clock; cron only decides when to call them.
package nudge

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Notifier delivers reminders in Slack. An error means "not delivered":
// the reminder stays pending and is retried later.
type Notifier interface {
	Remind(ctx context.Context, inc *incident.Incident, r incident.Reminder) error
	// Archive archives a closed incident's war room (postmortem.archive_after).
	Archive(ctx context.Context, inc *incident.Incident) error
}

// deliveryLease is how long a tick owns a reminder it is delivering. A tick
// that dies leaves the reminder to be retried after it.
const deliveryLease = time.Minute

// deliveryWorkers bounds the incidents whose reminders are sent at once.
const deliveryWorkers = 8

// Scheduler finds due reminders and has them delivered.
type Scheduler struct {
	Store    incident.Store
	Policy   incident.Policy
	Notifier Notifier
	Now      func() time.Time
	Logger   *slog.Logger
	// Batch caps the incidents handled per tick (default 500), so one tick
	// after a long outage stays short; the rest follow on the next ticks.
	Batch int

	mu sync.Mutex // one tick at a time: racing ticks must not double a reminder
}

// TickResult says what one tick did.
type TickResult struct {
	Due       int // incidents found due in the index
	Sent      int // reminders delivered
	Failed    int // deliveries that failed and will be retried
	Discarded int // reminders found stale (the update came in time)
	Archived  int // war rooms archived
}

// Tick handles every incident whose wake time has come: it decides the
// reminder (recording it in the timeline and in the incident's pending
// queue, in one transaction), delivers it outside the transaction, then
// marks it delivered. A crash between delivery and marking may repeat a
// reminder once; it can never lose one.
func (s *Scheduler) Tick(ctx context.Context) (TickResult, error) {
	var res TickResult
	if !s.mu.TryLock() {
		return res, nil
	}
	defer s.mu.Unlock()
	now := s.now()
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	ids, err := s.Store.DueIncidents(ctx, now, batch)
	if err != nil {
		return res, fmt.Errorf("read due incidents: %w", err)
	}
	res.Due = len(ids)
	if len(ids) == 0 {
		return res, nil
	}
	// Plan every due incident at once: the store's group commit merges the
	// concurrent writes into one transaction, so a tick costs one fsync to
	// plan and one to record, not two per incident.
	plans := make([]plan, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			plans[i] = s.plan(ctx, id, now)
		}()
	}
	wg.Wait()
	// Deliver, a few incidents at a time (each reminder is a Slack call),
	// and record each incident's outcome as soon as it is known.
	var mu sync.Mutex
	sem := make(chan struct{}, deliveryWorkers)
	for _, pl := range plans {
		if pl.inc == nil || (len(pl.todo) == 0 && !pl.archive) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := s.deliver(ctx, pl, now)
			mu.Lock()
			res.Sent += r.Sent
			res.Failed += r.Failed
			res.Discarded += r.Discarded
			res.Archived += r.Archived
			mu.Unlock()
		}()
	}
	wg.Wait()
	return res, ctx.Err()
}

// plan is what one tick does for one incident.
type plan struct {
	inc     *incident.Incident
	todo    []incident.Reminder
	archive bool
}

// plan records the reminder due for incident id (with its timeline event)
// and leases what is to be delivered, in one transaction.
func (s *Scheduler) plan(ctx context.Context, id int64, now time.Time) plan {
	var pl plan
	inc, _, err := s.Store.UpdateIncident(ctx, id, func(inc *incident.Incident) ([]incident.Event, error) {
		_, evs, _ := inc.NextReminder(s.Policy, now)
		pl.todo = inc.ClaimDeliverable(s.Policy, now, deliveryLease)
		if pl.archive = inc.ArchiveDue(now); pl.archive {
			// Leased like a reminder: a racing tick leaves it alone.
			inc.ArchiveFailed(s.Policy, now, deliveryLease)
		}
		return evs, nil
	})
	if err != nil {
		s.log().Error("plan reminder", "incident_id", id, "err", err)
		return plan{}
	}
	pl.inc = inc
	return pl
}

// deliver sends an incident's planned reminders (and archive) and records
// the outcome in one transaction.
func (s *Scheduler) deliver(ctx context.Context, pl plan, now time.Time) TickResult {
	var res TickResult
	inc := pl.inc
	if pl.archive {
		s.archive(ctx, inc, now, &res)
	}
	type outcome struct {
		r     incident.Reminder
		err   error
		stale bool
	}
	var outs []outcome
	for _, r := range pl.todo {
		o := outcome{r: r, stale: inc.Stale(r)}
		if !o.stale {
			o.err = s.Notifier.Remind(ctx, inc, r)
		}
		outs = append(outs, o)
	}
	if len(outs) == 0 {
		return res
	}
	var gaveUp []incident.Reminder
	_, _, err := s.Store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
		gaveUp = gaveUp[:0]
		for _, o := range outs {
			if o.err == nil {
				i.Delivered(s.Policy, o.r)
			} else if i.DeliveryFailed(s.Policy, o.r, now) {
				gaveUp = append(gaveUp, o.r)
			}
		}
		return nil, nil
	})
	for _, r := range gaveUp {
		s.log().Error("reminder given up after repeated Slack failures", "incident_id", inc.ID, "stage", r.Stage, "attempts", incident.MaxDeliveryAttempts)
	}
	if err != nil {
		s.log().Error("record reminder delivery", "incident_id", inc.ID, "err", err)
		return res
	}
	for _, o := range outs {
		switch {
		case o.err != nil:
			res.Failed++
			s.log().Warn("deliver reminder; will retry", "incident_id", inc.ID, "stage", o.r.Stage, "attempt", o.r.Attempts+1, "err", o.err)
		case o.stale:
			res.Discarded++
		default:
			res.Sent++
		}
	}
	return res
}

// archive archives a war room and records it, or schedules a retry.
func (s *Scheduler) archive(ctx context.Context, inc *incident.Incident, now time.Time, res *TickResult) {
	aerr := s.Notifier.Archive(ctx, inc)
	_, _, err := s.Store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
		if aerr != nil {
			i.ArchiveFailed(s.Policy, now, 5*time.Minute)
			return nil, nil
		}
		return i.Archived(s.Policy, now), nil
	})
	switch {
	case err != nil:
		s.log().Error("record war-room archive", "incident_id", inc.ID, "err", err)
	case aerr != nil:
		res.Failed++
		s.log().Warn("archive war room; will retry", "incident_id", inc.ID, "err", aerr)
	default:
		res.Archived++
	}
}

func (s *Scheduler) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
