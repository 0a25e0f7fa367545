package playbooks_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

// defaultKnown is what the default config defines; the shipped playbooks
// must validate against it.
var defaultKnown = playbooks.Known{
	Roles:      []string{"operator", "spokesperson", "scribe", "subject-matter-lead", "shadow"},
	Severities: []string{"critical", "major", "minor"},
	Types:      []string{"general", "security", "data-loss", "third-party"},
	Contacts:   []string{"security", "legal"},
}

// readmeExample returns the first YAML block of README.md.
func readmeExample(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(data)
	if m == nil {
		tb.Fatal("README.md has no ```yaml block")
	}
	return string(m[1])
}

// assertSame compares playbooks by their exported fields.
func assertSame(tb testing.TB, got, want any) {
	tb.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		tb.Errorf("got:\n%s\nwant:\n%s", g, w)
	}
}

func bptr(b bool) *bool { return &b }

// TestLoad_READMEExample keeps the documented example true: it loads, it
// validates, and every field lands where the README says.
func TestLoad_READMEExample(t *testing.T) {
	pbs, err := playbooks.Load(mapFS(map[string]string{"payments.yaml": readmeExample(t)}))
	if err != nil {
		t.Fatal(err)
	}
	k := defaultKnown
	k.Contacts = []string{"finance", "legal"}
	k.Rotations = []string{"payments-primary", "payments-secondary"}
	if err := playbooks.Validate(pbs, k); err != nil {
		t.Fatal(err)
	}
	want := playbooks.Playbook{
		Name:        "payments",
		Title:       "Payments outage",
		Description: "Card payments fail or time out. Protect revenue first: fail over to the second processor, then find the cause.",
		Kind:        playbooks.KindIncident,
		AppliesTo: playbooks.AppliesTo{
			Types:      []string{"general", "third-party"},
			Severities: []string{"critical", "major"},
			Private:    bptr(false),
			Drill:      bptr(false),
		},
		Roles:        []string{"operator", "spokesperson", "subject-matter-lead"},
		PublicStatus: true,
		Checklist: []playbooks.Step{
			{ID: "payments/failover", Text: "Fail over to the backup payment processor", Owner: "subject-matter-lead",
				Runbook: "https://wiki.example.com/runbooks/payments-failover", RequiredBeforeResolve: true},
			{ID: "payments/tell-support-which-payment-methods-still", Text: "Tell support which payment methods still work", Owner: "spokesperson"},
			{ID: "payments/check-the-processor-s-status-page", Text: "Check the processor's status page"},
		},
		Invite: playbooks.Audience{
			Usergroups: []string{"S0PAYMENTS"}, Users: []string{"U0CFO00001"},
			Contacts: []string{"finance"}, Rotations: []string{"payments-primary"},
		},
		Notify: playbooks.Audience{
			Usergroups: []string{"S0SUPPORTLD"}, Users: []string{"U0HEADOFOPS"},
			Channels: []string{"#payments-status", "C0FINANCE1"},
			Contacts: []string{"legal"}, Rotations: []string{"payments-secondary"},
		},
		Bookmarks: []playbooks.Bookmark{
			{Title: "Payments dashboard", URL: "https://grafana.example.com/d/payments"},
			{Title: "Processor status", URL: "https://status.processor.example.com"},
		},
		File: "payments.yaml",
	}
	assertSame(t, pbs, []playbooks.Playbook{want})

	// The README's worked example of a derived id.
	readme, _ := os.ReadFile("README.md")
	if !strings.Contains(string(readme), "`check-the-processor-s-status-page`") {
		t.Error("README.md no longer shows the derived id of the example's last step")
	}
}

// TestDefaults checks the shipped playbooks: they load, validate against
// the default config, and each has the traits the bot relies on.
func TestDefaults(t *testing.T) {
	pbs, err := playbooks.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	if err := playbooks.Validate(pbs, defaultKnown); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(playbooks.Names(pbs), " "), "critical data-loss drill general oncall security third-party"; got != want {
		t.Errorf("names = %s, want %s", got, want)
	}
	for _, pb := range pbs {
		if !pb.BuiltIn || pb.File != playbooks.BuiltinPrefix+pb.Name+".yaml" {
			t.Errorf("%s: BuiltIn %v, File %q", pb.Name, pb.BuiltIn, pb.File)
		}
		if pb.Description == "" {
			t.Errorf("%s: no description", pb.Name)
		}
		required := 0
		for _, s := range pb.Checklist {
			if s.ID.Playbook() != pb.Name || s.ID.Step() == "" {
				t.Errorf("%s: step id %q", pb.Name, s.ID)
			}
			if s.RequiredBeforeResolve {
				required++
			}
		}
		if pb.Kind == playbooks.KindIncident && pb.Name != "critical" && required == 0 {
			t.Errorf("%s: no step is required before resolve", pb.Name)
		}
	}

	sec, _ := playbooks.Find(pbs, "security")
	if !sec.RequirePrivate || sec.PublicStatus || strings.Join(sec.Invite.Contacts, ",") != "security,legal" {
		t.Errorf("security: RequirePrivate %v, PublicStatus %v, invited contacts %v; want private, no public status, security and legal",
			sec.RequirePrivate, sec.PublicStatus, sec.Invite.Contacts)
	}
	oc := playbooks.OnCall(pbs, "any-rotation")
	if len(oc) != 1 || oc[0].Name != "oncall" {
		t.Errorf("OnCall = %v, want the oncall playbook", playbooks.Names(oc))
	}
	for _, tc := range []struct {
		facts playbooks.Facts
		want  string
	}{
		{playbooks.Facts{Type: "general", Severity: "major"}, "general"},
		{playbooks.Facts{Type: "general", Severity: "critical"}, "critical general"},
		{playbooks.Facts{Type: "security", Severity: "critical", Private: true}, "security"},
		{playbooks.Facts{Type: "data-loss", Severity: "minor"}, "data-loss"},
		{playbooks.Facts{Type: "third-party", Severity: "major", Drill: true}, "drill third-party"},
		{playbooks.Facts{Type: "unknown", Severity: "minor"}, ""},
	} {
		if got := strings.Join(playbooks.Names(playbooks.Match(pbs, tc.facts)), " "); got != tc.want {
			t.Errorf("Match(%+v) = %q, want %q", tc.facts, got, tc.want)
		}
	}
}

// TestBuiltinFS checks that the files handed out for copying are the ones
// Defaults reads, and load as an override directory unchanged.
func TestBuiltinFS(t *testing.T) {
	pbs, err := playbooks.Load(playbooks.BuiltinFS())
	if err != nil {
		t.Fatal(err)
	}
	defaults, _ := playbooks.Defaults()
	if len(pbs) != len(defaults) || pbs[0].File != "critical.yaml" || pbs[0].BuiltIn {
		t.Errorf("Load(BuiltinFS()) = %d playbooks, first %q builtIn %v", len(pbs), pbs[0].File, pbs[0].BuiltIn)
	}
}
