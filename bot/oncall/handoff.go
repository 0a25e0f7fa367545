package oncall

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Handoff is a moment on-call duty passes from one person to another in a
// rotation, overrides included, and the brief both people receive: who
// hands over, who takes over and for how long. The Slack surface adds the
// open incidents, the overdue action items and the on-call checklist.
type Handoff struct {
	Rotation string
	At       time.Time
	// Outgoing is the stretch the outgoing person was on call, ending at
	// At; its Member is zero when nobody was (the rotation's first turn).
	Outgoing Shift
	// Incoming is the stretch the incoming person is on call, from At
	// until someone else takes over. Override is set when an override put
	// them on call at At.
	Incoming Shift
}

// Key identifies the handoff, for storing that its messages went out.
func (h Handoff) Key() string { return fmt.Sprintf("%s/%d", h.Rotation, h.At.Unix()) }

// maxStretch bounds how many consecutive shifts of one person a stretch
// joins, so that a one-person rotation does not search for ever.
const maxStretch = 64

// Handoffs returns the handoffs at instants in [from, to), in order: every
// point where the person on call changes. Boundaries where the same person
// carries on (an override by the person whose turn it is, a member change
// that keeps them) are not handoffs.
func (s Schedule) Handoffs(from, to time.Time) []Handoff {
	pieces := s.Shifts(from.Add(-time.Nanosecond), to)
	var out []Handoff
	for i, p := range pieces {
		if p.Start.Before(from) || !p.Start.Before(to) {
			continue
		}
		hasPrev := i > 0 && pieces[i-1].End.Equal(p.Start)
		if hasPrev && pieces[i-1].Member.Same(p.Member) {
			continue
		}
		h := Handoff{Rotation: s.Rotation.Name, At: p.Start, Incoming: s.stretchForward(p)}
		if hasPrev {
			h.Outgoing = s.stretchBack(pieces[i-1])
		} else {
			h.Outgoing = Shift{Rotation: s.Rotation.Name, End: p.Start, Slot: -1}
		}
		out = append(out, h)
	}
	return out
}

// NextHandoff returns the first handoff strictly after t; false when none
// comes within the search horizon (a rotation of one person, no overrides).
func (s Schedule) NextHandoff(t time.Time) (Handoff, bool) {
	step := 2 * max(s.Rotation.ShiftLength(), 24*time.Hour)
	horizon := t.Add(s.horizon())
	for from := t.Add(time.Nanosecond); from.Before(horizon); from = from.Add(step) {
		if hs := s.Handoffs(from, from.Add(step)); len(hs) > 0 {
			return hs[0], true
		}
	}
	return Handoff{}, false
}

// Next returns the stretch of the next person to go on call after t.
func (s Schedule) Next(t time.Time) (Shift, bool) {
	h, ok := s.NextHandoff(t)
	return h.Incoming, ok
}

// stretchForward extends sh over the following shifts of the same person.
func (s *Schedule) stretchForward(sh Shift) Shift {
	for range maxStretch {
		next := s.Shifts(sh.End, sh.End.Add(time.Nanosecond))
		if len(next) == 0 || !next[0].Start.Equal(sh.End) || !next[0].Member.Same(sh.Member) {
			break
		}
		sh.End = next[0].End
	}
	return sh
}

// stretchBack extends sh over the preceding shifts of the same person.
func (s *Schedule) stretchBack(sh Shift) Shift {
	for range maxStretch {
		prev := s.Shifts(sh.Start.Add(-time.Nanosecond), sh.Start)
		if len(prev) == 0 || !prev[0].End.Equal(sh.Start) || !prev[0].Member.Same(sh.Member) {
			break
		}
		sh.Start, sh.Slot, sh.Override = prev[0].Start, prev[0].Slot, prev[0].Override
	}
	return sh
}

// HandoffCheck follows one handoff until the incoming person confirms it.
// When they have not confirmed by Deadline, the handoff is escalated once
// (to the outgoing person, who is still around, and whoever the config
// names), unless their turn is over by then (see Lapse); the schedule
// does not change: the incoming person is on call whether or not they
// confirmed.
type HandoffCheck struct {
	Rotation string
	At       time.Time
	// Incoming must confirm; Outgoing is told when they do not. User IDs.
	Incoming string
	Outgoing string
	// Deadline is when an unconfirmed handoff escalates; zero never.
	Deadline    time.Time
	ConfirmedAt time.Time
	ConfirmedBy string
	EscalatedAt time.Time
	// Checked lists the checklist steps (playbook step IDs) the incoming
	// person ticked, in the order of the checklist.
	Checked []string
}

// RotationState is what is kept per rotation between runs: its layout
// (see Reconcile) and how far its handoffs were handled, so that each
// handoff's messages go out once, and a restart resumes where the last run
// stopped.
type RotationState struct {
	Layout Layout
	// HandledThrough is the instant up to which (inclusive) handoffs were
	// handled; zero before the first look.
	HandledThrough time.Time
}

// NewHandoffCheck starts following h; the incoming person has within to
// confirm (0: no escalation). The deadline is fixed now, so that a later
// config change does not move it.
func NewHandoffCheck(h Handoff, within time.Duration) HandoffCheck {
	c := HandoffCheck{
		Rotation: h.Rotation,
		At:       h.At,
		Incoming: h.Incoming.Member.UserID,
		Outgoing: h.Outgoing.Member.UserID,
	}
	if within > 0 {
		c.Deadline = h.At.Add(within)
	}
	return c
}

// Key identifies the check; it equals the Key of its Handoff.
func (c HandoffCheck) Key() string { return fmt.Sprintf("%s/%d", c.Rotation, c.At.Unix()) }

// Due returns when the check next needs attention: its deadline, while it is
// neither confirmed nor escalated.
func (c HandoffCheck) Due() (time.Time, bool) {
	if c.Deadline.IsZero() || !c.ConfirmedAt.IsZero() || !c.EscalatedAt.IsZero() {
		return time.Time{}, false
	}
	return c.Deadline, true
}

// Tick returns the check at now, and true when the handoff must be
// escalated now (exactly once).
func (c HandoffCheck) Tick(now time.Time) (HandoffCheck, bool) {
	due, ok := c.Due()
	if !ok || now.Before(due) {
		return c, false
	}
	c.EscalatedAt = now
	return c, true
}

// Lapse returns the check with no deadline, and true, when it still waits
// for its deadline and the incoming person's stretch ended at end, at or
// before now: their turn is over, so there is no gap left to close, and an
// escalation (a tick that comes late, after the bot was down) would only
// be noise, as a handoff brief is skipped then too. The check can still be
// confirmed.
func (c HandoffCheck) Lapse(end, now time.Time) (HandoffCheck, bool) {
	if _, ok := c.Due(); !ok || now.Before(end) {
		return c, false
	}
	c.Deadline = time.Time{}
	return c, true
}

// Confirm records that the incoming person took over. Confirming after the
// escalation is still recorded: it tells everyone the gap is closed.
func (c HandoffCheck) Confirm(by string, now time.Time) (HandoffCheck, error) {
	switch {
	case !c.ConfirmedAt.IsZero():
		return c, incident.Errorf(incident.ECONFLICT, "%s already confirmed this handoff at %s.", mention(c.ConfirmedBy), c.ConfirmedAt.In(c.At.Location()).Format("Mon 2 Jan 15:04 MST"))
	case by != c.Incoming:
		return c, incident.Errorf(incident.EUNAUTHORIZED, "This handoff is for %s; only they can confirm it.", mention(c.Incoming))
	}
	c.ConfirmedAt, c.ConfirmedBy = now, by
	return c, nil
}
