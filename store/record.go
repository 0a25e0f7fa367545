package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// recordVersion is the v field written in every JSON record. Bump it (with
// a migration) when a record's meaning changes; adding a field does not
// need it.
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
	CardHash      string               `json:"card_hash,omitempty"`
	Topic         string               `json:"topic,omitempty"`
	WarRoomError  string               `json:"war_room_error,omitempty"`
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
	Drafts      int                `json:"drafts,omitempty"`
}

type announcementRecord struct {
	ChannelID string `json:"channel_id"`
	TS        string `json:"ts"`
	Error     string `json:"error,omitempty"`
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
		CardHash:       inc.CardHash,
		Topic:          inc.Topic,
		WarRoomError:   inc.WarRoomError,
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
		Drafts:         inc.Drafts,
	}
	for _, a := range inc.Announcements {
		r.Announcements = append(r.Announcements, announcementRecord{ChannelID: a.ChannelID, TS: a.TS, Error: a.Error})
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
		CardHash:       r.CardHash,
		Topic:          r.Topic,
		WarRoomError:   r.WarRoomError,
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
		Drafts:         r.Drafts,
	}
	for _, a := range r.Announcements {
		inc.Announcements = append(inc.Announcements, incident.Announcement{ChannelID: a.ChannelID, TS: a.TS, Error: a.Error})
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

// marshalIncident encodes inc for the incidents bucket, times in UTC.
func marshalIncident(inc *incident.Incident) ([]byte, error) {
	return json.Marshal(toIncidentRecord(inc))
}

// unmarshalIncident decodes an incidents value stored under id.
func unmarshalIncident(id int64, data []byte) (*incident.Incident, error) {
	var r incidentRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode incident %d: %w", id, err)
	}
	if r.V > recordVersion {
		return nil, fmt.Errorf("decode incident %d: record version %d is newer than %d", id, r.V, recordVersion)
	}
	return r.incident(id), nil
}

// eventRecord is how an incident.Event is stored under
// timeline/itob(incidentID)|itob(seq); both numbers are the key.
type eventRecord struct {
	V      int               `json:"v"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor,omitempty"`
	Kind   string            `json:"kind"`
	Text   string            `json:"text,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// marshalEvent encodes e for the timeline bucket, its time in UTC.
func marshalEvent(e incident.Event) ([]byte, error) {
	return json.Marshal(eventRecord{
		V: recordVersion, At: utc(e.At), Actor: e.Actor, Kind: string(e.Kind), Text: e.Text, Fields: e.Fields,
	})
}

// unmarshalEvent decodes a timeline value stored under id and seq.
func unmarshalEvent(id int64, seq uint64, data []byte) (incident.Event, error) {
	var r eventRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return incident.Event{}, fmt.Errorf("decode event %d/%d: %w", id, seq, err)
	}
	return incident.Event{
		IncidentID: id, Seq: seq, At: utc(r.At), Actor: r.Actor, Kind: incident.EventKind(r.Kind),
		Text: r.Text, Fields: r.Fields,
	}, nil
}
