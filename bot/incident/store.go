package incident

import (
	"context"
	"time"
)

// Store keeps incidents and their timelines. Implementations must apply an
// incident change and its events atomically.
type Store interface {
	// CreateIncident assigns inc.ID (the next incident number), stores it
	// and appends events to its timeline, in one transaction.
	CreateIncident(ctx context.Context, inc *Incident, events []Event) error
	// UpdateIncident loads incident id, calls fn with it, and stores the
	// changed incident and the events fn returns, in one transaction. If fn
	// returns an error nothing is written and the error is returned.
	// Returns ENOTFOUND when the incident does not exist.
	UpdateIncident(ctx context.Context, id int64, fn func(inc *Incident) ([]Event, error)) (*Incident, []Event, error)
	// FindIncidentByID returns ENOTFOUND when there is no such incident.
	FindIncidentByID(ctx context.Context, id int64) (*Incident, error)
	// FindIncidentByChannel returns the incident whose war room is
	// channelID, or ENOTFOUND.
	FindIncidentByChannel(ctx context.Context, channelID string) (*Incident, error)
	// FindIncidents lists incidents matching f, newest first.
	FindIncidents(ctx context.Context, f Filter) ([]*Incident, error)
	// Events returns incident id's timeline in order.
	Events(ctx context.Context, id int64) ([]Event, error)
	// DueIncidents returns the IDs of incidents whose WakeAt is at or
	// before now, earliest first, reading only the due-time index.
	DueIncidents(ctx context.Context, now time.Time, limit int) ([]int64, error)
	// FirstTime records key (an envelope or event id) and reports whether
	// it was new. It makes redelivered envelopes and double submissions act
	// once.
	FirstTime(ctx context.Context, key string, now time.Time) (bool, error)
}

// Filter selects incidents.
type Filter struct {
	// OpenOnly reads the open-incident index instead of every incident.
	OpenOnly bool
	// Since keeps incidents declared at or after it.
	Since time.Time
	// Limit caps the result; 0 means no cap.
	Limit int
}
