package playbooks_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf16"

	"github.com/incidentbot/incidentbot/playbooks"
)

// FuzzLoad feeds arbitrary bytes to the loader as one playbook file. It must
// never panic; every problem must name the file and a line inside it; and a
// playbook it accepts must keep the promises the bot relies on.
func FuzzLoad(f *testing.F) {
	builtin := playbooks.BuiltinFS()
	entries, err := fs.ReadDir(builtin, ".")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(builtin, e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(readmeExample(f)))
	for _, seed := range []string{
		"", "# comment\n", "~\n", "---\n", "[]\n", "name: x\n---\nname: y\n",
		minimal, minimal + "titel: x\n", minimal + "title: again\n",
		"name: db\ntitle: &t Database\ndescription: *t\nchecklist:\n  - &s {text: a}\n  - <<: *s\n",
		"name: db\ntitle: T\nchecklist: [a, a, {id: a, text: b}]\n",
		"name: db\nkind: oncall\ntitle: T\nroles: [x]\nchecklist: [{text: a, owner: x, required_before_resolve: true}]\n",
		"name: db\ntitle: [\n", "name: db\n\ttitle: x\n", "name: !!binary aGk=\n", "name: !custom x\n",
		"name: db\ntitle: T\nchecklist: [a]\nbookmarks: [{url: 'ftp://x'}, x, {title: t, url: 'https://x'}]\n",
		"name: db\ntitle: T\nchecklist: [a]\ninvite: {channels: ['#x'], users: [u1]}\nnotify: {usergroups: [S1X]}\n",
		"name: db\ndisabled: true\n", "name: \"\\u00e9\"\ntitle: \"\\u0000\"\n",
		strings.Repeat("[", 200) + strings.Repeat("]", 200),
		strings.Repeat("- ", 200) + "x\n",
		"{name: db, title: T, checklist: [x], applies_to: {private: true, drill: false, types: [a]}}",
	} {
		f.Add([]byte(seed))
	}
	known := playbooks.Known{
		Roles:      []string{"operator", "spokesperson", "scribe"},
		Severities: []string{"critical", "major"},
		Types:      []string{"general", "security"},
		Rotations:  []string{"sre"},
		Contacts:   []string{"legal"},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.yaml"
		lines := yamlLines(data)
		checkProblems := func(err error) {
			var ps playbooks.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %T %v is not a non-empty playbooks.Problems", err, err)
			}
			for _, p := range ps {
				if p.File != file || p.Message == "" || p.Line < 0 || p.Line > lines+1 {
					t.Fatalf("problem %#v: want File %q, a message, and a line within the file's %d", p, file, lines)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, file) {
					t.Fatalf("error line %q does not start with the file name", line)
				}
			}
		}

		pbs, err := playbooks.Load(fstest.MapFS{file: &fstest.MapFile{Data: data}})
		if err != nil {
			if pbs != nil {
				t.Fatalf("Load returned %d playbooks with an error", len(pbs))
			}
			checkProblems(err)
			return
		}
		if len(pbs) != 1 {
			t.Fatalf("Load accepted one file as %d playbooks", len(pbs))
		}
		pb := pbs[0]
		if _, err := playbooks.ParseStepID(pb.Name + "/x"); err != nil {
			t.Fatalf("accepted an invalid name %q", pb.Name)
		}
		if !pb.Disabled && (pb.Title == "" || len(pb.Checklist) == 0 || len(pb.Checklist) > playbooks.MaxSteps) {
			t.Fatalf("accepted %q with title %q and %d steps", pb.Name, pb.Title, len(pb.Checklist))
		}
		seen := map[playbooks.StepID]bool{}
		for _, s := range pb.Checklist {
			if _, err := playbooks.ParseStepID(string(s.ID)); err != nil || s.ID.Playbook() != pb.Name || seen[s.ID] {
				t.Fatalf("step id %q of %q: parse error %v, or used twice", s.ID, pb.Name, err)
			}
			seen[s.ID] = true
		}
		if pb.RequirePrivate && (pb.PublicStatus || (pb.AppliesTo.Private != nil && !*pb.AppliesTo.Private)) {
			t.Fatal("a private playbook allows a public status, or applies only to public incidents")
		}
		if err := playbooks.Validate(pbs, known); err != nil {
			checkProblems(err)
		}
		e := playbooks.Combine(playbooks.Match(pbs, playbooks.Facts{Type: "general", Severity: "major"}))
		playbooks.Tally(e.Steps, map[playbooks.StepID]bool{})
	})
}

// yamlLines bounds the number of lines YAML sees in data: it breaks lines
// at CR, NEL, LS and PS as well as LF, and reads UTF-16 when data starts
// with its byte order mark.
func yamlLines(data []byte) int {
	text := string(data)
	if len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff) {
		units := make([]uint16, 0, len(data)/2)
		for i := 2; i+1 < len(data); i += 2 {
			if data[0] == 0xff {
				units = append(units, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				units = append(units, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		text = string(utf16.Decode(units))
	}
	lines := 1
	for _, br := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
		lines += strings.Count(text, br)
	}
	return lines
}
