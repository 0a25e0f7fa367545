package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SeverityLevel describes one severity the organisation uses.
type SeverityLevel struct {
	Name        string
	Description string
	// UpdateEvery is the default time between status updates.
	UpdateEvery time.Duration
	// RemindBefore and EscalateAfter override the Policy-wide values when set.
	RemindBefore  time.Duration
	EscalateAfter time.Duration
}

// Policy is the organisation's incident process: its severities, who may
// override the roles, and the reminder timings.
type Policy struct {
	// Severities, most severe first.
	Severities      []SeverityLevel
	DefaultSeverity string
	// Admins may do anything to any incident.
	Admins []string
	// RemindBefore is the heads-up lead time before an update is due.
	RemindBefore time.Duration
	// EscalateAfter is how long an update may be overdue before escalation.
	EscalateAfter time.Duration
	// Snooze is how long the Snooze button postpones an update.
	Snooze time.Duration
	// ArchiveAfter is how long after close the war room is archived;
	// zero keeps it.
	ArchiveAfter time.Duration

	// Roles are the roles beyond operator and spokesperson (crew.go), and
	// Triage proposes a severity from the impact (triage.go). Issue 12.
	Roles  []RoleSpec
	Triage Triage
}

// DefaultPolicy returns the policy used when nothing is configured.
func DefaultPolicy() Policy {
	return Policy{
		Severities: []SeverityLevel{
			{Name: "critical", Description: "Service unreachable or data lost", UpdateEvery: 15 * time.Minute},
			{Name: "major", Description: "A major feature is broken, no data lost", UpdateEvery: 30 * time.Minute},
			{Name: "minor", Description: "Degraded, users can still work", UpdateEvery: 60 * time.Minute},
		},
		DefaultSeverity: "major",
		RemindBefore:    5 * time.Minute,
		EscalateAfter:   10 * time.Minute,
		Snooze:          10 * time.Minute,
	}
}

// Severity returns the level named name (case-insensitive), with the
// policy-wide reminder timings filled in where the level has none.
func (p Policy) Severity(name string) (SeverityLevel, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, s := range p.Severities {
		if s.Name == name {
			if s.RemindBefore == 0 {
				s.RemindBefore = p.RemindBefore
			}
			if s.EscalateAfter == 0 {
				s.EscalateAfter = p.EscalateAfter
			}
			return s, nil
		}
	}
	return SeverityLevel{}, Errorf(EINVALID, "%q is not a severity. Use one of: %s.", name, strings.Join(p.SeverityNames(), ", "))
}

// SeverityNames lists the severity names, most severe first.
func (p Policy) SeverityNames() []string {
	names := make([]string, len(p.Severities))
	for i, s := range p.Severities {
		names[i] = s.Name
	}
	return names
}

// Rank returns the position of a severity (0 = most severe), or -1.
func (p Policy) Rank(name string) int {
	return slices.IndexFunc(p.Severities, func(s SeverityLevel) bool { return s.Name == name })
}

// Cadence returns the default time between updates for a severity.
func (p Policy) Cadence(severity string) time.Duration {
	s, err := p.Severity(severity)
	if err != nil || s.UpdateEvery <= 0 {
		return 30 * time.Minute
	}
	return s.UpdateEvery
}

// IsAdmin reports whether user is a configured admin.
func (p Policy) IsAdmin(user string) bool { return slices.Contains(p.Admins, user) }

// CanManage reports whether user may change severity, status and roles,
// resolve, close and cancel: the operator, the spokesperson, or an admin.
func (p Policy) CanManage(inc *Incident, user string) bool {
	return user != "" && (user == inc.Operator || user == inc.Spokesperson || p.IsAdmin(user))
}

// CanSee reports whether user may know of inc. Anyone may see a public
// incident. A private one is visible to its role holders, to admins, and to
// the people in its war room: inWarRoom says the caller checked that user
// is a member of the war room now (or acted from inside it). Having
// declared a private incident is not enough: someone removed from its war
// room loses sight of it.
func (p Policy) CanSee(inc *Incident, user string, inWarRoom bool) bool {
	if !inc.Private || inWarRoom {
		return true
	}
	return user != "" && (user == inc.Operator || user == inc.Spokesperson || p.IsAdmin(user) ||
		(inc.Handoff != nil && inc.Handoff.To == user))
}

// CheckCanSee returns ENOTFOUND, worded as for an incident that does not
// exist, when user may not see inc: whether a private incident exists is
// itself private.
func (p Policy) CheckCanSee(inc *Incident, user string, inWarRoom bool) error {
	if p.CanSee(inc, user, inWarRoom) {
		return nil
	}
	return Errorf(ENOTFOUND, "Incident #%d does not exist.", inc.ID)
}

// CheckCanManage returns EUNAUTHORIZED, saying who may, unless user may do
// the managing action what ("change the severity").
func (p Policy) CheckCanManage(inc *Incident, user, what string) error {
	if p.CanManage(inc, user) {
		return nil
	}
	return Errorf(EUNAUTHORIZED, "Only %s can %s.", p.whoCanManage(inc), what)
}

// CheckCanUpdate returns EUNAUTHORIZED unless user may post status updates
// (and snooze their reminders): the managers.
func (p Policy) CheckCanUpdate(inc *Incident, user string) error {
	return p.CheckCanManage(inc, user, "post status updates")
}

// CheckCanHandOff returns EUNAUTHORIZED unless actor may hand off role: its
// holder or a manager.
func (p Policy) CheckCanHandOff(inc *Incident, actor string, role Role) error {
	holder := p.Incumbent(inc, role)
	if actor != "" && (actor == holder || p.CanManage(inc, actor)) {
		return nil
	}
	// The holder of either role is a manager, so whoCanManage names them.
	return Errorf(EUNAUTHORIZED, "Only %s can hand off the %s role.", p.whoCanManage(inc), role)
}

// CheckCanWriteNotes returns an error unless user may add notes and pins to
// inc's timeline. The timeline is the record, and every entry names its
// author, so anyone who can see the incident may write to it: for a public
// incident that is anyone in the workspace, for a private one its war room,
// role holders and admins.
func (p Policy) CheckCanWriteNotes(inc *Incident, user string, inWarRoom bool) error {
	if user == "" {
		return Errorf(EUNAUTHORIZED, "Notes need an author.")
	}
	return p.CheckCanSee(inc, user, inWarRoom)
}

// CheckCanTakeRole returns an error unless actor may put user in the role
// now, without a handoff: the role must be empty (or force be set by the
// operator or an admin). Anyone in the war room may fill an empty role
// with themselves; appointing someone else takes a manager. Taking a role
// from outside the war room would let anyone take charge of any incident.
func (p Policy) CheckCanTakeRole(inc *Incident, actor string, role Role, user string, force, inWarRoom bool) error {
	holder := p.Incumbent(inc, role)
	switch {
	case holder == "" && user == actor:
		if p.CanManage(inc, actor) || inWarRoom {
			return nil
		}
		if inc.ChannelID != "" {
			return Errorf(EUNAUTHORIZED, "To take the %s role yourself, join <#%s> and run the command there, or ask the operator.", role, inc.ChannelID)
		}
		return Errorf(EUNAUTHORIZED, "To take the %s role yourself, ask the operator or run the command in the war room.", role)
	case holder == "":
		return p.CheckCanManage(inc, actor, "assign roles")
	case force:
		if actor != "" && (actor == inc.Operator || p.IsAdmin(actor)) {
			return nil
		}
		return Errorf(EUNAUTHORIZED, "Only the operator or an incidentbot admin can force a role change; ask <@%s> to hand it off.", holder)
	}
	return Errorf(ECONFLICT, "<@%s> holds the %s role; it changes hands through a handoff with a brief.", holder, role)
}

// whoCanManage describes, for a refusal, who may do a managing action.
func (p Policy) whoCanManage(inc *Incident) string {
	var who []string
	if inc.Operator != "" {
		who = append(who, fmt.Sprintf("the operator (<@%s>)", inc.Operator))
	} else {
		who = append(who, "the operator")
	}
	if inc.Spokesperson != "" {
		who = append(who, fmt.Sprintf("the spokesperson (<@%s>)", inc.Spokesperson))
	} else {
		who = append(who, "the spokesperson")
	}
	who = append(who, "an incidentbot admin")
	return strings.Join(who[:len(who)-1], ", ") + " or " + who[len(who)-1]
}
