package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/playbooks"
)

// PlaybookOptions configure playbooks, incident types, contacts and drills
// (issue 12). The zero value runs no playbook and asks no type.
type PlaybookOptions struct {
	// Playbooks are the playbooks to run, built-in and from playbooks.dir,
	// checked against the config (playbooks.Assemble).
	Playbooks []playbooks.Playbook
	// Types are the incident types the declare form offers; the first is
	// the default.
	Types []IncidentType
	// Contacts are the people playbooks name by contact ("security").
	Contacts map[string]Contact
	// DrillChannel is the channel ID drills are announced in; "" for none.
	DrillChannel string
	// OnCall returns who is on call in rotation at a time, for playbooks
	// that invite or notify a rotation; nil: a rotation names nobody.
	OnCall func(ctx context.Context, rotation string, at time.Time) ([]string, error)
}

// IncidentType is a kind of incident the declare form offers.
type IncidentType struct {
	Name, Description string
}

// Contact is who a playbook contact stands for.
type Contact struct {
	Usergroups []string
	Users      []string
}

// Effect kinds and messages of issue 12.
const (
	effChecklist = "checklist" // post or refresh one playbook's checklist (Name)
	effAudience  = "audience"  // expand a playbook audience, then invite and notify
	effBookmark  = "bookmark"  // add one bookmark to the war room

	msgRolesNeeded = "roles_needed" // the roles the playbooks need, not yet held
	msgNotify      = "notify"       // a playbook asks that you know
	msgDrillIntro  = "drill_intro"  // what a drill is and what it measures
)

// lanePlaybook orders the audiences and bookmarks of playbooks: a user
// group Slack is slow to list or a bookmark it refuses for a while must not
// hold up the topic and the pins of the aux lane.
const lanePlaybook = "playbook"

// pbPayload holds the arguments of issue 12's effects.
type pbPayload struct {
	// Playbooks names the playbooks of an audience or notice.
	Playbooks []string `json:"pbs,omitempty"`
	Invite    audience `json:"inv,omitzero"`
	Notify    audience `json:"not,omitzero"`
	// Bookmark.
	Title string `json:"title,omitempty"`
	URL   string `json:"url,omitempty"`
	// Roles are the roles a roles-needed message asks for: those this run
	// of playbooks added, so that a later run does not repeat an earlier
	// one's message. None (a message stored before): all that are needed.
	Roles []incident.Role `json:"roles,omitempty"`
}

// audience is a playbook audience with its contacts expanded.
type audience struct {
	Users      []string `json:"u,omitempty"`
	Usergroups []string `json:"g,omitempty"`
	Rotations  []string `json:"r,omitempty"`
	Channels   []string `json:"c,omitempty"`
}

func (a audience) empty() bool {
	return len(a.Users)+len(a.Usergroups)+len(a.Rotations)+len(a.Channels) == 0
}

// factsOf is what playbook matching looks at in inc.
func factsOf(inc *incident.Incident) playbooks.Facts {
	return playbooks.Facts{Type: inc.Type, Severity: inc.Severity, Private: inc.Private, Drill: inc.Drill}
}

// incidentPlaybooks returns the enabled incident playbooks.
func (a *App) incidentPlaybooks() []playbooks.Playbook {
	var out []playbooks.Playbook
	for _, pb := range a.opt.Playbooks.Playbooks {
		if !pb.Disabled && pb.Kind == playbooks.KindIncident {
			out = append(out, pb)
		}
	}
	return out
}

// declareWithPlaybooks declares the incident req asks for, with the
// playbooks that apply to it: its type checked (the first configured one
// by default), made private when a playbook requires it, and for a drill
// the playbook asked for (forced) and the drill channel checked. It
// returns the incident, its declaration events and the playbooks to run.
func (a *App) declareWithPlaybooks(c *call, req incident.DeclareRequest) (*incident.Incident, []incident.Event, []playbooks.Playbook, error) {
	return a.declarePlaybooks(req, c.Playbook, func(req incident.DeclareRequest) (*incident.Incident, []incident.Event, error) {
		return incident.Declare(a.policy, req, a.now())
	})
}

// declareAlert is declareWithPlaybooks for an incident declared from alert
// group g: the route's type and playbook apply, and one declared by
// incidentbot itself is led by whoever is on call.
func (a *App) declareAlert(req incident.DeclareRequest, g *incident.AlertGroup) (*incident.Incident, []incident.Event, []playbooks.Playbook, error) {
	if req.Type == "" {
		req.Type = g.Route.Type
	}
	if req.DeclaredBy == "" && req.Operator == "" {
		// Declared by incidentbot: whoever is on call leads, and is paged
		// (declaration), as when a person declares. This runs inside the
		// store's transaction, so the check that they can lead asks only
		// the directory's cache, never Slack; someone it knows to be
		// deactivated or a bot is passed over, leaving the role to be
		// taken, and the page's escalation levels still apply.
		if op := a.onCallOperator(); op != "" && a.checkPerson(context.Background(), &call{dry: true}, op) == nil {
			req.Operator = op
		}
	}
	return a.declarePlaybooks(req, g.Route.Playbook, func(req incident.DeclareRequest) (*incident.Incident, []incident.Event, error) {
		return incident.DeclareFromAlert(a.policy, req, g, a.now())
	})
}

// declarePlaybooks does the work of declareWithPlaybooks, with playbook
// named to run whatever else applies, and declare to make the incident.
func (a *App) declarePlaybooks(req incident.DeclareRequest, playbook string, declare func(incident.DeclareRequest) (*incident.Incident, []incident.Event, error)) (*incident.Incident, []incident.Event, []playbooks.Playbook, error) {
	types := a.opt.Playbooks.Types
	var forced *playbooks.Playbook
	if req.Drill {
		if err := a.checkDrillChannel(); err != nil {
			return nil, nil, nil, err
		}
	}
	if name := playbook; name != "" {
		pbs := a.incidentPlaybooks()
		pb, ok := playbooks.Find(pbs, name)
		if !ok {
			return nil, nil, nil, incident.Errorf(incident.EINVALID, "There is no playbook %q. Playbooks: %s.", name, strings.Join(playbooks.Names(pbs), ", "))
		}
		forced = &pb
		// The drill practises the playbook's kind of incident.
		if req.Type == "" && len(pb.AppliesTo.Types) > 0 {
			req.Type = pb.AppliesTo.Types[0]
		}
	}
	switch {
	case req.Type == "" && len(types) > 0:
		req.Type = types[0].Name
	case req.Type != "" && !slices.ContainsFunc(types, func(t IncidentType) bool { return t.Name == req.Type }):
		names := make([]string, len(types))
		for i, t := range types {
			names[i] = t.Name
		}
		if len(names) == 0 {
			return nil, nil, nil, incident.Errorf(incident.EINVALID, "This workspace defines no incident types; declare without --type.")
		}
		return nil, nil, nil, incident.Errorf(incident.EINVALID, "%q is not an incident type. Use one of: %s.", req.Type, strings.Join(names, ", "))
	}
	inc, evs, err := declare(req)
	if err != nil {
		return nil, nil, nil, err
	}
	pbs := a.incidentPlaybooks()
	facts, matched := playbooks.MatchDeclare(pbs, factsOf(inc))
	if facts.Private && !inc.Private {
		// A playbook (security) makes the incident private: declare it so,
		// so that its war room is a private channel from the start.
		req.Private = true
		if inc, evs, err = declare(req); err != nil {
			return nil, nil, nil, err
		}
	}
	if forced != nil && !slices.ContainsFunc(matched, func(pb playbooks.Playbook) bool { return pb.Name == forced.Name }) {
		matched = append(matched, *forced)
	}
	return inc, evs, matched, nil
}

// runOf is what running pb adds to an incident.
func runOf(pb playbooks.Playbook) incident.PlaybookRun {
	r := incident.PlaybookRun{Name: pb.Name, Title: pb.Title}
	for _, s := range pb.Checklist {
		r.Steps = append(r.Steps, incident.Step{ID: string(s.ID), Text: s.Text, Owner: incident.Role(s.Owner), Runbook: s.Runbook, Required: s.RequiredBeforeResolve})
	}
	for _, role := range pb.Roles {
		r.Roles = append(r.Roles, incident.Role(role))
	}
	return r
}

// runPlaybooks records pbs on inc and returns the change that carries them
// out: the checklists posted, the roles the playbooks need asked for, the
// people invited and notified (for a drill, only said who would be), and
// the bookmarks added. Playbooks that ran on inc already are skipped.
func (a *App) runPlaybooks(inc *incident.Incident, actor string, pbs []playbooks.Playbook, trigger string) incident.Change {
	if len(pbs) == 0 {
		return incident.Change{}
	}
	runs := make([]incident.PlaybookRun, len(pbs))
	for i, pb := range pbs {
		runs[i] = runOf(pb)
	}
	before := slices.Clone(inc.RolesNeeded)
	done, evs := inc.RunPlaybooks(a.policy, actor, runs, trigger, a.now())
	var ran []playbooks.Playbook
	for _, r := range done {
		if pb, ok := playbooks.Find(pbs, r.Name); ok {
			ran = append(ran, pb)
		}
	}
	if len(ran) == 0 {
		return incident.Change{}
	}
	eff := playbooks.Combine(ran)
	if !eff.PublicStatus {
		inc.NoStatusPage = true
	}
	ch := incident.Change{Events: evs}
	if trigger != incident.TriggerDeclare {
		ch.Effects = refresh() // at declare, the setup renders them
	}
	for _, pb := range ran {
		if len(pb.Checklist) > 0 {
			ch.Effects = append(ch.Effects, effect(effChecklist, laneRoom, payload{Name: pb.Name}))
		}
	}
	var added []incident.Role
	for _, r := range inc.RolesNeeded {
		if !slices.Contains(before, r) {
			added = append(added, r)
		}
	}
	if len(added) > 0 {
		ch.Effects = append(ch.Effects, roomPost(payload{Msg: msgRolesNeeded, PB: &pbPayload{Roles: added}}))
	}
	invite, notify := a.expand(eff.Invite), a.expand(eff.Notify)
	switch {
	case invite.empty() && notify.empty():
	case inc.Drill:
		ch.Effects = append(ch.Effects, roomNotice(drillAudience(invite, notify)))
	default:
		ch.Effects = append(ch.Effects, effect(effAudience, lanePlaybook, payload{PB: &pbPayload{Playbooks: eff.Playbooks, Invite: invite, Notify: notify}}))
	}
	for _, b := range eff.Bookmarks {
		ch.Effects = append(ch.Effects, effect(effBookmark, lanePlaybook, payload{PB: &pbPayload{Title: b.Title, URL: b.URL}}))
	}
	return ch
}

// expand replaces the contacts of a playbook audience by the users and
// user groups the config gives them.
func (a *App) expand(aud playbooks.Audience) audience {
	out := audience{Users: slices.Clone(aud.Users), Usergroups: slices.Clone(aud.Usergroups),
		Rotations: slices.Clone(aud.Rotations), Channels: slices.Clone(aud.Channels)}
	for _, name := range aud.Contacts {
		ct := a.opt.Playbooks.Contacts[name]
		out.Users = union(out.Users, ct.Users)
		out.Usergroups = union(out.Usergroups, ct.Usergroups)
	}
	return out
}

func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// drillAudience says, in a drill's war room, who its playbooks would
// invite and notify for real: a drill disturbs nobody outside it. Nobody
// is mentioned, so nobody is pinged.
func drillAudience(invite, notify audience) string {
	say := func(a audience) string {
		var parts []string
		if n := len(a.Users); n > 0 {
			parts = append(parts, plural(n, "person", "people"))
		}
		if n := len(a.Usergroups); n > 0 {
			parts = append(parts, plural(n, "user group", "user groups"))
		}
		if n := len(a.Rotations); n > 0 {
			parts = append(parts, "the on-call of "+strings.Join(a.Rotations, ", "))
		}
		if n := len(a.Channels); n > 0 {
			parts = append(parts, plural(n, "channel", "channels"))
		}
		return strings.Join(parts, ", ")
	}
	var what []string
	if s := say(invite); s != "" {
		what = append(what, "invite "+s)
	}
	if s := say(notify); s != "" {
		what = append(what, "notify "+s)
	}
	return fmt.Sprintf(":test_tube: In a real incident the playbooks would %s. A drill disturbs nobody outside its war room.", strings.Join(what, " and "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// playbooksOnChange runs the playbooks that apply to inc now and did not
// before its facts changed (a severity raised to critical brings in the
// critical playbook).
func (a *App) playbooksOnChange(inc *incident.Incident, before playbooks.Facts, actor, trigger string) incident.Change {
	pbs := playbooks.Without(playbooks.NewlyMatched(a.incidentPlaybooks(), before, factsOf(inc)), inc.Playbooks)
	return a.runPlaybooks(inc, actor, pbs, trigger)
}

// RolesAsked is the roles a roles-needed message asks for; nil (all that
// are needed) for a message stored without them, or without a payload.
func (p *pbPayload) RolesAsked() []incident.Role {
	if p == nil {
		return nil
	}
	return p.Roles
}
