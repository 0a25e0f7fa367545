package views

import (
	"time"

	"github.com/slack-go/slack"
)

// Action IDs of every interactive element the bot renders. The router
// dispatches on them, so they are part of the contract with old messages:
// never rename one.
const (
	ActionPostUpdate       = "incident_post_update"
	ActionSeverity         = "incident_severity"
	ActionAssignRole       = "incident_assign_role"
	ActionResolve          = "incident_resolve"
	ActionClose            = "incident_close"
	ActionPickSpokesperson = "incident_pick_spokesperson"
	ActionAcceptHandoff    = "incident_accept_handoff"
	ActionSnooze           = "incident_snooze"
	ActionTaskDone         = "incident_task_done"
	ActionTaskReopen       = "incident_task_reopen"
)

// Callback IDs of the modals.
const (
	CallbackDeclare = "incident_declare"
	CallbackUpdate  = "incident_update"
	CallbackRole    = "incident_role"
	CallbackHandoff = "incident_handoff"
	CallbackResolve = "incident_resolve"
)

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func md(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(md(Truncate(text, MaxSectionText)), nil, nil)
}

func fields(kv ...string) *slack.SectionBlock {
	var fs []*slack.TextBlockObject
	for i := 0; i+1 < len(kv) && len(fs) < 10; i += 2 {
		fs = append(fs, md(Truncate("*"+kv[i]+"*\n"+kv[i+1], MaxFieldText)))
	}
	return slack.NewSectionBlock(nil, fs, nil)
}

func contextText(s string) *slack.ContextBlock {
	return slack.NewContextBlock("", md(Truncate(s, MaxSectionText)))
}

func header(s string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plain(Truncate(s, MaxHeaderText)))
}

func button(actionID, value, label string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, plain(Truncate(label, MaxButtonText)))
	if style != "" {
		b.Style = style
	}
	return b
}

func option(value, label, description string) *slack.OptionBlockObject {
	var d *slack.TextBlockObject
	if description != "" {
		d = plain(Truncate(description, MaxOptionText))
	}
	return slack.NewOptionBlockObject(value, plain(Truncate(label, MaxOptionText)), d)
}

// User renders a Slack user ID as a mention, or a placeholder.
func User(id string) string {
	if id == "" {
		return "_nobody yet_"
	}
	return "<@" + id + ">"
}

// Clock renders t as HH:MM in loc, with the zone abbreviation.
func Clock(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("15:04 MST")
}

// When renders t with its date when it is not the same day as now.
func When(t, now time.Time, loc *time.Location) string {
	lt, ln := t.In(loc), now.In(loc)
	if lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year() {
		return lt.Format("15:04 MST")
	}
	return lt.Format("Mon 2 Jan 15:04 MST")
}

// Context renders a line of small print.
func Context(s string) slack.Block { return contextText(s) }
