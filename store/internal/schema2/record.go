// Package schema2 is the record format of store schemas 1 and 2 (JSON with
// a "v" field), frozen: the 2 → 3 migration decodes it, and benchmarks
// write it to measure what schema 3 saves. Never change it: files written
// by released versions depend on it.
package schema2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// recordVersion is the v field of every record of schemas 1 and 2.
const recordVersion = 1

// incidentRecord is how an incident.Incident is stored under
// incidents/itob(id). The ID is the key, not a field.
type incidentRecord struct {
	V             int                  `json:"v"`
	Rev           uint64               `json:"rev,omitempty"`
	Title         string               `json:"title"`
	Severity      string               `json:"severity"`
	Private       bool                 `json:"private,omitempty"`
	Status        string               `json:"status"`
	Impact        string               `json:"impact,omitempty"`
	Cause         string               `json:"cause,omitempty"`
	Resolution    string               `json:"resolution,omitempty"`
	DeclaredBy    string               `json:"declared_by,omitempty"`
	Operator      string               `json:"operator,omitempty"`
	Spokesperson  string               `json:"spokesperson,omitempty"`
	ChannelID     string               `json:"channel_id,omitempty"`
	ChannelName   string               `json:"channel_name,omitempty"`
	CardTS        string               `json:"card_ts,omitempty"`
	Announcements []announcementRecord `json:"announcements,omitempty"`

	DeclaredAt     time.Time        `json:"declared_at,omitzero"`
	AcknowledgedAt time.Time        `json:"acknowledged_at,omitzero"`
	MitigatedAt    time.Time        `json:"mitigated_at,omitzero"`
	ResolvedAt     time.Time        `json:"resolved_at,omitzero"`
	ClosedAt       time.Time        `json:"closed_at,omitzero"`
	UpdatedAt      time.Time        `json:"updated_at,omitzero"`
	NextUpdateDue  time.Time        `json:"next_update_due,omitzero"`
	ReminderStage  int              `json:"reminder_stage,omitempty"`
	Pending        []reminderRecord `json:"pending,omitempty"`
	WakeAt         time.Time        `json:"wake_at,omitzero"`
	ArchiveAt      time.Time        `json:"archive_at,omitzero"`

	Pinned      []string           `json:"pinned,omitempty"`
	Handoff     *handoffRecord     `json:"handoff,omitempty"`
	ActionItems []actionItemRecord `json:"action_items,omitempty"`
	Updates     int                `json:"updates,omitempty"`
	LateUpdates int                `json:"late_updates,omitempty"`
}

type announcementRecord struct {
	ChannelID string `json:"channel_id"`
	TS        string `json:"ts"`
}

type reminderRecord struct {
	Stage       int       `json:"stage"`
	Due         time.Time `json:"due,omitzero"`
	To          string    `json:"to,omitempty"`
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

type handoffRecord struct {
	Role          string    `json:"role"`
	From          string    `json:"from,omitempty"`
	To            string    `json:"to"`
	BriefState    string    `json:"brief_state,omitempty"`
	BriefInFlight string    `json:"brief_in_flight,omitempty"`
	BriefWatch    string    `json:"brief_watch,omitempty"`
	OfferedAt     time.Time `json:"offered_at,omitzero"`
}

type actionItemRecord struct {
	ID        int       `json:"id"`
	Text      string    `json:"text"`
	Owner     string    `json:"owner,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Done      bool      `json:"done,omitempty"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	DoneBy    string    `json:"done_by,omitempty"`
}

// utc returns t in UTC without a monotonic reading; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func toIncidentRecord(inc *incident.Incident) *incidentRecord {
	r := &incidentRecord{
		V:              recordVersion,
		Rev:            inc.Rev,
		Title:          inc.Title,
		Severity:       inc.Severity,
		Private:        inc.Private,
		Status:         string(inc.Status),
		Impact:         inc.Impact,
		Cause:          inc.Cause,
		Resolution:     inc.Resolution,
		DeclaredBy:     inc.DeclaredBy,
		Operator:       inc.Operator,
		Spokesperson:   inc.Spokesperson,
		ChannelID:      inc.ChannelID,
		ChannelName:    inc.ChannelName,
		CardTS:         inc.CardTS,
		DeclaredAt:     utc(inc.DeclaredAt),
		AcknowledgedAt: utc(inc.AcknowledgedAt),
		MitigatedAt:    utc(inc.MitigatedAt),
		ResolvedAt:     utc(inc.ResolvedAt),
		ClosedAt:       utc(inc.ClosedAt),
		UpdatedAt:      utc(inc.UpdatedAt),
		NextUpdateDue:  utc(inc.NextUpdateDue),
		ReminderStage:  int(inc.Reminder.Stage),
		WakeAt:         utc(inc.WakeAt),
		ArchiveAt:      utc(inc.ArchiveAt),
		Pinned:         append([]string(nil), inc.Pinned...),
		Updates:        inc.Updates,
		LateUpdates:    inc.LateUpdates,
	}
	for _, a := range inc.Announcements {
		r.Announcements = append(r.Announcements, announcementRecord{ChannelID: a.ChannelID, TS: a.TS})
	}
	for _, p := range inc.Pending {
		r.Pending = append(r.Pending, reminderRecord{
			Stage: int(p.Stage), Due: utc(p.Due), To: p.To, Attempts: p.Attempts, NextAttempt: utc(p.NextAttempt),
		})
	}
	if h := inc.Handoff; h != nil {
		r.Handoff = &handoffRecord{
			Role: string(h.Role), From: h.From, To: h.To,
			BriefState: h.Brief.State, BriefInFlight: h.Brief.InFlight, BriefWatch: h.Brief.Watch,
			OfferedAt: utc(h.OfferedAt),
		}
	}
	for _, t := range inc.ActionItems {
		r.ActionItems = append(r.ActionItems, actionItemRecord{
			ID: t.ID, Text: t.Text, Owner: t.Owner, CreatedBy: t.CreatedBy, CreatedAt: utc(t.CreatedAt),
			Done: t.Done, DoneAt: utc(t.DoneAt), DoneBy: t.DoneBy,
		})
	}
	return r
}

func (r *incidentRecord) incident(id int64) *incident.Incident {
	inc := &incident.Incident{
		ID:             id,
		Rev:            r.Rev,
		Title:          r.Title,
		Severity:       r.Severity,
		Private:        r.Private,
		Status:         incident.Status(r.Status),
		Impact:         r.Impact,
		Cause:          r.Cause,
		Resolution:     r.Resolution,
		DeclaredBy:     r.DeclaredBy,
		Operator:       r.Operator,
		Spokesperson:   r.Spokesperson,
		ChannelID:      r.ChannelID,
		ChannelName:    r.ChannelName,
		CardTS:         r.CardTS,
		DeclaredAt:     utc(r.DeclaredAt),
		AcknowledgedAt: utc(r.AcknowledgedAt),
		MitigatedAt:    utc(r.MitigatedAt),
		ResolvedAt:     utc(r.ResolvedAt),
		ClosedAt:       utc(r.ClosedAt),
		UpdatedAt:      utc(r.UpdatedAt),
		NextUpdateDue:  utc(r.NextUpdateDue),
		Reminder:       incident.ReminderState{Stage: incident.ReminderStage(r.ReminderStage)},
		WakeAt:         utc(r.WakeAt),
		ArchiveAt:      utc(r.ArchiveAt),
		Pinned:         append([]string(nil), r.Pinned...),
		Updates:        r.Updates,
		LateUpdates:    r.LateUpdates,
	}
	for _, a := range r.Announcements {
		inc.Announcements = append(inc.Announcements, incident.Announcement{ChannelID: a.ChannelID, TS: a.TS})
	}
	for _, p := range r.Pending {
		inc.Pending = append(inc.Pending, incident.Reminder{
			Stage: incident.ReminderStage(p.Stage), Due: utc(p.Due), To: p.To, Attempts: p.Attempts, NextAttempt: utc(p.NextAttempt),
		})
	}
	if h := r.Handoff; h != nil {
		inc.Handoff = &incident.Handoff{
			Role: incident.Role(h.Role), From: h.From, To: h.To,
			Brief:     incident.Brief{State: h.BriefState, InFlight: h.BriefInFlight, Watch: h.BriefWatch},
			OfferedAt: utc(h.OfferedAt),
		}
	}
	for _, t := range r.ActionItems {
		inc.ActionItems = append(inc.ActionItems, incident.ActionItem{
			ID: t.ID, Text: t.Text, Owner: t.Owner, CreatedBy: t.CreatedBy, CreatedAt: utc(t.CreatedAt),
			Done: t.Done, DoneAt: utc(t.DoneAt), DoneBy: t.DoneBy,
		})
	}
	return inc
}

// MarshalIncident encodes inc as schema 2 did.
func MarshalIncident(inc *incident.Incident) ([]byte, error) {
	return json.Marshal(toIncidentRecord(inc))
}

// UnmarshalIncident decodes an incident record of schema 1 or 2. Unknown
// fields are an error: schema 2 wrote none.
func UnmarshalIncident(id int64, data []byte) (*incident.Incident, error) {
	var r incidentRecord
	if err := decode(data, &r); err != nil {
		return nil, fmt.Errorf("decode incident %d: %w", id, err)
	}
	if r.V != recordVersion {
		return nil, fmt.Errorf("decode incident %d: record version %d is not %d", id, r.V, recordVersion)
	}
	return r.incident(id), nil
}

// decode is json.Unmarshal refusing unknown fields.
func decode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("data after the record")
	}
	return nil
}

// eventRecord is how an incident.Event was stored under
// timeline/itob(incidentID)|itob(seq).
type eventRecord struct {
	V      int               `json:"v"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor,omitempty"`
	Kind   string            `json:"kind"`
	Text   string            `json:"text,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// MarshalEvent encodes e as schema 2 did.
func MarshalEvent(e incident.Event) ([]byte, error) {
	return json.Marshal(eventRecord{
		V: recordVersion, At: utc(e.At), Actor: e.Actor, Kind: string(e.Kind), Text: e.Text, Fields: e.Fields,
	})
}

// UnmarshalEvent decodes a timeline record of schema 1 or 2.
func UnmarshalEvent(id int64, seq uint64, data []byte) (incident.Event, error) {
	var r eventRecord
	if err := decode(data, &r); err != nil {
		return incident.Event{}, fmt.Errorf("decode event %d/%d: %w", id, seq, err)
	}
	if r.V != recordVersion {
		return incident.Event{}, fmt.Errorf("decode event %d/%d: record version %d is not %d", id, seq, r.V, recordVersion)
	}
	return incident.Event{
		IncidentID: id, Seq: seq, At: utc(r.At), Actor: r.Actor, Kind: incident.EventKind(r.Kind),
		Text: r.Text, Fields: r.Fields,
	}, nil
}

// effectRecord is how an incident.Effect was stored under outbox/itob(seq).
type effectRecord struct {
	V    int    `json:"v"`
	Lane string `json:"lane,omitempty"`
	// Key is schema 1's idempotency key. Nothing enqueued effects in
	// schema 1 and schema 2 never read it: an effect's identity is its Seq.
	Key        string    `json:"key,omitempty"`
	Kind       string    `json:"kind"`
	IncidentID int64     `json:"incident_id,omitempty"`
	Payload    []byte    `json:"payload,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	NotBefore  time.Time `json:"not_before,omitzero"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

// MarshalEffect encodes e as schema 2 did.
func MarshalEffect(e incident.Effect) ([]byte, error) {
	return json.Marshal(effectRecord{
		V: recordVersion, Lane: e.Lane, Kind: e.Kind, IncidentID: e.IncidentID, Payload: e.Payload,
		Attempts: e.Attempts, NotBefore: utc(e.NotBefore), CreatedAt: utc(e.CreatedAt),
	})
}

// UnmarshalEffect decodes an outbox record of schema 1 or 2.
func UnmarshalEffect(seq uint64, data []byte) (incident.Effect, error) {
	var r effectRecord
	if err := decode(data, &r); err != nil {
		return incident.Effect{}, fmt.Errorf("decode effect %d: %w", seq, err)
	}
	if r.V != recordVersion {
		return incident.Effect{}, fmt.Errorf("decode effect %d: record version %d is not %d", seq, r.V, recordVersion)
	}
	return incident.Effect{
		Seq: seq, Lane: r.Lane, Kind: r.Kind, IncidentID: r.IncidentID, Payload: r.Payload,
		Attempts: r.Attempts, NotBefore: utc(r.NotBefore), CreatedAt: utc(r.CreatedAt),
	}, nil
}

// requestRecord is how an incident.Request was stored under inbox/itob(seq).
type requestRecord struct {
	V          int       `json:"v"`
	Kind       string    `json:"kind"`
	Payload    []byte    `json:"payload,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
	Attempts   int       `json:"attempts,omitempty"`
}

// MarshalRequest encodes r as schema 2 did.
func MarshalRequest(r incident.Request) ([]byte, error) {
	return json.Marshal(requestRecord{V: recordVersion, Kind: r.Kind, Payload: r.Payload, ReceivedAt: utc(r.ReceivedAt), Attempts: r.Attempts})
}

// UnmarshalRequest decodes an inbox record of schema 2.
func UnmarshalRequest(seq uint64, data []byte) (incident.Request, error) {
	var r requestRecord
	if err := decode(data, &r); err != nil {
		return incident.Request{}, fmt.Errorf("decode request %d: %w", seq, err)
	}
	if r.V != recordVersion {
		return incident.Request{}, fmt.Errorf("decode request %d: record version %d is not %d", seq, r.V, recordVersion)
	}
	return incident.Request{Seq: seq, Kind: r.Kind, Payload: r.Payload, ReceivedAt: utc(r.ReceivedAt), Attempts: r.Attempts}, nil
}
