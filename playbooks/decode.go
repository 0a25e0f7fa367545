package playbooks

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder reads one file's YAML node tree into Go values by hand rather
// than with yaml's Decode: that gives every problem its own line and a
// message in the playbook's terms ("checklist[2].owner: want text"), and
// lets one file report all of its problems instead of the first.
type decoder struct {
	file    string
	probs   Problems          // this file's problems, at most maxProblems
	dropped int               // problems beyond maxProblems
	lines   map[string]int    // key path -> line, kept on the Playbook
	keys    map[string]string // see Playbook.keys
}

// maxProblems bounds what one file reports: past that, the file is not a
// playbook with typos but something else, and a thousand lines help nobody.
const maxProblems = 50

func (d *decoder) add(n *yaml.Node, key, format string, args ...any) {
	d.addAt(n.Line, key, format, args...)
}

func (d *decoder) addAt(line int, key, format string, args ...any) {
	if len(d.probs) >= maxProblems {
		d.dropped++
		return
	}
	d.probs.add(d.file, line, key, format, args...)
}

// problems returns the file's problems, plus one counting those left out.
func (d *decoder) problems() Problems {
	if d.dropped > 0 {
		d.probs.add(d.file, 0, "", "%d more problems not shown; is this a playbook file?", d.dropped)
	}
	return d.probs
}

// fields walks the mapping n, calling each for every key in the order
// written. Keys not in allowed, keys given twice, and aliases are reported.
func (d *decoder) fields(n *yaml.Node, path string, allowed []string, each func(key string, v *yaml.Node, kpath string)) {
	if !d.is(n, path, yaml.MappingNode) {
		return
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		kpath := join(path, name)
		switch {
		case k.Kind != yaml.ScalarNode:
			d.add(k, path, "a key must be a plain word, not %s", describe(k))
			continue
		case name == "<<":
			d.add(k, path, "merge keys (<<) are not supported; write the fields out")
			continue
		case !slices.Contains(allowed, name):
			msg := fmt.Sprintf("unknown field %q", name)
			if s := closest(name, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			d.add(k, path, "%s; allowed here: %s", msg, strings.Join(allowed, ", "))
			continue
		}
		if first, dup := seen[name]; dup {
			d.add(k, kpath, "set twice (first on line %d); keep one", first)
			continue
		}
		seen[name] = k.Line
		d.lines[kpath] = k.Line
		each(name, v, kpath)
	}
}

// is reports whether n is of kind want; otherwise it records a problem.
func (d *decoder) is(n *yaml.Node, path string, want yaml.Kind) bool {
	if n.Kind == want {
		return true
	}
	what := map[yaml.Kind]string{yaml.MappingNode: "fields (key: value)", yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}[want]
	d.add(n, path, "want %s, got %s", what, describe(n))
	return false
}

// text reads a string. Numbers are accepted as their text (an id of 1 is
// "1"); null is "". ok is false, with a problem recorded, for anything else.
func (d *decoder) text(n *yaml.Node, path string) (s string, ok bool) {
	if n.Kind != yaml.ScalarNode {
		d.add(n, path, "want text, got %s", describe(n))
		return "", false
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float":
		return n.Value, true
	case "!!null":
		return "", true
	}
	d.add(n, path, "want text, got %s (put it in quotes if you mean the text %q)", describe(n), n.Value)
	return "", false
}

// flag reads true or false; null is nil.
func (d *decoder) flag(n *yaml.Node, path string) *bool {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!bool":
			b := n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
			return &b
		case "!!null":
			return nil
		}
	}
	d.add(n, path, "want true or false, got %s", describe(n))
	return nil
}

// list calls each for every item of the sequence n; null is an empty list.
func (d *decoder) list(n *yaml.Node, path string, each func(i int, item *yaml.Node, ipath string)) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if n.Kind == yaml.ScalarNode {
		example := "[" + n.Value + "]"
		if strings.ContainsAny(n.Value, "\r\n") || len(n.Value) > MaxTitle {
			example = "[first, second]"
		}
		d.add(n, path, "want a list, got %s (write %s, or one \"- item\" per line)", describe(n), example)
		return
	}
	if !d.is(n, path, yaml.SequenceNode) {
		return
	}
	for i, item := range n.Content {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		d.lines[ipath] = item.Line
		each(i, item, ipath)
	}
}

// names reads a list of distinct, non-empty names; check, when not nil,
// returns a problem with one name or "".
func (d *decoder) names(n *yaml.Node, path string, check func(string) string) []string {
	var out []string
	seen := make(map[string]int)
	d.list(n, path, func(_ int, item *yaml.Node, ipath string) {
		s, ok := d.text(item, ipath)
		switch {
		case !ok:
		case s == "":
			d.add(item, ipath, "empty; remove the item or write a name")
		case seen[s] > 0:
			d.add(item, ipath, "%q is listed twice (first on line %d); remove one", s, seen[s])
		default:
			seen[s] = item.Line
			if check != nil {
				if msg := check(s); msg != "" {
					d.add(item, ipath, "%s", msg)
					return
				}
			}
			out = append(out, s)
			d.kept(path, len(out)-1, ipath)
		}
	})
	return out
}

// kept records that item i of the Go slice read from the list at path came
// from the list item at ipath, when an item before it was left out.
func (d *decoder) kept(path string, i int, ipath string) {
	if k := fmt.Sprintf("%s[%d]", path, i); k != ipath {
		d.keys[k] = ipath
	}
}

// describe names what a node is, for "want X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "fields (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias (*" + n.Value + "); aliases are not supported, write the value out"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!bool":
		return "true/false"
	case "!!null":
		return "nothing"
	case "!!int", "!!float":
		return "a number"
	case "!!str":
		return "text"
	}
	return fmt.Sprintf("a value tagged %q", n.Tag)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
