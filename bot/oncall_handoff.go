package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Handoffs. At each shift change (an override's start and end included)
// the outgoing and incoming people get a DM: the open incidents, the
// overdue action items and, for the incoming person, the on-call
// checklist as checkboxes and a button to confirm they have taken over.
// The scheduler's tick finds the shift changes (Sweep): each rotation
// stores how far its handoffs were handled, and the DMs are queued in the
// same transaction that moves it on, so each goes out once, after a crash
// or a restart too. A handoff not confirmed within ConfirmWithin is
// escalated once, to the outgoing person and the escalation contacts,
// unless the incoming person's turn is over by then (a late tick).

// effHandoff sends a handoff DM, rendered when it is delivered (so the
// incidents it lists are current).
const effHandoff = "oncall_handoff"

// Kinds of handoff DM.
const (
	handoffIncoming  = "incoming"
	handoffOutgoing  = "outgoing"
	handoffEscalated = "escalated"
	handoffConfirmed = "confirmed"
)

// handoffPayload is what an effHandoff carries. Its keys differ from
// those of payload, which Deliver decodes every effect into first.
type handoffPayload struct {
	Rotation string    `json:"ho_rotation"`
	At       time.Time `json:"ho_at"`
	Kind     string    `json:"ho_kind"`
	Users    []string  `json:"ho_users,omitempty"`
	Group    string    `json:"ho_group,omitempty"`
}

func handoffEffect(p handoffPayload) incident.Effect {
	data, err := json.Marshal(p)
	if err != nil {
		panic("marshal handoff payload: " + err.Error())
	}
	lane := laneOncall + ":" + p.Rotation
	if len(p.Users) == 1 && p.Group == "" {
		lane = laneOncall + ":" + p.Users[0]
	}
	return incident.Effect{Kind: effHandoff, Lane: lane, Payload: data}
}

// Limits of the handoff brief.
const (
	handoffOpenShown    = 15
	handoffOverdueShown = 15
	// overdueLookback bounds the incidents read for overdue action items:
	// older ones are for the postmortem reviews, not the shift.
	overdueLookback = 90 * 24 * time.Hour
	dueChecksBatch  = 100
)

// Sweep does the on-call work of a scheduler tick: it looks up emails not
// resolved yet (now and then), reloads the roster when the store changed,
// sends the handoffs that came since the last tick and escalates
// handoffs not confirmed in time. It returns the number of effects it
// queued. It implements nudge.Sweeper.
func (a *App) Sweep(ctx context.Context, now time.Time) (int, error) {
	oc := a.oc
	if !oc.configured() {
		return 0, nil
	}
	if a.resolveMembers(ctx, false) {
		if err := a.reconcileOncall(ctx); err != nil {
			return 0, err
		}
	}
	if !oc.snap.Load().current(a.store.Version()) {
		if err := a.reloadOncall(ctx); err != nil {
			return 0, fmt.Errorf("reload the on-call roster: %w", err)
		}
	}
	snap := oc.snap.Load()
	n := 0
	var errs []error
	for _, s := range snap.roster {
		k, err := a.handoffs(ctx, s, snap.states[s.Rotation.Name], now)
		n += k
		if err != nil {
			errs = append(errs, fmt.Errorf("handoffs of %s: %w", s.Rotation.Name, err))
		}
	}
	k, err := a.escalateHandoffs(ctx, now)
	n += k
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return n, errs[0]
	}
	return n, nil
}

// handoffs queues the handoff DMs of rotation s that fell due since its
// state was last moved on, and moves it to now. A handoff whose incoming
// stretch is over already (the bot was down for a whole shift) is
// skipped: nobody needs that brief any more.
func (a *App) handoffs(ctx context.Context, s oncall.Schedule, st oncall.RotationState, now time.Time) (int, error) {
	if !st.HandledThrough.IsZero() && (!now.After(st.HandledThrough) || len(s.Handoffs(st.HandledThrough.Add(time.Nanosecond), now.Add(time.Nanosecond))) == 0) {
		return 0, nil
	}
	ch, err := a.oc.store.UpdateOncallRotation(ctx, s.Rotation.Name, func(st *oncall.RotationState) ([]oncall.HandoffCheck, incident.Change, error) {
		from := st.HandledThrough
		if from.IsZero() || !now.After(from) {
			// The first look at a rotation starts its history now.
			st.HandledThrough = maxT(from, now)
			return nil, incident.Change{}, nil
		}
		var checks []oncall.HandoffCheck
		var effs []incident.Effect
		for _, h := range s.Handoffs(from.Add(time.Nanosecond), now.Add(time.Nanosecond)) {
			in, out := h.Incoming.Member.UserID, h.Outgoing.Member.UserID
			if !h.Incoming.End.After(now) || in == "" {
				continue
			}
			checks = append(checks, oncall.NewHandoffCheck(h, a.oc.opt.ConfirmWithin))
			effs = append(effs, handoffEffect(handoffPayload{Rotation: h.Rotation, At: h.At, Kind: handoffIncoming, Users: []string{in}}))
			if out != "" && out != in {
				effs = append(effs, handoffEffect(handoffPayload{Rotation: h.Rotation, At: h.At, Kind: handoffOutgoing, Users: []string{out}}))
			}
		}
		st.HandledThrough = now
		return checks, incident.Change{Effects: effs}, nil
	})
	if err != nil {
		return 0, err
	}
	a.outbox.Add(ch.Effects...)
	return len(ch.Effects), nil
}

// escalateHandoffs escalates, once, each handoff not confirmed by its
// deadline, unless the incoming person's turn is over already.
func (a *App) escalateHandoffs(ctx context.Context, now time.Time) (int, error) {
	due, err := a.oc.store.DueHandoffChecks(ctx, now, dueChecksBatch)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		end, known := a.handoffEnd(d)
		_, ch, err := a.oc.store.UpdateHandoffCheck(ctx, d.Rotation, d.At, func(c *oncall.HandoffCheck) (incident.Change, error) {
			if known {
				if lapsed, ok := c.Lapse(end, now); ok {
					*c = lapsed
					return incident.Change{}, nil
				}
			}
			next, escalate := c.Tick(now)
			*c = next
			if !escalate {
				return incident.Change{}, nil
			}
			return incident.Change{Effects: a.handoffNotices(*c, handoffEscalated)}, nil
		})
		if err != nil {
			return n, fmt.Errorf("escalate the handoff of %s: %w", d.Rotation, err)
		}
		if len(ch.Effects) > 0 {
			a.log.Warn("handoff not confirmed in time; escalated", "rotation", d.Rotation, "user_id", d.Incoming)
		}
		a.outbox.Add(ch.Effects...)
		n += len(ch.Effects)
	}
	return n, nil
}

// handoffEnd returns when the incoming person's stretch of c's handoff
// ends, read from the roster as it is now; false when the roster no
// longer has that handoff.
func (a *App) handoffEnd(c oncall.HandoffCheck) (time.Time, bool) {
	s, err := a.oc.roster().Find(c.Rotation)
	if err != nil {
		return time.Time{}, false
	}
	for _, h := range s.Handoffs(c.At, c.At.Add(time.Nanosecond)) {
		if h.At.Equal(c.At) && h.Incoming.Member.UserID == c.Incoming {
			return h.Incoming.End, true
		}
	}
	return time.Time{}, false
}

// handoffNotices tells the outgoing person and the escalation contacts
// that a handoff was not confirmed in time, or (once escalated) that it
// was confirmed after all.
func (a *App) handoffNotices(c oncall.HandoffCheck, kind string) []incident.Effect {
	esc := a.oc.opt.HandoffEscalation
	var users []string
	for _, u := range append([]string{c.Outgoing}, esc.Users...) {
		if u != "" && u != c.Incoming && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	if len(users) == 0 && esc.UserGroup == "" {
		return nil
	}
	return []incident.Effect{handoffEffect(handoffPayload{Rotation: c.Rotation, At: c.At, Kind: kind, Users: users, Group: esc.UserGroup})}
}

// ConfirmHandoff records that the incoming person took over rotation's
// shift that began at at. Only they may; confirming after the escalation
// tells those who were told it is closed.
func (a *App) ConfirmHandoff(ctx context.Context, c *call, rotation string, at time.Time) error {
	chk, err := a.findHandoff(ctx, rotation, at)
	if err != nil {
		return err
	}
	now := a.now()
	if _, err := chk.Confirm(c.Actor, now); err != nil {
		return err
	}
	c.ack = fmt.Sprintf(":white_check_mark: Handoff confirmed: you are on call in *%s*. Thank you.", rotation)
	if c.dry {
		return nil
	}
	_, ch, err := a.oc.store.UpdateHandoffCheck(ctx, rotation, chk.At, func(x *oncall.HandoffCheck) (incident.Change, error) {
		next, err := x.Confirm(c.Actor, now)
		if err != nil {
			return incident.Change{}, err
		}
		*x = next
		var effs []incident.Effect
		if x.Outgoing != "" && x.Outgoing != x.Incoming {
			effs = append(effs, handoffEffect(handoffPayload{Rotation: x.Rotation, At: x.At, Kind: handoffConfirmed, Users: []string{x.Outgoing}}))
		}
		if !x.EscalatedAt.IsZero() {
			effs = a.handoffNotices(*x, handoffConfirmed)
		}
		return incident.Change{Effects: effs, Request: c.seq}, nil
	})
	if err != nil {
		return err
	}
	c.finished = c.seq != 0
	a.outbox.Add(ch.Effects...)
	a.log.Info("handoff confirmed", "rotation", rotation, "user_id", c.Actor)
	return nil
}

// TickHandoffChecklist records which steps of one group of the handoff's
// checklist (steps) the incoming person has ticked (selected).
func (a *App) TickHandoffChecklist(ctx context.Context, c *call, rotation string, at time.Time, steps, selected []string) error {
	chk, err := a.findHandoff(ctx, rotation, at)
	if err != nil {
		return err
	}
	if c.Actor != chk.Incoming {
		return incident.Errorf(incident.EUNAUTHORIZED, "This checklist is for %s, who takes over %s.", views.User(chk.Incoming), rotation)
	}
	if c.dry {
		return nil
	}
	_, ch, err := a.oc.store.UpdateHandoffCheck(ctx, rotation, chk.At, func(x *oncall.HandoffCheck) (incident.Change, error) {
		var kept []string
		for _, s := range x.Checked {
			if !slices.Contains(steps, s) {
				kept = append(kept, s)
			}
		}
		for _, s := range selected {
			if slices.Contains(steps, s) && !slices.Contains(kept, s) {
				kept = append(kept, s)
			}
		}
		x.Checked = kept
		return incident.Change{Request: c.seq}, nil
	})
	if err != nil {
		return err
	}
	c.finished = c.seq != 0
	a.outbox.Add(ch.Effects...)
	return nil
}

func (a *App) findHandoff(ctx context.Context, rotation string, at time.Time) (oncall.HandoffCheck, error) {
	if a.oc.store == nil {
		return oncall.HandoffCheck{}, incident.Errorf(incident.ENOTFOUND, "No on-call rotations are configured.")
	}
	chk, err := a.oc.store.FindHandoffCheck(ctx, rotation, at)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return chk, incident.Errorf(incident.ENOTFOUND, "This handoff of %s is not on record any more.", rotation)
	}
	return chk, err
}

// handoff delivers a handoff DM.
func (d delivery) handoff(ctx context.Context) error {
	var p handoffPayload
	if err := json.Unmarshal(d.e.Payload, &p); err != nil {
		return fmt.Errorf("%w: unreadable handoff: %v", errCorrupt, err)
	}
	a := d.a
	chk, err := a.oc.store.FindHandoffCheck(ctx, p.Rotation, p.At)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return fmt.Errorf("%w: handoff %s/%s is gone", errCorrupt, p.Rotation, p.At)
	} else if err != nil {
		return err
	}
	loc := time.UTC
	var sched *oncall.Schedule
	if s, err := a.oc.roster().Find(p.Rotation); err == nil {
		loc, sched = s.Rotation.Loc(), &s
	}
	env := d.env()
	var render func(user string) ([]slack.Block, string)
	switch p.Kind {
	case handoffIncoming, handoffOutgoing:
		b := views.HandoffBrief{Incoming: p.Kind == handoffIncoming, Handoff: chk, Loc: loc}
		if sched != nil {
			if h, ok := sched.NextHandoff(chk.At); ok {
				b.Until = h.At
			}
		}
		if err := a.handoffIncidents(ctx, &b); err != nil {
			return err
		}
		if b.Incoming {
			b.Checklist = a.oc.checklist(p.Rotation)
		}
		render = func(string) ([]slack.Block, string) { return env.HandoffDM(b) }
	case handoffEscalated, handoffConfirmed:
		render = func(string) ([]slack.Block, string) { return env.HandoffNotice(chk, loc, p.Kind == handoffConfirmed) }
	default:
		return fmt.Errorf("%w: handoff DM %q", errCorrupt, p.Kind)
	}
	if err := d.dmEach(ctx, p.Users, p.Group, render); err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// handoffIncidents fills the brief's open incidents and overdue action
// items. Private incidents are listed without their title.
func (a *App) handoffIncidents(ctx context.Context, b *views.HandoffBrief) error {
	open, err := a.store.FindIncidents(ctx, incident.Filter{OpenOnly: true, Limit: handoffOpenShown + 1})
	if err != nil {
		return fmt.Errorf("read open incidents: %w", err)
	}
	if len(open) > handoffOpenShown {
		n, err := a.store.CountOpen(ctx)
		if err != nil {
			return err
		}
		open, b.MoreOpen = open[:handoffOpenShown], n-handoffOpenShown
	}
	b.Open = slices.DeleteFunc(open, func(inc *incident.Incident) bool { return inc.Private })
	now := a.now()
	recent, err := a.store.FindIncidents(ctx, incident.Filter{Since: now.Add(-overdueLookback)})
	if err != nil {
		return fmt.Errorf("read recent incidents: %w", err)
	}
	for _, inc := range recent {
		if inc.Status == incident.StatusCancelled || inc.Private {
			continue // never happened; or private, which means private
		}
		for _, t := range inc.ActionItems {
			if t.Done || now.Sub(t.CreatedAt) < a.oc.opt.OverdueAfter {
				continue
			}
			if len(b.Overdue) == handoffOverdueShown {
				b.MoreOverdue++
				continue
			}
			b.Overdue = append(b.Overdue, views.OverdueItem{Incident: inc.ID, Item: t})
		}
	}
	return nil
}
