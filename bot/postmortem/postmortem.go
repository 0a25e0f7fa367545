// Package postmortem writes an incident's postmortem draft from its
// timeline: a Markdown document a team can start its review from, a short
// Slack summary, a JSON export, and the file (optionally committed to git)
// that holds the draft.
//
// All user text (titles, updates, notes, pinned messages, names) arrives as
// Slack sends it, with &amp; &lt; &gt; entities. It is decoded, then escaped
// so that it renders literally: nobody's message can add headings, links,
// HTML or table cells to the draft.
//
// Besides the fields the domain sets, Draft reads two optional event
// fields, "temporary_fix" and "long_term_fix" (the latest wins), and a
// "cost" field on any event as an estimated cost of the impact.
package postmortem

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Options controls how a postmortem is rendered.
type Options struct {
	// Location is the team's time zone; nil means UTC.
	Location *time.Location
	// Policy gives the severities' descriptions.
	Policy incident.Policy
	// UserName renders a Slack user ID for people, e.g. "Alice". Nil, or an
	// empty result, renders the ID itself ("U123").
	UserName func(id string) string
	// Now is the generation time; zero means time.Now().
	Now time.Time
}

func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// botName is how the timeline names incidentbot, the actor of events with
// no user.
const botName = "incidentbot"

//go:embed draft.md.tmpl
var draftText string

var draftTmpl = template.Must(template.New("draft").
	Funcs(template.FuncMap{"join": strings.Join}).
	Parse(draftText))

// Draft renders the postmortem draft of inc as Markdown. events is inc's
// timeline in order, as incident.Store.Events returns it. The draft is for
// the war room and holds everything, even for a private incident.
func Draft(inc *incident.Incident, events []incident.Event, o Options) (string, error) {
	if inc == nil {
		return "", errors.New("draft postmortem: no incident")
	}
	r := newRenderer(inc, events, o)
	v := r.view(inc, events)
	var b strings.Builder
	b.Grow(len(v.Timeline) + 4096)
	if err := draftTmpl.Execute(&b, v); err != nil {
		return "", fmt.Errorf("draft postmortem of incident %d: %w", inc.ID, err)
	}
	return b.String(), nil
}

// view is what the draft template renders. Every string in it is Markdown,
// with user text already escaped.
type view struct {
	ID                  int64
	Title               string
	Generated           string
	Private             bool
	Severity            string
	SeverityDescription string
	SeverityHistory     []string
	Status              string
	Declared            string
	Resolved            string
	Closed              string
	Duration            string
	Roles               []roleView
	ImpactNow           string
	Impact              []string // how the impact was described, in order
	Costs               []string
	Cause               string
	Resolution          string
	Updates             []string // the latest updates, oldest first
	TemporaryFix        string
	LongTermFix         string
	TimelineNote        string
	Timeline            string // the rendered list, one line per event
	ActionItems         []string
	Metrics             []metricRow
	// Issue 12: the incident type and whether it is a drill, the playbook
	// checklists, the impact estimate over time and the total loss, a
	// drill's scorecard.
	Type           string
	Drill          bool
	Checklist      []checklistGroup
	ChecklistIntro string
	Estimates      []string
	TotalLoss      string
	Scorecard      []metricRow
}

type roleView struct {
	Name    string
	History string
}

type metricRow struct {
	Name, Value string
}

// latestUpdates is how many updates the Resolution section quotes.
const latestUpdates = 3

func (r *renderer) view(inc *incident.Incident, events []incident.Event) *view {
	loc := r.loc
	v := &view{
		ID:           inc.ID,
		Title:        inline(inc.Title),
		Generated:    r.o.now().In(loc).Format("2006-01-02 15:04 MST"),
		Private:      inc.Private,
		Severity:     inline(inc.Severity),
		Status:       inline(string(inc.Status)),
		Declared:     r.full(inc.DeclaredAt) + " by " + r.name(inc.DeclaredBy),
		ImpactNow:    block(inc.Impact, ""),
		Cause:        block(inc.Cause, ""),
		Resolution:   block(inc.Resolution, ""),
		TimelineNote: "Times are " + zoneName(loc) + ".",
	}
	if sev, err := r.o.Policy.Severity(inc.Severity); err == nil {
		v.SeverityDescription = inline(sev.Description)
	}
	if !inc.ResolvedAt.IsZero() {
		v.Resolved = r.full(inc.ResolvedAt)
	}
	if !inc.ClosedAt.IsZero() {
		v.Closed = r.full(inc.ClosedAt)
	}
	m := ComputeMetrics(inc, events)
	if m.Resolved {
		v.Duration = incident.FormatDuration(m.Duration)
	} else {
		v.Duration = incident.FormatDuration(r.o.now().Sub(inc.DeclaredAt)) + " so far"
	}

	var updates []incident.Event
	for _, e := range events {
		switch e.Kind {
		case incident.EventSeverityChanged:
			v.SeverityHistory = append(v.SeverityHistory, fmt.Sprintf("%s → %s at %s by %s",
				inline(e.Field("from")), inline(e.Field("to")), r.stamp(e.At), r.name(e.Actor)))
		case incident.EventDeclared:
			if imp := e.Field("impact"); imp != "" {
				v.Impact = append(v.Impact, fmt.Sprintf("%s, at declaration by %s: %s", r.stamp(e.At), r.name(e.Actor), block(imp, "  ")))
			}
		case incident.EventImpactRecorded:
			if e.Text != "" { // an estimate alone is in Estimates
				v.Impact = append(v.Impact, fmt.Sprintf("%s, recorded by %s: %s", r.stamp(e.At), r.name(e.Actor), block(e.Text, "  ")))
			}
		case incident.EventUpdatePosted:
			if imp := e.Field("impact"); imp != "" {
				v.Impact = append(v.Impact, fmt.Sprintf("%s, in an update by %s: %s", r.stamp(e.At), r.name(e.Actor), block(imp, "  ")))
			}
			updates = append(updates, e)
		}
		if c := e.Field("cost"); c != "" {
			v.Costs = append(v.Costs, fmt.Sprintf("%s (%s, %s)", inline(c), r.name(e.Actor), r.stamp(e.At)))
		}
		if f := e.Field("temporary_fix"); f != "" {
			v.TemporaryFix = block(f, "")
		}
		if f := e.Field("long_term_fix"); f != "" {
			v.LongTermFix = block(f, "")
		}
	}
	if len(v.SeverityHistory) > 0 {
		if first := firstField(events, incident.EventSeverityChanged, "from"); first != "" {
			v.SeverityHistory = append([]string{"declared " + inline(first)}, v.SeverityHistory...)
		}
	}
	// A single description is the current impact: no history to tell.
	if len(v.Impact) == 1 {
		v.Impact = nil
	}
	for _, e := range updates[max(0, len(updates)-latestUpdates):] {
		v.Updates = append(v.Updates, r.updateLine(e))
	}
	v.Roles = []roleView{
		{Name: "Operator", History: r.roleHistory(inc, events, incident.RoleOperator)},
		{Name: "Spokesperson", History: r.roleHistory(inc, events, incident.RoleSpokesperson)},
	}
	v.Roles = append(v.Roles, r.crewRoles(inc, events)...)
	v.Type, v.Drill = inline(inc.Type), inc.Drill
	v.Checklist, v.ChecklistIntro = r.checklist(inc, events)
	v.Estimates, v.TotalLoss = r.estimates(inc, events)
	v.Scorecard = scorecardRows(inc, events)
	v.Timeline = r.timeline()
	for _, t := range inc.ActionItems {
		v.ActionItems = append(v.ActionItems, r.actionItem(t))
	}
	v.Metrics = r.metricRows(m)
	return v
}

func firstField(events []incident.Event, kind incident.EventKind, field string) string {
	for _, e := range events {
		if e.Kind == kind {
			return e.Field(field)
		}
	}
	return ""
}

func zoneName(loc *time.Location) string {
	if loc == time.UTC {
		return "UTC"
	}
	return "in " + loc.String()
}

// updateLine renders a status update for the Resolution section.
func (r *renderer) updateLine(e incident.Event) string {
	var b strings.Builder
	b.WriteString(r.stamp(e.At))
	b.WriteString(" ")
	b.WriteString(r.name(e.Actor))
	if e.Field("late") == "true" {
		b.WriteString(" (late)")
	}
	b.WriteString(": ")
	if e.Text != "" {
		b.WriteString(block(e.Text, "  "))
	}
	if d := e.Field("doing"); d != "" {
		if e.Text != "" {
			b.WriteString(cont)
		}
		b.WriteString("Doing: ")
		b.WriteString(block(d, "  "))
	}
	return b.String()
}

// roleHistory renders who held role when: "Alice 10:00–10:45, Bob 10:45–end".
func (r *renderer) roleHistory(inc *incident.Incident, events []incident.Event, role incident.Role) string {
	type period struct {
		user string
		from time.Time
	}
	var ps []period
	for _, e := range events {
		if (e.Kind == incident.EventRoleAssigned || e.Kind == incident.EventHandoffAccepted) && e.Field("role") == string(role) {
			if to := e.Field("to"); len(ps) == 0 || ps[len(ps)-1].user != to {
				ps = append(ps, period{to, e.At})
			}
		}
	}
	if len(ps) == 0 {
		if h := inc.Holder(role); h != "" {
			return r.name(h) + " throughout"
		}
		return "nobody"
	}
	end := "now"
	if !inc.Status.Open() {
		end = "end"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		to := end
		if i+1 < len(ps) {
			to = r.stamp(ps[i+1].from)
		}
		parts[i] = r.name(p.user) + " " + r.stamp(p.from) + "–" + to
	}
	return strings.Join(parts, ", ")
}

func (r *renderer) actionItem(t incident.ActionItem) string {
	box := "[ ]"
	if t.Done {
		box = "[x]"
	}
	owner := "_nobody yet_"
	if t.Owner != "" {
		owner = r.name(t.Owner)
	}
	return box + " " + block(t.Text, "  ") + " — owner: " + owner
}

func (r *renderer) metricRows(m Metrics) []metricRow {
	items := fmt.Sprint(m.ActionItems)
	if m.ActionItems > 0 {
		items += fmt.Sprintf(" (%d open)", m.OpenActionItems)
	}
	dur := incident.FormatDuration(m.Duration)
	if !m.Resolved {
		dur = "— (not resolved)"
	}
	return []metricRow{
		{"Time to acknowledge", formatMetric(m.TimeToAcknowledge)},
		{"Time to mitigate", formatMetric(m.TimeToMitigate)},
		{"Time to resolve", formatMetric(m.TimeToResolve)},
		{"Duration", dur},
		{"Status updates", fmt.Sprint(m.Updates)},
		{"Late updates", fmt.Sprint(m.LateUpdates)},
		{"Reminders sent", fmt.Sprint(m.Reminders)},
		{"Escalations", fmt.Sprint(m.Escalations)},
		{"Snoozes", fmt.Sprint(m.Snoozes)},
		{"Severity changes", fmt.Sprint(m.SeverityChanges)},
		{"Role handoffs", fmt.Sprint(m.Handoffs)},
		{"Action items", items},
	}
}
