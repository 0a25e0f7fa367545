package views

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
)

// Reminder renders a heads-up, a nudge or an escalation.
func (e Env) Reminder(inc *incident.Incident, r incident.Reminder, escalateTo string) ([]slack.Block, string) {
	due := When(r.Due, e.Now, e.Location)
	v := Value(inc.ID)
	switch r.Stage {
	case incident.StageHeadsUp:
		text := fmt.Sprintf(":alarm_clock: %s, heads-up: the next update on incident #%d is due at %s (in %s).", User(r.To), inc.ID, due, incident.FormatDuration(r.Due.Sub(e.Now)))
		return []slack.Block{section(text), slack.NewActionBlock("reminder_"+v, button(ActionPostUpdate, v, "Post update", slack.StylePrimary))}, text
	case incident.StageDue:
		text := fmt.Sprintf(":bell: %s, the update on incident #%d is due now (promised for %s). Stakeholders are waiting: post what you know, even if it is \"no change\".", User(r.To), inc.ID, due)
		return []slack.Block{section(text), slack.NewActionBlock("reminder_"+v,
			button(ActionPostUpdate, v, "Post update", slack.StylePrimary),
			button(ActionSnooze, v, "Snooze "+incident.FormatDuration(e.Policy.Snooze), ""),
		)}, text
	}
	who := User(inc.Operator)
	if escalateTo != "" {
		who += " " + escalateTo
	}
	late := e.Now.Sub(r.Due).Round(time.Minute)
	missing := "no update has been posted"
	if inc.Spokesperson != "" {
		missing = "the spokesperson " + User(inc.Spokesperson) + " has not posted one"
	}
	text := fmt.Sprintf(":rotating_light: Escalation: the update on incident #%d is %s late (due %s). %s, please make sure an update goes out; %s.", inc.ID, incident.FormatDuration(late), due, who, missing)
	return []slack.Block{section(text), slack.NewActionBlock("reminder_"+v,
		button(ActionPostUpdate, v, "Post update", slack.StylePrimary),
		button(ActionSnooze, v, "Snooze "+incident.FormatDuration(e.Policy.Snooze), ""),
	)}, text
}

// Digest renders the daily digest of open incidents.
func (e Env) Digest(incs []*incident.Incident) ([]slack.Block, string) {
	if len(incs) == 0 {
		return []slack.Block{section(":sunny: *Incident digest*: no open incidents.")}, "Incident digest: no open incidents"
	}
	blocks := []slack.Block{header(fmt.Sprintf("Incident digest: %d open", len(incs)))}
	for i, inc := range incs {
		if len(blocks) >= MaxBlocks-1 {
			blocks = append(blocks, contextText(fmt.Sprintf("…and %d more; `/incident list` shows them all.", len(incs)-i)))
			break
		}
		var line string
		if inc.Private {
			line = fmt.Sprintf("*#%d* :lock: private incident — %s, %s, open for %s", inc.ID, inc.Severity, inc.Status, incident.FormatDuration(e.Now.Sub(inc.DeclaredAt)))
		} else {
			line = fmt.Sprintf("*#%d* %s\n%s · %s · open for %s · operator %s · spokesperson %s", inc.ID, inc.Title, e.SeverityLabel(inc.Severity), inc.Status, incident.FormatDuration(e.Now.Sub(inc.DeclaredAt)), User(inc.Operator), User(inc.Spokesperson))
		}
		if inc.ChannelID != "" && !inc.Private {
			line += " · <#" + inc.ChannelID + ">"
		}
		if inc.Overdue(e.Now) {
			line += fmt.Sprintf("\n:warning: update overdue since %s", When(inc.NextUpdateDue, e.Now, e.Location))
		}
		if n := inc.OpenTasks(); n > 0 && !inc.Private {
			line += fmt.Sprintf("\n:ballot_box_with_check: %d open action items", n)
		}
		blocks = append(blocks, section(line))
	}
	return blocks, fmt.Sprintf("Incident digest: %d open", len(incs))
}
