package postmortem

import (
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// NotReached is the value of a time-to metric for a milestone the incident
// never reached (e.g. TimeToResolve of an open incident).
const NotReached time.Duration = -1

// Metrics are the numbers of one incident's response.
type Metrics struct {
	// TimeToAcknowledge, TimeToMitigate and TimeToResolve run from
	// DeclaredAt to AcknowledgedAt, MitigatedAt and ResolvedAt; each is
	// NotReached when the incident has not got there.
	TimeToAcknowledge time.Duration
	TimeToMitigate    time.Duration
	TimeToResolve     time.Duration
	// Duration runs from DeclaredAt to ResolvedAt or, while the incident is
	// open, to its latest event.
	Duration time.Duration
	Resolved bool

	Updates         int // update_posted events
	LateUpdates     int // of which posted after their due time (late=true)
	Reminders       int // heads-ups and due-time nudges sent
	Escalations     int // escalated events: updates badly overdue
	Snoozes         int
	SeverityChanges int
	StatusChanges   int
	Handoffs        int // handoffs accepted
	Notes           int // notes and pinned messages
	ActionItems     int
	OpenActionItems int
	Events          int
}

// ComputeMetrics measures inc from its fields and its timeline.
func ComputeMetrics(inc *incident.Incident, events []incident.Event) Metrics {
	m := Metrics{
		TimeToAcknowledge: since(inc.DeclaredAt, inc.AcknowledgedAt),
		TimeToMitigate:    since(inc.DeclaredAt, inc.MitigatedAt),
		TimeToResolve:     since(inc.DeclaredAt, inc.ResolvedAt),
		Resolved:          !inc.ResolvedAt.IsZero(),
		ActionItems:       len(inc.ActionItems),
		OpenActionItems:   inc.OpenTasks(),
		Events:            len(events),
	}
	switch {
	case m.Resolved:
		m.Duration = inc.ResolvedAt.Sub(inc.DeclaredAt)
	case len(events) > 0:
		m.Duration = max(0, events[len(events)-1].At.Sub(inc.DeclaredAt))
	}
	for _, e := range events {
		switch e.Kind {
		case incident.EventUpdatePosted:
			m.Updates++
			if e.Field("late") == "true" {
				m.LateUpdates++
			}
		case incident.EventReminderHeadsUp, incident.EventReminderDue:
			m.Reminders++
		case incident.EventEscalated:
			m.Escalations++
		case incident.EventSnoozed:
			m.Snoozes++
		case incident.EventSeverityChanged:
			m.SeverityChanges++
		case incident.EventStatusChanged:
			m.StatusChanges++
		case incident.EventHandoffAccepted:
			m.Handoffs++
		case incident.EventNote, incident.EventMessagePinned:
			m.Notes++
		}
	}
	return m
}

func since(from, to time.Time) time.Duration {
	if from.IsZero() || to.IsZero() {
		return NotReached
	}
	return max(0, to.Sub(from))
}

// formatMetric renders a time-to metric, "—" when not reached.
func formatMetric(d time.Duration) string {
	if d == NotReached {
		return "—"
	}
	return incident.FormatDuration(d)
}
