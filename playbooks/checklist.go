package playbooks

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
)

// Step is one item of a playbook's checklist.
type Step struct {
	// ID identifies the step across every playbook (see StepID).
	ID StepID
	// Text is the instruction, short and imperative, at most MaxTitle
	// characters.
	Text string
	// Owner is the role expected to do it (one of the playbook's Roles);
	// empty for anyone.
	Owner string
	// Runbook is an http(s) link with the details; optional.
	Runbook string
	// RequiredBeforeResolve steps must be done before the incident is
	// resolved, or the person resolving confirms they skip them.
	RequiredBeforeResolve bool
}

// StepID identifies a step across all playbooks: "<playbook>/<step>", e.g.
// "security/rotate-credentials". It is what an incident stores for each
// ticked step and what a checkbox carries as its value. The step part is
// the step's id from the file, or one derived from its text (see DeriveStepID),
// so it stays the same from one release to the next as long as the text
// does.
type StepID string

// NewStepID joins a playbook name and a step id.
func NewStepID(playbook, step string) StepID { return StepID(playbook + "/" + step) }

// ParseStepID checks s, e.g. a checkbox value coming back from Slack, and
// returns it as a StepID. It does not check that the step exists: look it up
// with FindStep in the incident's checklist.
func ParseStepID(s string) (StepID, error) {
	pb, step, ok := strings.Cut(s, "/")
	if !ok || !slugRe.MatchString(pb) || !slugRe.MatchString(step) || len(pb) > MaxName || len(step) > MaxName {
		return "", fmt.Errorf("parse step id %q: want <playbook>/<step>, each lowercase a-z, 0-9, \"-\" or \"_\"", s)
	}
	return StepID(s), nil
}

// Playbook returns the playbook part of id.
func (id StepID) Playbook() string {
	pb, _, _ := strings.Cut(string(id), "/")
	return pb
}

// Step returns the step part of id, as written in (or derived for) the file.
func (id StepID) Step() string {
	_, step, _ := strings.Cut(string(id), "/")
	return step
}

// slugRe is what names and ids look like: safe in a file name, a Slack
// action value and a URL.
var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// DeriveStepID returns the id of a step written without one: its text in
// lowercase with every run of other characters turned into "-", cut at a
// word boundary to at most MaxName characters ("Page the security on-call"
// gives "page-the-security-on-call"). Text with too few ASCII letters or
// digits for that (e.g. in Japanese) gets "step-" and a hash of the text
// instead. Either way the id changes when the text does.
func DeriveStepID(text string) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(text), "-"), "-")
	if len(slug) > MaxName {
		slug = slug[:MaxName+1]
		if i := strings.LastIndexByte(slug, '-'); i > 0 {
			slug = slug[:i]
		} else {
			slug = slug[:MaxName]
		}
	}
	if len(slug) < 3 {
		h := fnv.New32a()
		h.Write([]byte(text))
		return fmt.Sprintf("step-%08x", h.Sum32())
	}
	return slug
}

// Steps returns the checklists of pbs one after another, e.g. to store as an
// incident's checklist when they run.
func Steps(pbs []Playbook) []Step {
	var steps []Step
	for _, pb := range pbs {
		steps = append(steps, pb.Checklist...)
	}
	return steps
}

// FindStep returns the step with id.
func FindStep(steps []Step, id StepID) (Step, bool) {
	for _, s := range steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// RequiredOpen returns the steps required before resolve that are not done,
// in checklist order. Resolving with any open asks for confirmation.
func RequiredOpen(steps []Step, done map[StepID]bool) []Step {
	var open []Step
	for _, s := range steps {
		if s.RequiredBeforeResolve && !done[s.ID] {
			open = append(open, s)
		}
	}
	return open
}

// RequiredOpen returns pb's required steps that are not done.
func (pb Playbook) RequiredOpen(done map[StepID]bool) []Step {
	return RequiredOpen(pb.Checklist, done)
}

// Progress counts a checklist's steps.
type Progress struct {
	// Done is how many steps are ticked.
	Done int
	// Total is how many steps there are.
	Total int
	// Required is how many steps are required before resolve.
	Required int
	// RequiredOpen is how many of those are not done.
	RequiredOpen int
}

// Tally counts steps by done. Entries of done that are not in steps (e.g. of
// a step since removed) are ignored.
func Tally(steps []Step, done map[StepID]bool) Progress {
	var p Progress
	for _, s := range steps {
		p.Total++
		if done[s.ID] {
			p.Done++
		}
		if s.RequiredBeforeResolve {
			p.Required++
			if !done[s.ID] {
				p.RequiredOpen++
			}
		}
	}
	return p
}

// Complete reports whether every step is done.
func (p Progress) Complete() bool { return p.Done == p.Total }
