package reports

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// DefaultLimit is how many postmortems the index lists at most.
const DefaultLimit = 200

// Filter selects postmortems. The zero Filter matches every one.
type Filter struct {
	Service  string // equal, ignoring case; empty matches any
	Severity string // equal, ignoring case; empty matches any
	// From and To bound DeclaredAt: From <= DeclaredAt < To; zero is open.
	From, To time.Time
	// Query holds words that must all appear in the title or the service,
	// ignoring case.
	Query string
	// Limit is how many to return at most; 0 means no limit.
	Limit int
}

// Match reports whether s passes the filter (Limit aside).
func (f Filter) Match(s Summary) bool {
	if f.Service != "" && !strings.EqualFold(f.Service, s.Service) {
		return false
	}
	if f.Severity != "" && !strings.EqualFold(f.Severity, s.Severity) {
		return false
	}
	if !f.From.IsZero() && s.DeclaredAt.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !s.DeclaredAt.Before(f.To) {
		return false
	}
	if f.Query != "" {
		hay := strings.ToLower(s.Title + " " + s.Service)
		for _, w := range strings.Fields(strings.ToLower(f.Query)) {
			if !strings.Contains(hay, w) {
				return false
			}
		}
	}
	return true
}

// maxFilterText bounds each free-text parameter: a search box needs no more.
const maxFilterText = 200

// ParseFilter reads the index's query parameters: q, service, severity,
// from and to (dates as YYYY-MM-DD in loc; to is inclusive). severities,
// when given, are the only severities accepted. Errors have code
// incident.EINVALID and a message that names the parameter and the fix.
func ParseFilter(q url.Values, loc *time.Location, severities []string) (Filter, error) {
	f := Filter{
		Query:    strings.TrimSpace(q.Get("q")),
		Service:  strings.TrimSpace(q.Get("service")),
		Severity: strings.ToLower(strings.TrimSpace(q.Get("severity"))),
		Limit:    DefaultLimit,
	}
	for name, v := range map[string]string{"q": f.Query, "service": f.Service, "severity": f.Severity} {
		if len(v) > maxFilterText {
			return Filter{}, incident.Errorf(incident.EINVALID, "The %s filter is %d characters long; use at most %d.", name, len(v), maxFilterText)
		}
	}
	if f.Severity != "" && len(severities) > 0 && !slices.Contains(severities, f.Severity) {
		return Filter{}, incident.Errorf(incident.EINVALID, "%q is not a severity. Use one of: %s.", f.Severity, strings.Join(severities, ", "))
	}
	var err error
	if f.From, err = parseDay(q.Get("from"), "from", loc); err != nil {
		return Filter{}, err
	}
	if f.To, err = parseDay(q.Get("to"), "to", loc); err != nil {
		return Filter{}, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // through the end of that day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return Filter{}, incident.Errorf(incident.EINVALID, "The date range is empty: %q comes after %q. Swap them.", q.Get("from"), q.Get("to"))
	}
	return f, nil
}

func parseDay(s, name string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		if r := []rune(s); len(r) > 40 {
			s = string(r[:40]) + "…"
		}
		return time.Time{}, incident.Errorf(incident.EINVALID, "The %s date %q is not a date; write it as YYYY-MM-DD, e.g. 2026-03-04.", name, s)
	}
	return t, nil
}
