package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Step is one checklist step of a playbook that ran on an incident, with
// its state. The incident keeps its own copy: the checklist a team worked
// through stays as it was, whatever later releases of the playbook say.
type Step struct {
	// ID is "<playbook>/<step>", stable across releases of the playbook.
	ID string
	// Text is the instruction; Owner the role expected to do it ("" for
	// anyone); Runbook an http(s) link with the details.
	Text    string
	Owner   Role
	Runbook string
	// Required steps must be done before the incident is resolved, or the
	// person resolving confirms that they skip them.
	Required bool
	Done     bool
	DoneBy   string
	DoneAt   time.Time
}

// Playbook returns the name of the playbook the step comes from.
func (s Step) Playbook() string {
	pb, _, _ := strings.Cut(s.ID, "/")
	return pb
}

// ChecklistPost is the war-room message showing one playbook's checklist.
// It is planned when the playbook runs (TS empty), then posted, then
// edited in place as steps are ticked.
type ChecklistPost struct {
	Playbook string
	Title    string // the playbook's title
	TS       string
	// Hash is what the message shows now, so that an unchanged checklist
	// costs no Slack call.
	Hash string
}

// PlaybookRun is what running one playbook adds to an incident: its
// checklist and the roles it needs. The Slack surface builds it from the
// playbook's file; the domain records it.
type PlaybookRun struct {
	Name  string
	Title string
	Steps []Step
	Roles []Role
}

// Why a playbook ran, in its timeline event.
const (
	TriggerDeclare  = "declare"
	TriggerSeverity = "severity"
)

// RunPlaybooks records runs on the incident: their names, their checklist
// steps (not done) and the roles they need, each with a timeline event. A
// playbook that ran already is skipped, so that a severity going back and
// forth runs it once. It returns the runs it recorded.
func (inc *Incident) RunPlaybooks(p Policy, actor string, runs []PlaybookRun, trigger string, now time.Time) ([]PlaybookRun, []Event) {
	var done []PlaybookRun
	var evs []Event
	for _, r := range runs {
		if slices.Contains(inc.Playbooks, r.Name) {
			continue
		}
		inc.Playbooks = append(inc.Playbooks, r.Name)
		n := 0
		for _, s := range r.Steps {
			if slices.ContainsFunc(inc.Checklist, func(x Step) bool { return x.ID == s.ID }) {
				continue
			}
			s.Done, s.DoneBy, s.DoneAt = false, "", time.Time{}
			inc.Checklist = append(inc.Checklist, s)
			n++
		}
		if n > 0 {
			inc.ChecklistPosts = append(inc.ChecklistPosts, ChecklistPost{Playbook: r.Name, Title: r.Title})
		}
		for _, role := range r.Roles {
			if !slices.Contains(inc.RolesNeeded, role) {
				inc.RolesNeeded = append(inc.RolesNeeded, role)
			}
		}
		done = append(done, r)
		evs = append(evs, newEvent(EventPlaybookRun, actor, now, r.Title,
			"playbook", r.Name, "trigger", trigger, "steps", strconv.Itoa(n)))
	}
	if len(evs) > 0 {
		inc.touch(p, now)
	}
	return done, evs
}

// StepIndex returns the index of step id in the checklist, or -1.
func (inc *Incident) StepIndex(id string) int {
	return slices.IndexFunc(inc.Checklist, func(s Step) bool { return s.ID == id })
}

// PlaybookSteps returns the checklist steps of playbook name, in order.
func (inc *Incident) PlaybookSteps(name string) []Step {
	var out []Step
	for _, s := range inc.Checklist {
		if s.Playbook() == name {
			out = append(out, s)
		}
	}
	return out
}

// SetStep ticks checklist step id (done) or unticks it. Anyone who may
// write to the incident's timeline may; the caller checks that. A closed
// or cancelled incident's checklist is final.
func (inc *Incident) SetStep(p Policy, actor, id string, done bool, now time.Time) (Step, []Event, error) {
	if err := inc.mustBeActive("tick its checklist"); err != nil {
		return Step{}, nil, err
	}
	i := inc.StepIndex(id)
	if i < 0 {
		return Step{}, nil, Errorf(ENOTFOUND, "Incident #%d has no checklist step %q; `/incident checklist` lists them.", inc.ID, id)
	}
	s := &inc.Checklist[i]
	if s.Done == done {
		if done {
			return *s, nil, Errorf(EINVALID, "Step %d (%s) is already done, by %s at %s UTC.", i+1, s.Text, mention(s.DoneBy), s.DoneAt.UTC().Format("15:04"))
		}
		return *s, nil, Errorf(EINVALID, "Step %d (%s) is not done yet.", i+1, s.Text)
	}
	kind := EventStepDone
	if done {
		s.Done, s.DoneBy, s.DoneAt = true, actor, now
	} else {
		kind = EventStepUndone
		s.Done, s.DoneBy, s.DoneAt = false, "", time.Time{}
	}
	inc.touch(p, now)
	return *s, []Event{newEvent(kind, actor, now, s.Text, "step", s.ID, "playbook", s.Playbook(), "n", strconv.Itoa(i+1))}, nil
}

// RequiredOpen returns the steps required before resolve that are not
// done, in checklist order.
func (inc *Incident) RequiredOpen() []Step {
	var out []Step
	for _, s := range inc.Checklist {
		if s.Required && !s.Done {
			out = append(out, s)
		}
	}
	return out
}

// StepsDone counts the checklist steps done.
func (inc *Incident) StepsDone() int {
	n := 0
	for _, s := range inc.Checklist {
		if s.Done {
			n++
		}
	}
	return n
}

// ResolveChecked resolves the incident like Resolve, unless steps required
// before resolve are still open and the person has not confirmed that they
// skip them: then it refuses (ECONFLICT) and lists them. The resolution
// records the steps skipped.
func (inc *Incident) ResolveChecked(p Policy, actor, text string, confirmed bool, now time.Time) ([]Event, error) {
	open := inc.RequiredOpen()
	if len(open) > 0 && !confirmed && inc.Status.Open() {
		if err := p.CheckCanManage(inc, actor, "resolve the incident"); err != nil {
			return nil, err
		}
		return nil, Errorf(ECONFLICT, "%s Tick them in the checklist, or resolve anyway with `/incident resolve --anyway`.", describeOpen(inc, open))
	}
	evs, err := inc.Resolve(p, actor, text, now)
	if err != nil || len(open) == 0 {
		return evs, err
	}
	ids := make([]string, len(open))
	for i, s := range open {
		ids[i] = s.ID
	}
	for i := range evs {
		if evs[i].Kind == EventResolved {
			if evs[i].Fields == nil {
				evs[i].Fields = map[string]string{}
			}
			evs[i].Fields["skipped_steps"] = strings.Join(ids, " ")
		}
	}
	return evs, nil
}

// describeOpen says which required steps are open, numbered as
// /incident checklist numbers them.
func describeOpen(inc *Incident, open []Step) string {
	var b strings.Builder
	if len(open) == 1 {
		b.WriteString("1 step required before resolve is still open:")
	} else {
		fmt.Fprintf(&b, "%d steps required before resolve are still open:", len(open))
	}
	const shown = 5
	items := make([]string, 0, shown)
	for _, s := range open[:min(len(open), shown)] {
		items = append(items, fmt.Sprintf("%d. %s", inc.StepIndex(s.ID)+1, s.Text))
	}
	b.WriteString(" " + strings.Join(items, "; "))
	if len(open) > shown {
		fmt.Fprintf(&b, "; …and %d more.", len(open)-shown)
	} else {
		b.WriteString(".")
	}
	return b.String()
}
