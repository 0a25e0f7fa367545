package statuspage

import (
	"cmp"
	"slices"
	"time"
)

// Indicator is the overall state shown by the banner, the badge and the
// JSON API: "none", "minor", "major" or "critical" (the words most status
// pages' APIs use).
type Indicator string

// The indicators, from calm to worst.
const (
	IndicatorNone     Indicator = "none"
	IndicatorMinor    Indicator = "minor"
	IndicatorMajor    Indicator = "major"
	IndicatorCritical Indicator = "critical"
)

// Description is the banner's headline for the indicator.
func (i Indicator) Description() string {
	switch i {
	case IndicatorMinor:
		return "Degraded performance"
	case IndicatorMajor:
		return "Partial outage"
	case IndicatorCritical:
		return "Major outage"
	}
	return "All systems operational"
}

// view is a snapshot arranged for rendering: sorted, windowed, with the
// overall state and the days computed once for every output.
type view struct {
	name     string
	updated  time.Time
	from, to time.Time // the window, from midnight of its first day to now
	overall  Indicator
	worst    string // severity of the worst current incident
	current  []PublicIncident
	recent   []PublicIncident
	days     []day
	ranks    map[string]int
	n        int // number of severities
}

// day is one day of the window and the incidents that touched it.
type day struct {
	start     time.Time // midnight, in the page's location
	indicator Indicator
	severity  string
	incidents []PublicIncident // worst first
}

// arrange builds the view of s at now, over the last days days in loc.
func arrange(s Snapshot, now time.Time, loc *time.Location, days int) *view {
	v := &view{name: s.Name, updated: s.Updated, to: now, overall: IndicatorNone, ranks: map[string]int{}}
	if v.updated.IsZero() {
		v.updated = now
	}
	for i, name := range s.Severities {
		if _, dup := v.ranks[name]; !dup {
			v.ranks[name] = i
		}
	}
	v.n = len(s.Severities)
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	v.from = today.AddDate(0, 0, 1-days)

	// Copies: the source's slices are shared with other readers.
	v.current = sortedIncidents(s.Current, func(a, b PublicIncident) int { return b.StartedAt.Compare(a.StartedAt) })
	recent := make([]PublicIncident, 0, len(s.Recent))
	for _, inc := range s.Recent {
		end := inc.ResolvedAt
		if end.IsZero() {
			end = inc.StartedAt
		}
		if !end.Before(v.from) {
			recent = append(recent, inc)
		}
	}
	v.recent = sortedIncidents(recent, func(a, b PublicIncident) int { return b.ResolvedAt.Compare(a.ResolvedAt) })

	for _, inc := range v.current {
		if ind := v.indicator(inc.Severity); worse(ind, v.overall) {
			v.overall, v.worst = ind, inc.Severity
		}
	}

	all := append(slices.Clone(v.current), v.recent...)
	v.days = make([]day, days)
	for i := range v.days {
		start := v.from.AddDate(0, 0, i)
		end := start.AddDate(0, 0, 1)
		d := day{start: start, indicator: IndicatorNone}
		for _, inc := range all {
			last := inc.ResolvedAt
			if last.IsZero() {
				last = now
			}
			if inc.StartedAt.Before(end) && !last.Before(start) {
				d.incidents = append(d.incidents, inc)
			}
		}
		slices.SortStableFunc(d.incidents, func(a, b PublicIncident) int { return cmp.Compare(v.rank(a.Severity), v.rank(b.Severity)) })
		if len(d.incidents) > 0 {
			d.severity = d.incidents[0].Severity
			d.indicator = v.indicator(d.severity)
		}
		v.days[i] = d
	}
	return v
}

// sortedIncidents copies incs, sorts them with by, and sorts each one's
// updates newest first.
func sortedIncidents(incs []PublicIncident, by func(a, b PublicIncident) int) []PublicIncident {
	out := slices.Clone(incs)
	slices.SortStableFunc(out, func(a, b PublicIncident) int {
		return cmp.Or(by(a, b), cmp.Compare(b.ID, a.ID))
	})
	for i := range out {
		out[i].Updates = slices.Clone(out[i].Updates)
		slices.SortStableFunc(out[i].Updates, func(a, b PublicUpdate) int { return b.At.Compare(a.At) })
	}
	return out
}

// rank is the severity's position, most severe 0; unknown ones rank last.
func (v *view) rank(severity string) int {
	if r, ok := v.ranks[severity]; ok {
		return r
	}
	return v.n
}

// indicator maps a severity to the overall state it means.
func (v *view) indicator(severity string) Indicator {
	r, n := v.rank(severity), v.n
	switch {
	case r == 0:
		return IndicatorCritical
	case r >= n || (r == n-1 && n > 1):
		return IndicatorMinor
	}
	return IndicatorMajor
}

func worse(a, b Indicator) bool { return level(a) > level(b) }

func level(i Indicator) int {
	switch i {
	case IndicatorMinor:
		return 1
	case IndicatorMajor:
		return 2
	case IndicatorCritical:
		return 3
	}
	return 0
}

// statusText is the customer-facing word for an incident status.
func statusText(s string) string {
	switch s {
	case "investigating":
		return "Investigating"
	case "identified":
		return "Identified"
	case "monitoring":
		return "Monitoring a fix"
	case "resolved", "closed":
		return "Resolved"
	}
	return s
}
