package main

import (
	"errors"
	"slices"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/playbooks"
)

// playbookKnown is what the config defines that playbooks may name.
// Rotations come from the on-call configuration when there is one.
func playbookKnown(cfg config.Config) playbooks.Known {
	return playbooks.Known{
		Roles:      cfg.RoleNames(),
		Severities: cfg.SeverityNames(),
		Types:      cfg.TypeNames(),
		Contacts:   cfg.ContactNames(),
		Rotations:  cfg.RotationNames(), // issue 13

		BuiltinSeverities: builtinSeverities(cfg),
	}
}

// assemblePlaybooks returns the playbooks the bot runs: the built-in ones
// with playbooks.dir laid over them, checked against the config.
func assemblePlaybooks(cfg config.Config) ([]playbooks.Playbook, error) {
	return playbooks.Assemble(cfg.Playbooks.Dir, playbookKnown(cfg))
}

// checkPlaybooks adds the problems of the playbooks to those of the
// configuration, one per problem, each naming its file and line. It skips
// the check when a setting the playbooks are checked against is itself
// wrong: the playbooks' problems would only echo it.
func (l *loaded) checkPlaybooks() {
	if l.failedOrInvalid("playbooks.dir", "playbooks.contacts", "roles", "types", "incidents.severities", "oncall.rotations") {
		return
	}
	pbs, err := assemblePlaybooks(l.cfg)
	var ps playbooks.Problems
	switch {
	case err == nil:
		// Alert routes may name a playbook to run on what they declare.
		if err := l.cfg.Intake.ValidateRefs(intake.Refs{Playbooks: playbooks.Names(pbs)}); err != nil {
			l.problems = append(l.problems, err)
		}
	case errors.As(err, &ps):
		for _, p := range ps {
			l.problems = append(l.problems, p)
		}
	default:
		l.problems = append(l.problems, err)
	}
}

// triagePolicy turns the roles and impact sections into the domain's
// policy.
func triagePolicy(cfg config.Config) ([]incident.RoleSpec, incident.Triage) {
	var roles []incident.RoleSpec
	for _, r := range cfg.Roles {
		roles = append(roles, incident.RoleSpec{Name: incident.Role(r.Name), Description: r.Description, Multi: !r.SingleHolder})
	}
	level := func(name string, l config.ImpactLevel) incident.TriageLevel {
		return incident.TriageLevel{Severity: cfg.ImpactSeverity(name), Response: l.Response}
	}
	return roles, incident.Triage{
		Blocked:  level("blocked", cfg.Impact.Blocked),
		Degraded: level("degraded", cfg.Impact.Degraded),
		Partial:  level("partial", cfg.Impact.Partial),
		Security: level("security", cfg.Impact.Security),
		Currency: cfg.Impact.Currency,
	}
}

// playbookOptions configures the bot's playbooks, types, contacts and
// drills. drillChannel is drill.channel resolved to an ID.
func playbookOptions(cfg config.Config, pbs []playbooks.Playbook, drillChannel string) bot.PlaybookOptions {
	o := bot.PlaybookOptions{Playbooks: pbs, DrillChannel: drillChannel, Contacts: map[string]bot.Contact{}}
	for _, t := range cfg.Types {
		o.Types = append(o.Types, bot.IncidentType{Name: t.Name, Description: t.Description})
	}
	for _, c := range cfg.Playbooks.Contacts {
		o.Contacts[c.Name] = bot.Contact{Usergroups: c.Usergroups, Users: c.Users}
	}
	return o
}

// defaultSeverities are the severities of the default config, which the
// built-in playbooks name, most severe first.
var defaultSeverities = []string{"critical", "major", "minor"}

// builtinSeverities renames the default severities the config lacks to
// the config's severity of the same rank (the least severe when it has
// fewer), so that the built-in playbooks work with severities named
// otherwise (sev1, sev2…).
func builtinSeverities(cfg config.Config) map[string]string {
	names := cfg.SeverityNames()
	if len(names) == 0 {
		return nil
	}
	out := map[string]string{}
	for i, d := range defaultSeverities {
		if !slices.Contains(names, d) {
			out[d] = names[min(i, len(names)-1)]
		}
	}
	return out
}
