package views

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// The surfaces of issue 12: playbook checklists, roles beyond operator and
// spokesperson, impact triage and drills.

// ActionChecklistStep is the action_id of a checklist step's checkbox.
// Its block_id is "step_<incident>_<n>", n the step's number from 1.
const ActionChecklistStep = "incident_checklist_step"

// Inputs of the declare form for triage.
const (
	InputType       = "type"
	InputExperience = "experience"
	InputSecurity   = "security"
	InputLoss       = "loss"
)

// StepBlockID is the block_id of step n (from 1) of incident id.
func StepBlockID(id int64, n int) string { return fmt.Sprintf("step_%d_%d", id, n) }

// ParseStepBlockID reads a block_id made by StepBlockID.
func ParseStepBlockID(s string) (id int64, n int, ok bool) {
	rest, found := strings.CutPrefix(s, "step_")
	a, b, cut := strings.Cut(rest, "_")
	if !found || !cut {
		return 0, 0, false
	}
	id, err1 := strconv.ParseInt(a, 10, 64)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || id <= 0 || n <= 0 {
		return 0, 0, false
	}
	return id, n, true
}

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

// Checklist renders the checklist of one playbook that ran on inc: a
// checkbox per step, ticked steps struck through with who did them and
// when. Once the incident has ended the checkboxes go: the checklist is
// then a record.
func (e Env) Checklist(inc *incident.Incident, playbook string) ([]slack.Block, string) {
	title := playbook
	for _, p := range inc.ChecklistPosts {
		if p.Playbook == playbook && p.Title != "" {
			title = p.Title
		}
	}
	var done, total, reqOpen int
	var steps []slack.Block
	for i, s := range inc.Checklist {
		if s.Playbook() != playbook {
			continue
		}
		total++
		if s.Done {
			done++
		} else if s.Required {
			reqOpen++
		}
		steps = append(steps, e.stepBlock(inc, i+1, s))
	}
	head := fmt.Sprintf(":clipboard: *%s* checklist for incident #%d: %d of %d done", Escape(title), inc.ID, done, total)
	if reqOpen > 0 {
		head += fmt.Sprintf(", %d required before resolve still open", reqOpen)
	}
	blocks := []slack.Block{section(head)}
	blocks = append(blocks, steps...)
	if inc.Status.Ended() {
		blocks = append(blocks, contextText("The incident has ended: this checklist is its record."))
	} else {
		blocks = append(blocks, contextText("Tick a step when it is done; each tick goes on the timeline with your name. `/incident checklist` shows all of them."))
	}
	blocks, text := MarkDrill(inc, blocks, fmt.Sprintf("Checklist %s for incident #%d: %d of %d done", Plain(title), inc.ID, done, total))
	return blocks, text
}

// stepLine renders step n for a message: number, text, owner, whether it
// is required, its runbook, and who did it.
func (e Env) stepLine(n int, s incident.Step) string {
	text := Escape(s.Text)
	if s.Done {
		text = "~" + text + "~"
	}
	line := fmt.Sprintf("*%d.* %s", n, text)
	var notes []string
	if s.Owner != "" {
		notes = append(notes, s.Owner.Label())
	}
	if s.Required {
		notes = append(notes, "required before resolve")
	}
	if len(notes) > 0 {
		line += " _(" + strings.Join(notes, ", ") + ")_"
	}
	if s.Runbook != "" {
		line += " <" + Escape(s.Runbook) + "|runbook>"
	}
	if s.Done {
		line += fmt.Sprintf("\n:white_check_mark: %s, %s", User(s.DoneBy), When(s.DoneAt, e.Now, e.Location))
	}
	return line
}

func (e Env) stepBlock(inc *incident.Incident, n int, s incident.Step) slack.Block {
	id := slack.SectionBlockOptionBlockID(StepBlockID(inc.ID, n))
	if inc.Status.Ended() {
		mark := ":white_large_square: "
		if s.Done {
			mark = ":white_check_mark: "
		}
		return slack.NewSectionBlock(md(Truncate(mark+e.stepLine(n, s), MaxSectionText)), nil, nil, id)
	}
	opt := option(s.ID, "Done", "")
	box := slack.NewCheckboxGroupsBlockElement(ActionChecklistStep, opt)
	if s.Done {
		box.InitialOptions = []*slack.OptionBlockObject{opt}
	}
	return slack.NewSectionBlock(md(Truncate(e.stepLine(n, s), MaxSectionText)), nil, slack.NewAccessory(box), id)
}

// ChecklistReply answers /incident checklist: every step, numbered as
// `/incident checklist done N` takes them, with the progress.
func (e Env) ChecklistReply(inc *incident.Incident) []slack.Block {
	if len(inc.Checklist) == 0 {
		return Ephemeral(fmt.Sprintf("No playbook with a checklist ran on incident #%d.", inc.ID))
	}
	done := inc.StepsDone()
	head := fmt.Sprintf("*Checklist of incident #%d*: %d of %d done", inc.ID, done, len(inc.Checklist))
	if open := inc.RequiredOpen(); len(open) > 0 {
		head += fmt.Sprintf(", %d required before resolve still open", len(open))
	}
	var lines []string
	last, size := "", 0
	for i, s := range inc.Checklist {
		mark := ":white_large_square: "
		if s.Done {
			mark = ":white_check_mark: "
		}
		line := mark + e.stepLine(i+1, s)
		if pb := s.Playbook(); pb != last {
			line = "*" + Escape(e.playbookTitle(inc, pb)) + "*\n" + line
			last = pb
		}
		// A reply is one message: past Slack's limit, the war room's
		// checklist messages show the rest.
		if size += utf8.RuneCountInString(line) + 1; size > pageText-2000 {
			lines = append(lines, fmt.Sprintf("…and %d more steps: the checklist messages in the war room show them all.", len(inc.Checklist)-i))
			break
		}
		lines = append(lines, line)
	}
	blocks := []slack.Block{section(head)}
	blocks = append(blocks, Sections(strings.Join(lines, "\n"))...)
	if inc.Status.Ended() {
		return blocks
	}
	return append(blocks, contextText(fmt.Sprintf("Tick steps in the war room, or `/incident %d checklist done N`.", inc.ID)))
}

func (e Env) playbookTitle(inc *incident.Incident, name string) string {
	for _, p := range inc.ChecklistPosts {
		if p.Playbook == name && p.Title != "" {
			return p.Title
		}
	}
	return name
}

// cardExtras are the card's lines for issue 12: the impact estimate and
// the expected response, the roles beyond operator and spokesperson, and
// the checklist's progress.
func (e Env) cardExtras(inc *incident.Incident) []slack.Block {
	var lines []string
	if est := e.EstimateLine(inc); est != "" {
		lines = append(lines, est)
	}
	if roles := e.crewLine(inc, User); roles != "" {
		lines = append(lines, roles)
	}
	if n := len(inc.Checklist); n > 0 {
		line := fmt.Sprintf(":clipboard: *Checklist* %d of %d done", inc.StepsDone(), n)
		if open := len(inc.RequiredOpen()); open > 0 {
			line += fmt.Sprintf(", %d required before resolve open", open)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return nil
	}
	return []slack.Block{section(strings.Join(lines, "\n"))}
}

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

// crewLine lists the roles beyond operator and spokesperson that someone
// holds or a playbook needs, holders rendered by who.
func (e Env) crewLine(inc *incident.Incident, who func(string) string) string {
	var parts []string
	for _, spec := range e.Policy.Roles {
		holders := inc.Holders(spec.Name)
		needed := false
		for _, r := range inc.RolesNeeded {
			needed = needed || r == spec.Name
		}
		if len(holders) == 0 && !needed {
			continue
		}
		names := make([]string, len(holders))
		for i, h := range holders {
			names[i] = who(h)
		}
		if len(names) == 0 {
			names = []string{who("")}
		}
		parts = append(parts, spec.Name.Label()+": "+strings.Join(names, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "*Roles* " + strings.Join(parts, " · ")
}

// topicRoles are the topic's parts for the held roles beyond operator and
// spokesperson.
func (e Env) topicRoles(inc *incident.Incident) []string {
	var out []string
	for _, spec := range e.Policy.Roles {
		hs := inc.Holders(spec.Name)
		if len(hs) == 0 {
			continue
		}
		names := make([]string, len(hs))
		for i, h := range hs {
			names[i] = e.userPlain(h)
		}
		out = append(out, string(spec.Name)+": "+strings.Join(names, ", "))
	}
	return out
}

// resolveButton is the card's Resolve button. With steps required before
// resolve still open it asks for confirmation first, listing them, and
// carries "anyway" once confirmed.
func (e Env) resolveButton(inc *incident.Incident) *slack.ButtonBlockElement {
	v := Value(inc.ID)
	open := inc.RequiredOpen()
	if len(open) == 0 {
		return button(ActionResolve, v, "Resolve", slack.StyleDanger)
	}
	var names []string
	for _, s := range open {
		names = append(names, "• "+s.Text)
	}
	text := fmt.Sprintf("%d checklist steps required before resolve are still open:\n%s", len(open), strings.Join(names, "\n"))
	if len(open) == 1 {
		text = "A checklist step required before resolve is still open:\n" + names[0]
	}
	confirm := slack.NewConfirmationBlockObject(plain("Resolve with steps open?"), plain(Truncate(text, 300)),
		plain("Resolve anyway"), plain("Go back"))
	return button(ActionResolve, v+":anyway", "Resolve", slack.StyleDanger).WithConfirm(confirm)
}

// roleOptions are the radio buttons of the role form: operator,
// spokesperson, then the configured roles.
func (e Env) roleOptions() []*slack.OptionBlockObject {
	opts := []*slack.OptionBlockObject{
		option(string(incident.RoleOperator), "Operator", "Leads the response, hands-on"),
		option(string(incident.RoleSpokesperson), "Spokesperson", "Owns communication and the log"),
	}
	for _, r := range e.Policy.Roles {
		opts = append(opts, option(string(r.Name), r.Name.Label(), r.Description))
	}
	return opts
}

// RolesNeeded asks the war room to fill the roles the playbooks need and
// nobody holds; false when every one is held.
func (e Env) RolesNeeded(inc *incident.Incident) ([]slack.Block, string, bool) {
	var lines []string
	for _, r := range inc.RolesNeeded {
		if r == incident.RoleOperator || r == incident.RoleSpokesperson || len(inc.Holders(r)) > 0 {
			continue
		}
		line := "• *" + r.Label() + "*"
		if d := e.Policy.Duty(r); d != "" {
			line += ": " + Escape(d)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return nil, "", false
	}
	text := fmt.Sprintf(":busts_in_silhouette: The playbooks of incident #%d need these roles filled:\n%s\nTake one with `/incident role NAME @me`, or give it with `/incident role NAME @someone`.", inc.ID, strings.Join(lines, "\n"))
	blocks, note := MarkDrill(inc, Sections(text), fmt.Sprintf("Incident #%d needs roles filled", inc.ID))
	return blocks, note, true
}

// PlaybookNotice tells someone a playbook asks them to know about inc.
// For a private incident it says no more than that one exists and whom to
// ask.
func (e Env) PlaybookNotice(inc *incident.Incident, playbooks []string) ([]slack.Block, string) {
	if inc.Private {
		text := fmt.Sprintf(":lock: A private incident was declared (severity %s), and the %s playbook asks that you know. Ask %s to add you to it.", inc.Severity, strings.Join(playbooks, ", "), User(inc.Operator))
		return MarkDrill(inc, []slack.Block{section(text)}, "A private incident was declared")
	}
	text := fmt.Sprintf(":rotating_light: Incident #%d (%s): %s. The %s playbook asks that you know.", inc.ID, e.SeverityLabel(inc.Severity), inc.Title, strings.Join(playbooks, ", "))
	if inc.ChannelID != "" {
		text += " War room: <#" + inc.ChannelID + ">."
	}
	return MarkDrill(inc, []slack.Block{section(text)}, fmt.Sprintf("Incident #%d: %s", inc.ID, Truncate(inc.Title, 200)))
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

// describePlaybook renders the events of playbooks, checklists and
// configured roles for the Slack timeline.
func describePlaybook(ev incident.Event, who string) string {
	f := ev.Field
	switch ev.Kind {
	case incident.EventPlaybookRun:
		why := "at declaration"
		if f("trigger") == incident.TriggerSeverity {
			why = "as the severity changed"
		}
		return fmt.Sprintf(":clipboard: the %s playbook ran %s", Escape(ev.Text), why)
	case incident.EventStepDone:
		return fmt.Sprintf(":white_check_mark: %s ticked checklist step %s: %s", who, f("n"), Escape(ev.Text))
	case incident.EventStepUndone:
		return fmt.Sprintf(":white_large_square: %s unticked checklist step %s: %s", who, f("n"), Escape(ev.Text))
	case incident.EventRoleRemoved:
		if f("user") == ev.Actor {
			return fmt.Sprintf(":bust_in_silhouette: %s left the %s role", who, f("role"))
		}
		return fmt.Sprintf(":bust_in_silhouette: %s took the %s role from %s", who, f("role"), User(f("user")))
	}
	return fmt.Sprintf("%s: %s %s", ev.Kind, who, ev.Text)
}
