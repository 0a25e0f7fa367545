package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// onSubscribe routes /incident subscribe and unsubscribe: the incident
// given (#N), all of them (all), else the war room's incident, else all.
func (a *App) onSubscribe(ctx context.Context, sc slack.SlashCommand, cmd command.Command, o op, keys []string, ack func(any)) {
	o.Kind, o.Tier = opSubscribe, cmd.Tier
	if cmd.Kind == command.KindUnsubscribe {
		o.Kind = opUnsubscribe
	}
	switch {
	case cmd.All:
		o.All = true
	case cmd.Incident != 0:
		o.Incident = cmd.Incident
	default:
		inc, err := a.store.FindIncidentByChannel(ctx, sc.ChannelID)
		switch {
		case err == nil:
			o.Incident = inc.ID
		case incident.ErrorCode(err) == incident.ENOTFOUND:
			o.All = true
		default:
			a.fail("find the incident of a subscription", err)
			ack(ackError(err, ""))
			return
		}
	}
	a.accept(ctx, o, keys, ack, ackFor(""))
}

// publishChoice turns update's flags into the op's choice.
func publishChoice(p command.Publish) *bool {
	switch p {
	case command.PublishYes:
		on := true
		return &on
	case command.PublishNo:
		off := false
		return &off
	}
	return nil
}

// openSummaryForm opens the customer summary form, after the checks the
// submission will face: one answer now beats a form refused later.
func (a *App) openSummaryForm(ctx context.Context, inc *incident.Incident, sc slack.SlashCommand, ack func(any)) {
	probe := inc.Clone()
	if _, err := probe.WriteCustomerSummary(a.policy, sc.UserID, incident.CustomerSummary{WhatHappened: "-"}, a.now()); err != nil {
		ack(ackError(err, ""))
		return
	}
	meta := encodeMeta(formMeta{Incident: inc.ID, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL})
	a.openForm(ctx, sc.TriggerID, a.env().SummaryModal(inc, meta), ack)
}

// readSummary reads the customer summary form. Form text is plain:
// escaped as everything people write is stored.
func readSummary(cb slack.InteractionCallback) *incident.CustomerSummary {
	return &incident.CustomerSummary{
		WhatHappened: views.FromInput(input(cb, views.InputWhatHappened).Value),
		Impact:       views.FromInput(input(cb, views.InputImpact).Value),
		Apology:      views.FromInput(input(cb, views.InputApology).Value),
		Changes:      views.FromInput(input(cb, views.InputChanges).Value),
	}
}
