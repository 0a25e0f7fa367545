package playbooks

import "strings"

// Merge lays overrides (from playbooks.dir) over defaults (the built-in
// ones): an override with the name of a default replaces it in place, one
// with a new name is added after the defaults, and one with disabled: true
// removes the default of that name. Disabling a name no default has is a
// problem, since it is most likely a typo that leaves the playbook on.
func Merge(defaults, overrides []Playbook) ([]Playbook, error) {
	pbs, ps := merge(defaults, overrides)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return pbs, nil
}

func merge(defaults, overrides []Playbook) ([]Playbook, Problems) {
	var ps Problems
	out := make([]Playbook, 0, len(defaults)+len(overrides))
	index := make(map[string]int, len(defaults))
	for _, pb := range defaults {
		if !pb.Disabled {
			index[pb.Name] = len(out)
			out = append(out, pb)
		}
	}
	removed := make(map[string]bool)
	for _, pb := range overrides {
		i, isDefault := index[pb.Name]
		switch {
		case pb.Disabled && !isDefault:
			ps.add(pb.File, pb.line("disabled"), "disabled", "no built-in playbook is named %q, so there is nothing to switch off; built-in playbooks: %s",
				pb.Name, strings.Join(Names(defaults), ", "))
		case pb.Disabled:
			removed[pb.Name] = true
		case isDefault:
			out[i] = pb
		default:
			index[pb.Name] = len(out)
			out = append(out, pb)
		}
	}
	kept := out[:0]
	for _, pb := range out {
		if !removed[pb.Name] {
			kept = append(kept, pb)
		}
	}
	return kept, ps
}

// renameSeverities renames the severities the built-in playbooks of pbs
// apply to, as rename says.
func renameSeverities(pbs []Playbook, rename map[string]string) []Playbook {
	if len(rename) == 0 {
		return pbs
	}
	for i, pb := range pbs {
		if !pb.BuiltIn || len(pb.AppliesTo.Severities) == 0 {
			continue
		}
		sevs := make([]string, len(pb.AppliesTo.Severities))
		for j, s := range pb.AppliesTo.Severities {
			if to, ok := rename[s]; ok {
				s = to
			}
			sevs[j] = s
		}
		pbs[i].AppliesTo.Severities = sevs
	}
	return pbs
}

// Assemble returns the playbooks incidentbot runs: the built-in ones merged
// with those in dir (playbooks.dir; "" for none) and validated against the
// config's names. It reports every problem of every step at once, so that
// check-config shows them all and run can refuse to start with the same list.
func Assemble(dir string, k Known) ([]Playbook, error) {
	defaults, ps := loadBuiltin()
	var overrides []Playbook
	if dir != "" {
		var ops Problems
		overrides, ops = loadDir(dir)
		ps = append(ps, ops...)
	}
	pbs, mps := merge(defaults, overrides)
	ps = append(ps, mps...)
	pbs = renameSeverities(pbs, k.BuiltinSeverities)
	ps = append(ps, validate(pbs, k)...)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return pbs, nil
}
