package reports

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

type indexPage struct {
	page
	Form       indexForm
	Severities []string
	Filtered   bool
	Error      string
	Count      string
	Medians    []string // acknowledge, mitigate, resolve
	Rows       []indexRow
}

// indexForm echoes the query back into the form, as typed.
type indexForm struct{ Q, Service, Severity, From, To string }

type indexRow struct {
	Summary
	Href        string
	Declared    string
	DeclaredISO string
}

func (s *Site) serveIndex(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := indexPage{
		page:       page{Title: "Postmortems", Root: "./"},
		Form:       indexForm{Q: q.Get("q"), Service: q.Get("service"), Severity: q.Get("severity"), From: q.Get("from"), To: q.Get("to")},
		Severities: s.severities,
	}
	p.Filtered = p.Form != indexForm{}
	f, err := ParseFilter(q, s.loc, s.severities)
	if err != nil {
		p.Error = incident.ErrorMessage(err)
		s.render(w, r, http.StatusBadRequest, "index", p)
		return
	}
	list, err := s.src.FindReports(r.Context(), f)
	if err != nil {
		s.fail(w, r, "./", fmt.Errorf("find reports: %w", err))
		return
	}
	switch n := len(list); {
	case n == 0 && p.Filtered:
		p.Count = "No postmortem matches this filter."
	case n == 0:
		p.Count = "No postmortems yet."
	case n >= f.Limit && f.Limit > 0:
		p.Count = fmt.Sprintf("The %d most recent postmortems; narrow the filter to see older ones.", n)
	case n == 1:
		p.Count = "1 postmortem."
	default:
		p.Count = fmt.Sprintf("%d postmortems.", n)
	}
	if len(list) > 1 {
		p.Medians = []string{
			median(list, func(m Metrics) time.Duration { return m.TimeToAcknowledge }),
			median(list, func(m Metrics) time.Duration { return m.TimeToMitigate }),
			median(list, func(m Metrics) time.Duration { return m.TimeToResolve }),
		}
	}
	for _, sum := range list {
		p.Rows = append(p.Rows, indexRow{
			Summary:     sum,
			Href:        "incidents/" + strconv.FormatInt(sum.ID, 10),
			Declared:    s.stamp(sum.DeclaredAt),
			DeclaredISO: iso(sum.DeclaredAt),
		})
	}
	s.render(w, r, http.StatusOK, "index", p)
}

// median is the median of one metric over the incidents that reached it.
func median(list []Summary, metric func(Metrics) time.Duration) string {
	var ds []time.Duration
	for _, s := range list {
		if d := metric(s.Metrics); d >= 0 {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return formatMetric(NotReached)
	}
	slices.Sort(ds)
	m := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		m = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return formatMetric(m)
}
