package main

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// decodeStructList decodes a key whose value is a list of sections
// (types, roles, playbooks.contacts) into field, entry by entry and field
// by field, so that each mistake is reported with its place. It reports
// whether key is such a list; the caller decodes any other key.
// incidents.severities has its own decoder, with its own messages.
func (l *loaded) decodeStructList(key string, field reflect.Value, raw any, from string) bool {
	t := field.Type()
	if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Struct {
		return false
	}
	elem := t.Elem()
	keys := structKeys(elem)
	if from != "" {
		l.failed[key] = true
		l.problems = append(l.problems, fmt.Errorf("%s: %s cannot be set in the environment (unset it and edit %s in %q)", from, key, key, l.path))
		return true
	}
	list, ok := raw.([]any)
	if !ok {
		l.failed[key] = true
		l.problems = append(l.problems, fmt.Errorf("%s: expected a list, each entry with %s, got %s", key, strings.Join(keys, ", "), describe(raw)))
		return true
	}
	out := reflect.MakeSlice(t, len(list), len(list))
	for i, item := range list {
		prefix := fmt.Sprintf("%s[%d]", key, i)
		m, ok := item.(map[string]any)
		if !ok {
			l.failed[prefix] = true
			l.problems = append(l.problems, fmt.Errorf("%s: not a mapping (write %s: under a \"- \")", prefix, keys[0]))
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
	return true
}
