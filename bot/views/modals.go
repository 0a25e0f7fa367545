package views

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
)

// Block and action IDs of modal inputs; the submission handlers read them.
const (
	InputTitle    = "title"
	InputSeverity = "severity"
	InputImpact   = "impact"
	InputPrivate  = "private"
	InputOperator = "operator"
	InputStatus   = "status"
	InputKnown    = "known"
	InputDoing    = "doing"
	InputNext     = "next"
	InputRole     = "role"
	InputUser     = "user"
	InputState    = "state"
	InputInFlight = "in_flight"
	InputWatch    = "watch"
)

func modal(callback, title, submit, metadata string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callback,
		Title:           plain(Truncate(title, 24)),
		Submit:          plain(Truncate(submit, 24)),
		Close:           plain("Cancel"),
		PrivateMetadata: metadata,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func textInput(id, label, placeholder, initial string, multiline, optional bool, maxLen int) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain(Truncate(placeholder, 150)), id)
	el.Multiline = multiline
	el.InitialValue = initial
	if maxLen > 0 {
		el.MaxLength = maxLen
	}
	b := slack.NewInputBlock(id, plain(label), nil, el)
	b.Optional = optional
	return b
}

func (e Env) severityOptions() []*slack.OptionBlockObject {
	var opts []*slack.OptionBlockObject
	for _, s := range e.Policy.Severities {
		opts = append(opts, option(s.Name, s.Name, s.Description))
	}
	return opts
}

// DeclareForm is what the declare modal starts with.
type DeclareForm struct {
	Severity string // empty: the policy's default
	Private  bool
	Operator string
	Service  string
	// Metadata travels back with the submission (where the command came
	// from, and how to answer).
	Metadata string
	// Types are the incident types to choose from, Type the one chosen
	// (issue 12; none: the form does not ask).
	Types []TypeChoice
	Type  string
	// Estimate is the impact chosen so far: the form shows the severity
	// and response it calls for.
	Estimate incident.Estimate
}

// DeclareModal asks for what a declaration needs.
func (e Env) DeclareModal(f DeclareForm) slack.ModalViewRequest {
	opts := e.severityOptions()
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a severity"), InputSeverity, opts...)
	sev := f.Severity
	if sev == "" && !e.Policy.Triage.Enabled() {
		sev = e.Policy.DefaultSeverity
	}
	for _, o := range opts {
		if o.Value == sev {
			sel.InitialOption = o
		}
	}
	privOpt := option("private", "Security incident: keep it private", "Private war room; announcements say nothing about it")
	priv := slack.NewCheckboxGroupsBlockElement(InputPrivate, privOpt)
	if f.Private {
		priv.InitialOptions = []*slack.OptionBlockObject{privOpt}
	}
	privBlock := slack.NewInputBlock(InputPrivate, plain("Privacy"), nil, priv)
	privBlock.Optional = true
	op := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Who leads the response?"), InputOperator)
	op.InitialUser = f.Operator
	sevBlock := slack.NewInputBlock(InputSeverity, plain("Severity"), nil, sel)
	if e.Policy.Triage.Enabled() {
		// Left empty, the severity comes from what users experience.
		sevBlock.Optional = true
		sevBlock.Hint = plain("Leave it empty to use the severity the impact below calls for.")
	}
	blocks := []slack.Block{
		textInput(InputTitle, "Title", "What is broken, in a few words", "", false, false, incident.MaxTitleLen),
		sevBlock,
	}
	blocks = append(blocks, e.declareTriage(f)...)
	blocks = append(blocks,
		textInput(InputImpact, "What are users seeing?", "e.g. checkout fails with a 500 for about 30% of users", "", true, true, 2000),
		textInput(InputService, "Service", "The service affected, e.g. payments", f.Service, false, true, incident.MaxServiceLen),
		privBlock,
		slack.NewInputBlock(InputOperator, plain("Operator"), plain("Leads the response and does the hands-on work."), op),
	)
	return modal(CallbackDeclare, "Declare an incident", "Declare", f.Metadata, blocks...)
}

var nextChoices = []time.Duration{10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 24 * time.Hour}

// UpdateModal asks for a status update and when the next one is due.
// metadata travels back with the submission.
func (e Env) UpdateModal(inc *incident.Incident, known, metadata string) slack.ModalViewRequest {
	var sopts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, s := range incident.Statuses[:3] {
		o := option(string(s), string(s), "")
		sopts = append(sopts, o)
		if s == inc.Status {
			initial = o
		}
	}
	st := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Status"), InputStatus, sopts...)
	st.InitialOption = initial
	cadence := e.Policy.Cadence(inc.Severity)
	var nopts []*slack.OptionBlockObject
	var ninit *slack.OptionBlockObject
	choices := nextChoices
	if !containsDuration(choices, cadence) {
		choices = append([]time.Duration{cadence}, choices...)
	}
	for _, d := range choices {
		o := option(d.String(), "in "+incident.FormatDuration(d), "")
		nopts = append(nopts, o)
		if d == cadence {
			ninit = o
		}
	}
	next := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Next update in"), InputNext, nopts...)
	next.InitialOption = ninit
	return modal(CallbackUpdate, fmt.Sprintf("Update #%d", inc.ID), "Post update", metadata,
		slack.NewInputBlock(InputStatus, plain("Status"), nil, st),
		textInput(InputKnown, "What we know", "What is happening, in plain words", Plain(known), true, false, 2500),
		textInput(InputDoing, "What we are doing", "Next steps", "", true, true, 2000),
		textInput(InputImpact, "Impact", "Who is affected and how", "", true, true, 2000),
		slack.NewInputBlock(InputNext, plain("Next update in"), plain(fmt.Sprintf("The %s cadence is %s.", inc.Severity, incident.FormatDuration(cadence))), next),
	)
}

func containsDuration(ds []time.Duration, d time.Duration) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// RoleModal asks which role to give to whom.
func (e Env) RoleModal(inc *incident.Incident, metadata string) slack.ModalViewRequest {
	role := slack.NewRadioButtonsBlockElement(InputRole, e.roleOptions()...)
	user := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Choose someone"), InputUser)
	return modal(CallbackRole, fmt.Sprintf("Roles of #%d", inc.ID), "Assign", metadata,
		section(fmt.Sprintf("Operator: %s · Spokesperson: %s\nA role someone holds changes hands through a short handoff brief.", User(inc.Operator), User(inc.Spokesperson))),
		slack.NewInputBlock(InputRole, plain("Role"), nil, role),
		slack.NewInputBlock(InputUser, plain("Person"), nil, user),
	)
}

// HandoffModal asks the outgoing holder for a brief.
func (e Env) HandoffModal(inc *incident.Incident, role incident.Role, to, metadata string) slack.ModalViewRequest {
	return modal(CallbackHandoff, "Hand off the role", "Offer handoff", metadata,
		section(fmt.Sprintf("You are handing the *%s* role of incident #%d to %s. They take it when they accept.", role, inc.ID, User(to))),
		textInput(InputState, "Current state", "Where things stand", "", true, false, 1500),
		textInput(InputInFlight, "In flight", "What is being tried right now, by whom", "", true, true, 1500),
		textInput(InputWatch, "What to watch", "Risks, dashboards, promises made", "", true, true, 1500),
	)
}
