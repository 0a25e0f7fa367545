package playbooks_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

// TestAssemble_BuiltinSeverities: a config that names its severities
// otherwise keeps the built-in critical playbook working; a playbook of
// its own is checked as written.
func TestAssemble_BuiltinSeverities(t *testing.T) {
	k := defaultKnown
	k.Severities = []string{"sev1", "sev2"}
	if _, err := playbooks.Assemble("", k); err == nil {
		t.Fatal("the built-in critical playbook validated against severities without critical")
	}
	k.BuiltinSeverities = map[string]string{"critical": "sev1", "major": "sev2", "minor": "sev2"}
	pbs, err := playbooks.Assemble("", k)
	if err != nil {
		t.Fatal(err)
	}
	crit, _ := playbooks.Find(pbs, "critical")
	if !slices.Equal(crit.AppliesTo.Severities, []string{"sev1"}) {
		t.Errorf("critical applies to %v", crit.AppliesTo.Severities)
	}
	if got := playbooks.Match(pbs, playbooks.Facts{Type: "general", Severity: "sev1"}); !slices.Equal(playbooks.Names(got), []string{"critical", "general"}) {
		t.Errorf("matched %v", playbooks.Names(got))
	}
	// Not for a playbook of playbooks.dir: it is written for this config.
	dir := t.TempDir()
	mustWrite(t, dir, "mine.yaml", "name: mine\ntitle: Mine\napplies_to:\n  severities: [critical]\nchecklist: [Do it]\n")
	if _, err := playbooks.Assemble(dir, k); err == nil {
		t.Error("a playbook of playbooks.dir naming critical validated against sev1, sev2")
	}
}

func mustWrite(tb testing.TB, dir, name, body string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
}
