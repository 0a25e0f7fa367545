package postmortem

import (
	"maps"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// ExportSchema identifies the export format; EXPORT.md documents it. It
// changes only when a field changes meaning or goes away.
const ExportSchema = "incidentbot.export/v1"

// ExportIncident is the JSON export of one incident. Times are RFC 3339 in
// UTC and absent when zero; durations are whole seconds.
type ExportIncident struct {
	Schema      string             `json:"schema"`
	ID          int64              `json:"id"`
	Title       string             `json:"title"`
	Severity    string             `json:"severity"`
	Private     bool               `json:"private"`
	Status      string             `json:"status"`
	Impact      string             `json:"impact,omitempty"`
	Cause       string             `json:"cause,omitempty"`
	Resolution  string             `json:"resolution,omitempty"`
	ChannelID   string             `json:"channel_id,omitempty"`
	ChannelName string             `json:"channel_name,omitempty"`
	DeclaredBy  string             `json:"declared_by"`
	Roles       ExportRoles        `json:"roles"`
	Times       ExportTimes        `json:"times"`
	ActionItems []ExportActionItem `json:"action_items"`
	Events      []ExportEvent      `json:"events"`
	Metrics     ExportMetrics      `json:"metrics"`
	// People maps the user IDs in the export to their names, when
	// Options.UserName is set.
	People     map[string]string `json:"people,omitempty"`
	ExportedAt string            `json:"exported_at"`
	// Issue 12: the type, a drill, the playbooks that ran and their
	// checklist, the impact estimate.
	Type      string          `json:"type,omitempty"`
	Drill     bool            `json:"drill,omitempty"`
	Playbooks []string        `json:"playbooks,omitempty"`
	Checklist []ExportStep    `json:"checklist,omitempty"`
	Estimate  *ExportEstimate `json:"estimate,omitempty"`
}

// ExportStep is one checklist step of a playbook that ran.
type ExportStep struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Owner    string `json:"owner,omitempty"`
	Required bool   `json:"required,omitempty"`
	Done     bool   `json:"done"`
	DoneBy   string `json:"done_by,omitempty"`
	DoneAt   string `json:"done_at,omitempty"`
}

// ExportEstimate is the latest impact estimate.
type ExportEstimate struct {
	Experience  string `json:"experience,omitempty"`
	Security    bool   `json:"security,omitempty"`
	LossPerHour int64  `json:"loss_per_hour,omitempty"`
	At          string `json:"at,omitempty"`
	By          string `json:"by,omitempty"`
}

// ExportRoles is who holds each role now.
type ExportRoles struct {
	Operator     string `json:"operator,omitempty"`
	Spokesperson string `json:"spokesperson,omitempty"`
	// Others are the holders of the roles of the config's roles, by role.
	Others map[string][]string `json:"others,omitempty"`
}

// ExportTimes are the incident's milestones.
type ExportTimes struct {
	DeclaredAt     string `json:"declared_at,omitempty"`
	AcknowledgedAt string `json:"acknowledged_at,omitempty"`
	MitigatedAt    string `json:"mitigated_at,omitempty"`
	ResolvedAt     string `json:"resolved_at,omitempty"`
	ClosedAt       string `json:"closed_at,omitempty"`
}

// ExportActionItem is one follow-up task.
type ExportActionItem struct {
	ID        int    `json:"id"`
	Text      string `json:"text"`
	Owner     string `json:"owner,omitempty"`
	CreatedBy string `json:"created_by,omitempty"`
	CreatedAt string `json:"created_at,omitempty"`
	Done      bool   `json:"done"`
	DoneBy    string `json:"done_by,omitempty"`
	DoneAt    string `json:"done_at,omitempty"`
}

// ExportEvent is one timeline event.
type ExportEvent struct {
	Seq    uint64            `json:"seq"`
	At     string            `json:"at"`
	Actor  string            `json:"actor,omitempty"` // absent: incidentbot
	Kind   string            `json:"kind"`
	Text   string            `json:"text,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
	// Redacted is set on a pinned message, and its edits, deleted later
	// from Slack: their text, permalink and files are left out.
	Redacted bool `json:"redacted,omitempty"`
}

// ExportMetrics are Metrics in seconds. A time-to metric is absent when
// the incident did not reach the milestone.
type ExportMetrics struct {
	TimeToAcknowledgeSeconds *int64 `json:"time_to_acknowledge_seconds,omitempty"`
	TimeToMitigateSeconds    *int64 `json:"time_to_mitigate_seconds,omitempty"`
	TimeToResolveSeconds     *int64 `json:"time_to_resolve_seconds,omitempty"`
	DurationSeconds          int64  `json:"duration_seconds"`
	Resolved                 bool   `json:"resolved"`
	Updates                  int    `json:"updates"`
	LateUpdates              int    `json:"late_updates"`
	Reminders                int    `json:"reminders"`
	Escalations              int    `json:"escalations"`
	Snoozes                  int    `json:"snoozes"`
	SeverityChanges          int    `json:"severity_changes"`
	StatusChanges            int    `json:"status_changes"`
	Handoffs                 int    `json:"handoffs"`
	Notes                    int    `json:"notes"`
	ActionItems              int    `json:"action_items"`
	OpenActionItems          int    `json:"open_action_items"`
	Events                   int    `json:"events"`
}

// Export builds the JSON export of inc and its timeline. Text is kept as
// Slack sent it (with its entities), except the text of deleted messages.
// Only o.UserName and o.Now are used.
func Export(inc *incident.Incident, events []incident.Event, o Options) ExportIncident {
	m := ComputeMetrics(inc, events)
	x := ExportIncident{
		Schema:      ExportSchema,
		ID:          inc.ID,
		Title:       inc.Title,
		Severity:    inc.Severity,
		Private:     inc.Private,
		Status:      string(inc.Status),
		Impact:      inc.Impact,
		Cause:       inc.Cause,
		Resolution:  inc.Resolution,
		ChannelID:   inc.ChannelID,
		ChannelName: inc.ChannelName,
		DeclaredBy:  inc.DeclaredBy,
		Roles:       ExportRoles{Operator: inc.Operator, Spokesperson: inc.Spokesperson},
		Times: ExportTimes{
			DeclaredAt:     rfc3339(inc.DeclaredAt),
			AcknowledgedAt: rfc3339(inc.AcknowledgedAt),
			MitigatedAt:    rfc3339(inc.MitigatedAt),
			ResolvedAt:     rfc3339(inc.ResolvedAt),
			ClosedAt:       rfc3339(inc.ClosedAt),
		},
		ActionItems: make([]ExportActionItem, 0, len(inc.ActionItems)),
		Events:      make([]ExportEvent, 0, len(events)),
		Metrics: ExportMetrics{
			TimeToAcknowledgeSeconds: seconds(m.TimeToAcknowledge),
			TimeToMitigateSeconds:    seconds(m.TimeToMitigate),
			TimeToResolveSeconds:     seconds(m.TimeToResolve),
			DurationSeconds:          int64(m.Duration / time.Second),
			Resolved:                 m.Resolved,
			Updates:                  m.Updates,
			LateUpdates:              m.LateUpdates,
			Reminders:                m.Reminders,
			Escalations:              m.Escalations,
			Snoozes:                  m.Snoozes,
			SeverityChanges:          m.SeverityChanges,
			StatusChanges:            m.StatusChanges,
			Handoffs:                 m.Handoffs,
			Notes:                    m.Notes,
			ActionItems:              m.ActionItems,
			OpenActionItems:          m.OpenActionItems,
			Events:                   m.Events,
		},
		ExportedAt: rfc3339(o.now()),
	}
	people := map[string]bool{inc.DeclaredBy: true, inc.Operator: true, inc.Spokesperson: true}
	exportPlaybooks(&x, inc, people)
	for _, t := range inc.ActionItems {
		x.ActionItems = append(x.ActionItems, ExportActionItem{
			ID: t.ID, Text: t.Text, Owner: t.Owner, CreatedBy: t.CreatedBy, CreatedAt: rfc3339(t.CreatedAt),
			Done: t.Done, DoneBy: t.DoneBy, DoneAt: rfc3339(t.DoneAt),
		})
		people[t.Owner], people[t.CreatedBy], people[t.DoneBy] = true, true, true
	}
	deleted := make(map[string]bool)
	for _, e := range events {
		if e.Kind == incident.EventMessageDeleted {
			deleted[e.Field("ts")] = true
		}
	}
	for _, e := range events {
		xe := ExportEvent{Seq: e.Seq, At: rfc3339(e.At), Actor: e.Actor, Kind: string(e.Kind), Text: e.Text, Fields: e.Fields}
		if (e.Kind == incident.EventMessagePinned || e.Kind == incident.EventMessageEdited) && deleted[e.Field("ts")] {
			xe.Text, xe.Redacted = "", true
			xe.Fields = maps.Clone(e.Fields)
			delete(xe.Fields, "permalink")
			delete(xe.Fields, "files")
		}
		if len(xe.Fields) == 0 {
			xe.Fields = nil
		}
		x.Events = append(x.Events, xe)
		people[e.Actor] = true
		for _, k := range userFields(e.Kind) {
			people[e.Field(k)] = true
		}
	}
	if o.UserName != nil {
		x.People = make(map[string]string)
		for id := range people {
			if id == "" {
				continue
			}
			if n := o.UserName(id); n != "" {
				x.People[id] = n
			}
		}
	}
	return x
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func seconds(d time.Duration) *int64 {
	if d == NotReached {
		return nil
	}
	s := int64(d / time.Second)
	return &s
}

// userFields names the event fields that hold user IDs.
func userFields(k incident.EventKind) []string {
	switch k {
	case incident.EventRoleAssigned, incident.EventHandoffOffered, incident.EventHandoffAccepted, incident.EventHandoffCancelled:
		return []string{"from", "to"}
	case incident.EventReminderHeadsUp, incident.EventReminderDue, incident.EventEscalated:
		return []string{"to"}
	case incident.EventMessagePinned:
		return []string{"author"}
	case incident.EventTaskAdded:
		return []string{"owner"}
	case incident.EventRoleRemoved:
		return []string{"user"}
	}
	return nil
}
