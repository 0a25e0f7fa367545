package playbooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

// MustWriteDir writes files into a new directory and returns its path.
func MustWriteDir(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func TestMerge(t *testing.T) {
	defaults, err := playbooks.Load(mapFS(map[string]string{
		"a.yaml": strings.Replace(minimal, "name: db", "name: a", 1),
		"b.yaml": strings.Replace(minimal, "name: db", "name: b", 1),
		"c.yaml": strings.Replace(minimal, "name: db", "name: c", 1),
	}))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OverrideDisableExtend", func(t *testing.T) {
		overrides, err := playbooks.Load(mapFS(map[string]string{
			"b.yaml":   strings.Replace(minimal, "title: Database failover", "title: Our own B", 1),
			"off.yaml": "name: a\ndisabled: true\n",
			"z.yaml":   strings.Replace(minimal, "name: db", "name: z", 1),
		}))
		if err != nil {
			t.Fatal(err)
		}
		overrides[0].Name = "b" // the file named b.yaml holds "db": make it b
		got, err := playbooks.Merge(defaults, overrides)
		if err != nil {
			t.Fatal(err)
		}
		if names := strings.Join(playbooks.Names(got), " "); names != "b c z" {
			t.Errorf("names = %q, want b (overridden, in place) c z (added); a is disabled", names)
		}
		if got[0].Title != "Our own B" {
			t.Errorf("b's title = %q, want the override's", got[0].Title)
		}
	})

	t.Run("DisableUnknown", func(t *testing.T) {
		overrides, err := playbooks.Load(mapFS(map[string]string{"off.yaml": "name: bb\ndisabled: true\n"}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = playbooks.Merge(defaults, overrides)
		assertProblems(t, err, []string{`off.yaml:2: disabled: no built-in playbook is named "bb", so there is nothing to switch off; built-in playbooks: a, b, c`})
	})
}

func TestAssemble(t *testing.T) {
	t.Run("DefaultsOnly", func(t *testing.T) {
		pbs, err := playbooks.Assemble("", defaultKnown)
		if err != nil {
			t.Fatal(err)
		}
		if len(pbs) != 7 {
			t.Errorf("%d playbooks, want the 7 built-in ones", len(pbs))
		}
	})

	t.Run("OverridesFromADirectory", func(t *testing.T) {
		dir := MustWriteDir(t, map[string]string{
			"critical.yaml":        "name: critical\ndisabled: true\n",
			"security.yaml":        strings.Replace(minimal, "name: db", "name: security", 1),
			"payments.yml":         readmeExample(t),
			"notes.txt":            "not a playbook",
			".draft.yaml":          "broken: [",
			"archive/old.yaml":     "broken: [",
			"README.md":            "# our playbooks",
			"data-loss.yaml.orig":  "broken: [",
			"third-party.yaml.bak": "broken: [",
		})
		k := defaultKnown
		k.Contacts = []string{"finance", "legal", "security"}
		k.Rotations = []string{"payments-primary", "payments-secondary"}
		pbs, err := playbooks.Assemble(dir, k)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(playbooks.Names(pbs), " "), "data-loss drill general oncall security third-party payments"; got != want {
			t.Errorf("names = %q, want %q", got, want)
		}
		sec, _ := playbooks.Find(pbs, "security")
		if sec.BuiltIn || sec.File != filepath.Join(dir, "security.yaml") || sec.Title != "Database failover" {
			t.Errorf("security = %+v, want the one from %s", sec, dir)
		}
	})

	t.Run("EveryProblemAtOnce", func(t *testing.T) {
		// One directory with a broken file, a file with a dropped list item
		// and an unknown name after it, a bad disable, and an override that
		// renames nothing: all reported together, with the built-in
		// playbooks checked against a config that lacks "scribe".
		dir := MustWriteDir(t, map[string]string{
			"broken.yaml":   "name: x\ntitle: [\n",
			"partial.yaml":  "name: partial\ntitle: T\nroles: [operator, \"\", ghost]\nchecklist: [Do it]\n",
			"off.yaml":      "name: genral\ndisabled: true\n",
			"security.yaml": "name: security\ndisabled: true\n",
		})
		k := defaultKnown
		k.Roles = []string{"operator", "spokesperson", "subject-matter-lead", "shadow"}
		_, err := playbooks.Assemble(dir, k)
		assertProblems(t, err, []string{
			filepath.Join(dir, "broken.yaml") + ":3: invalid YAML: did not find expected node content",
			filepath.Join(dir, "off.yaml") + `:2: disabled: no built-in playbook is named "genral", so there is nothing to switch off; built-in playbooks: critical, data-loss, drill, general, oncall, security, third-party`,
			filepath.Join(dir, "partial.yaml") + ":3: roles[1]: empty; remove the item or write a name",
			filepath.Join(dir, "partial.yaml") + `:3: roles[2]: unknown role "ghost"; known roles: operator, spokesperson, subject-matter-lead, shadow`,
			"builtin:critical.yaml: this built-in playbook uses names from the default config; replace it with your own playbook named critical in playbooks.dir, or switch it off there with a file holding name: critical and disabled: true",
			`builtin:critical.yaml:12: roles[2]: unknown role "scribe"; known roles: operator, spokesperson, subject-matter-lead, shadow`,
			"builtin:data-loss.yaml: this built-in playbook uses names from the default config; replace it with your own playbook named data-loss in playbooks.dir, or switch it off there with a file holding name: data-loss and disabled: true",
			`builtin:data-loss.yaml:11: roles[2]: unknown role "scribe"; known roles: operator, spokesperson, subject-matter-lead, shadow; it owns 1 step (line 38)`,
		})
	})

	t.Run("MissingDirectory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		_, err := playbooks.Assemble(dir, defaultKnown)
		assertProblems(t, err, []string{dir + ": cannot read the playbook directory: no such file or directory (check playbooks.dir in the config)"})
	})

	t.Run("NotADirectory", func(t *testing.T) {
		dir := MustWriteDir(t, map[string]string{"file": "x"})
		_, err := playbooks.LoadDir(filepath.Join(dir, "file"))
		assertProblems(t, err, []string{filepath.Join(dir, "file") + ": cannot read the playbook directory: it is not a directory (check playbooks.dir in the config)"})
	})

	t.Run("UnreadableFile", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root reads every file; permissions cannot make one unreadable")
		}
		dir := MustWriteDir(t, map[string]string{"a.yaml": minimal})
		if err := os.Chmod(filepath.Join(dir, "a.yaml"), 0); err != nil {
			t.Fatal(err)
		}
		_, err := playbooks.LoadDir(dir)
		assertProblems(t, err, []string{filepath.Join(dir, "a.yaml") + ": cannot open the file: open a.yaml: permission denied"})
	})
}
