package main

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// isStructList reports whether t is a list of sections (stakeholders.groups),
// which only the file can set, entry by entry.
func isStructList(t reflect.Type) bool {
	return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct
}

// decodeStructList decodes a list of sections from the file into field:
// each entry a mapping of the element's keys, each value decoded like any
// other key. Every problem names the entry and key ("stakeholders.groups[1].tier").
// An entry that is not a mapping stays empty in its place, so that the
// indexes of later messages match the file.
func (l *loaded) decodeStructList(key, from string, field reflect.Value, raw any) {
	if from != "" {
		l.failed[key] = true
		l.problems = append(l.problems, fmt.Errorf("%s: %s cannot be set in the environment (unset it and edit it in %q)", from, key, l.path))
		return
	}
	list, ok := raw.([]any)
	if !ok {
		l.failed[key] = true
		first := firstKeys(field.Type().Elem())
		l.problems = append(l.problems, fmt.Errorf("%s: expected a list of %s, each with %s, got %s", key, lastPart(key), joinAnd(first), describe(raw)))
		return
	}
	l.decodeEntries(key, list, field)
}

// decodeEntries decodes the entries of a list of sections into field, a
// slice of structs, each key of an entry like any other key.
func (l *loaded) decodeEntries(key string, list []any, field reflect.Value) {
	et := field.Type().Elem()
	keys := structKeys(et)
	first := firstKeys(et)
	out := reflect.MakeSlice(field.Type(), len(list), len(list))
	for i, item := range list {
		prefix := fmt.Sprintf("%s[%d]", key, i)
		m, ok := item.(map[string]any)
		if !ok {
			l.failed[prefix] = true
			l.problems = append(l.problems, fmt.Errorf("%s: not a mapping (write %s: under a \"- \")", prefix, strings.Join(first, ":, ")))
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
