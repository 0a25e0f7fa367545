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

// CanManage reports whether user may change severity, roles, resolve and
// close: the operator, the spokesperson, or an admin.
func (p Policy) CanManage(inc *Incident, user string) bool {
	return user != "" && (user == inc.Operator || user == inc.Spokesperson || p.IsAdmin(user))
}

// CanUpdate reports whether user may post status updates.
func (p Policy) CanUpdate(inc *Incident, user string) bool { return p.CanManage(inc, user) }

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

func (p Policy) mustManage(inc *Incident, user, what string) error {
	if p.CanManage(inc, user) {
		return nil
	}
	return Errorf(EUNAUTHORIZED, "Only %s can %s.", p.whoCanManage(inc), what)
}
