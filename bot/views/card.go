package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
)

// Env is what rendering needs beyond the incident itself.
type Env struct {
	Policy   incident.Policy
	Location *time.Location
	Now      time.Time
}

var severityEmoji = map[int]string{0: ":red_circle:", 1: ":large_orange_circle:", 2: ":large_yellow_circle:"}

// SeverityLabel renders a severity with a colour that follows its rank.
func (e Env) SeverityLabel(sev string) string {
	emoji, ok := severityEmoji[e.Policy.Rank(sev)]
	if !ok {
		emoji = ":white_circle:"
	}
	return emoji + " " + sev
}

// NextUpdate says when the next update is due, or that it is overdue.
func (e Env) NextUpdate(inc *incident.Incident) string {
	switch {
	case !inc.Status.Open():
		return "no more updates due"
	case inc.NextUpdateDue.IsZero():
		return "not scheduled"
	case inc.Overdue(e.Now):
		return fmt.Sprintf(":warning: overdue since %s", When(inc.NextUpdateDue, e.Now, e.Location))
	}
	return "due " + When(inc.NextUpdateDue, e.Now, e.Location)
}

// Value encodes an incident ID for a button value.
func Value(id int64) string { return strconv.FormatInt(id, 10) }

// Card renders the pinned incident card. It is edited in place whenever the
// incident changes, so it always shows the current state.
func (e Env) Card(inc *incident.Incident) []slack.Block {
	title := fmt.Sprintf("#%d %s", inc.ID, Plain(inc.Title))
	if inc.Private {
		title = ":lock: " + title
	}
	status := string(inc.Status)
	if inc.Status == incident.StatusResolved {
		status = ":white_check_mark: resolved"
	}
	blocks := []slack.Block{
		header(title),
		fields(
			"Severity", e.SeverityLabel(inc.Severity),
			"Status", status,
			"Operator", User(inc.Operator),
			"Spokesperson", User(inc.Spokesperson),
			"Declared", When(inc.DeclaredAt, e.Now, e.Location)+" by "+User(inc.DeclaredBy),
			"Next update", e.NextUpdate(inc),
		),
	}
	if inc.Impact != "" {
		blocks = append(blocks, section("*What users see*\n"+inc.Impact))
	}
	blocks = append(blocks, e.cardExtras(inc)...)
	blocks = append(blocks, e.CardDetails(inc)...)
	if h := inc.Handoff; h != nil {
		blocks = append(blocks, contextText(fmt.Sprintf(":arrows_counterclockwise: %s role offered to %s, waiting for them to accept.", h.Role, User(h.To))))
	}
	v := Value(inc.ID)
	switch inc.Status {
	case incident.StatusClosed:
		blocks = append(blocks, contextText(fmt.Sprintf("Closed %s. The postmortem draft is in this channel.", When(inc.ClosedAt, e.Now, e.Location))))
	case incident.StatusResolved:
		blocks = append(blocks, slack.NewActionBlock("card_actions",
			button(ActionClose, v, "Close and draft postmortem", slack.StylePrimary),
		))
	default:
		var opts []*slack.OptionBlockObject
		for _, s := range e.Policy.Severities {
			opts = append(opts, option(s.Name, s.Name, s.Description))
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Change severity"), ActionSeverity, opts...)
		blocks = append(blocks, slack.NewActionBlock("card_actions",
			button(ActionPostUpdate, v, "Post update", slack.StylePrimary),
			sel,
			button(ActionAssignRole, v, "Assign role", ""),
			e.resolveButton(inc),
		))
	}
	if inc.Drill {
		blocks = append([]slack.Block{DrillBanner()}, blocks...)
	}
	return blocks
}

// CardText is the notification text of the card.
func (e Env) CardText(inc *incident.Incident) string {
	_, text := MarkDrill(inc, nil, fmt.Sprintf("Incident #%d (%s, %s): %s", inc.ID, inc.Severity, inc.Status, inc.Title))
	return text
}

// Topic renders the war-room topic, within Slack's 250 characters.
func (e Env) Topic(inc *incident.Incident) string {
	parts := []string{
		strings.ToUpper(inc.Severity),
		string(inc.Status),
		"operator: " + e.userPlain(inc.Operator),
		"spokesperson: " + e.userPlain(inc.Spokesperson),
	}
	parts = append(parts, e.topicRoles(inc)...)
	if inc.Drill {
		parts = append([]string{"DRILL"}, parts...)
	}
	if inc.Status.Open() && !inc.NextUpdateDue.IsZero() {
		if inc.Overdue(e.Now) {
			parts = append(parts, "update OVERDUE since "+Clock(inc.NextUpdateDue, e.Location))
		} else {
			parts = append(parts, "next update due "+Clock(inc.NextUpdateDue, e.Location))
		}
	}
	return Truncate(strings.Join(parts, " | "), MaxTopic)
}

func (e Env) userPlain(id string) string {
	if id == "" {
		return "none"
	}
	return "<@" + id + ">"
}

// Announcement renders the message posted to announcement channels. A
// private incident is announced without any detail.
func (e Env) Announcement(inc *incident.Incident, warRoom string) ([]slack.Block, string) {
	if inc.Private {
		text := fmt.Sprintf(":lock: A private incident was declared (severity %s).", inc.Severity)
		return []slack.Block{section(text)}, text
	}
	text := fmt.Sprintf(":rotating_light: Incident #%d declared: %s", inc.ID, inc.Title)
	blocks := []slack.Block{
		section(fmt.Sprintf(":rotating_light: *Incident #%d declared: %s*", inc.ID, inc.Title)),
		fields(
			"Severity", e.SeverityLabel(inc.Severity),
			"Status", string(inc.Status),
			"Operator", User(inc.Operator),
			"War room", "<#"+warRoom+">",
		),
	}
	if inc.Impact != "" {
		blocks = append(blocks, section("*What users see*\n"+inc.Impact))
	}
	blocks = append(blocks, contextText("Updates follow in this thread. Join the war room to help; questions there, please, so the team can focus."))
	return blocks, text
}

// SpokespersonPicker asks the operator to choose a spokesperson.
func (e Env) SpokespersonPicker(inc *incident.Incident) []slack.Block {
	picker := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Choose a spokesperson"), ActionPickSpokesperson)
	return []slack.Block{
		section(fmt.Sprintf("%s, please choose a *spokesperson*: they post the status updates and keep the log, so you can focus on the fix.", User(inc.Operator))),
		slack.NewActionBlock("spokesperson_"+Value(inc.ID), picker),
	}
}

// RoleDM is the direct message sent to whoever takes a role.
func (e Env) RoleDM(inc *incident.Incident, role incident.Role) string {
	where := "<#" + inc.ChannelID + ">"
	if inc.ChannelID == "" {
		where = fmt.Sprintf("incident #%d", inc.ID)
	}
	return fmt.Sprintf("You are now the *%s* of incident #%d (%s) in %s.\n%s", role, inc.ID, inc.Title, where, Escape(e.Policy.Duty(role)))
}

// HandoffOffer renders a pending handoff with its brief and an Accept button.
func (e Env) HandoffOffer(inc *incident.Incident) ([]slack.Block, string) {
	h := inc.Handoff
	text := fmt.Sprintf("%s offers the %s role of incident #%d to %s.", User(h.From), h.Role, inc.ID, User(h.To))
	blocks := []slack.Block{section(":arrows_counterclockwise: " + text)}
	var b []string
	if h.Brief.State != "" {
		b = append(b, "*Current state*\n"+h.Brief.State)
	}
	if h.Brief.InFlight != "" {
		b = append(b, "*In flight*\n"+h.Brief.InFlight)
	}
	if h.Brief.Watch != "" {
		b = append(b, "*Watch out for*\n"+h.Brief.Watch)
	}
	if len(b) > 0 {
		blocks = append(blocks, Sections(strings.Join(b, "\n\n"))...)
	}
	blocks = append(blocks, slack.NewActionBlock("handoff_"+Value(inc.ID),
		button(ActionAcceptHandoff, Value(inc.ID), "Accept the "+string(h.Role)+" role", slack.StylePrimary)))
	return blocks, text
}
