package playbooks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a playbook file, written for the person
// who edits it. Its Error is "file:line: key: message", the form editors and
// CI logs turn into links.
type Problem struct {
	// File is the file the problem is in: the path inside the directory
	// given to Load, the full path for LoadDir, or "builtin:<name>.yaml"
	// for a playbook shipped in the binary.
	File string
	// Line is the 1-based line of the offending key or value; 0 when the
	// problem is about the whole file.
	Line int
	// Key is the path of the offending key, e.g. "checklist[2].owner";
	// empty when the problem is about the whole file.
	Key string
	// Message says what is wrong and how to fix it.
	Message string
}

// oneLine keeps a problem on one line even when a file name or a value
// quoted from the file holds a line break.
var escapeBreaks = strings.NewReplacer("\r", `\r`, "\n", `\n`)

// Error implements error.
func (p Problem) Error() string {
	return escapeBreaks.Replace(p.format())
}

func (p Problem) format() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in a set of playbooks, sorted by file and
// line. The functions of this package return it as their error, so that
// check-config can print them all at once; get it back with errors.As.
type Problems []Problem

// Error implements error: one problem per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives errors.Is and errors.As each problem.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// err returns ps sorted as an error, or nil when there is none (never a
// typed nil).
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return ps
}

// add records a problem.
func (ps *Problems) add(file string, line int, key, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

// unknownName words the problem of a name that is not among known (what is
// "role", "severity"…): the closest known name when one is near, and the
// whole list, so the fix is in the message.
func unknownName(what, name string, known []string) string {
	msg := fmt.Sprintf("unknown %s %q", what, name)
	if s := closest(name, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(known) == 0 {
		return msg + fmt.Sprintf("; no %s is defined in the config", what)
	}
	return msg + fmt.Sprintf("; known %s: %s", plural(what), strings.Join(known, ", "))
}

func plural(what string) string {
	if strings.HasSuffix(what, "ity") { // severity
		return what[:len(what)-1] + "ies"
	}
	return what + "s"
}

// closest returns the candidate nearest to s when it is a plausible typo
// (at most a third of the characters differ, and at most 3), or "".
func closest(s string, candidates []string) string {
	if len(s) > 2*MaxName {
		return "" // not a typo of a short name, and costly to compare
	}
	best, bestD := "", 4
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD && d*3 <= max(len(s), len(c)) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b
// (Levenshtein plus swapping two neighbours, the commonest typo), in bytes:
// the names compared are short ASCII keys, so bytes are characters.
func editDistance(a, b string) int {
	// d[i][j] is the distance between a[:i] and b[:j].
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
