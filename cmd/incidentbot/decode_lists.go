package main

import (
	"fmt"
	"reflect"
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
	keys := structKeys(t.Elem())
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
		l.decodeEntry(prefix, m, out.Index(i))
	}
	field.Set(out)
	return true
}
