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
