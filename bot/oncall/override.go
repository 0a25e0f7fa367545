package oncall

import (
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// OverrideGrace is how far in the past an override may start: the time it
// takes to type the command after deciding "from now".
const OverrideGrace = 5 * time.Minute

// MaxOverride is the longest override. A longer absence is a change of
// members, made in the config.
const MaxOverride = 90 * 24 * time.Hour

// Override puts User on call in Rotation over [From, To), whoever's turn it
// is. It may cover part of a shift or span several.
type Override struct {
	// ID is assigned by the store; 0 until stored.
	ID       int64
	Rotation string
	// User is the Slack user ID of whoever covers. They need not be a member
	// of the rotation: covering from another team is common.
	User string
	From time.Time
	To   time.Time // exclusive
	// CreatedBy and CreatedAt audit who set the override and when.
	CreatedBy string
	CreatedAt time.Time
	// Swap is shared by the two overrides of a swap (see PlanSwap), so that
	// listing and removing treat them as one; empty otherwise.
	Swap string
	// RemovedBy and RemovedAt audit who withdrew the override and when
	// (see Remove); zero while it stands.
	RemovedBy string
	RemovedAt time.Time
}

// Removed reports whether the override was withdrawn.
func (o Override) Removed() bool { return !o.RemovedAt.IsZero() }

// Remove withdraws o at now on behalf of by, keeping the record for the
// audit: one in progress is cut short at now (its past stays in the
// schedule), one that has not started no longer counts (see Effective),
// one that has ended cannot be removed.
func (o Override) Remove(by string, now time.Time) (Override, error) {
	if o.Removed() {
		return o, incident.Errorf(incident.ECONFLICT, "Override #%d was already removed by %s.", o.ID, mention(o.RemovedBy))
	}
	rest, _, err := o.Withdraw(now)
	if err != nil {
		return o, err
	}
	rest.RemovedBy, rest.RemovedAt = by, now
	return rest, nil
}

// Effective returns the overrides that count in a schedule: all but those
// removed before they started. Stored overrides keep removed ones for the
// audit; build a Schedule from Effective(stored).
func Effective(os []Override) []Override {
	out := make([]Override, 0, len(os))
	for _, o := range os {
		if o.Removed() && !o.RemovedAt.After(o.From) {
			continue
		}
		out = append(out, o)
	}
	return out
}

// CheckOverride validates o against the schedule's rotation and its
// existing overrides. The error is an *incident.Error whose message is a
// sentence for the person who typed the command.
func (s Schedule) CheckOverride(o Override, now time.Time) error {
	loc := s.Rotation.Loc()
	switch {
	case o.CreatedBy == "":
		return errors.New("check override: CreatedBy is empty")
	case o.Rotation != s.Rotation.Name:
		return incident.Errorf(incident.EINVALID, "This override is for the rotation %q, not %q.", o.Rotation, s.Rotation.Name)
	case o.User == "":
		return incident.Errorf(incident.EINVALID, "Say who covers, e.g. `@alice`.")
	case !userIDRe.MatchString(o.User):
		return incident.Errorf(incident.EINVALID, "%q is not a Slack user. Mention the person who covers (type @ and pick them) so that Slack sends their user ID.", o.User)
	case o.From.IsZero() || o.To.IsZero():
		return incident.Errorf(incident.EINVALID, "Say when the override starts and when it ends, e.g. `now +8h`.")
	case !o.To.After(o.From):
		return incident.Errorf(incident.EINVALID, "The override would end %s, which is not after it starts (%s). Give the start first, then the end.",
			when(o.To, loc, now), when(o.From, loc, now))
	case o.From.Before(now.Add(-OverrideGrace)):
		return incident.Errorf(incident.EINVALID, "The override would start %s, which is in the past; overrides do not change history. Start it `now` or later.",
			when(o.From, loc, now))
	case o.To.Sub(o.From) > MaxOverride:
		return incident.Errorf(incident.EINVALID, "The override lasts %s, longer than the limit of %s. For a lasting change, edit the rotation's members in the config.",
			days(o.To.Sub(o.From)), human(MaxOverride))
	}
	for _, x := range s.Overrides {
		if x.Rotation != o.Rotation || (x.ID != 0 && x.ID == o.ID) {
			continue
		}
		if x.From.Before(o.To) && o.From.Before(x.To) {
			swap := ""
			if x.Swap != "" {
				swap = " (half of a swap)"
			}
			return incident.Errorf(incident.ECONFLICT, "That overlaps override #%d%s on %s: %s covers from %s to %s, set by %s. Remove it first, or choose times that do not overlap.",
				x.ID, swap, s.Rotation.Name, mention(x.User), when(x.From, loc, now), when(x.To, loc, now), mention(x.CreatedBy))
		}
	}
	return nil
}

// Withdraw ends o at now: an override that has not started is deleted
// (keep is false); one in progress is cut short at now, so that the history
// stays true; one that has ended cannot be withdrawn.
func (o Override) Withdraw(now time.Time) (rest Override, keep bool, err error) {
	switch {
	case !now.Before(o.To):
		return o, true, incident.Errorf(incident.ECONFLICT, "Override #%d already ended %s; it stays in the history.", o.ID, when(o.To, o.To.Location(), now))
	case !now.After(o.From):
		return o, false, nil
	}
	o.To = now
	return o, true, nil
}

// SwapRequest asks for A and B to trade one turn each in a rotation.
type SwapRequest struct {
	Rotation string
	// A gives the turn that contains AAt to B, and takes B's turn that
	// contains BAt. Both are Slack user IDs.
	A, B     string
	AAt, BAt time.Time
	// CreatedBy is who asked for the swap.
	CreatedBy string
}

// PlanSwap checks a swap and returns it as two overrides: B covers A's turn
// and A covers B's. A swap is a pair of overrides rather than a type of its
// own because the schedule then has one rule (overrides beat turns), the
// calendar and the handoffs need nothing new, and each half can end early
// on its own. The pair shares Override.Swap so that it is listed and
// removed as one. Turns are the rotation's own (before overrides); a turn
// in progress is traded from now.
func (s Schedule) PlanSwap(req SwapRequest, now time.Time) ([2]Override, error) {
	var none [2]Override
	switch {
	case req.A == req.B:
		return none, incident.Errorf(incident.EINVALID, "A swap needs two people; name whoever takes your turn.")
	case !userIDRe.MatchString(req.A) || !userIDRe.MatchString(req.B):
		return none, incident.Errorf(incident.EINVALID, "Mention both people who trade turns (type @ and pick them) so that Slack sends their user IDs.")
	}
	ta, err := s.turnOf(req.A, req.AAt, now)
	if err != nil {
		return none, err
	}
	tb, err := s.turnOf(req.B, req.BAt, now)
	if err != nil {
		return none, err
	}
	key := fmt.Sprintf("swap-%s-%d-%d", s.Rotation.Name, ta.Start.Unix(), tb.Start.Unix())
	pair := [2]Override{
		{Rotation: s.Rotation.Name, User: req.B, From: maxTime(ta.Start, now), To: ta.End, CreatedBy: req.CreatedBy, CreatedAt: now, Swap: key},
		{Rotation: s.Rotation.Name, User: req.A, From: maxTime(tb.Start, now), To: tb.End, CreatedBy: req.CreatedBy, CreatedAt: now, Swap: key},
	}
	for _, o := range pair {
		if err := s.CheckOverride(o, now); err != nil {
			return none, err
		}
	}
	return pair, nil
}

// turnOf returns user's turn containing t, explaining why there is none.
func (s *Schedule) turnOf(user string, t, now time.Time) (Shift, error) {
	loc := s.Rotation.Loc()
	p, ok := s.basePiece(s.Rotation.grid(), s.epochs(), t)
	switch {
	case p.Slot < 0:
		return Shift{}, incident.Errorf(incident.EINVALID, "%s has not started at %s; its first turn begins %s.", s.Rotation.Name, when(t, loc, now), when(p.End, loc, now))
	case !ok || p.Member.UserID != user:
		return Shift{}, incident.Errorf(incident.EINVALID, "%s is not on call in %s at %s (%s is), so there is no turn of theirs to trade. Pick a time inside one of their turns.",
			mention(user), s.Rotation.Name, when(t, loc, now), p.Member)
	case !p.End.After(now):
		return Shift{}, incident.Errorf(incident.EINVALID, "The turn of %s that ended %s is over; pick a turn that has not ended.", mention(user), when(p.End, loc, now))
	}
	return p, nil
}

// NextTurn returns user's first own turn (before overrides) that has not
// ended at t, looking up to a year and a cycle ahead.
func (s Schedule) NextTurn(user string, t time.Time) (Shift, bool) {
	horizon := t.Add(s.horizon())
	g, es := s.Rotation.grid(), s.epochs()
	for at := t; at.Before(horizon); {
		p, ok := s.basePiece(g, es, at)
		if ok && p.Member.UserID == user {
			return p, true
		}
		if !p.End.After(at) {
			break
		}
		at = p.End
	}
	return Shift{}, false
}

// horizon bounds searches forward in time: a full cycle of the longest
// member list plus a year, so that any turn or handoff that will ever come
// is found.
func (s *Schedule) horizon() time.Duration {
	n := len(s.Rotation.Members)
	for _, e := range s.epochs() {
		n = max(n, len(e.Members))
	}
	return time.Duration(n+2)*s.Rotation.ShiftLength() + 366*24*time.Hour
}

// when formats t for a message, in the rotation's zone: "Mon 2 Mar 09:00 CET",
// with the year when it is not now's.
func when(t time.Time, loc *time.Location, now time.Time) string {
	t = t.In(loc)
	if t.Year() != now.In(loc).Year() {
		return t.Format("Mon 2 Jan 2006 15:04 MST")
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}

// mention formats a user ID as a Slack mention.
func mention(user string) string { return "<@" + user + ">" }

// days formats a long duration in days and hours.
func days(d time.Duration) string {
	dd, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%d days", dd)
	}
	return fmt.Sprintf("%d days %dh", dd, h)
}
