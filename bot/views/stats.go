package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Percent renders a share as a percentage, "—" when there is none.
func Percent(rate float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", rate*100)
}

// Mean renders a mean time over n incidents, "—" when n is 0.
func Mean(d time.Duration, n int) string {
	if n == 0 {
		return "—"
	}
	return incident.FormatDuration(d)
}

// StatsReply renders the figures of /incident stats.
func (e Env) StatsReply(s incident.Stats) ([]slack.Block, string) {
	scope := "all services"
	if s.Query.Service != "" {
		scope = Escape(s.Query.Service) + " (private incidents left out)"
	}
	head := fmt.Sprintf(":bar_chart: *Incidents since %s*, %s", s.Query.Since.In(e.Location).Format("Mon 2 Jan 2006"), scope)
	var sev []string
	for _, c := range s.BySeverity {
		sev = append(sev, fmt.Sprintf("%s %d", e.SeverityLabel(c.Severity), c.Count))
	}
	if len(sev) == 0 {
		sev = []string{"none"}
	}
	rate, ok := s.OnTimeRate()
	cfr, cok := s.Total.Rate()
	blocks := []slack.Block{
		section(head),
		fields(
			"Incidents", fmt.Sprintf("%d", s.Incidents),
			"By severity", strings.Join(sev, " · "),
			"MTTA (to an operator)", Mean(s.MTTA, s.Acknowledged)+fmt.Sprintf(" over %d", s.Acknowledged),
			"MTTR (to resolved)", Mean(s.MTTR, s.Resolved)+fmt.Sprintf(" over %d", s.Resolved),
			"Updates on time", fmt.Sprintf("%s of %d", Percent(rate, ok), s.Updates),
			"Late updates", fmt.Sprintf("%d", s.LateUpdates),
			"Change failure rate", fmt.Sprintf("%s (%d of %d deploys)", Percent(cfr, cok), s.Total.Failed, s.Total.Deploys),
		),
	}
	if len(s.Changes) > 1 {
		var lines []string
		for i, c := range s.Changes {
			if i == 15 {
				lines = append(lines, fmt.Sprintf("_and %d more services_", len(s.Changes)-i))
				break
			}
			r, ok := c.Rate()
			lines = append(lines, fmt.Sprintf("• %s: %s (%d of %d)", Escape(c.Service), Percent(r, ok), c.Failed, c.Deploys))
		}
		blocks = append(blocks, section("*Change failure rate by service*\n"+strings.Join(lines, "\n")))
	}
	var notes []string
	if s.Drills+s.Cancelled > 0 {
		notes = append(notes, fmt.Sprintf("Left out: %d drills, %d cancelled.", s.Drills, s.Cancelled))
	}
	notes = append(notes, "A deploy fails when an incident's cause points at it (`/incident cause --deploy`).")
	blocks = append(blocks, contextText(strings.Join(notes, " ")))
	return blocks, fmt.Sprintf("%d incidents since %s", s.Incidents, s.Query.Since.In(e.Location).Format("2 Jan 2006"))
}

// DrillsReply compares the scorecards of drills (oldest first), one line
// each, then how the response moved from the first to the latest; total
// is how many drills the window since holds.
func (e Env) DrillsReply(cards []incident.Scorecard, total int, since time.Time) ([]slack.Block, string) {
	from := since.In(e.Location).Format("Mon 2 Jan 2006")
	if len(cards) == 0 {
		text := fmt.Sprintf(":test_tube: No drill since %s. Practise with `/incident drill`, then compare drills here.", from)
		return []slack.Block{section(text)}, text
	}
	head := fmt.Sprintf(":test_tube: *Drills since %s*: %d", from, total)
	if total > len(cards) {
		head += fmt.Sprintf(", the latest %d compared", len(cards))
	}
	lines := []string{head}
	for _, c := range cards {
		title := Escape(Plain(c.Title))
		if c.Private {
			title = "_private_"
		}
		var figs []string
		for _, f := range c.Figures() {
			if c.Steps == 0 && f.Label == "Checklist steps done" {
				continue // "checklist no checklist" says nothing
			}
			figs = append(figs, drillFigureLabel(f.Label)+" "+f.Value)
		}
		lines = append(lines, fmt.Sprintf("• *#%d* %s (%s): %s", c.Incident, title, c.DeclaredAt.In(e.Location).Format("2 Jan"), strings.Join(figs, " · ")))
	}
	blocks := []slack.Block{section(Truncate(strings.Join(lines, "\n"), 3000))}
	if trend := drillTrend(cards); trend != "" {
		blocks = append(blocks, contextText(trend))
	}
	return blocks, head
}

// drillFigureLabel shortens a scorecard's label for a line of the
// comparison: "Time to an operator" reads "operator".
func drillFigureLabel(label string) string {
	switch label {
	case "Time to an operator":
		return "operator"
	case "Time to a spokesperson":
		return "spokesperson"
	case "Time to the first update":
		return "first update"
	case "Checklist steps done":
		return "checklist"
	case "Time to resolve":
		return "resolved in"
	}
	return strings.ToLower(label)
}

// drillTrend says how each time moved from the first drill compared to the
// latest, for the times both reached; "" with fewer than two drills.
func drillTrend(cards []incident.Scorecard) string {
	if len(cards) < 2 {
		return ""
	}
	first, last := cards[0], cards[len(cards)-1]
	var parts []string
	for _, t := range []struct {
		what     string
		from, to time.Duration
	}{
		{"to an operator", first.TimeToOperator, last.TimeToOperator},
		{"to a spokesperson", first.TimeToSpokesperson, last.TimeToSpokesperson},
		{"to the first update", first.TimeToFirstUpdate, last.TimeToFirstUpdate},
		{"to resolve", first.TimeToResolve, last.TimeToResolve},
	} {
		if t.from == incident.NotReached || t.to == incident.NotReached {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s → %s", t.what, incident.FormatDuration(t.from), incident.FormatDuration(t.to)))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("From drill #%d to drill #%d: time %s.", first.Incident, last.Incident, strings.Join(parts, ", "))
}
