package incident

import (
	"context"
	"time"
)

// Store keeps incidents, their timelines, the inbox of acknowledged
// requests and the outbox of effects. Every method that writes applies its
// whole Change in one transaction.
type Store interface {
	// CreateIncident assigns inc.ID (the next incident number), stores it
	// and applies ch (events appended to its timeline; effects whose
	// IncidentID is 0 get the new ID), in one transaction. It returns ch as
	// stored: events with IncidentID and Seq, effects with Seq.
	CreateIncident(ctx context.Context, inc *Incident, ch Change) (Change, error)
	// UpdateIncident loads incident id, calls fn with a copy of it, and
	// stores the changed incident and applies the Change fn returns, in one
	// transaction. If fn returns an error nothing is written and the error
	// is returned as is. fn may run more than once, so it must do nothing
	// but change inc and build the Change. Returns ENOTFOUND when the
	// incident does not exist.
	UpdateIncident(ctx context.Context, id int64, fn func(inc *Incident) (Change, error)) (*Incident, Change, error)
	// UpdateIncidents is UpdateIncident for each of ids at once, in as
	// few transactions as the store can; each incident's change stands or
	// fails alone. Results are in the order of ids.
	UpdateIncidents(ctx context.Context, ids []int64, fn func(inc *Incident) (Change, error)) []Updated
	// Apply writes a change that touches no incident: effects to enqueue,
	// effects done, a request finished. ch.Events must be empty (EINVALID).
	Apply(ctx context.Context, ch Change) (Change, error)

	// FindIncidentByID returns ENOTFOUND when there is no such incident.
	FindIncidentByID(ctx context.Context, id int64) (*Incident, error)
	// FindIncidentByChannel returns the incident whose war room is
	// channelID, or ENOTFOUND.
	FindIncidentByChannel(ctx context.Context, channelID string) (*Incident, error)
	// FindIncidents lists incidents matching f, newest first.
	FindIncidents(ctx context.Context, f Filter) ([]*Incident, error)
	// FindIncidentsPage lists one page of the incidents matching f, newest
	// first: up to f.Limit whose ID is below before (0: the newest). next
	// is the cursor of the following page, 0 when none is left.
	FindIncidentsPage(ctx context.Context, f Filter, before int64) (incs []*Incident, next int64, err error)
	// CountOpen returns the number of incidents not yet ended, without
	// reading them.
	CountOpen(ctx context.Context) (int, error)
	// Version changes whenever a write may have changed what the store
	// holds, so that what was read after Version returned v can be reused
	// while it still returns v.
	Version() uint64
	// Events returns incident id's timeline in order.
	Events(ctx context.Context, id int64) ([]Event, error)
	// DueIncidents returns the IDs of incidents whose WakeAt is at or
	// before now, earliest first, reading only the due-time index.
	DueIncidents(ctx context.Context, now time.Time, limit int) ([]int64, error)

	// Receive stores r in the inbox unless one of keys (envelope, event or
	// trigger IDs) was seen before, in which case it stores nothing and
	// reports dup. The keys are remembered for deduplication.
	Receive(ctx context.Context, r Request, keys []string) (seq uint64, dup bool, err error)
	// Seen reports whether any of keys was recorded by Receive.
	Seen(ctx context.Context, keys []string) (bool, error)
	// Requests returns up to limit (<= 0: all) unfinished requests, oldest
	// first.
	Requests(ctx context.Context, limit int) ([]Request, error)
	// RetryRequest records a failed processing attempt of request seq.
	RetryRequest(ctx context.Context, seq uint64) error

	// PendingEffects returns up to limit (<= 0: all) effects not yet done,
	// in Seq order, whatever their NotBefore.
	PendingEffects(ctx context.Context, limit int) ([]Effect, error)
	// RetryEffect records a failed delivery of effect seq: its attempt
	// count and when to try again. Returns ENOTFOUND when it is gone.
	RetryEffect(ctx context.Context, seq uint64, attempts int, notBefore time.Time) error
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

// Updated is the outcome of one incident's change in UpdateIncidents: the
// incident and change as stored, or the error that left it unchanged.
type Updated struct {
	ID       int64
	Incident *Incident
	Change   Change
	Err      error
}
