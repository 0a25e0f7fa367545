package views

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Impact-based triage (issue 12): the declare form's questions, the
// severity and response an impact calls for, and impact revisions on the
// timeline.

// Inputs of the declare form for triage.
const (
	InputType       = "type"
	InputExperience = "experience"
	InputSecurity   = "security"
	InputLoss       = "loss"
)

// EstimateLine says what is estimated of the impact and the response
// expected at the incident's severity; "" when there is nothing to say.
func (e Env) EstimateLine(inc *incident.Incident) string {
	var parts []string
	est := inc.Estimate
	if l := est.Experience.Label(); l != "" {
		parts = append(parts, l)
	}
	if est.Security {
		parts = append(parts, "security involved")
	}
	if est.LossPerHour > 0 {
		parts = append(parts, fmt.Sprintf("about %s %s lost per hour", incident.FormatMoney(est.LossPerHour), Escape(e.Policy.Triage.Currency)))
	}
	var line string
	if len(parts) > 0 {
		line = "*Impact* " + strings.Join(parts, " · ")
	}
	if r := e.Policy.Response(inc.Severity); r != "" && inc.Status.Open() {
		if line != "" {
			line += "\n"
		}
		line += "*Expected response* " + Escape(r)
		if l, ok := e.Policy.Propose(est); ok && l.Severity != inc.Severity {
			line += fmt.Sprintf(" _(the impact suggests %s)_", Escape(l.Severity))
		}
	}
	return line
}

// TriageGuide says what each kind of impact means, for the declare form.
func (e Env) TriageGuide() string {
	t := e.Policy.Triage
	var lines []string
	for _, x := range []struct {
		what string
		l    incident.TriageLevel
	}{{incident.ExperienceBlocked.Label(), t.Blocked}, {"Degraded", t.Degraded}, {"Partly affected", t.Partial}, {"Security involved", t.Security}} {
		if x.l.Severity == "" {
			continue
		}
		line := fmt.Sprintf("• %s → *%s*", x.what, Escape(x.l.Severity))
		if x.l.Response != "" {
			line += ": " + Escape(x.l.Response)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return ""
	}
	return "*How impact sets the severity*\n" + strings.Join(lines, "\n")
}

// TypeChoice is an incident type the declare form offers.
type TypeChoice struct{ Name, Description string }

// declareTriage are the declare form's questions for issue 12: the
// incident type, what users experience, security, and the money lost per
// hour.
func (e Env) declareTriage(f DeclareForm) []slack.Block {
	var blocks []slack.Block
	if len(f.Types) > 0 {
		var opts []*slack.OptionBlockObject
		var initial *slack.OptionBlockObject
		for _, t := range f.Types {
			o := option(t.Name, t.Name, t.Description)
			opts = append(opts, o)
			if t.Name == f.Type || (f.Type == "" && initial == nil) {
				initial = o
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a type"), InputType, opts...)
		sel.InitialOption = initial
		blocks = append(blocks, slack.NewInputBlock(InputType, plain("Type"), plain("Decides the playbook the bot runs."), sel))
	}
	if !e.Policy.Triage.Enabled() {
		return blocks
	}
	var exp []*slack.OptionBlockObject
	for _, x := range incident.Experiences {
		exp = append(exp, option(string(x), Truncate(x.Label(), MaxOptionText), ""))
	}
	radio := slack.NewRadioButtonsBlockElement(InputExperience, exp...)
	expBlock := slack.NewInputBlock(InputExperience, plain("What do users experience?"), plain("With no severity chosen above, this sets it."), radio)
	// Each choice is sent at once, so that the form shows the severity
	// and response it calls for while the person fills it in.
	expBlock.Optional, expBlock.DispatchAction = true, true
	secOpt := option("security", "Security is involved", "Compromise, leaked secrets or personal data")
	sec := slack.NewCheckboxGroupsBlockElement(InputSecurity, secOpt)
	secBlock := slack.NewInputBlock(InputSecurity, plain("Security"), nil, sec)
	secBlock.Optional, secBlock.DispatchAction = true, true
	loss := textInput(InputLoss, "Money lost per hour, estimated ("+Truncate(e.Policy.Triage.Currency, 10)+")", "e.g. 5000 or 5k; leave empty if unknown", "", false, true, 20)
	blocks = append(blocks, expBlock, secBlock)
	if p := e.ProposalLine(f.Estimate); p != "" {
		blocks = append(blocks, slack.NewSectionBlock(md(p), nil, nil, slack.SectionBlockOptionBlockID("triage_proposal")))
	}
	blocks = append(blocks, loss)
	if g := e.TriageGuide(); g != "" {
		blocks = append(blocks, contextText(g))
	}
	return blocks
}

// ProposalLine says the severity and response an impact calls for; "" when
// the triage mapping says nothing about it.
func (e Env) ProposalLine(est incident.Estimate) string {
	l, ok := e.Policy.Propose(est)
	if !ok {
		return ""
	}
	line := fmt.Sprintf(":dart: Proposed severity: *%s*", Escape(l.Severity))
	if l.Response != "" {
		line += "; expected response: " + Escape(l.Response)
	}
	return line + "."
}

// describeImpact renders an impact revision for the Slack timeline.
func describeImpact(ev incident.Event, who string) string {
	var est []string
	if x := incident.Experience(ev.Field("experience")).Label(); x != "" {
		est = append(est, x)
	}
	if ev.Field("security") == "true" {
		est = append(est, "security involved")
	}
	if l := ev.Field("loss_per_hour"); l != "" && l != "0" {
		est = append(est, l+" lost per hour")
	}
	if p := ev.Field("proposed"); p != "" {
		est = append(est, "suggests "+p)
	}
	switch {
	case ev.Text != "" && len(est) > 0:
		return fmt.Sprintf(":busts_in_silhouette: %s recorded the impact: %s (estimate: %s)", who, ev.Text, strings.Join(est, "; "))
	case len(est) > 0:
		return fmt.Sprintf(":busts_in_silhouette: %s revised the impact estimate: %s", who, strings.Join(est, "; "))
	}
	return fmt.Sprintf(":busts_in_silhouette: %s recorded the impact: %s", who, ev.Text)
}
