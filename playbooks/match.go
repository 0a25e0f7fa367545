package playbooks

import "slices"

// Facts are what matching looks at in an incident.
type Facts struct {
	// Type is the incident type chosen at declare, e.g. "security".
	Type string
	// Severity is the current severity name.
	Severity string
	// Private is true for an incident in a private channel.
	Private bool
	// Drill is true for a practice incident.
	Drill bool
}

// Matches reports whether an incident with facts f meets every condition of
// a that is set.
func (a AppliesTo) Matches(f Facts) bool {
	return (len(a.Types) == 0 || slices.Contains(a.Types, f.Type)) &&
		(len(a.Severities) == 0 || slices.Contains(a.Severities, f.Severity)) &&
		(a.Private == nil || *a.Private == f.Private) &&
		(a.Drill == nil || *a.Drill == f.Drill)
}

// Match returns the enabled incident playbooks that apply to an incident
// with facts f, in the order of pbs. These run at declare.
func Match(pbs []Playbook, f Facts) []Playbook {
	var out []Playbook
	for _, pb := range pbs {
		if !pb.Disabled && pb.Kind == KindIncident && pb.AppliesTo.Matches(f) {
			out = append(out, pb)
		}
	}
	return out
}

// MatchDeclare is Match for an incident being declared. When a matching
// playbook requires a private incident (the security one does) and f is not
// private, the incident becomes private and the playbooks are matched again,
// so that those for private incidents join and those for public ones drop
// out. It returns the facts to declare the incident with and the playbooks
// to run.
func MatchDeclare(pbs []Playbook, f Facts) (Facts, []Playbook) {
	matched := Match(pbs, f)
	if !f.Private && slices.ContainsFunc(matched, func(pb Playbook) bool { return pb.RequirePrivate }) {
		f.Private = true
		// Load rejects require_private with applies_to.private: false, so
		// the playbook that asked for privacy still matches: once is enough.
		matched = Match(pbs, f)
	}
	return f, matched
}

// NewlyMatched returns the playbooks that match after but did not match
// before, e.g. when the severity is raised. A playbook that stops matching
// is not undone: its checklist stays. An incident whose facts go back and
// forth would match the same playbook again, so drop those that already ran
// on it with Without.
func NewlyMatched(pbs []Playbook, before, after Facts) []Playbook {
	var out []Playbook
	for _, pb := range Match(pbs, after) {
		if !pb.AppliesTo.Matches(before) {
			out = append(out, pb)
		}
	}
	return out
}

// Without returns pbs minus the playbooks named in names.
func Without(pbs []Playbook, names []string) []Playbook {
	var out []Playbook
	for _, pb := range pbs {
		if !slices.Contains(names, pb.Name) {
			out = append(out, pb)
		}
	}
	return out
}

// OnCall returns the enabled on-call checklists for a handoff in rotation:
// those listing it in applies_to.rotations, and those listing no rotation.
func OnCall(pbs []Playbook, rotation string) []Playbook {
	var out []Playbook
	for _, pb := range pbs {
		r := pb.AppliesTo.Rotations
		if !pb.Disabled && pb.Kind == KindOnCall && (len(r) == 0 || slices.Contains(r, rotation)) {
			out = append(out, pb)
		}
	}
	return out
}

// Effects is what a set of playbooks asks of one incident, merged: each
// name, ID and URL once, in the order of the playbooks.
type Effects struct {
	// Playbooks are the names of the playbooks merged.
	Playbooks []string
	// Roles are the roles to fill.
	Roles []string
	// RequirePrivate is true when any playbook makes the incident private.
	RequirePrivate bool
	// PublicStatus is false when any playbook keeps the incident off the
	// status page and public announcements.
	PublicStatus bool
	// Invite is who to add to the war room.
	Invite Audience
	// Notify is who to tell, minus those already invited.
	Notify Audience
	// Bookmarks are the links to add, one per URL.
	Bookmarks []Bookmark
	// Steps are the checklists, one after another.
	Steps []Step
}

// Combine merges what pbs ask for, e.g. Combine(Match(pbs, facts)) at
// declare, or Combine(NewlyMatched(…)) when the severity changes.
func Combine(pbs []Playbook) Effects {
	e := Effects{PublicStatus: true}
	for _, pb := range pbs {
		e.Playbooks = append(e.Playbooks, pb.Name)
		e.Roles = union(e.Roles, pb.Roles)
		e.RequirePrivate = e.RequirePrivate || pb.RequirePrivate
		e.PublicStatus = e.PublicStatus && pb.PublicStatus
		e.Invite = e.Invite.union(pb.Invite)
		e.Notify = e.Notify.union(pb.Notify)
		for _, b := range pb.Bookmarks {
			if !slices.ContainsFunc(e.Bookmarks, func(x Bookmark) bool { return x.URL == b.URL }) {
				e.Bookmarks = append(e.Bookmarks, b)
			}
		}
		e.Steps = append(e.Steps, pb.Checklist...)
	}
	// Someone invited is in the war room already; a notice on top of that
	// is noise.
	e.Notify.Usergroups = minus(e.Notify.Usergroups, e.Invite.Usergroups)
	e.Notify.Users = minus(e.Notify.Users, e.Invite.Users)
	e.Notify.Contacts = minus(e.Notify.Contacts, e.Invite.Contacts)
	e.Notify.Rotations = minus(e.Notify.Rotations, e.Invite.Rotations)
	return e
}

func (a Audience) union(b Audience) Audience {
	return Audience{
		Usergroups: union(a.Usergroups, b.Usergroups),
		Users:      union(a.Users, b.Users),
		Channels:   union(a.Channels, b.Channels),
		Contacts:   union(a.Contacts, b.Contacts),
		Rotations:  union(a.Rotations, b.Rotations),
	}
}

// union appends to a the items of b it lacks.
func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// minus returns a without the items of b.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
