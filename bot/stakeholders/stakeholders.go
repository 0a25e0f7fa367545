// Package stakeholders decides who hears about an incident, and what they
// are told: stakeholder groups from config, each with a tier (how closely
// it is kept informed), and people who subscribed themselves. It is pure:
// the bot resolves user groups, sends the messages and records each
// notification on the timeline.
//
// The tiers follow the power/interest grid:
//
//	manage_closely  every update and every change
//	keep_satisfied  declared, severity changed, resolved (and cancelled)
//	keep_informed   declared, every update, resolved: in a channel, or by email
//	                (a mail each, or the daily email digest)
//	monitor         nothing is sent as it happens: the status page, and the
//	                daily email digest for email addresses
package stakeholders

import (
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Tier is how closely a group or a person is kept informed.
type Tier string

// The tiers, most involved first.
const (
	ManageClosely Tier = "manage_closely"
	KeepSatisfied Tier = "keep_satisfied"
	KeepInformed  Tier = "keep_informed"
	Monitor       Tier = "monitor"
)

// ParseTier reads a tier as people type it: the config names, or a word
// of them ("closely", "satisfied", "informed", "monitor").
func ParseTier(s string) (Tier, error) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_") {
	case "manage_closely", "closely", "close":
		return ManageClosely, nil
	case "keep_satisfied", "satisfied":
		return KeepSatisfied, nil
	case "keep_informed", "informed":
		return KeepInformed, nil
	case "monitor", "monitoring":
		return Monitor, nil
	}
	return "", incident.Errorf(incident.EINVALID, "%q is not a tier. Use closely (every update and change), satisfied (declared, severity, resolved), informed (declared, updates, resolved) or monitor (nothing sent).", s)
}

// Describe says in a few words what a tier receives.
func (t Tier) Describe() string {
	switch t {
	case ManageClosely:
		return "every update and change"
	case KeepSatisfied:
		return "the declaration, severity changes and the resolution"
	case KeepInformed:
		return "the declaration, every update and the resolution"
	}
	return "nothing: follow the status page and the daily digest"
}

// Wants reports whether tier t is told about events of kind.
func (t Tier) Wants(kind incident.EventKind) bool {
	switch kind {
	case incident.EventDeclared, incident.EventResolved:
		return t != Monitor
	case incident.EventSeverityChanged, incident.EventCancelled:
		return t == ManageClosely || t == KeepSatisfied
	case incident.EventUpdatePosted:
		return t == ManageClosely || t == KeepInformed
	case incident.EventStatusChanged, incident.EventReopened, incident.EventClosed, incident.EventSummaryWritten:
		return t == ManageClosely
	}
	return false
}

// Notable reports whether any tier is told about events of kind: the bot
// plans a notification for those only.
func Notable(kind incident.EventKind) bool { return ManageClosely.Wants(kind) }

// Group is one stakeholder group.
type Group struct {
	Name string
	Tier Tier
	// Members, split by kind.
	Users, UserGroups, Emails []string
	// Channel, for KeepInformed, receives what the tier is told.
	Channel string
	// Severities: an incident of one of them is followed by the group.
	Severities []string
	// Email is how Emails are kept informed (digest.go); "" is the tier's
	// default.
	Email EmailMode
}

// NewGroup builds a group from config: members are user IDs (U…, W…),
// user group IDs (S…) or email addresses (with an @).
func NewGroup(name string, tier Tier, members []string, channel string, severities []string) Group {
	g := Group{Name: name, Tier: tier, Channel: channel, Severities: severities}
	for _, m := range members {
		switch {
		case strings.Contains(m, "@"):
			g.Emails = append(g.Emails, m)
		case strings.HasPrefix(m, "S"):
			g.UserGroups = append(g.UserGroups, m)
		default:
			g.Users = append(g.Users, m)
		}
	}
	return g
}

// ForSeverity lists the groups that follow incidents of severity sev.
func ForSeverity(groups []Group, sev string) []string {
	var out []string
	for _, g := range groups {
		if slices.Contains(g.Severities, sev) {
			out = append(out, g.Name)
		}
	}
	return out
}

// Audience is who is told about one event.
type Audience struct {
	Users      []string // Slack users, by DM
	UserGroups []string // Slack user groups, each member by DM
	Emails     []string
	Channels   []string
	// Groups and Subscribers say why: the groups told and the people who
	// subscribed themselves.
	Groups      []string
	Subscribers []string
}

// Empty reports whether nobody is told.
func (a Audience) Empty() bool {
	return len(a.Users)+len(a.UserGroups)+len(a.Emails)+len(a.Channels) == 0
}

// For returns who is told about an event of kind on inc: the groups
// following it whose tier wants the kind, and the subscribers whose tier
// does. A private incident or a drill reaches only people who subscribed
// to it by number (they could see it when they did); groups and "all"
// subscriptions follow the other incidents. Everyone appears once.
func For(inc *incident.Incident, kind incident.EventKind, groups []Group, subs []incident.Subscription) Audience {
	var a Audience
	add := func(list *[]string, items ...string) {
		for _, x := range items {
			if x != "" && !slices.Contains(*list, x) {
				*list = append(*list, x)
			}
		}
	}
	open := !inc.Private && !inc.Drill
	if open {
		for _, g := range groups {
			if !slices.Contains(inc.Stakeholders, g.Name) || !g.Tier.Wants(kind) {
				continue
			}
			add(&a.Groups, g.Name)
			add(&a.Users, g.Users...)
			add(&a.UserGroups, g.UserGroups...)
			if !g.Digested() {
				add(&a.Emails, g.Emails...)
			}
			add(&a.Channels, g.Channel)
		}
	}
	for _, s := range subs {
		if (s.Incident == 0 && !open) || (s.Incident != 0 && s.Incident != inc.ID) || !Tier(s.Tier).Wants(kind) {
			continue
		}
		add(&a.Subscribers, s.User)
		add(&a.Users, s.User)
	}
	return a
}
