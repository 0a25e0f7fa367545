package playbooks_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

func TestDeriveStepID(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"Page the security on-call", "page-the-security-on-call"},
		{"  Roll back -- NOW!  ", "roll-back-now"},
		{"Check the processor's status page", "check-the-processor-s-status-page"},
		{"Tell support which payment methods still work", "tell-support-which-payment-methods-still"},
		{strings.Repeat("a", 50), strings.Repeat("a", 40)}, // no word boundary: cut hard
		{"Prüfe die Datenbank", "pr-fe-die-datenbank"},
		{"データベースを確認する", "step-f586e0f5"},
		{"OK", "step-85e4b82f"}, // pinned: ids must not change between releases
		{"", "step-811c9dc5"},
	} {
		if got := playbooks.DeriveStepID(tc.text); got != tc.want {
			t.Errorf("DeriveStepID(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestParseStepID(t *testing.T) {
	for _, ok := range []string{"security/rotate-credentials", "a/b", "db_1/step-0bbd4a2f"} {
		id, err := playbooks.ParseStepID(ok)
		if err != nil || string(id) != ok {
			t.Errorf("ParseStepID(%q) = %q, %v", ok, id, err)
		}
	}
	id := playbooks.NewStepID("security", "rotate-credentials")
	if id.Playbook() != "security" || id.Step() != "rotate-credentials" {
		t.Errorf("%q splits into %q and %q", id, id.Playbook(), id.Step())
	}
	for _, bad := range []string{"", "security", "/x", "x/", "a/b/c", "A/b", "a/" + strings.Repeat("b", 41), "a b/c"} {
		if _, err := playbooks.ParseStepID(bad); err == nil {
			t.Errorf("ParseStepID(%q) gave no error", bad)
		} else if !strings.Contains(err.Error(), "want <playbook>/<step>") {
			t.Errorf("ParseStepID(%q) error %q does not say what is wanted", bad, err)
		}
	}
}

func TestChecklist(t *testing.T) {
	pbs, err := playbooks.Load(mapFS(map[string]string{
		"a.yaml": "name: a\ntitle: T\nroles: [operator]\nchecklist:\n  - {id: one, text: One, required_before_resolve: true}\n  - {id: two, text: Two}\n  - {id: three, text: Three, owner: operator, required_before_resolve: true}\n",
		"b.yaml": "name: b\ntitle: T\nchecklist:\n  - {id: one, text: \"Same id, other playbook\", required_before_resolve: true}\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	steps := playbooks.Steps(pbs)
	ids := func(steps []playbooks.Step) string {
		var s []string
		for _, st := range steps {
			s = append(s, string(st.ID))
		}
		return strings.Join(s, " ")
	}
	if got := ids(steps); got != "a/one a/two a/three b/one" {
		t.Fatalf("Steps = %s", got)
	}
	for _, tc := range []struct {
		name         string
		done         map[playbooks.StepID]bool
		requiredOpen string
		progress     playbooks.Progress
	}{
		{"NoneDone", nil, "a/one a/three b/one", playbooks.Progress{Done: 0, Total: 4, Required: 3, RequiredOpen: 3}},
		{"OptionalDone", map[playbooks.StepID]bool{"a/two": true}, "a/one a/three b/one", playbooks.Progress{Done: 1, Total: 4, Required: 3, RequiredOpen: 3}},
		{"SameLocalIDOtherPlaybook", map[playbooks.StepID]bool{"a/one": true}, "a/three b/one", playbooks.Progress{Done: 1, Total: 4, Required: 3, RequiredOpen: 2}},
		{"FalseIsNotDone", map[playbooks.StepID]bool{"a/one": false}, "a/one a/three b/one", playbooks.Progress{Done: 0, Total: 4, Required: 3, RequiredOpen: 3}},
		{"UnknownIDsIgnored", map[playbooks.StepID]bool{"a/gone": true, "c/one": true}, "a/one a/three b/one", playbooks.Progress{Done: 0, Total: 4, Required: 3, RequiredOpen: 3}},
		{"AllDone", map[playbooks.StepID]bool{"a/one": true, "a/two": true, "a/three": true, "b/one": true}, "", playbooks.Progress{Done: 4, Total: 4, Required: 3, RequiredOpen: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(playbooks.RequiredOpen(steps, tc.done)); got != tc.requiredOpen {
				t.Errorf("RequiredOpen = %q, want %q", got, tc.requiredOpen)
			}
			p := playbooks.Tally(steps, tc.done)
			if p != tc.progress {
				t.Errorf("Tally = %+v, want %+v", p, tc.progress)
			}
			if p.Complete() != (tc.progress.Done == 4) {
				t.Errorf("Complete = %v with %d of 4 done", p.Complete(), p.Done)
			}
		})
	}
	if got := ids(pbs[0].RequiredOpen(map[playbooks.StepID]bool{"a/three": true})); got != "a/one" {
		t.Errorf("Playbook.RequiredOpen = %q, want a/one", got)
	}
	if s, ok := playbooks.FindStep(steps, "b/one"); !ok || s.Text != "Same id, other playbook" {
		t.Errorf("FindStep(b/one) = %+v, %v", s, ok)
	}
	if _, ok := playbooks.FindStep(steps, "b/two"); ok {
		t.Error("FindStep(b/two) found a step that does not exist")
	}
}
