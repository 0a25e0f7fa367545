// Package playbooks holds incidentbot's playbooks: what a team does for a
// kind of incident, written down once in YAML and run by the bot. A
// playbook says when it applies (incident type, severity, private, drill),
// which roles it needs, a checklist of steps, who to invite or notify, and
// which links to bookmark in the war room. The on-call checklist, shown at a
// shift handoff, is a playbook of kind "oncall".
//
// The package is pure: it reads files from an fs.FS and validates them, and
// knows nothing of Slack, the store or the incident's runtime state. The
// playbooks shipped with incidentbot are embedded (Defaults); a directory
// from the config overrides or extends them (Merge, Assemble). README.md in
// this folder documents the YAML schema.
package playbooks

import (
	"embed"
	"io/fs"
	"strings"
)

// builtin holds the shipped playbooks. They are read from the binary so that
// incidentbot works with no playbook directory at all.
//
//go:embed *.yaml
var builtin embed.FS

// BuiltinPrefix starts the File of every shipped playbook, so that a problem
// in one says it comes from the binary, not from playbooks.dir.
const BuiltinPrefix = "builtin:"

// Kind tells incident playbooks from on-call checklists.
type Kind string

const (
	// KindIncident playbooks run on incidents they match (see Match).
	// It is the default kind.
	KindIncident Kind = "incident"
	// KindOnCall playbooks are checklists for whoever takes over an on-call
	// shift (see OnCall). They never run on incidents.
	KindOnCall Kind = "oncall"
)

// Playbook is one validated playbook file. Load fills every field; the
// zero values of optional fields mean "not set".
type Playbook struct {
	// Name identifies the playbook: unique, lowercase a-z, 0-9, "-" and
	// "_", at most MaxName characters. A playbook in playbooks.dir with the
	// name of a built-in one replaces it.
	Name string
	// Title is the human name shown in Slack, at most MaxTitle characters.
	Title string
	// Description says when to use the playbook; optional.
	Description string
	// Kind is KindIncident or KindOnCall.
	Kind Kind
	// Disabled playbooks only serve to switch off a built-in one of the
	// same name; Merge drops them.
	Disabled bool
	// AppliesTo says which incidents (or, for KindOnCall, which rotations)
	// the playbook is for.
	AppliesTo AppliesTo
	// Roles are the incident roles the playbook needs filled, names from
	// the config's roles.
	Roles []string
	// RequirePrivate makes an incident private when the playbook applies
	// at declare: its war room is a private channel.
	RequirePrivate bool
	// PublicStatus is false when the incident must stay off the status
	// page and public announcements. It defaults to true, and is always
	// false when RequirePrivate is set.
	PublicStatus bool
	// Checklist is the ordered list of steps; never empty for an enabled
	// playbook.
	Checklist []Step
	// Invite is who is added to the war room.
	Invite Audience
	// Notify is who is told about the incident without being added.
	Notify Audience
	// Bookmarks are links added to the war room (for KindOnCall: shown
	// with the checklist).
	Bookmarks []Bookmark

	// File is where the playbook was read from (see Problem.File).
	File string
	// BuiltIn is true for a playbook shipped in the binary.
	BuiltIn bool

	// lines maps key paths ("roles[1]", "checklist[2].owner") to the line
	// they are on, so that Validate, which runs later with the config, can
	// still say where a bad name is.
	lines map[string]int
	// keys maps "list[i]", an index into one of the slices above, to the
	// item of the file's list it came from, when an item before it was
	// left out for a problem.
	keys map[string]string
}

// AppliesTo is the condition under which an incident playbook runs. Every
// field that is set must hold; an empty AppliesTo matches every incident.
type AppliesTo struct {
	// Types are incident types (the config's types); empty means any.
	Types []string
	// Severities are severity names (the config's severities); empty
	// means any.
	Severities []string
	// Private, when set, matches only private (true) or only non-private
	// (false) incidents.
	Private *bool
	// Drill, when set, matches only drills (true) or only real incidents
	// (false).
	Drill *bool
	// Rotations, for KindOnCall only, are the on-call rotations whose
	// handoffs show this checklist; empty means every rotation.
	Rotations []string
}

// Audience is a set of people and places. What happens to them depends on
// where it is used: see Playbook.Invite and Playbook.Notify, and README.md.
type Audience struct {
	// Usergroups are Slack user group IDs (S0123ABCD).
	Usergroups []string
	// Users are Slack user IDs (U0123ABCD).
	Users []string
	// Channels are channel IDs (C0123ABCD) or "#names"; Notify only.
	Channels []string
	// Contacts are names of contacts the config defines (e.g. "legal"),
	// each standing for the users and user groups the config gives it.
	Contacts []string
	// Rotations are on-call rotation names; each stands for whoever is on
	// call in that rotation when the playbook runs.
	Rotations []string
}

// Empty reports whether a names nobody.
func (a Audience) Empty() bool {
	return len(a.Usergroups)+len(a.Users)+len(a.Channels)+len(a.Contacts)+len(a.Rotations) == 0
}

// Bookmark is a link added to the war room's bookmarks bar.
type Bookmark struct {
	// Title is the bookmark's label, at most MaxTitle characters.
	Title string
	// URL is an absolute http or https URL.
	URL string
}

// Limits that keep a playbook renderable in Slack.
const (
	// MaxName bounds playbook names and step ids, so that a StepID fits
	// in a Block Kit option value (150 characters).
	MaxName = 40
	// MaxTitle bounds titles and step texts: Slack cuts option and button
	// texts at 75 characters, so each step fits one checkbox.
	MaxTitle = 75
	// MaxDescription bounds a playbook's description.
	MaxDescription = 500
	// MaxSteps bounds a checklist: one message holds at most 50 blocks,
	// and a longer checklist is not read during an incident anyway.
	MaxSteps = 30
	// MaxFileSize bounds a playbook file; real ones are a few kilobytes.
	MaxFileSize = 256 << 10
)

// Defaults returns the playbooks shipped in the binary, checked for
// structure but not against a config (see Validate).
func Defaults() ([]Playbook, error) {
	pbs, ps := loadBuiltin()
	if err := ps.err(); err != nil {
		return nil, err
	}
	return pbs, nil
}

func loadBuiltin() ([]Playbook, Problems) {
	return loadFS(builtin, func(name string) string { return BuiltinPrefix + name }, true)
}

// BuiltinFS returns the shipped playbook files, e.g. for a command that
// copies them into a directory to be edited.
func BuiltinFS() fs.FS { return builtin }

// Find returns the playbook called name.
func Find(pbs []Playbook, name string) (Playbook, bool) {
	for _, pb := range pbs {
		if pb.Name == name {
			return pb, true
		}
	}
	return Playbook{}, false
}

// Names returns the names of pbs in order, e.g. for an error message that
// lists the playbooks one may choose.
func Names(pbs []Playbook) []string {
	names := make([]string, len(pbs))
	for i, pb := range pbs {
		names[i] = pb.Name
	}
	return names
}

// line returns the line of key, a path as written in the file, or 0.
func (pb Playbook) line(key string) int { return pb.lines[key] }

// at turns key, a path into pb's slices such as "checklist[2].owner", into
// the path as written in the file and its line.
func (pb Playbook) at(key string) (string, int) {
	if i := strings.IndexByte(key, ']'); i >= 0 {
		if k, ok := pb.keys[key[:i+1]]; ok {
			key = k + key[i+1:]
		}
	}
	return key, pb.lines[key]
}
