package incident

import (
	"strings"
	"time"
)

// AssignRole gives role to user at once. It is allowed when nobody holds
// the role (see Policy.CheckCanTakeRole), or when force is set by the
// operator or an admin; otherwise a handoff (OfferHandoff, AcceptHandoff)
// is the way. inWarRoom says actor is in the war room.
func (inc *Incident) AssignRole(p Policy, actor string, role Role, user string, force, inWarRoom bool, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("assign roles"); err != nil {
		return nil, err
	}
	if err := p.CheckRole(role); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, Errorf(EINVALID, "Say who should be the %s, e.g. `/incident role %s @alice`.", role, role)
	}
	if inc.Holds(role, user) {
		return nil, Errorf(EINVALID, "<@%s> is already the %s.", user, role)
	}
	if err := p.CheckCanTakeRole(inc, actor, role, user, force, inWarRoom); err != nil {
		return nil, err
	}
	return inc.assign(p, actor, role, user, now, EventRoleAssigned), nil
}

func (inc *Incident) assign(p Policy, actor string, role Role, user string, now time.Time, kind EventKind) []Event {
	from := p.Incumbent(inc, role)
	inc.putHolder(p, role, user, now)
	if role == RoleOperator && user == actor {
		// Taking the operator role oneself is answering: it acknowledges
		// the incident and any page still waiting.
		if inc.AcknowledgedAt.IsZero() {
			inc.AcknowledgedAt = now
		}
		if inc.Page.Paging() {
			_ = inc.Page.Acknowledge(inc.ID, user, now) // cannot fail while paging
		}
	}
	var evs []Event
	if inc.Handoff != nil && inc.Handoff.Role == role {
		if kind != EventHandoffAccepted {
			evs = append(evs, newEvent(EventHandoffCancelled, actor, now, "", "role", string(role), "to", inc.Handoff.To))
		}
		inc.Handoff = nil
	}
	inc.touch(p, now)
	return append(evs, newEvent(kind, actor, now, "", "role", string(role), "from", from, "to", user))
}

// OfferHandoff records the outgoing holder's brief and offers role to user,
// who takes it with AcceptHandoff.
func (inc *Incident) OfferHandoff(p Policy, actor string, role Role, to string, b Brief, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("hand off roles"); err != nil {
		return nil, err
	}
	if err := p.CheckRole(role); err != nil {
		return nil, err
	}
	holder := p.Incumbent(inc, role)
	if err := p.CheckCanHandOff(inc, actor, role); err != nil {
		return nil, err
	}
	if to == "" {
		return nil, Errorf(EINVALID, "Say who should take over as %s.", role)
	}
	if to == holder {
		return nil, Errorf(EINVALID, "<@%s> is already the %s.", to, role)
	}
	if b.Empty() {
		return nil, Errorf(EINVALID, "Write a short brief for <@%s>: the current state, what is in flight, what to watch.", to)
	}
	inc.Handoff = &Handoff{Role: role, From: holder, To: to, Brief: b, OfferedAt: now}
	inc.touch(p, now)
	return []Event{newEvent(EventHandoffOffered, actor, now, b.Text(), "role", string(role), "from", holder, "to", to)}, nil
}

// Text renders the brief as plain text for the timeline.
func (b Brief) Text() string {
	var parts []string
	if b.State != "" {
		parts = append(parts, "State: "+b.State)
	}
	if b.InFlight != "" {
		parts = append(parts, "In flight: "+b.InFlight)
	}
	if b.Watch != "" {
		parts = append(parts, "Watch: "+b.Watch)
	}
	return strings.Join(parts, "\n")
}

// AcceptHandoff completes a pending handoff; only its recipient may.
func (inc *Incident) AcceptHandoff(p Policy, actor string, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("accept roles"); err != nil {
		return nil, err
	}
	h := inc.Handoff
	if h == nil {
		return nil, Errorf(ECONFLICT, "There is no handoff waiting on incident #%d; it may have been accepted or replaced already.", inc.ID)
	}
	if h.To != actor {
		return nil, Errorf(EUNAUTHORIZED, "This handoff is offered to <@%s>; only they can accept it.", h.To)
	}
	return inc.assign(p, actor, h.Role, actor, now, EventHandoffAccepted), nil
}
