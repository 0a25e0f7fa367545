package incident

import "time"

// EventKind names what happened.
type EventKind string

// The kinds of timeline events.
const (
	EventDeclared         EventKind = "declared"
	EventSeverityChanged  EventKind = "severity_changed"
	EventStatusChanged    EventKind = "status_changed"
	EventRoleAssigned     EventKind = "role_assigned"
	EventHandoffOffered   EventKind = "handoff_offered"
	EventHandoffAccepted  EventKind = "handoff_accepted"
	EventHandoffCancelled EventKind = "handoff_cancelled"
	EventUpdatePosted     EventKind = "update_posted"
	EventNote             EventKind = "note"
	EventMessagePinned    EventKind = "message_pinned"
	EventMessageEdited    EventKind = "message_edited"
	EventMessageDeleted   EventKind = "message_deleted"
	EventResolved         EventKind = "resolved"
	EventClosed           EventKind = "closed"
	EventReopened         EventKind = "reopened"
	EventCauseRecorded    EventKind = "cause_recorded"
	EventImpactRecorded   EventKind = "impact_recorded"
	EventTaskAdded        EventKind = "task_added"
	EventTaskDone         EventKind = "task_done"
	EventTaskReopened     EventKind = "task_reopened"
	EventReminderHeadsUp  EventKind = "reminder_heads_up"
	EventReminderDue      EventKind = "reminder_due"
	EventEscalated        EventKind = "escalated"
	EventSnoozed          EventKind = "snoozed"
	EventPostmortem       EventKind = "postmortem_drafted"
	EventChannelCreated   EventKind = "channel_created"
	EventArchived         EventKind = "channel_archived"
	EventCancelled        EventKind = "cancelled"
	// EventDeliveryFailed records something incidentbot could not say in
	// Slack (a reminder, an announcement) and gave up on.
	EventDeliveryFailed EventKind = "delivery_failed"

	// Issue 12: playbooks, checklists and roles beyond the two.
	EventPlaybookRun EventKind = "playbook_run"
	EventStepDone    EventKind = "step_done"
	EventStepUndone  EventKind = "step_undone"
	EventRoleRemoved EventKind = "role_removed"

	// Paging (issue 13): a level paged, a level that paged nobody, paging
	// given up, and the acknowledgement (its actor clicked Acknowledge).
	EventPaged            EventKind = "paged"
	EventPageSkipped      EventKind = "page_skipped"
	EventPageExhausted    EventKind = "page_exhausted"
	EventPageAcknowledged EventKind = "page_acknowledged"
)

// Event is one immutable entry of an incident's timeline.
type Event struct {
	IncidentID int64
	// Seq orders events within an incident; the store assigns it.
	Seq   uint64
	At    time.Time
	Actor string // Slack user ID, or "" for incidentbot itself
	Kind  EventKind
	// Text is what a person wrote (update, note, pinned message, brief).
	Text string
	// Fields carries the structured details of the event, e.g. "from"/"to"
	// for a severity change or "ts" for a pinned message.
	Fields map[string]string
}

// Field returns the named field, or "".
func (e Event) Field(name string) string { return e.Fields[name] }

func newEvent(kind EventKind, actor string, now time.Time, text string, kv ...string) Event {
	e := Event{At: now, Actor: actor, Kind: kind, Text: text}
	if len(kv) > 0 {
		e.Fields = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				e.Fields[kv[i]] = kv[i+1]
			}
		}
	}
	return e
}
