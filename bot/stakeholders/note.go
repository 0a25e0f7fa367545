package stakeholders

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/publish"
)

// Links are the addresses a notification points to; empty ones are left
// out.
type Links struct {
	StatusPage string // the public status page (public incidents only)
	WarRoom    string // the war room in Slack
	Report     string // the postmortem on the reports site (once closed)
}

// Note is what one notification says, in plain text: the bot renders it
// as a Slack message or an email.
type Note struct {
	// Subject is one line: "[Incident #42 · major] Checkout fails — resolved".
	Subject string
	// Headline says what happened, in a sentence.
	Headline string
	// Body holds the paragraphs: what people wrote, the impact.
	Body  []string
	Links Links
	// Drill marks a practice incident.
	Drill bool
}

// Describe writes the note about event e of inc. Text written in Slack
// is made plain (publish.PlainText): no user ID or markup reaches an email.
// Times are shown in loc.
func Describe(inc *incident.Incident, e incident.Event, links Links, loc *time.Location, now time.Time) Note {
	if loc == nil {
		loc = time.UTC
	}
	title := publish.PlainText(inc.Title)
	text := publish.PlainText(e.Text)
	n := Note{Links: links, Drill: inc.Drill}
	what := ""
	switch e.Kind {
	case incident.EventDeclared:
		what = "declared"
		n.Headline = fmt.Sprintf("Incident #%d was declared as %s: %s.", inc.ID, inc.Severity, title)
		if imp := publish.PlainText(e.Field("impact")); imp != "" {
			n.Body = append(n.Body, "Impact: "+imp)
		}
	case incident.EventSeverityChanged:
		what = "now " + e.Field("to")
		n.Headline = fmt.Sprintf("The severity of incident #%d changed from %s to %s.", inc.ID, e.Field("from"), e.Field("to"))
	case incident.EventStatusChanged:
		what = e.Field("to")
		n.Headline = fmt.Sprintf("Incident #%d is now %s (it was %s).", inc.ID, e.Field("to"), e.Field("from"))
	case incident.EventUpdatePosted:
		what = "update"
		n.Headline = fmt.Sprintf("Update on incident #%d (%s):", inc.ID, e.Field("status"))
		for _, part := range []struct{ label, text string }{{"", text}, {"What we are doing: ", publish.PlainText(e.Field("doing"))}, {"Impact: ", publish.PlainText(e.Field("impact"))}} {
			if part.text != "" {
				n.Body = append(n.Body, part.label+part.text)
			}
		}
		if next := e.Field("next_update"); next != "" {
			if t, err := time.Parse(time.RFC3339, next); err == nil {
				n.Body = append(n.Body, "Next update by "+t.In(loc).Format("15:04 MST")+".")
			}
		}
	case incident.EventResolved:
		what = "resolved"
		n.Headline = fmt.Sprintf("Incident #%d is resolved after %s.", inc.ID, incident.FormatDuration(inc.Duration(now)))
		if text != "" {
			n.Body = append(n.Body, text)
		}
	case incident.EventReopened:
		what = "reopened"
		n.Headline = fmt.Sprintf("Incident #%d was reopened.", inc.ID)
	case incident.EventClosed:
		what = "closed"
		n.Headline = fmt.Sprintf("Incident #%d is closed; its postmortem is being written.", inc.ID)
	case incident.EventCancelled:
		what = "cancelled"
		n.Headline = fmt.Sprintf("Incident #%d was cancelled: it was declared by mistake.", inc.ID)
		if text != "" {
			n.Body = append(n.Body, text)
		}
	case incident.EventSummaryWritten:
		what = "customer summary"
		n.Headline = fmt.Sprintf("The customer summary of incident #%d:", inc.ID)
		for _, part := range []struct{ label, text string }{{"What happened: ", text}, {"Impact: ", publish.PlainText(e.Field("impact"))}, {"", publish.PlainText(e.Field("apology"))}, {"What we change: ", publish.PlainText(e.Field("changes"))}} {
			if part.text != "" {
				n.Body = append(n.Body, part.label+part.text)
			}
		}
	default:
		what = strings.ReplaceAll(string(e.Kind), "_", " ")
		n.Headline = fmt.Sprintf("Incident #%d: %s.", inc.ID, what)
	}
	drill := ""
	if inc.Drill {
		drill = "Drill · "
	}
	n.Subject = fmt.Sprintf("[%sIncident #%d · %s] %s — %s", drill, inc.ID, inc.Severity, title, what)
	return n
}

var (
	textMail = texttemplate.Must(texttemplate.New("text").Parse(`{{if .Drill}}THIS IS A DRILL.

{{end}}{{.Headline}}
{{range .Body}}
{{.}}
{{end}}{{with .Links}}{{if .StatusPage}}
Status page: {{.StatusPage}}{{end}}{{if .WarRoom}}
War room: {{.WarRoom}}{{end}}{{if .Report}}
Postmortem: {{.Report}}{{end}}{{end}}

You receive this as a stakeholder of this incident.
`))
	htmlMail = template.Must(template.New("html").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1b1f24;max-width:40rem">
{{if .Drill}}<p style="font-weight:700;color:#9a6700">This is a drill.</p>
{{end}}<p style="font-size:1.1rem;font-weight:600">{{.Headline}}</p>
{{range .Body}}<p style="white-space:pre-wrap">{{.}}</p>
{{end}}{{with .Links}}<p>{{if .StatusPage}}<a href="{{.StatusPage}}">Status page</a> {{end}}{{if .WarRoom}}<a href="{{.WarRoom}}">War room in Slack</a> {{end}}{{if .Report}}<a href="{{.Report}}">Postmortem</a>{{end}}</p>
{{end}}<p style="color:#57606a;font-size:.85rem">You receive this as a stakeholder of this incident.</p>
</body></html>
`))
)

// Email renders the note as the plain-text and HTML bodies of an email.
// The HTML escapes every text (html/template).
func (n Note) Email() (text, html string, err error) {
	var t, h bytes.Buffer
	if err := textMail.Execute(&t, n); err != nil {
		return "", "", fmt.Errorf("render the email text: %w", err)
	}
	if err := htmlMail.Execute(&h, n); err != nil {
		return "", "", fmt.Errorf("render the email HTML: %w", err)
	}
	return t.String(), h.String(), nil
}
