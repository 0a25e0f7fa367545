package incident

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Facts are the part of an incident that statistics and metrics read. The
// store keeps them in an index ordered by declaration time, so that
// figures over a window read the window only, and never whole incidents.
type Facts struct {
	ID       int64
	Severity string
	Status   Status
	Type     string
	// Service is ServiceKey of the incident's service.
	Service        string
	Private        bool
	Drill          bool
	DeclaredAt     time.Time
	AcknowledgedAt time.Time
	MitigatedAt    time.Time
	ResolvedAt     time.Time
	Updates        int
	LateUpdates    int
	CauseCategory  string
	CauseDeploy    string
}

// FactsOf returns the facts of inc.
func FactsOf(inc *Incident) Facts {
	return Facts{
		ID: inc.ID, Severity: inc.Severity, Status: inc.Status, Type: inc.Type, Service: ServiceKey(inc.Service),
		Private: inc.Private, Drill: inc.Drill,
		DeclaredAt: inc.DeclaredAt, AcknowledgedAt: inc.AcknowledgedAt, MitigatedAt: inc.MitigatedAt, ResolvedAt: inc.ResolvedAt,
		Updates: inc.Updates, LateUpdates: inc.LateUpdates, CauseCategory: inc.CauseCategory, CauseDeploy: inc.CauseDeploy,
	}
}

// Counted reports whether the incident counts in statistics and metrics:
// drills and cancelled incidents (declared by mistake) do not.
func (f Facts) Counted() bool { return !f.Drill && f.Status != StatusCancelled }

// TimeTo returns how long after its declaration the incident reached t,
// and whether it did.
func (f Facts) TimeTo(t time.Time) (time.Duration, bool) {
	if t.IsZero() || f.DeclaredAt.IsZero() {
		return 0, false
	}
	return max(0, t.Sub(f.DeclaredAt)), true
}

// StatsQuery selects what Stats covers: incidents declared and deploys
// made in [Since, Until), of Service when set (ServiceKey form).
type StatsQuery struct {
	Since   time.Time
	Until   time.Time
	Service string
}

// SeverityCount is how many incidents had one severity.
type SeverityCount struct {
	Severity string
	Count    int
}

// ServiceCFR is the change failure rate of one service: of its Deploys in
// the window, Failed were pointed at by an incident's cause.
type ServiceCFR struct {
	Service string
	Deploys int
	Failed  int
}

// Rate returns Failed/Deploys, and false when there were no deploys.
func (s ServiceCFR) Rate() (float64, bool) {
	if s.Deploys == 0 {
		return 0, false
	}
	return float64(s.Failed) / float64(s.Deploys), true
}

// WeekCount is how many incidents were declared in the week starting
// Start (a Monday, UTC), by severity in policy order.
type WeekCount struct {
	Start time.Time
	Count []int
}

// Stats are the response figures of a window.
type Stats struct {
	Query StatsQuery
	// Incidents counts the incidents declared in the window that count
	// (Facts.Counted); BySeverity splits them by severity, in the policy's
	// order, then any other severity by name. Drills and Cancelled count
	// what was left out.
	Incidents  int
	BySeverity []SeverityCount
	Drills     int
	Cancelled  int
	// Acknowledged incidents give MTTA, the mean time from declaration to
	// the first operator; Resolved incidents give MTTR, to resolution.
	Acknowledged int
	MTTA         time.Duration
	Resolved     int
	MTTR         time.Duration
	// Updates were posted, LateUpdates of them after their due time.
	Updates     int
	LateUpdates int
	// ByCause counts the incidents by cause category ("" for none).
	ByCause map[string]int
	// Changes is the change failure rate of every service that deployed in
	// the window (only Query.Service with one), by service name; Total sums
	// them.
	Changes []ServiceCFR
	Total   ServiceCFR
	// Weeks counts incidents per week, oldest first, for a chart.
	Weeks []WeekCount
}

// OnTimeRate returns the share of updates posted on time, and false when
// none was posted.
func (s Stats) OnTimeRate() (float64, bool) {
	if s.Updates == 0 {
		return 0, false
	}
	return float64(s.Updates-s.LateUpdates) / float64(s.Updates), true
}

// StatsBuilder computes Stats from a stream of facts and deploys, holding
// only per-window totals and the keys of the window's deploys: add the
// deploys first (AddDeploy), then the incidents (AddFacts), then call
// Stats.
type StatsBuilder struct {
	q          StatsQuery
	severities []string
	s          Stats
	sev        map[string]int
	ackSum     time.Duration
	resSum     time.Duration
	// deploys maps the Key of each deploy in the window to its service.
	deploys map[string]string
	failed  map[string]bool
	weeks   map[time.Time][]int
}

// NewStatsBuilder starts the figures of q; severities gives their order.
func NewStatsBuilder(q StatsQuery, severities []string) *StatsBuilder {
	q.Service = ServiceKey(q.Service)
	return &StatsBuilder{
		q: q, severities: severities, s: Stats{Query: q, ByCause: map[string]int{}},
		sev: map[string]int{}, deploys: map[string]string{}, failed: map[string]bool{}, weeks: map[time.Time][]int{},
	}
}

// inWindow reports whether t is in [Since, Until).
func (b *StatsBuilder) inWindow(t time.Time) bool {
	return !t.Before(b.q.Since) && (b.q.Until.IsZero() || t.Before(b.q.Until))
}

// AddDeploy counts a deploy; those outside the query are ignored.
func (b *StatsBuilder) AddDeploy(d Deploy) {
	svc := ServiceKey(d.Service)
	if !b.inWindow(d.Time) || (b.q.Service != "" && svc != b.q.Service) {
		return
	}
	if _, dup := b.deploys[d.Key]; !dup {
		b.deploys[d.Key] = svc
	}
}

// AddFacts counts an incident; those outside the query are ignored.
// Private incidents count in the totals but never in per-service figures
// (a service filter, the change failure rate): those would tell which
// service a private incident was about.
func (b *StatsBuilder) AddFacts(f Facts) {
	if !b.inWindow(f.DeclaredAt) {
		return
	}
	// A deploy fails whatever service the incident it caused was about.
	if f.CauseDeploy != "" && f.Counted() && !f.Private {
		b.failed[f.CauseDeploy] = true
	}
	if b.q.Service != "" && (f.Private || f.Service != b.q.Service) {
		return
	}
	switch {
	case f.Drill:
		b.s.Drills++
		return
	case f.Status == StatusCancelled:
		b.s.Cancelled++
		return
	}
	b.s.Incidents++
	b.sev[f.Severity]++
	if d, ok := f.TimeTo(f.AcknowledgedAt); ok {
		b.s.Acknowledged++
		b.ackSum += d
	}
	if d, ok := f.TimeTo(f.ResolvedAt); ok {
		b.s.Resolved++
		b.resSum += d
	}
	b.s.Updates += f.Updates
	b.s.LateUpdates += f.LateUpdates
	b.s.ByCause[f.CauseCategory]++
	week := weekStart(f.DeclaredAt)
	counts := b.weeks[week]
	if counts == nil {
		counts = make([]int, len(b.severities)+1)
		b.weeks[week] = counts
	}
	i := slices.Index(b.severities, f.Severity)
	if i < 0 {
		i = len(b.severities) // another severity: the last column
	}
	counts[i]++
}

// Stats returns the figures.
func (b *StatsBuilder) Stats() Stats {
	s := b.s
	if s.Acknowledged > 0 {
		s.MTTA = b.ackSum / time.Duration(s.Acknowledged)
	}
	if s.Resolved > 0 {
		s.MTTR = b.resSum / time.Duration(s.Resolved)
	}
	for _, name := range b.severities {
		s.BySeverity = append(s.BySeverity, SeverityCount{name, b.sev[name]})
	}
	var others []string
	for name := range b.sev {
		if !slices.Contains(b.severities, name) {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	for _, name := range others {
		s.BySeverity = append(s.BySeverity, SeverityCount{name, b.sev[name]})
	}
	s.Changes = ChangeFailureRates(b.deploys, b.failed)
	for _, c := range s.Changes {
		s.Total.Deploys += c.Deploys
		s.Total.Failed += c.Failed
	}
	s.Weeks = b.weekList()
	return s
}

// ChangeFailureRates computes the change failure rate per service: deploys
// maps the Key of each deploy in the window to its service, failed holds
// the keys of deploys an incident's cause points at. A failed deploy
// outside the window is not counted. Services come sorted by name.
func ChangeFailureRates(deploys map[string]string, failed map[string]bool) []ServiceCFR {
	by := map[string]*ServiceCFR{}
	for key, svc := range deploys {
		c := by[svc]
		if c == nil {
			c = &ServiceCFR{Service: svc}
			by[svc] = c
		}
		c.Deploys++
		if failed[key] {
			c.Failed++
		}
	}
	out := make([]ServiceCFR, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ServiceCFR) int { return strings.Compare(a.Service, b.Service) })
	return out
}

// weekList returns the weeks of the window, every week present even when
// empty, oldest first.
func (b *StatsBuilder) weekList() []WeekCount {
	if len(b.weeks) == 0 {
		return nil
	}
	var first, last time.Time
	for w := range b.weeks {
		if first.IsZero() || w.Before(first) {
			first = w
		}
		if w.After(last) {
			last = w
		}
	}
	if !b.q.Since.IsZero() {
		first = weekStart(b.q.Since)
	}
	if !b.q.Until.IsZero() {
		last = weekStart(b.q.Until.Add(-time.Nanosecond))
	}
	var out []WeekCount
	for w := first; !w.After(last) && len(out) < 520; w = w.AddDate(0, 0, 7) {
		counts := b.weeks[w]
		if counts == nil {
			counts = make([]int, len(b.severities)+1)
		}
		out = append(out, WeekCount{Start: w, Count: counts})
	}
	return out
}

// weekStart returns the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// StatsReader reads what statistics need: the statistics index and the
// deploys of a window, oldest first, without reading whole incidents.
type StatsReader interface {
	EachFacts(ctx context.Context, since, until time.Time, fn func(Facts) error) error
	EachDeploy(ctx context.Context, since, until time.Time, fn func(Deploy) error) error
}

// ComputeStats computes the figures of q from r, reading the window only,
// one record at a time; severities gives their order. /incident stats
// and `incidentbot stats` both call it.
func ComputeStats(ctx context.Context, r StatsReader, q StatsQuery, severities []string) (Stats, error) {
	b := NewStatsBuilder(q, severities)
	err := r.EachDeploy(ctx, q.Since, q.Until, func(d Deploy) error {
		b.AddDeploy(d)
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	err = r.EachFacts(ctx, q.Since, q.Until, func(f Facts) error {
		b.AddFacts(f)
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	return b.Stats(), nil
}
