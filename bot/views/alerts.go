package views

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Action IDs of the triage message's buttons; their value is the alert
// group's key. Never rename one: old messages carry them.
const (
	ActionTriageDeclare = "incident_triage_declare"
	ActionTriageLink    = "incident_triage_link"
	ActionTriageDismiss = "incident_triage_dismiss"
)

// CallbackTriageLink is the callback ID of the "Link to incident" modal.
const CallbackTriageLink = "incident_triage_link"

// InputLinkIncident is the incident picker of the link modal.
const InputLinkIncident = "link_incident"

// maxAlertLines bounds the alerts a message lists one by one.
const maxAlertLines = 10

// alertCounts says how many alerts fire and resolved, and how often the
// group was notified.
func alertCounts(firing, resolved, notifications int) string {
	s := fmt.Sprintf("%d firing", firing)
	if resolved > 0 {
		s += fmt.Sprintf(", %d resolved", resolved)
	}
	switch {
	case notifications > 1:
		s += fmt.Sprintf(" · notified %d times", notifications)
	case notifications == 1:
		s += " · notified once"
	}
	return s
}

// alertLines lists the alerts of g, firing first.
func alertLines(g *incident.AlertGroup) string {
	var lines []string
	for _, firing := range []bool{true, false} {
		for _, a := range g.Alerts {
			if a.Firing != firing || len(lines) == maxAlertLines {
				continue
			}
			mark := ":red_circle:"
			if !firing {
				mark = ":white_check_mark:"
			}
			line := mark + " " + a.Name
			if a.Summary != "" && a.Summary != a.Name {
				line += " — " + Truncate(a.Summary, 200)
			}
			lines = append(lines, line)
		}
	}
	if more := len(g.Alerts) + g.Omitted - len(lines); more > 0 {
		lines = append(lines, fmt.Sprintf("_and %d more_", more))
	}
	return strings.Join(lines, "\n")
}

// link renders url as a mrkdwn link labelled label, or "" without a URL.
// The URL is an http(s) URL checked by the intake; | and > would end the
// link early, so they are escaped.
func link(url, label string) string {
	if url == "" {
		return ""
	}
	url = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(url)
	return "<" + url + "|" + label + ">"
}

// TriageMessage renders the triage channel's message for alert group g:
// what fires, and Declare, Link to incident and Dismiss while nobody has
// decided; the decision once someone has. private says that the incident
// it was linked to is private: the triage channel does not learn its
// number.
func (e Env) TriageMessage(g *incident.AlertGroup, private bool) ([]slack.Block, string) {
	mark := ":rotating_light:"
	if g.Firing() == 0 {
		mark = ":white_check_mark:"
	}
	head := fmt.Sprintf("%s *%s*", mark, g.Title)
	if g.Summary != "" {
		head += "\n" + Truncate(g.Summary, 500)
	}
	blocks := []slack.Block{section(head)}
	if lines := alertLines(g); lines != "" {
		blocks = append(blocks, section(lines))
	}
	meta := fmt.Sprintf("From %s, route %s · %s · first %s, last %s",
		g.Source, g.Route.Name, alertCounts(g.Firing(), g.Resolved()+g.Omitted, g.Notifications),
		When(g.FirstAt, e.Now, e.Location), When(g.LastAt, e.Now, e.Location))
	if l := link(g.URL, "source"); l != "" {
		meta += " · " + l
	}
	if g.Previous != 0 {
		meta += fmt.Sprintf(" · fired again after incident #%d", g.Previous)
	}
	blocks = append(blocks, contextText(meta))
	text := fmt.Sprintf("Alert: %s (%s)", Plain(g.Title), alertCounts(g.Firing(), g.Resolved()+g.Omitted, g.Notifications))
	switch g.State {
	case incident.AlertTriage:
		blocks = append(blocks, slack.NewActionBlock("triage_actions",
			button(ActionTriageDeclare, g.Key, "Declare", slack.StylePrimary),
			button(ActionTriageLink, g.Key, "Link to incident", ""),
			button(ActionTriageDismiss, g.Key, "Dismiss", ""),
		))
	case incident.AlertDeclared:
		blocks = append(blocks, contextText(fmt.Sprintf(":white_check_mark: %s declared incident #%d.", decider(g.DecidedBy), g.IncidentID)))
	case incident.AlertLinked:
		if private {
			blocks = append(blocks, contextText(fmt.Sprintf(":link: %s linked it to a private incident.", decider(g.DecidedBy))))
			break
		}
		blocks = append(blocks, contextText(fmt.Sprintf(":link: %s linked it to incident #%d.", decider(g.DecidedBy), g.IncidentID)))
	case incident.AlertDismissed:
		blocks = append(blocks, contextText(fmt.Sprintf(":no_bell: %s dismissed it.", decider(g.DecidedBy))))
	}
	return blocks, text
}

func decider(user string) string {
	if user == "" {
		return "incidentbot"
	}
	return User(user)
}

// CardDetails renders what the incident card shows of its service, type,
// cause category and alert group; nil when it has none of them.
func (e Env) CardDetails(inc *incident.Incident) []slack.Block {
	var blocks []slack.Block
	if line := strings.Join(nonEmpty(labelled("Service", inc.Service), labelled("Type", inc.Type),
		labelled("Playbooks", strings.Join(inc.Playbooks, ", ")), labelled("Cause", inc.CauseCategory)), " · "); line != "" {
		blocks = append(blocks, contextText(line))
	}
	return append(blocks, e.alertSection(inc)...)
}

// alertSection renders what the incident card shows of its alert group.
func (e Env) alertSection(inc *incident.Incident) []slack.Block {
	a := inc.Alert
	if a == nil {
		return nil
	}
	s := fmt.Sprintf("*Alert* (%s): %s", a.Source, a.Title)
	if a.Summary != "" {
		s += "\n" + Truncate(a.Summary, 500)
	}
	s += "\n" + alertCounts(a.Firing, a.Resolved, a.Notifications) + ", last " + When(a.LastAt, e.Now, e.Location)
	if l := link(a.URL, "source"); l != "" {
		s += " · " + l
	}
	return []slack.Block{section(s)}
}

// AlertDeclared is posted in the war room of an incident declared from an
// alert: what fires, and a call to take the operator role, which nobody
// holds yet when incidentbot declared it. It is rendered before the store
// numbers the incident, so it names no incident number: the war room it
// is posted in says which incident it is.
func (e Env) AlertDeclared(inc *incident.Incident, g *incident.AlertGroup) ([]slack.Block, string) {
	head := fmt.Sprintf(":rotating_light: Declared from an alert (%s, route %s): *%s*", g.Source, g.Route.Name, g.Title)
	if g.Summary != "" {
		head += "\n" + Truncate(g.Summary, 500)
	}
	blocks := []slack.Block{section(head)}
	if lines := alertLines(g); lines != "" {
		blocks = append(blocks, section(lines))
	}
	if line := strings.Join(nonEmpty(labelled("Type", inc.Type), labelled("Playbooks", strings.Join(inc.Playbooks, ", "))), " · "); line != "" {
		blocks = append(blocks, contextText(line))
	}
	if inc.Operator == "" {
		blocks = append(blocks,
			section("Nobody leads this incident yet. Whoever takes it on: take the *operator* role."),
			slack.NewActionBlock("alert_roles", button(ActionAssignRole, Value(inc.ID), "Assign role", slack.StylePrimary)))
	}
	return blocks, "Declared from an alert: " + Plain(g.Title)
}

// AlertsResolved suggests resolving an incident whose alerts all
// resolved; incidentbot never resolves by itself.
func (e Env) AlertsResolved(inc *incident.Incident, title string) ([]slack.Block, string) {
	text := fmt.Sprintf(":white_check_mark: Every alert of *%s* is resolved. If the service is healthy again, resolve the incident; if not, carry on.", title)
	blocks := []slack.Block{section(text)}
	if inc.Status.Open() {
		blocks = append(blocks, slack.NewActionBlock("alerts_resolved_"+Value(inc.ID), button(ActionResolve, Value(inc.ID), "Resolve", slack.StylePrimary)))
	}
	return blocks, fmt.Sprintf("Every alert of incident #%d is resolved", inc.ID)
}

// TriageLinkModal asks which open incident to link alert group g to;
// incs are those the person may see (at most 100 are offered).
func (e Env) TriageLinkModal(g *incident.AlertGroup, incs []*incident.Incident, metadata string) slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	for _, inc := range incs {
		if len(opts) == 100 {
			break
		}
		label := fmt.Sprintf("#%d %s", inc.ID, Plain(inc.Title))
		opts = append(opts, option(Value(inc.ID), label, string(inc.Severity)+", "+string(inc.Status)))
	}
	intro := section(fmt.Sprintf("Link the alert *%s* to an open incident: its alerts join that incident's timeline, and the triage message says where it went.", g.Title))
	if len(opts) == 0 {
		return modal(CallbackTriageLink, "Link to incident", "Close", metadata, intro,
			section("There is no open incident you can see. Declare one with the *Declare* button instead."))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an incident"), InputLinkIncident, opts...)
	return modal(CallbackTriageLink, "Link to incident", "Link", metadata, intro,
		slack.NewInputBlock(InputLinkIncident, plain("Incident"), nil, sel))
}

func labelled(label, value string) string {
	if value == "" {
		return ""
	}
	return label + ": " + Escape(value)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// describeIntake renders the timeline events of alerts, services and
// causes with a category; ok is false for other events.
func describeIntake(ev incident.Event, who string) (string, bool) {
	f := ev.Field
	switch ev.Kind {
	case incident.EventAlertFired:
		return fmt.Sprintf(":red_circle: alert firing (%s): %s", f("source"), Truncate(ev.Text, 500)), true
	case incident.EventAlertResolved:
		s := fmt.Sprintf(":white_check_mark: alert resolved (%s): %s", f("source"), Truncate(ev.Text, 500))
		if f("all_resolved") == "true" {
			s += " — every alert of the group is resolved"
		}
		return s, true
	case incident.EventAlertLinked:
		return fmt.Sprintf(":link: %s linked the alert group %s (%s firing)", who, ev.Text, f("firing")), true
	case incident.EventServiceSet:
		if f("to") == "" {
			return fmt.Sprintf(":gear: %s cleared the service", who), true
		}
		return fmt.Sprintf(":gear: %s set the service to %s", who, Escape(f("to"))), true
	case incident.EventCauseRecorded:
		if f("category") == "" && f("deploy") == "" {
			return "", false
		}
		s := fmt.Sprintf(":mag: %s recorded the root cause", who)
		if c := f("category"); c != "" {
			s += " (" + c + ")"
		}
		if d := f("deploy_label"); d != "" {
			s += ", pointing at the deploy " + Escape(d)
		}
		if ev.Text != "" {
			s += ": " + ev.Text
		}
		return s, true
	}
	return "", false
}
