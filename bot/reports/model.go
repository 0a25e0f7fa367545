package reports

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

// NotReached is the value of a time-to metric for a milestone the incident
// never reached; it is postmortem.NotReached, so postmortem.Metrics copy
// over as they are.
const NotReached = postmortem.NotReached

// KindUpdate is the ReplayEvent.Kind of a status update (the value of
// incident.EventUpdatePosted): its Text is what the replay shows as the
// latest update from then on.
const KindUpdate = string(incident.EventUpdatePosted)

// Summary is one postmortem as the index lists it.
type Summary struct {
	ID         int64
	Title      string
	Service    string
	Severity   string
	DeclaredAt time.Time
	ResolvedAt time.Time // zero if never resolved
	Metrics    Metrics
}

// Metrics are the numbers the index and the report show, as computed by
// postmortem.ComputeMetrics.
type Metrics struct {
	// TimeToAcknowledge, TimeToMitigate and TimeToResolve run from
	// DeclaredAt; each is NotReached when the incident never got there.
	TimeToAcknowledge time.Duration
	TimeToMitigate    time.Duration
	TimeToResolve     time.Duration
	Updates           int // status updates posted
	LateUpdates       int // of which posted after their due time
}

// MetricsFrom copies the numbers the reports show out of m.
func MetricsFrom(m postmortem.Metrics) Metrics {
	return Metrics{
		TimeToAcknowledge: m.TimeToAcknowledge,
		TimeToMitigate:    m.TimeToMitigate,
		TimeToResolve:     m.TimeToResolve,
		Updates:           m.Updates,
		LateUpdates:       m.LateUpdates,
	}
}

// Report is one postmortem in full.
type Report struct {
	Summary
	// Markdown is the postmortem as written (the draft from
	// postmortem.Draft, edited or not). Raw HTML in it is not rendered.
	Markdown string
	// Events are the timeline, oldest first, for the replay.
	Events []ReplayEvent
}

// ReplayEvent is one step of the timeline replay, with the state of the
// incident just after it.
type ReplayEvent struct {
	At    time.Time
	Actor string // display name of who did it ("incidentbot" for the bot)
	// Kind is the incident.EventKind value ("declared", "update_posted",
	// ...); KindUpdate events feed "latest update".
	Kind string
	Text string // what happened, in words ("took the operator role")
	// Roles maps each role ("operator", "spokesperson") to the display
	// name holding it after this event; a missing or empty value means
	// nobody.
	Roles map[string]string
	// Status and Severity are the incident's after this event.
	Status   string
	Severity string
}

// Source gives the reports site its data. Whoever implements it decides
// what the company may read: closed postmortems of incidents that are not
// private.
type Source interface {
	// FindReports returns the postmortems matching f (see Filter.Match),
	// most recently declared first, at most f.Limit of them.
	FindReports(ctx context.Context, f Filter) ([]Summary, error)
	// FindReportByID returns one postmortem. It returns an error with code
	// incident.ENOTFOUND when there is none that may be shown.
	FindReportByID(ctx context.Context, id int64) (*Report, error)
}

// MemorySource is a Source over reports held in memory, for tests and the
// demo. It is safe for concurrent use.
type MemorySource struct {
	mu      sync.Mutex
	reports []Report
}

var _ Source = (*MemorySource)(nil)

// NewMemorySource returns a source holding rs.
func NewMemorySource(rs ...Report) *MemorySource {
	m := &MemorySource{}
	for _, r := range rs {
		m.Put(r)
	}
	return m
}

// Put adds r, or replaces the report with its ID.
func (m *MemorySource) Put(r Report) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.reports, func(x Report) bool { return x.ID == r.ID })
	if i < 0 {
		m.reports = append(m.reports, r)
	} else {
		m.reports[i] = r
	}
	slices.SortFunc(m.reports, func(a, b Report) int {
		return cmp.Or(b.DeclaredAt.Compare(a.DeclaredAt), cmp.Compare(b.ID, a.ID))
	})
}

// FindReports implements Source.
func (m *MemorySource) FindReports(_ context.Context, f Filter) ([]Summary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Summary
	for _, r := range m.reports {
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
		if f.Match(r.Summary) {
			out = append(out, r.Summary)
		}
	}
	return out, nil
}

// FindReportByID implements Source.
func (m *MemorySource) FindReportByID(_ context.Context, id int64) (*Report, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.reports {
		if r.ID == id {
			return &r, nil
		}
	}
	return nil, incident.Errorf(incident.ENOTFOUND, "There is no postmortem #%d.", id)
}
