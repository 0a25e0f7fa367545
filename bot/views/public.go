package views

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
)

// Inputs and callbacks of public communication.
const (
	// InputPublish is the update form's "publish to the status page"
	// checkbox.
	InputPublish = "publish"
	// CallbackSummary is the customer summary form.
	CallbackSummary   = "incident_summary"
	InputWhatHappened = "what_happened"
	InputApology      = "apology"
	InputChanges      = "changes"
)

// publishValue is the value of the publish checkbox's one option.
const publishValue = "publish"

// WithPublishChoice adds to an update form the choice to publish the
// update on the status page, ticked when on. It goes before the last
// input (when the next update is due).
func WithPublishChoice(v slack.ModalViewRequest, on bool) slack.ModalViewRequest {
	opt := option(publishValue, "Publish to the status page", "Customers see this update, as written")
	cb := slack.NewCheckboxGroupsBlockElement(InputPublish, opt)
	if on {
		cb.InitialOptions = []*slack.OptionBlockObject{opt}
	}
	b := slack.NewInputBlock(InputPublish, plain("Status page"), nil, cb)
	b.Optional = true
	blocks := v.Blocks.BlockSet
	at := max(len(blocks)-1, 0)
	v.Blocks.BlockSet = append(blocks[:at:at], append([]slack.Block{b}, blocks[at:]...)...)
	return v
}

// Published reads the publish checkbox of a submitted update form: nil
// when the form had none.
func Published(state *slack.ViewState) *bool {
	if state == nil {
		return nil
	}
	in, ok := state.Values[InputPublish][InputPublish]
	if !ok {
		return nil
	}
	on := false
	for _, o := range in.SelectedOptions {
		on = on || o.Value == publishValue
	}
	return &on
}

// SummaryModal asks the spokesperson for the customer-facing summary,
// prefilled with the summary written before, else with what the incident
// recorded (its impact).
func (e Env) SummaryModal(inc *incident.Incident, metadata string) slack.ModalViewRequest {
	var s incident.CustomerSummary
	if inc.CustomerSummary != nil {
		s = *inc.CustomerSummary
	} else {
		s.Impact = inc.Impact
	}
	max := incident.MaxSummaryField
	return modal(CallbackSummary, fmt.Sprintf("Summary of #%d", inc.ID), "Publish", metadata,
		section(fmt.Sprintf("What customers read about incident #%d on the status page, once it is resolved. Write for them: no internal names, no blame.", inc.ID)),
		textInput(InputWhatHappened, "What happened", "In plain words, what went wrong", Plain(s.WhatHappened), true, false, max),
		textInput(InputImpact, "Impact", "Who was affected, how, and for how long", Plain(s.Impact), true, true, max),
		textInput(InputApology, "Apology", "We are sorry for…", Plain(s.Apology), true, true, max),
		textInput(InputChanges, "What we change", "So that it does not happen again", Plain(s.Changes), true, true, max),
	)
}

// StakeholderMessage renders a notification for Slack: the headline, the
// body as a quote, the links. The note is plain text: it is escaped here.
func StakeholderMessage(n stakeholders.Note) ([]slack.Block, string) {
	head := Escape(n.Headline)
	if n.Drill {
		head = ":test_tube: *Drill* · " + head
	}
	blocks := []slack.Block{section(":mega: " + head)}
	if len(n.Body) > 0 {
		blocks = append(blocks, section(Truncate(Quote(Escape(strings.Join(n.Body, "\n"))), 2900)))
	}
	var links []string
	if u := n.Links.WarRoom; u != "" {
		links = append(links, "<"+u+"|War room>")
	}
	if u := n.Links.StatusPage; u != "" {
		links = append(links, "<"+u+"|Status page>")
	}
	if u := n.Links.Report; u != "" {
		links = append(links, "<"+u+"|Postmortem>")
	}
	footer := "You follow this incident as a stakeholder. `/incident unsubscribe` stops what you subscribed to yourself."
	if len(links) > 0 {
		footer = strings.Join(links, " · ") + " · " + footer
	}
	blocks = append(blocks, contextText(footer))
	return blocks, Truncate(n.Subject, 300)
}
