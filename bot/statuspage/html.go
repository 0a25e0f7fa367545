package statuspage

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

var (
	//go:embed page.html.tmpl
	pageTemplate string
	//go:embed page.css
	pageCSS string

	pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"icon": icon}).Parse(pageTemplate))
)

// htmlPage is what page.html.tmpl renders. Every string is plain text:
// html/template escapes it for where it lands.
type htmlPage struct {
	Title       string
	CSS         template.CSS
	Overall     Indicator
	Headline    string
	Subline     string
	Current     []htmlIncident
	Recent      []htmlIncident
	Days        []htmlDay
	DaysSummary string
	FirstDay    string
	Legend      []htmlLegend
	Updated     htmlTime
	Zone        string
}

type htmlTime struct{ ISO, Text string }

type htmlIncident struct {
	Anchor    string
	Title     string
	Severity  string
	Indicator Indicator
	Status    string
	Started   htmlTime
	Resolved  *htmlTime
	Duration  string
	Updates   []htmlUpdate
	Summary   *CustomerSummary
}

type htmlUpdate struct {
	At     htmlTime
	Status string
	Text   string
}

type htmlDay struct {
	Indicator Indicator
	Label     string // the day in words, for screen readers and tooltips
	Href      string // the worst incident of the day, if any
}

type htmlLegend struct {
	Indicator Indicator
	Text      string
}

// renderHTML renders the status page.
func renderHTML(v *view, loc *time.Location) ([]byte, error) {
	p := htmlPage{
		Title:    v.name + " status",
		CSS:      template.CSS(pageCSS),
		Overall:  v.overall,
		Headline: v.overall.Description(),
		Updated:  stamp(v.updated, loc),
		Zone:     zoneName(loc),
		FirstDay: v.days[0].start.Format("2 Jan"),
	}
	if v.name == "" {
		p.Title = "Status"
	}
	if n := len(v.current); n > 0 {
		p.Subline = fmt.Sprintf("%s in progress; the most severe is %s.", plural(n, "incident"), v.worst)
	}
	for _, inc := range v.current {
		p.Current = append(p.Current, htmlIncidentOf(v, inc, loc))
	}
	for _, inc := range v.recent {
		p.Recent = append(p.Recent, htmlIncidentOf(v, inc, loc))
	}
	quiet := 0
	for _, d := range v.days {
		hd := htmlDay{Indicator: d.indicator, Label: d.start.Format("Mon 2 Jan 2006") + ": no incidents"}
		if len(d.incidents) == 0 {
			quiet++
		} else {
			worst := d.incidents[0]
			hd.Href = "#" + anchor(worst.ID)
			hd.Label = fmt.Sprintf("%s: %s incident: %s", d.start.Format("Mon 2 Jan 2006"), d.severity, worst.Title)
			if len(d.incidents) > 1 {
				hd.Label = fmt.Sprintf("%s: %s, the most severe %s: %s", d.start.Format("Mon 2 Jan 2006"), plural(len(d.incidents), "incident"), d.severity, worst.Title)
			}
		}
		p.Days = append(p.Days, hd)
	}
	p.DaysSummary = fmt.Sprintf("No incidents on %d of the last %d days.", quiet, len(v.days))
	if quiet == len(v.days) {
		p.DaysSummary = fmt.Sprintf("No incidents in the last %d days.", len(v.days))
	}
	p.Legend = []htmlLegend{{IndicatorNone, "No incident"}}
	for _, ind := range []Indicator{IndicatorMinor, IndicatorMajor, IndicatorCritical} {
		p.Legend = append(p.Legend, htmlLegend{ind, ind.Description()})
	}
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("render status page: %w", err)
	}
	return buf.Bytes(), nil
}

func htmlIncidentOf(v *view, inc PublicIncident, loc *time.Location) htmlIncident {
	h := htmlIncident{
		Anchor:    anchor(inc.ID),
		Title:     inc.Title,
		Severity:  inc.Severity,
		Indicator: v.indicator(inc.Severity),
		Status:    statusText(inc.Status),
		Started:   stamp(inc.StartedAt, loc),
		Summary:   inc.Summary,
	}
	if !inc.ResolvedAt.IsZero() {
		r := stamp(inc.ResolvedAt, loc)
		h.Resolved = &r
		h.Duration = incident.FormatDuration(inc.ResolvedAt.Sub(inc.StartedAt))
	}
	for _, u := range inc.Updates {
		h.Updates = append(h.Updates, htmlUpdate{At: stamp(u.At, loc), Status: statusText(u.Status), Text: u.Text})
	}
	return h
}

func anchor(id int64) string { return fmt.Sprintf("incident-%d", id) }

func stamp(t time.Time, loc *time.Location) htmlTime {
	return htmlTime{ISO: t.UTC().Format(time.RFC3339), Text: t.In(loc).Format("2 Jan 2006 15:04 MST")}
}

func zoneName(loc *time.Location) string {
	if loc == time.UTC {
		return "UTC"
	}
	return loc.String()
}

// plural writes "1 incident" or "3 incidents".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// icon is a symbol beside the banner's words, so the state does not rest
// on colour alone.
func icon(i Indicator) string {
	switch i {
	case IndicatorNone:
		return "✓"
	case IndicatorMinor:
		return "!"
	}
	return "✕"
}
