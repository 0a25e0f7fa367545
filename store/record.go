package store

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Record tables: how each domain type is stored (see codec.go for the
// encoding). The key carries the IDs, so they are not fields.
//
// To store a new field of a domain type: add one line to its table, with
// the next tag, and append a migration (schema.go) so that an older
// incidentbot refuses the file instead of dropping the field. A migration
// for a new field has nothing to rewrite. Never reuse or renumber a tag.

var incidentRecord = newRecordType("incident",
	uintField(1, "rev", func(x *incident.Incident) *uint64 { return &x.Rev }),
	strField(2, "title", func(x *incident.Incident) *string { return &x.Title }),
	strField(3, "severity", func(x *incident.Incident) *string { return &x.Severity }),
	boolField(4, "private", func(x *incident.Incident) *bool { return &x.Private }),
	strField(5, "status", func(x *incident.Incident) *incident.Status { return &x.Status }),
	strField(6, "impact", func(x *incident.Incident) *string { return &x.Impact }),
	strField(7, "cause", func(x *incident.Incident) *string { return &x.Cause }),
	strField(8, "resolution", func(x *incident.Incident) *string { return &x.Resolution }),
	strField(9, "declared_by", func(x *incident.Incident) *string { return &x.DeclaredBy }),
	strField(10, "operator", func(x *incident.Incident) *string { return &x.Operator }),
	strField(11, "spokesperson", func(x *incident.Incident) *string { return &x.Spokesperson }),
	strField(12, "channel_id", func(x *incident.Incident) *string { return &x.ChannelID }),
	strField(13, "channel_name", func(x *incident.Incident) *string { return &x.ChannelName }),
	strField(14, "card_ts", func(x *incident.Incident) *string { return &x.CardTS }),
	listField(15, "announcements", func(x *incident.Incident) *[]incident.Announcement { return &x.Announcements }, announcementRecord),
	timeField(16, "declared_at", func(x *incident.Incident) *time.Time { return &x.DeclaredAt }),
	timeField(17, "acknowledged_at", func(x *incident.Incident) *time.Time { return &x.AcknowledgedAt }),
	timeField(18, "mitigated_at", func(x *incident.Incident) *time.Time { return &x.MitigatedAt }),
	timeField(19, "resolved_at", func(x *incident.Incident) *time.Time { return &x.ResolvedAt }),
	timeField(20, "closed_at", func(x *incident.Incident) *time.Time { return &x.ClosedAt }),
	timeField(21, "updated_at", func(x *incident.Incident) *time.Time { return &x.UpdatedAt }),
	timeField(22, "next_update_due", func(x *incident.Incident) *time.Time { return &x.NextUpdateDue }),
	intField(23, "reminder_stage", func(x *incident.Incident) *incident.ReminderStage { return &x.Reminder.Stage }),
	listField(24, "pending", func(x *incident.Incident) *[]incident.Reminder { return &x.Pending }, reminderRecord),
	timeField(25, "wake_at", func(x *incident.Incident) *time.Time { return &x.WakeAt }),
	stringsField(26, "pinned", func(x *incident.Incident) *[]string { return &x.Pinned }),
	timeField(27, "archive_at", func(x *incident.Incident) *time.Time { return &x.ArchiveAt }),
	ptrField(28, "handoff", func(x *incident.Incident) **incident.Handoff { return &x.Handoff }, handoffRecord),
	listField(29, "action_items", func(x *incident.Incident) *[]incident.ActionItem { return &x.ActionItems }, actionItemRecord),
	intField(30, "updates", func(x *incident.Incident) *int { return &x.Updates }),
	intField(31, "late_updates", func(x *incident.Incident) *int { return &x.LateUpdates }),
	strField(32, "card_hash", func(x *incident.Incident) *string { return &x.CardHash }),
	strField(33, "topic", func(x *incident.Incident) *string { return &x.Topic }),
	strField(34, "war_room_error", func(x *incident.Incident) *string { return &x.WarRoomError }),
	intField(35, "drafts", func(x *incident.Incident) *int { return &x.Drafts }),
	// Issue 12 (tags 100-119): playbooks, triage, roles, drills.
	strField(100, "type", func(x *incident.Incident) *string { return &x.Type }),
	boolField(101, "drill", func(x *incident.Incident) *bool { return &x.Drill }),
	boolField(102, "no_status_page", func(x *incident.Incident) *bool { return &x.NoStatusPage }),
	stringsField(103, "playbooks", func(x *incident.Incident) *[]string { return &x.Playbooks }),
	listField(104, "checklist", func(x *incident.Incident) *[]incident.Step { return &x.Checklist }, stepRecord),
	listField(105, "checklist_posts", func(x *incident.Incident) *[]incident.ChecklistPost { return &x.ChecklistPosts }, checklistPostRecord),
	listField(106, "crew", func(x *incident.Incident) *[]incident.CrewMember { return &x.Crew }, crewRecord),
	stringsField(107, "roles_needed", func(x *incident.Incident) *[]incident.Role { return &x.RolesNeeded }),
	strField(108, "estimate_experience", func(x *incident.Incident) *incident.Experience { return &x.Estimate.Experience }),
	boolField(109, "estimate_security", func(x *incident.Incident) *bool { return &x.Estimate.Security }),
	intField(110, "estimate_loss_per_hour", func(x *incident.Incident) *int64 { return &x.Estimate.LossPerHour }),
	timeField(111, "estimate_at", func(x *incident.Incident) *time.Time { return &x.Estimate.At }),
	strField(112, "estimate_by", func(x *incident.Incident) *string { return &x.Estimate.By }),
	// Issue 13 (on call): tags 120–139.
	ptrField(120, "page", func(x *incident.Incident) **incident.Page { return &x.Page }, pageRecord),
	// Issue 14 (tags 140-159): alerts, deploys and numbers.
	strField(140, "service", func(x *incident.Incident) *string { return &x.Service }),
	strField(144, "cause_category", func(x *incident.Incident) *string { return &x.CauseCategory }),
	strField(145, "cause_deploy", func(x *incident.Incident) *string { return &x.CauseDeploy }),
	ptrField(146, "alert", func(x *incident.Incident) **incident.AlertRef { return &x.Alert }, alertRefRecord),
	// Issue 15 (tags 160–179): public communication.
	ptrField(161, "customer_summary", func(x *incident.Incident) **incident.CustomerSummary { return &x.CustomerSummary }, customerSummaryRecord),
	stringsField(162, "stakeholders", func(x *incident.Incident) *[]string { return &x.Stakeholders }),
)

var customerSummaryRecord = newRecordType("customer_summary",
	strField(1, "what_happened", func(x *incident.CustomerSummary) *string { return &x.WhatHappened }),
	strField(2, "impact", func(x *incident.CustomerSummary) *string { return &x.Impact }),
	strField(3, "apology", func(x *incident.CustomerSummary) *string { return &x.Apology }),
	strField(4, "changes", func(x *incident.CustomerSummary) *string { return &x.Changes }),
	strField(5, "written_by", func(x *incident.CustomerSummary) *string { return &x.WrittenBy }),
	timeField(6, "written_at", func(x *incident.CustomerSummary) *time.Time { return &x.WrittenAt }),
)

// stepRecord, checklistPostRecord and crewRecord store issue 12's parts of
// an incident.
var stepRecord = newRecordType("step",
	strField(1, "id", func(x *incident.Step) *string { return &x.ID }),
	strField(2, "text", func(x *incident.Step) *string { return &x.Text }),
	strField(3, "owner", func(x *incident.Step) *incident.Role { return &x.Owner }),
	strField(4, "runbook", func(x *incident.Step) *string { return &x.Runbook }),
	boolField(5, "required", func(x *incident.Step) *bool { return &x.Required }),
	boolField(6, "done", func(x *incident.Step) *bool { return &x.Done }),
	strField(7, "done_by", func(x *incident.Step) *string { return &x.DoneBy }),
	timeField(8, "done_at", func(x *incident.Step) *time.Time { return &x.DoneAt }),
)

var checklistPostRecord = newRecordType("checklist_post",
	strField(1, "playbook", func(x *incident.ChecklistPost) *string { return &x.Playbook }),
	strField(2, "ts", func(x *incident.ChecklistPost) *string { return &x.TS }),
	strField(3, "hash", func(x *incident.ChecklistPost) *string { return &x.Hash }),
	strField(4, "title", func(x *incident.ChecklistPost) *string { return &x.Title }),
)

var crewRecord = newRecordType("crew_member",
	strField(1, "role", func(x *incident.CrewMember) *incident.Role { return &x.Role }),
	strField(2, "user", func(x *incident.CrewMember) *string { return &x.User }),
	timeField(3, "since", func(x *incident.CrewMember) *time.Time { return &x.Since }),
)

var announcementRecord = newRecordType("announcement",
	strField(1, "channel_id", func(x *incident.Announcement) *string { return &x.ChannelID }),
	strField(2, "ts", func(x *incident.Announcement) *string { return &x.TS }),
	strField(3, "error", func(x *incident.Announcement) *string { return &x.Error }),
)

var reminderRecord = newRecordType("reminder",
	intField(1, "stage", func(x *incident.Reminder) *incident.ReminderStage { return &x.Stage }),
	timeField(2, "due", func(x *incident.Reminder) *time.Time { return &x.Due }),
	strField(3, "to", func(x *incident.Reminder) *string { return &x.To }),
	intField(4, "attempts", func(x *incident.Reminder) *int { return &x.Attempts }),
	timeField(5, "next_attempt", func(x *incident.Reminder) *time.Time { return &x.NextAttempt }),
)

var handoffRecord = newRecordType("handoff",
	strField(1, "role", func(x *incident.Handoff) *incident.Role { return &x.Role }),
	strField(2, "from", func(x *incident.Handoff) *string { return &x.From }),
	strField(3, "to", func(x *incident.Handoff) *string { return &x.To }),
	strField(4, "brief_state", func(x *incident.Handoff) *string { return &x.Brief.State }),
	strField(5, "brief_in_flight", func(x *incident.Handoff) *string { return &x.Brief.InFlight }),
	strField(6, "brief_watch", func(x *incident.Handoff) *string { return &x.Brief.Watch }),
	timeField(7, "offered_at", func(x *incident.Handoff) *time.Time { return &x.OfferedAt }),
)

var actionItemRecord = newRecordType("action_item",
	intField(1, "id", func(x *incident.ActionItem) *int { return &x.ID }),
	strField(2, "text", func(x *incident.ActionItem) *string { return &x.Text }),
	strField(3, "owner", func(x *incident.ActionItem) *string { return &x.Owner }),
	strField(4, "created_by", func(x *incident.ActionItem) *string { return &x.CreatedBy }),
	timeField(5, "created_at", func(x *incident.ActionItem) *time.Time { return &x.CreatedAt }),
	boolField(6, "done", func(x *incident.ActionItem) *bool { return &x.Done }),
	timeField(7, "done_at", func(x *incident.ActionItem) *time.Time { return &x.DoneAt }),
	strField(8, "done_by", func(x *incident.ActionItem) *string { return &x.DoneBy }),
)

// eventRecord is stored under timeline/itob(incidentID)|itob(seq).
var eventRecord = newRecordType("event",
	timeField(1, "at", func(x *incident.Event) *time.Time { return &x.At }),
	strField(2, "actor", func(x *incident.Event) *string { return &x.Actor }),
	strField(3, "kind", func(x *incident.Event) *incident.EventKind { return &x.Kind }),
	strField(4, "text", func(x *incident.Event) *string { return &x.Text }),
	mapField(5, "fields", func(x *incident.Event) *map[string]string { return &x.Fields }),
)

// effectRecord is stored under outbox/itob(seq).
var effectRecord = newRecordType("effect",
	strField(1, "lane", func(x *incident.Effect) *string { return &x.Lane }),
	strField(2, "kind", func(x *incident.Effect) *string { return &x.Kind }),
	intField(3, "incident_id", func(x *incident.Effect) *int64 { return &x.IncidentID }),
	bytesField(4, "payload", func(x *incident.Effect) *[]byte { return &x.Payload }),
	intField(5, "attempts", func(x *incident.Effect) *int { return &x.Attempts }),
	timeField(6, "not_before", func(x *incident.Effect) *time.Time { return &x.NotBefore }),
	timeField(7, "created_at", func(x *incident.Effect) *time.Time { return &x.CreatedAt }),
)

// requestRecord is stored under inbox/itob(seq).
var requestRecord = newRecordType("request",
	strField(1, "kind", func(x *incident.Request) *string { return &x.Kind }),
	bytesField(2, "payload", func(x *incident.Request) *[]byte { return &x.Payload }),
	timeField(3, "received_at", func(x *incident.Request) *time.Time { return &x.ReceivedAt }),
	intField(4, "attempts", func(x *incident.Request) *int { return &x.Attempts }),
)

// decode decodes a record of type rt; format and args name it in errors.
func decode[T any](rt *recordType[T], data []byte, format string, args ...any) (T, error) {
	var x T
	if err := rt.unmarshal(data, &x); err != nil {
		return x, fmt.Errorf("decode "+format+": %w", append(args, err)...)
	}
	return x, nil
}

// marshalIncident encodes inc for the incidents bucket; its ID is the key.
func marshalIncident(inc *incident.Incident) []byte { return incidentRecord.marshal(inc) }

// unmarshalIncident decodes the incidents value stored under id. Times
// come back in UTC.
func unmarshalIncident(id int64, data []byte) (*incident.Incident, error) {
	inc, err := decode(incidentRecord, data, "incident %d", id)
	if err != nil {
		return nil, err
	}
	inc.ID = id
	return &inc, nil
}

// marshalEvent encodes e for the timeline bucket; its IncidentID and Seq
// are the key.
func marshalEvent(e *incident.Event) []byte { return eventRecord.marshal(e) }

// unmarshalEvent decodes a timeline value stored under id and seq.
func unmarshalEvent(id int64, seq uint64, data []byte) (incident.Event, error) {
	e, err := decode(eventRecord, data, "event %d/%d", id, seq)
	e.IncidentID, e.Seq = id, seq
	return e, err
}

func marshalEffect(e *incident.Effect) []byte { return effectRecord.marshal(e) }

func unmarshalEffect(seq uint64, data []byte) (incident.Effect, error) {
	e, err := decode(effectRecord, data, "effect %d", seq)
	e.Seq = seq
	return e, err
}

func marshalRequest(r *incident.Request) []byte { return requestRecord.marshal(r) }

func unmarshalRequest(seq uint64, data []byte) (incident.Request, error) {
	r, err := decode(requestRecord, data, "request %d", seq)
	r.Seq = seq
	return r, err
}
