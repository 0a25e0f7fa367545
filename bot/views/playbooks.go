package views

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// The surfaces of issue 12: playbook checklists and roles beyond operator
// and spokesperson (drills: drill.go; impact triage: triage.go).

// ActionChecklistStep is the action_id of a checklist step's checkbox.
// Its block_id is "step_<incident>_<n>", n the step's number from 1.
const ActionChecklistStep = "incident_checklist_step"

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
func (e Env) RolesNeeded(inc *incident.Incident, asked []incident.Role) ([]slack.Block, string, bool) {
	var lines []string
	for _, r := range inc.RolesNeeded {
		if asked != nil && !slices.Contains(asked, r) {
			continue // another message asked for it
		}
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
