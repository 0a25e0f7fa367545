package main

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// listShapes describes each list of sections for its messages: what its
// entries are, and the keys an entry needs.
var listShapes = map[string]struct{ what, needs, keys string }{
	"incidents.severities": {"severities", "name, description and update_every", "name:, description:, update_every:"},
	"oncall.rotations":     {"rotations", "name, members, start and handoff_time", "name:, members:, start:, handoff_time:"},
	"oncall.escalation":    {"escalation levels", "a rotation, users or a usergroup", "rotation:, ack_timeout:"},
}

// decodeStructList decodes a list of sections (incidents.severities,
// oncall.rotations, oncall.escalation) from the file into field, a slice
// of structs, one key at a time like decode does: each problem names the
// entry and the key ("oncall.rotations[1].shift: …"), unknown keys get a
// "did you mean", and an entry that is not a mapping stays empty in its
// place, so that the indexes in later messages match the file. A value
// from the environment is refused: a list of sections does not fit in a
// variable.
func (l *loaded) decodeStructList(key, from string, field reflect.Value, raw any) {
	elem := field.Type().Elem()
	keys := structKeys(elem)
	shape, ok := listShapes[key]
	if !ok {
		shape.what, shape.needs, shape.keys = "entries", strings.Join(keys, ", "), strings.Join(keys, ":, ")+":"
	}
	if from != "" {
		l.failed[key] = true
		l.problems = append(l.problems, fmt.Errorf("%s: %s cannot be set in the environment (unset it and edit %s in %q)", from, shape.what, key, l.path))
		return
	}
	list, ok := raw.([]any)
	if !ok {
		l.failed[key] = true
		l.problems = append(l.problems, fmt.Errorf("%s: expected a list of %s, each with %s, got %s", key, shape.what, shape.needs, describe(raw)))
		return
	}
	out := reflect.MakeSlice(field.Type(), len(list), len(list))
	for i, item := range list {
		prefix := fmt.Sprintf("%s[%d]", key, i)
		m, ok := item.(map[string]any)
		if !ok {
			l.failed[prefix] = true
			l.problems = append(l.problems, fmt.Errorf("%s: not a mapping (write %s under a \"- \")", prefix, shape.keys))
			continue
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		ev := out.Index(i)
		for _, k := range names {
			j := slices.Index(keys, strings.ToLower(k))
			if j < 0 {
				l.problems = append(l.problems, unknownKey(k, prefix+".", keys))
				continue
			}
			if m[k] == nil {
				continue
			}
			f := ev.FieldByIndex(fieldIndex(elem, keys[j]))
			val, msg := decodeValue(f.Type(), m[k])
			if msg != "" {
				l.failed[prefix+"."+keys[j]] = true
				l.problems = append(l.problems, fmt.Errorf("%s.%s: %s", prefix, keys[j], msg))
				continue
			}
			f.Set(val)
		}
	}
	field.Set(out)
}

// isStructList reports whether t is a list of sections.
func isStructList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}
