package playbooks

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads every playbook file (*.yaml, *.yml) at the top of fsys, in name
// order, and checks each on its own and against the others (see README.md:
// syntax, unknown fields, required fields, duplicate names, URLs, Slack IDs).
// Names from the config (roles, severities…) are checked later by Validate.
// Subdirectories and files starting with "." are skipped. On any problem it
// returns nil and a Problems error listing them all, each naming its file
// and line.
func Load(fsys fs.FS) ([]Playbook, error) {
	pbs, ps := loadFS(fsys, func(name string) string { return name }, false)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return pbs, nil
}

// LoadDir is Load on the directory dir (playbooks.dir in the config), with
// every problem naming the file by its full path.
func LoadDir(dir string) ([]Playbook, error) {
	pbs, ps := loadDir(dir)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return pbs, nil
}

func loadDir(dir string) ([]Playbook, Problems) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		var ps Problems
		reason := "it is not a directory"
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error() // the whole *PathError would repeat the path
		} else if err != nil {
			reason = err.Error()
		}
		ps.add(dir, 0, "", "cannot read the playbook directory: %s (check playbooks.dir in the config)", reason)
		return nil, ps
	}
	return loadFS(os.DirFS(dir), func(name string) string { return filepath.Join(dir, name) }, false)
}

// loadFS is Load that also returns the playbooks it could only partly read
// (those with a name), so that Assemble can report the problems of the
// merged set as well, all at once. label turns a name in fsys into the File
// shown in problems.
func loadFS(fsys fs.FS, label func(string) string, builtIn bool) ([]Playbook, Problems) {
	var ps Problems
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		ps.add(label("."), 0, "", "cannot read the playbook directory: %v", err)
		return nil, ps
	}
	var pbs []Playbook
	byName := make(map[string]Playbook)
	for _, e := range entries {
		name := e.Name()
		ext := path.Ext(name)
		if e.IsDir() || strings.HasPrefix(name, ".") || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		file := label(name)
		data, err := readLimited(fsys, name)
		if err != nil {
			ps.add(file, 0, "", "%v", err)
			continue
		}
		pb, fileProblems := parseFile(file, data)
		ps = append(ps, fileProblems...)
		pb.BuiltIn = builtIn
		if pb.Name == "" {
			continue
		}
		if first, dup := byName[pb.Name]; dup {
			ps.add(file, pb.line("name"), "name", "%q is already the name of the playbook in %s; give each playbook its own name",
				pb.Name, location(first.File, first.line("name")))
			continue
		}
		byName[pb.Name] = pb
		pbs = append(pbs, pb)
	}
	return pbs, ps
}

// readLimited reads a file, refusing one larger than MaxFileSize before
// reading it all.
func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot open the file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d KiB; a playbook is a few KiB, is this the right file?", MaxFileSize>>10)
	}
	return data, nil
}

func location(file string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses one YAML document. The parser is third-party code fed
// with whatever a user wrote, so a panic in it becomes a problem rather than
// a crash of check-config or run.
func parseYAML(data []byte) (doc *yaml.Node, line int, msg string) {
	defer func() {
		if r := recover(); r != nil {
			doc, line, msg = nil, 0, fmt.Sprintf("the YAML parser failed on this file (%v); simplify the file and report it as a bug", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); errors.Is(err, io.EOF) {
		return nil, 0, ""
	} else if err != nil {
		line, msg := yamlErrorLine(err)
		return nil, line, msg
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, extra.Line, "a second YAML document starts here; put each playbook in its own file"
	} else if !errors.Is(err, io.EOF) {
		line, msg := yamlErrorLine(err)
		return nil, line, msg
	}
	if len(root.Content) == 0 {
		return nil, 0, ""
	}
	return root.Content[0], 0, ""
}

// parserProblems are the messages of the YAML parser, as opposed to its
// scanner. yaml v3 reports the line of a parser error 0-based (it adds the
// 1 for scanner errors only), so those lines are one short.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

func yamlErrorLine(err error) (int, string) {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			if parserProblems[m[2]] {
				n++
			}
			return n, "invalid YAML: " + m[2]
		}
	}
	return 0, "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
}

var topFields = []string{"name", "title", "description", "kind", "disabled", "applies_to", "roles",
	"require_private", "public_status", "checklist", "invite", "notify", "bookmarks"}

// parseFile reads one playbook and its problems. It returns what it could
// read; the caller drops it when it has no name.
func parseFile(file string, data []byte) (Playbook, Problems) {
	d := &decoder{file: file, lines: make(map[string]int), keys: make(map[string]string)}
	pb := Playbook{File: file, Kind: KindIncident, PublicStatus: true, lines: d.lines, keys: d.keys}
	doc, line, msg := parseYAML(data)
	if msg != "" {
		d.addAt(line, "", "%s", msg)
		return pb, d.problems()
	}
	if doc == nil || (doc.Kind == yaml.ScalarNode && doc.ShortTag() == "!!null") {
		d.addAt(0, "", "the file is empty; a playbook needs at least name, title and checklist (see the playbooks README)")
		return pb, d.problems()
	}
	if !d.is(doc, "", yaml.MappingNode) {
		return pb, d.problems()
	}
	var disabled, publicStatus *bool
	d.fields(doc, "", topFields, func(key string, v *yaml.Node, kpath string) {
		switch key {
		case "name":
			pb.Name, _ = d.text(v, kpath)
		case "title":
			pb.Title, _ = d.text(v, kpath)
			d.oneLine(v, kpath, pb.Title, MaxTitle)
		case "description":
			pb.Description, _ = d.text(v, kpath)
			d.length(v, kpath, pb.Description, MaxDescription)
		case "kind":
			k, _ := d.text(v, kpath)
			pb.Kind = Kind(k)
		case "disabled":
			disabled = d.flag(v, kpath)
		case "applies_to":
			pb.AppliesTo = d.appliesTo(v, kpath)
		case "roles":
			pb.Roles = d.names(v, kpath, nil)
		case "require_private":
			pb.RequirePrivate = isTrue(d.flag(v, kpath))
		case "public_status":
			publicStatus = d.flag(v, kpath)
		case "checklist":
			pb.Checklist = d.checklist(v, kpath)
		case "invite":
			pb.Invite = d.audience(v, kpath, false)
		case "notify":
			pb.Notify = d.audience(v, kpath, true)
		case "bookmarks":
			pb.Bookmarks = d.bookmarks(v, kpath)
		}
	})
	pb.Disabled = isTrue(disabled)
	if publicStatus != nil {
		pb.PublicStatus = *publicStatus
	}
	d.check(&pb)
	return pb, d.problems()
}

func isTrue(b *bool) bool { return b != nil && *b }
