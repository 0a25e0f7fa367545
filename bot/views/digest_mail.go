package views

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"text/template"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/publish"
)

// digestUpdateRunes bounds each update quoted in the email digest; the
// status page has it whole.
const digestUpdateRunes = 600

// digestMail is what the digest templates show: every text plain and
// every time formatted beforehand.
type digestMail struct {
	Subject, Period    string
	Open, Resolved     []digestMailIncident
	More               int
	StatusPage         string // the page's address, "" when not given
	OpenLen, ResolvLen int
}

type digestMailIncident struct {
	Heading string // "#4 Checkout fails — major, identified"
	New     bool
	When    string // "Declared Wed 4 Mar 08:00 UTC." and the resolution
	Update  string // "Latest update, 08:30 UTC: …", "" without one
	Link    string // the incident on the status page, or ""
}

var (
	digestText = template.Must(template.New("digest").Parse(`{{define "incident"}}
{{.Heading}}{{if .New}} (new){{end}}
  {{.When}}{{if .Update}}
  {{.Update}}{{end}}{{if .Link}}
  {{.Link}}{{end}}
{{end}}Incidents from {{.Period}}.
{{if .Open}}
STILL OPEN ({{.OpenLen}})
{{range .Open}}{{template "incident" .}}{{end}}{{end}}{{if .Resolved}}
RESOLVED ({{.ResolvLen}})
{{range .Resolved}}{{template "incident" .}}{{end}}{{end}}{{if .More}}
And {{.More}} more{{if .StatusPage}} on the status page: {{.StatusPage}}{{end}}.
{{else if .StatusPage}}
Status page: {{.StatusPage}}
{{end}}
You receive this daily digest as a stakeholder.
`))
	digestHTML = htmltemplate.Must(htmltemplate.New("digest").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1f24;max-width:40rem">
<p>Incidents from {{.Period}}.</p>
{{define "incident"}}<li style="margin-bottom:.75rem"><strong>{{.Heading}}</strong>{{if .New}} <span style="color:#9a6700">new</span>{{end}}<br>
{{.When}}{{if .Update}}<br>
<span style="white-space:pre-wrap">{{.Update}}</span>{{end}}{{if .Link}}<br>
<a href="{{.Link}}">On the status page</a>{{end}}</li>
{{end}}{{if .Open}}<h2 style="font-size:1.1rem">Still open ({{.OpenLen}})</h2>
<ul>
{{range .Open}}{{template "incident" .}}{{end}}</ul>
{{end}}{{if .Resolved}}<h2 style="font-size:1.1rem">Resolved ({{.ResolvLen}})</h2>
<ul>
{{range .Resolved}}{{template "incident" .}}{{end}}</ul>
{{end}}{{if .More}}<p>And {{.More}} more{{if .StatusPage}} on <a href="{{.StatusPage}}">the status page</a>{{end}}.</p>
{{else if .StatusPage}}<p><a href="{{.StatusPage}}">The status page</a></p>
{{end}}<p style="color:#57606a;font-size:.85rem">You receive this daily digest as a stakeholder.</p>
</body></html>
`))
)

// DigestMail renders the email digest d: its subject, plain text and
// HTML (which escapes every text: html/template). statusPage is the
// status page's address ending in "/" ("" leaves links out); times are
// shown in loc.
func DigestMail(d publish.Digest, statusPage string, loc *time.Location) (subject, text, html string, err error) {
	if loc == nil {
		loc = time.UTC
	}
	day := d.Until.In(loc)
	m := digestMail{Period: formatDigestTime(d.Since, loc) + " to " + formatDigestTime(d.Until, loc),
		More: d.More, StatusPage: statusPage, OpenLen: len(d.Open), ResolvLen: len(d.Resolved)}
	m.Subject = fmt.Sprintf("Incident digest, %s: %d open, %d resolved", day.Format("Mon 2 Jan 2006"), len(d.Open), len(d.Resolved))
	for _, di := range d.Open {
		m.Open = append(m.Open, digestMailItem(di, statusPage, loc))
	}
	for _, di := range d.Resolved {
		m.Resolved = append(m.Resolved, digestMailItem(di, statusPage, loc))
	}
	var t, h bytes.Buffer
	if err := digestText.Execute(&t, m); err != nil {
		return "", "", "", fmt.Errorf("render the digest text: %w", err)
	}
	if err := digestHTML.Execute(&h, m); err != nil {
		return "", "", "", fmt.Errorf("render the digest HTML: %w", err)
	}
	return m.Subject, t.String(), h.String(), nil
}

func digestMailItem(di publish.DigestIncident, statusPage string, loc *time.Location) digestMailIncident {
	it := digestMailIncident{New: di.New,
		Heading: fmt.Sprintf("#%d %s — %s, %s", di.ID, di.Title, di.Severity, di.Status),
		When:    "Declared " + formatDigestTime(di.DeclaredAt, loc) + "."}
	if !di.ResolvedAt.IsZero() {
		it.When = fmt.Sprintf("Declared %s, resolved %s after %s.", formatDigestTime(di.DeclaredAt, loc),
			formatDigestTime(di.ResolvedAt, loc), incident.FormatDuration(di.ResolvedAt.Sub(di.DeclaredAt)))
	}
	if u := di.Latest; u != nil {
		it.Update = fmt.Sprintf("Latest update, %s: %s", formatDigestTime(u.At, loc), Truncate(u.Text, digestUpdateRunes))
	}
	if statusPage != "" {
		it.Link = statusPage + "#incident-" + strconv.FormatInt(di.ID, 10)
	}
	return it
}

func formatDigestTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}
