package views

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Drills (issue 12): every message about one marked, its introduction,
// its scorecard and the comparison of drills (DrillsReply).

// DrillPrefix starts the notification text of every message about a
// drill.
const DrillPrefix = "[DRILL] "

// DrillBanner is the line that marks a message as a drill.
func DrillBanner() slack.Block {
	return contextText(":test_tube: *Drill*: a practice incident, not a real one.")
}

// MarkDrill marks a message about inc as a drill when inc is one: a banner
// first, and DrillPrefix on the notification text.
func MarkDrill(inc *incident.Incident, blocks []slack.Block, text string) ([]slack.Block, string) {
	if inc == nil || !inc.Drill || strings.HasPrefix(text, DrillPrefix) {
		return blocks, text
	}
	return append([]slack.Block{DrillBanner()}, blocks...), DrillPrefix + text
}

// DrillIntro opens a drill's war room: what a drill is and what is
// measured.
func (e Env) DrillIntro(inc *incident.Incident) ([]slack.Block, string) {
	text := fmt.Sprintf(":test_tube: *Incident #%d is a drill*, declared by %s. Run it as if it were real: roles, updates and the checklist all count. The clock is running: when the drill is closed, its scorecard shows the time to an operator, to a spokesperson and to the first update, whether updates kept their promised times, the checklist steps done and the time to resolve.", inc.ID, User(inc.DeclaredBy))
	if inc.Operator == "" {
		text += "\nFirst, someone take the lead: `/incident role operator @me`."
	}
	return MarkDrill(inc, []slack.Block{section(text)}, fmt.Sprintf("Incident #%d is a drill", inc.ID))
}

// Scorecard renders a drill's scorecard: each figure with what it
// measures.
func (e Env) Scorecard(inc *incident.Incident, c incident.Scorecard) ([]slack.Block, string) {
	var lines []string
	for _, f := range c.Figures() {
		lines = append(lines, fmt.Sprintf("• *%s*: %s", f.Label, f.Value))
	}
	text := fmt.Sprintf(":test_tube: *Scorecard of drill #%d*: %s\n%s", c.Incident, Escape(Plain(c.Title)), strings.Join(lines, "\n"))
	blocks := []slack.Block{section(text)}
	if len(c.Playbooks) > 0 {
		blocks = append(blocks, contextText("Playbooks: "+Escape(strings.Join(c.Playbooks, ", "))+". Compare drills over time to see the response get faster."))
	}
	return MarkDrill(inc, blocks, fmt.Sprintf("Scorecard of drill #%d", c.Incident))
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
