package incident

import (
	"strconv"
	"strings"
	"time"
)

// DeclareRequest is what someone supplies to declare an incident.
type DeclareRequest struct {
	Title      string
	Severity   string // empty means the policy's default
	Private    bool
	Impact     string
	DeclaredBy string
	Operator   string // empty means the declarer (nobody, for a drill)

	// Type is the incident type (see Incident.Type); Drill declares a
	// practice incident, which starts with no operator so that the time
	// the team takes to fill the role is measured. Estimate is the impact
	// estimated at declare; with no Severity, the severity it proposes is
	// used. Issue 12.
	Type     string
	Drill    bool
	Estimate Estimate
	// Service is the service affected; optional (issue 14).
	Service string
}

// CheckTitle validates an incident title.
func CheckTitle(title string) error {
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		return Errorf(EINVALID, "An incident needs a title: say in a few words what is broken.")
	case len([]rune(title)) > MaxTitleLen:
		return Errorf(EINVALID, "The title is %d characters long; keep it to %d. Put details in the impact or a note.", len([]rune(title)), MaxTitleLen)
	case hasBroadcast(title):
		return Errorf(EINVALID, "Titles cannot contain @channel, @here, @everyone or a user group; the title is repeated in announcements.")
	}
	return nil
}

func hasBroadcast(s string) bool {
	return strings.Contains(s, "<!channel") || strings.Contains(s, "<!here") || strings.Contains(s, "<!everyone") ||
		strings.Contains(s, "<!subteam^")
}

// Declare creates a new incident. The store assigns its ID; the events are
// appended to its timeline in the same transaction.
func Declare(p Policy, r DeclareRequest, now time.Time) (*Incident, []Event, error) {
	if err := CheckTitle(r.Title); err != nil {
		return nil, nil, err
	}
	if r.DeclaredBy == "" {
		return nil, nil, Errorf(EINVALID, "Someone must declare the incident.")
	}
	if err := CheckLoss(r.Estimate.LossPerHour); err != nil {
		return nil, nil, err
	}
	if err := CheckService(r.Service); err != nil {
		return nil, nil, err
	}
	sevName := r.Severity
	if l, ok := p.Propose(r.Estimate); ok && sevName == "" {
		sevName = l.Severity
	}
	if sevName == "" {
		sevName = p.DefaultSeverity
	}
	sev, err := p.Severity(sevName)
	if err != nil {
		return nil, nil, err
	}
	op := r.Operator
	if op == "" && !r.Drill {
		op = r.DeclaredBy
	}
	inc := &Incident{
		Title:         strings.TrimSpace(r.Title),
		Severity:      sev.Name,
		Private:       r.Private,
		Status:        StatusInvestigating,
		Impact:        strings.TrimSpace(r.Impact),
		Service:       strings.TrimSpace(r.Service),
		DeclaredBy:    r.DeclaredBy,
		Operator:      op,
		DeclaredAt:    now,
		UpdatedAt:     now,
		NextUpdateDue: now.Add(p.Cadence(sev.Name)),
		Type:          r.Type,
		Drill:         r.Drill,
	}
	// A declarer who leads is there: acknowledged at once. An operator
	// named by someone else acknowledges when they answer (see
	// AcknowledgePage), so that time to acknowledge measures something.
	if op == r.DeclaredBy {
		inc.AcknowledgedAt = now
	}
	kv := []string{"severity", sev.Name, "private", strconv.FormatBool(r.Private), "impact", inc.Impact,
		"next_update", formatTime(inc.NextUpdateDue), "type", r.Type, "drill", boolField(r.Drill), "service", inc.Service}
	if !r.Estimate.Empty() {
		inc.Estimate = r.Estimate
		inc.Estimate.At, inc.Estimate.By = now, r.DeclaredBy
		kv = append(kv, estimateFields(p, inc.Estimate)...)
	}
	inc.Replan(p)
	evs := []Event{newEvent(EventDeclared, r.DeclaredBy, now, inc.Title, kv...)}
	if op != "" {
		evs = append(evs, newEvent(EventRoleAssigned, r.DeclaredBy, now, "", "role", string(RoleOperator), "to", op))
	}
	return inc, evs, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func boolField(b bool) string {
	if b {
		return "true"
	}
	return ""
}
