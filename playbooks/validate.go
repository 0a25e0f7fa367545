package playbooks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Known is what the organisation's config defines, that playbooks refer to
// by name. Every name a playbook uses must be in it.
type Known struct {
	// Roles are the incident roles (e.g. operator, spokesperson, scribe,
	// subject-matter-lead, shadow).
	Roles []string
	// Severities are the severity names, e.g. critical, major, minor.
	Severities []string
	// Types are the incident types the declare modal offers, e.g.
	// general, security, data-loss, third-party.
	Types []string
	// Rotations are the on-call rotation names.
	Rotations []string
	// Contacts are the names of the contacts the config fills in with
	// Slack users or user groups, e.g. security, legal.
	Contacts []string
	// BuiltinSeverities renames the severities the built-in playbooks are
	// written for (critical, major, minor) to those of a config that
	// names its severities otherwise, e.g. {"critical": "sev1"}: the
	// built-in critical playbook then applies to sev1. Assemble applies it
	// to built-in playbooks only; a playbook of playbooks.dir is written
	// for its own config.
	BuiltinSeverities map[string]string
}

// Validate checks the names pbs use against the config: roles (in roles and
// as step owners), severities, types, rotations and contacts. It reports
// every unknown name where it is written, and names used by two playbooks.
// Disabled playbooks are skipped. Run it on the merged set (see Merge), so
// that a built-in playbook replaced in playbooks.dir is not checked.
func Validate(pbs []Playbook, k Known) error { return validate(pbs, k).err() }

func validate(pbs []Playbook, k Known) Problems {
	var ps Problems
	seen := make(map[string]Playbook)
	for _, pb := range pbs {
		if first, dup := seen[pb.Name]; dup {
			ps.add(pb.File, pb.line("name"), "name", "%q is already the name of the playbook in %s; give each playbook its own name",
				pb.Name, location(first.File, first.line("name")))
			continue
		}
		seen[pb.Name] = pb
		if pb.Disabled {
			continue
		}
		v := nameChecker{pb: pb}
		v.list("applies_to.types", pb.AppliesTo.Types, "type", k.Types)
		v.list("applies_to.severities", pb.AppliesTo.Severities, "severity", k.Severities)
		v.list("applies_to.rotations", pb.AppliesTo.Rotations, "rotation", k.Rotations)
		for i, role := range pb.Roles {
			if !slices.Contains(k.Roles, role) {
				v.add(fmt.Sprintf("roles[%d]", i), unknownName("role", role, k.Roles)+v.ownedSteps(role))
			}
		}
		for _, a := range []struct {
			key string
			aud Audience
		}{{"invite", pb.Invite}, {"notify", pb.Notify}} {
			v.list(a.key+".contacts", a.aud.Contacts, "contact", k.Contacts)
			v.list(a.key+".rotations", a.aud.Rotations, "rotation", k.Rotations)
		}
		// An owner missing from roles is reported by Load; this covers a
		// Playbook built in code.
		for i, s := range pb.Checklist {
			if s.Owner != "" && !slices.Contains(pb.Roles, s.Owner) && !slices.Contains(k.Roles, s.Owner) {
				v.add(fmt.Sprintf("checklist[%d].owner", i), unknownName("role", s.Owner, k.Roles))
			}
		}
		if len(v.ps) > 0 && pb.BuiltIn {
			// A built-in playbook is written for the default config; a team
			// that renamed what it refers to must be told how to adapt it.
			v.ps.add(pb.File, 0, "", "this built-in playbook uses names from the default config; replace it with your own playbook named %s in playbooks.dir, or switch it off there with a file holding name: %s and disabled: true",
				pb.Name, pb.Name)
		}
		ps = append(ps, v.ps...)
	}
	return ps
}

// nameChecker reports the names of one playbook that the config lacks.
type nameChecker struct {
	pb Playbook
	ps Problems
}

func (v *nameChecker) list(key string, names []string, what string, known []string) {
	for i, name := range names {
		if !slices.Contains(known, name) {
			v.add(fmt.Sprintf("%s[%d]", key, i), unknownName(what, name, known))
		}
	}
}

func (v *nameChecker) add(key, msg string) {
	key, line := v.pb.at(key)
	v.ps.add(v.pb.File, line, key, "%s", msg)
}

// ownedSteps says which steps an unknown role owns, since those are the
// steps nobody would be asked to do, and the required ones would block
// resolving.
func (v *nameChecker) ownedSteps(role string) string {
	var lines []string
	required := 0
	for i, s := range v.pb.Checklist {
		if s.Owner == role {
			_, line := v.pb.at(fmt.Sprintf("checklist[%d].owner", i))
			lines = append(lines, strconv.Itoa(line))
			if s.RequiredBeforeResolve {
				required++
			}
		}
	}
	if len(lines) == 0 {
		return ""
	}
	msg := fmt.Sprintf("; it owns %d steps (lines %s)", len(lines), strings.Join(lines, ", "))
	if len(lines) == 1 {
		msg = fmt.Sprintf("; it owns 1 step (line %s)", lines[0])
	}
	switch {
	case required == 1 && len(lines) == 1:
		msg += ", required before resolve"
	case required > 0:
		msg += fmt.Sprintf(", %d of them required before resolve", required)
	}
	return msg
}
