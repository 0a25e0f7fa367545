package postmortem

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// The parts of the draft for issue 12: the roles beyond operator and
// spokesperson, the playbook checklists, the impact estimate over time with
// the total loss, and a drill's scorecard.

// checklistGroup is one playbook's checklist in the draft.
type checklistGroup struct {
	Title string
	Steps []string
}

// crewRoles renders who held each configured role when: the roles of the
// policy first, then any other the timeline names.
func (r *renderer) crewRoles(inc *incident.Incident, events []incident.Event) []roleView {
	var roles []incident.Role
	for _, spec := range r.o.Policy.Roles {
		roles = append(roles, spec.Name)
	}
	for _, e := range events {
		role := incident.Role(e.Field("role"))
		if (e.Kind == incident.EventRoleAssigned || e.Kind == incident.EventHandoffAccepted || e.Kind == incident.EventRoleRemoved) &&
			role != incident.RoleOperator && role != incident.RoleSpokesperson && role != "" && !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	var out []roleView
	for _, role := range roles {
		if h := r.crewHistory(inc, events, role); h != "" {
			out = append(out, roleView{Name: inline(role.Label()), History: h})
		}
	}
	return out
}

// crewHistory renders who held a configured role when, "" when nobody
// ever did: "Carol 10:00–10:20 (left), Dana 10:05–end". Someone taking a
// role one person holds at most ends the previous holder's time.
func (r *renderer) crewHistory(inc *incident.Incident, events []incident.Event, role incident.Role) string {
	type period struct {
		user     string
		from, to time.Time
		open     bool
		left     bool
	}
	multi := false
	if spec, ok := r.o.Policy.Role(role); ok {
		multi = spec.Multi
	}
	var ps []period
	end := func(i int, at time.Time, left bool) {
		ps[i].to, ps[i].open, ps[i].left = at, false, left
	}
	for _, e := range events {
		if incident.Role(e.Field("role")) != role {
			continue
		}
		switch e.Kind {
		case incident.EventRoleAssigned, incident.EventHandoffAccepted:
			to := e.Field("to")
			for i := range ps {
				if ps[i].open && (!multi || ps[i].user == to) {
					end(i, e.At, false)
				}
			}
			ps = append(ps, period{user: to, from: e.At, open: true})
		case incident.EventRoleRemoved:
			for i := range ps {
				if ps[i].open && ps[i].user == e.Field("user") {
					end(i, e.At, true)
				}
			}
		}
	}
	if len(ps) == 0 {
		if hs := inc.Holders(role); len(hs) > 0 {
			names := make([]string, len(hs))
			for i, h := range hs {
				names[i] = r.name(h)
			}
			return strings.Join(names, ", ") + " throughout"
		}
		return ""
	}
	last := "now"
	if !inc.Status.Open() {
		last = "end"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		to := last
		if !p.open {
			to = r.stamp(p.to)
		}
		parts[i] = r.name(p.user) + " " + r.stamp(p.from) + "–" + to
		if p.left {
			parts[i] += " (left)"
		}
	}
	return strings.Join(parts, ", ")
}

// checklist renders each playbook's checklist: every step ticked or not,
// who ticked it and when, and the required steps skipped at resolution.
func (r *renderer) checklist(inc *incident.Incident, events []incident.Event) ([]checklistGroup, string) {
	if len(inc.Checklist) == 0 {
		return nil, ""
	}
	titles := map[string]string{}
	for _, p := range inc.ChecklistPosts {
		titles[p.Playbook] = p.Title
	}
	var runs []string
	for _, e := range events {
		if e.Kind != incident.EventPlaybookRun {
			continue
		}
		name := e.Field("playbook")
		if titles[name] == "" {
			titles[name] = e.Text
		}
		when := "at declaration"
		if e.Field("trigger") == incident.TriggerSeverity {
			when = "when the severity changed, " + r.stamp(e.At)
		}
		runs = append(runs, fmt.Sprintf("%s (%s)", inline(cmpOr(titles[name], name)), when))
	}
	var groups []checklistGroup
	for i, s := range inc.Checklist {
		pb := s.Playbook()
		if len(groups) == 0 || groups[len(groups)-1].Title != inline(cmpOr(titles[pb], pb)) {
			groups = append(groups, checklistGroup{Title: inline(cmpOr(titles[pb], pb))})
		}
		g := &groups[len(groups)-1]
		box := "[ ]"
		if s.Done {
			box = "[x]"
		}
		line := fmt.Sprintf("%s %d. %s", box, i+1, inline(s.Text))
		var notes []string
		if s.Owner != "" {
			notes = append(notes, inline(s.Owner.Label()))
		}
		if s.Required {
			notes = append(notes, "required before resolve")
		}
		if len(notes) > 0 {
			line += " _(" + strings.Join(notes, ", ") + ")_"
		}
		if s.Done {
			line += " — " + r.name(s.DoneBy) + ", " + r.stamp(s.DoneAt)
		} else if s.Required && !inc.ResolvedAt.IsZero() {
			line += " — **skipped at resolution**"
		}
		g.Steps = append(g.Steps, line)
	}
	intro := ""
	if len(runs) > 0 {
		intro = "Playbooks run: " + strings.Join(runs, "; ") + "."
	}
	return groups, intro
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// estimates renders the impact estimate over time and the total estimated
// loss, until the resolution (or now).
func (r *renderer) estimates(inc *incident.Incident, events []incident.Event) ([]string, string) {
	currency := inline(r.o.Policy.Triage.Currency)
	var lines []string
	for _, e := range events {
		if e.Kind != incident.EventDeclared && e.Kind != incident.EventImpactRecorded {
			continue
		}
		est := r.estimate(e)
		if est == "" {
			continue
		}
		how := "revised by"
		if e.Kind == incident.EventDeclared {
			how = "at declaration by"
		}
		lines = append(lines, fmt.Sprintf("%s, %s %s: %s", r.stamp(e.At), how, r.name(e.Actor), est))
	}
	if len(lines) == 0 {
		return nil, ""
	}
	end := r.o.now()
	until := "so far"
	if !inc.ResolvedAt.IsZero() {
		end, until = inc.ResolvedAt, "until the resolution"
	}
	ps, total := incident.LossOverTime(events, end)
	if total == 0 && slices.IndexFunc(ps, func(p incident.LossPeriod) bool { return p.LossPerHour > 0 }) < 0 {
		return lines, ""
	}
	var spans []string
	for _, p := range ps {
		if p.LossPerHour > 0 {
			spans = append(spans, fmt.Sprintf("%s/h for %s", incident.FormatMoney(p.LossPerHour), incident.FormatDuration(p.To.Sub(p.From))))
		}
	}
	return lines, fmt.Sprintf("%s %s (%s), %s", incident.FormatMoney(total), currency, strings.Join(spans, ", "), until)
}

// scorecardRows are a drill's scorecard, as the Slack message shows it.
func scorecardRows(inc *incident.Incident, events []incident.Event) []metricRow {
	if !inc.Drill {
		return nil
	}
	var rows []metricRow
	for _, f := range incident.Score(inc, events).Figures() {
		rows = append(rows, metricRow{f.Label, f.Value})
	}
	return rows
}

// declaredExtras adds to a declaration what issue 12 records with it: a
// drill, the type, the impact estimated.
func (r *renderer) declaredExtras(b *strings.Builder, e incident.Event) {
	var extras []string
	if e.Field("drill") == "true" {
		extras = append(extras, "A **drill**")
	}
	if t := e.Field("type"); t != "" {
		extras = append(extras, "Type: "+inline(t))
	}
	if est := r.estimate(e); est != "" {
		extras = append(extras, "Estimate: "+est)
	}
	if len(extras) > 0 {
		b.WriteString(cont + strings.Join(extras, ". "))
	}
}

// impact writes an impact revision: the words, the estimate, or both.
func (r *renderer) impact(b *strings.Builder, e incident.Event) {
	est := r.estimate(e)
	switch {
	case e.Text != "" && est != "":
		b.WriteString("recorded the impact: " + block(e.Text, "  ") + cont + "Estimate: " + est)
	case est != "":
		b.WriteString("revised the impact estimate: " + est)
	default:
		b.WriteString("recorded the impact: " + block(e.Text, "  "))
	}
}

// estimate renders the impact estimate an event records, "" when none.
func (r *renderer) estimate(e incident.Event) string {
	if e.Field("loss_per_hour") == "" {
		return ""
	}
	var parts []string
	if x := incident.Experience(e.Field("experience")).Label(); x != "" {
		parts = append(parts, inline(x))
	}
	if e.Field("security") == "true" {
		parts = append(parts, "security involved")
	}
	if l := e.Field("loss_per_hour"); l != "0" {
		var n int64
		fmt.Sscan(l, &n)
		parts = append(parts, fmt.Sprintf("%s %s lost per hour", incident.FormatMoney(n), inline(r.o.Policy.Triage.Currency)))
	} else {
		parts = append(parts, "no loss estimated")
	}
	if p := e.Field("proposed"); p != "" {
		parts = append(parts, "suggests "+inline(p))
	}
	return strings.Join(parts, "; ")
}

// playbookEvent writes the timeline events of playbooks, checklists and
// configured roles.
func (r *renderer) playbookEvent(b *strings.Builder, e incident.Event) {
	f := e.Field
	switch e.Kind {
	case incident.EventPlaybookRun:
		b.WriteString("ran the playbook " + inline(cmpOr(e.Text, f("playbook"))))
		switch n := f("steps"); n {
		case "", "0":
		case "1":
			b.WriteString(" (1 checklist step)")
		default:
			b.WriteString(" (" + inline(n) + " checklist steps)")
		}
		if f("trigger") == incident.TriggerSeverity {
			b.WriteString(", as the severity changed")
		}
	case incident.EventStepDone:
		b.WriteString("ticked checklist step " + inline(f("n")) + ": " + inline(e.Text))
	case incident.EventStepUndone:
		b.WriteString("unticked checklist step " + inline(f("n")) + ": " + inline(e.Text))
	case incident.EventRoleRemoved:
		if f("user") == e.Actor {
			b.WriteString("left the " + inline(f("role")) + " role")
		} else {
			b.WriteString("took the " + inline(f("role")) + " role from " + r.name(f("user")))
		}
	}
}

// exportPlaybooks fills issue 12's part of an export, and marks the people
// it names.
func exportPlaybooks(x *ExportIncident, inc *incident.Incident, people map[string]bool) {
	x.Type, x.Drill, x.Playbooks = inc.Type, inc.Drill, slices.Clone(inc.Playbooks)
	for _, m := range inc.Crew {
		if x.Roles.Others == nil {
			x.Roles.Others = map[string][]string{}
		}
		x.Roles.Others[string(m.Role)] = append(x.Roles.Others[string(m.Role)], m.User)
		people[m.User] = true
	}
	for _, s := range inc.Checklist {
		x.Checklist = append(x.Checklist, ExportStep{ID: s.ID, Text: s.Text, Owner: string(s.Owner), Required: s.Required,
			Done: s.Done, DoneBy: s.DoneBy, DoneAt: rfc3339(s.DoneAt)})
		people[s.DoneBy] = true
	}
	if e := inc.Estimate; !e.Empty() {
		x.Estimate = &ExportEstimate{Experience: string(e.Experience), Security: e.Security, LossPerHour: e.LossPerHour, At: rfc3339(e.At), By: e.By}
		people[e.By] = true
	}
}
