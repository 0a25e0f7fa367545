package main

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// isStructList reports whether t is a list of sections (incidents.severities,
// stakeholders.groups, oncall.rotations…), which only the file can set,
// entry by entry.
func isStructList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}

// listShape describes a list of sections for its messages: the list with
// what each entry needs, and the keys to write in an entry.
type listShape struct{ list, keys string }

// listShapes names the lists whose messages say more than the generic
// ones (see shapeOf).
var listShapes = map[string]listShape{
	"incidents.severities": {"severities, each with name, description and update_every", "name:, description:, update_every:"},
	// Issue 13 (on call).
	"oncall.rotations":  {"rotations, each with name, members, start and handoff_time", "name:, members:, start:, handoff_time:"},
	"oncall.escalation": {"escalation levels, each with a rotation, users or a usergroup", "rotation:, ack_timeout:"},
}

// shapeOf returns the shape of the list at key, generic when listShapes
// has none: named by its key, its keys those of the element type.
func shapeOf(key string, elem reflect.Type) listShape {
	if s, ok := listShapes[key]; ok {
		return s
	}
	first := firstKeys(elem)
	return listShape{lastPart(key) + ", each with " + joinAnd(first), strings.Join(first, ":, ") + ":"}
}

// decodeStructList decodes a list of sections from the file into field:
// each entry a mapping of the element's keys, each value decoded like any
// other key. Every problem names the entry and key ("stakeholders.groups[1].tier"),
// and unknown keys get a "did you mean". A value from the environment is
// refused: a list of sections does not fit in a variable.
func (l *loaded) decodeStructList(key, from string, field reflect.Value, raw any) {
	shape := shapeOf(key, field.Type().Elem())
	if from != "" {
		l.failed[key] = true
		l.problems = append(l.problems, fmt.Errorf("%s: %s cannot be set in the environment (unset it and edit it in %q)", from, key, l.path))
		return
	}
	list, ok := raw.([]any)
	if !ok {
		l.failed[key] = true
		l.problems = append(l.problems, fmt.Errorf("%s: expected a list of %s, got %s", key, shape.list, describe(raw)))
		return
	}
	l.decodeEntries(key, shape, list, field)
}

// decodeEntries decodes the entries of a list of sections into field, a
// slice of structs, each key of an entry like any other key. An entry
// that is not a mapping stays empty in its place, so that the indexes of
// later messages match the file.
func (l *loaded) decodeEntries(key string, shape listShape, list []any, field reflect.Value) {
	et := field.Type().Elem()
	keys := structKeys(et)
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
			f := ev.FieldByIndex(fieldIndex(et, keys[j]))
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

// firstKeys returns the first keys (at most three) of a section, to show
// what an entry of a list of them looks like.
func firstKeys(t reflect.Type) []string {
	keys := structKeys(t)
	return keys[:min(3, len(keys))]
}

// joinAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
