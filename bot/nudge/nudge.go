// Package nudge keeps the spokesperson's promises: when an incident's wake
// time comes (a heads-up, a nudge, an escalation, an archive), it has the
// planner decide what is due and stores that, with its timeline events and
// its Slack effects, in the incident's transaction. Delivery is the
// outbox's job, so a tick never waits on Slack. Its work is done by a plain
// method that reads an injected clock; cron only decides when to call it.
package nudge

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Planner decides what a woken incident needs; the Slack surface
// implements it.
type Planner interface {
	// Wake changes inc as the time now requires and returns the change to
	// store with it (events, effects). It runs inside the incident's
	// transaction and may run more than once: it must do nothing else.
	Wake(inc *incident.Incident, now time.Time) incident.Change
	// Enqueued hears the effects a tick stored, to deliver them.
	Enqueued(effs []incident.Effect)
}

// Sweeper is what a Planner may also do on every tick, after the
// incidents: work due at now that belongs to no incident (on-call
// handoffs). Sweep returns the number of effects it stored.
type Sweeper interface {
	Sweep(ctx context.Context, now time.Time) (int, error)
}

// Scheduler finds incidents whose wake time has come and wakes them.
type Scheduler struct {
	Store   incident.Store
	Planner Planner
	Now     func() time.Time
	Logger  *slog.Logger
	// Batch caps the incidents handled per tick (default 500), so one tick
	// after a long outage stays short; the rest follow on the next ticks.
	Batch int

	mu sync.Mutex // one tick at a time: racing ticks would only find nothing
}

// TickResult says what one tick did.
type TickResult struct {
	Due     int // incidents found due in the index
	Effects int // effects stored for delivery
	Failed  int // incidents whose change could not be stored
}

// Tick wakes every incident whose wake time has come. All of them are
// changed at once, in one transaction of the store's (each incident's
// change standing or failing alone), whatever the number due.
func (s *Scheduler) Tick(ctx context.Context) (TickResult, error) {
	if !s.mu.TryLock() {
		return TickResult{}, nil
	}
	defer s.mu.Unlock()
	now := s.now()
	res, err := s.wake(ctx, now)
	if sw, ok := s.Planner.(Sweeper); ok && ctx.Err() == nil {
		n, serr := sw.Sweep(ctx, now)
		res.Effects += n
		if serr != nil {
			res.Failed++
			s.log().Error("sweep", "err", serr)
		}
	}
	return res, err
}

// wake wakes the incidents due at now.
func (s *Scheduler) wake(ctx context.Context, now time.Time) (TickResult, error) {
	var res TickResult
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
	var effs []incident.Effect
	for _, u := range s.Store.UpdateIncidents(ctx, ids, func(inc *incident.Incident) (incident.Change, error) {
		return s.Planner.Wake(inc, now), nil
	}) {
		if u.Err != nil {
			res.Failed++
			s.log().Error("wake incident", "incident_id", u.ID, "err", u.Err)
			continue
		}
		effs = append(effs, u.Change.Effects...)
	}
	res.Effects = len(effs)
	s.Planner.Enqueued(effs)
	return res, ctx.Err()
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
