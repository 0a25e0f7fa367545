package views

import (
	"fmt"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// CallbackCause is the callback ID of the root-cause modal.
const CallbackCause = "incident_cause"

// Inputs of the root-cause modal and of the declare modal's service.
const (
	InputCauseText     = "cause_text"
	InputCauseCategory = "cause_category"
	InputCauseDeploy   = "cause_deploy"
	InputService       = "service"
)

// NoDeploy is the value of the deploy picker's "none of these" choice.
const NoDeploy = "-"

// CauseModal asks for the root cause of inc: its category, the deploy it
// points at (one of deploys, the recent deploys of inc's service, newest
// first) and its text. What is recorded already is preselected.
func (e Env) CauseModal(inc *incident.Incident, deploys []incident.Deploy, metadata string) slack.ModalViewRequest {
	var copts []*slack.OptionBlockObject
	var cinit *slack.OptionBlockObject
	for _, c := range incident.CauseCategories {
		o := option(c, c, causeHelp[c])
		copts = append(copts, o)
		if c == inc.CauseCategory {
			cinit = o
		}
	}
	cat := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a category"), InputCauseCategory, copts...)
	cat.InitialOption = cinit
	catBlock := slack.NewInputBlock(InputCauseCategory, plain("Category"), nil, cat)
	catBlock.Optional = true
	blocks := []slack.Block{catBlock}
	if len(deploys) > 0 {
		dopts := []*slack.OptionBlockObject{option(NoDeploy, "None of these", "")}
		var dinit *slack.OptionBlockObject
		for _, d := range deploys {
			label := fmt.Sprintf("%s to %s", d.Version, d.Environment)
			o := option(d.Key, label, When(d.Time, e.Now, e.Location))
			dopts = append(dopts, o)
			if d.Key == inc.CauseDeploy {
				dinit = o
			}
		}
		dep := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a deploy"), InputCauseDeploy, dopts...)
		dep.InitialOption = dinit
		depBlock := slack.NewInputBlock(InputCauseDeploy, plain("Deploy of "+Truncate(inc.Service, 100)),
			plain("The change failure rate counts the deploy you choose as failed."), dep)
		depBlock.Optional = true
		blocks = append(blocks, depBlock)
	} else {
		hint := "No deploy of " + Escape(inc.Service) + " is recorded yet: your CI sends them to `/hooks/deploy`."
		if inc.Service == "" {
			hint = "Set the incident's service (`/incident service NAME`) to choose the deploy that caused it."
		}
		blocks = append(blocks, contextText(hint))
	}
	blocks = append(blocks, textInput(InputCauseText, "Root cause", "What caused the incident", Plain(inc.Cause), true, true, 2500))
	return modal(CallbackCause, fmt.Sprintf("Root cause of #%d", inc.ID), "Record", metadata, blocks...)
}

var causeHelp = map[string]string{
	incident.CauseChange:     "A deploy or another change we made",
	incident.CauseConfig:     "A configuration or feature-flag change",
	incident.CauseCapacity:   "Load beyond what was provisioned",
	incident.CauseDependency: "A provider or another team's service",
	incident.CauseHardware:   "Machines, disks, network",
	incident.CauseSecurity:   "An attack or a vulnerability",
	incident.CauseUnknown:    "Not found (yet)",
}
