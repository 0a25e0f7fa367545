package playbooks_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

func TestValidate(t *testing.T) {
	known := playbooks.Known{
		Roles:      []string{"operator", "spokesperson", "scribe"},
		Severities: []string{"critical", "major"},
		Types:      []string{"general", "security"},
		Rotations:  []string{"sre-primary"},
		Contacts:   []string{"legal"},
	}
	for _, tc := range []struct {
		name string
		file string
		want []string
	}{
		{"OK", minimal + "applies_to:\n  types: [security]\n  severities: [critical]\ninvite:\n  contacts: [legal]\n  rotations: [sre-primary]\n", nil},
		{"UnknownType", minimal + "applies_to:\n  types: [general, securty]\n",
			[]string{`a.yaml:8: applies_to.types[1]: unknown type "securty" (did you mean "security"?); known types: general, security`}},
		{"UnknownSeverity", minimal + "applies_to:\n  severities: [sev1]\n",
			[]string{`a.yaml:8: applies_to.severities[0]: unknown severity "sev1"; known severities: critical, major`}},
		{"UnknownRole", "name: db\ntitle: T\nroles: [operator, scribbler]\nchecklist:\n  - text: Keep the log\n    owner: scribbler\n",
			[]string{`a.yaml:3: roles[1]: unknown role "scribbler" (did you mean "scribe"?); known roles: operator, spokesperson, scribe; it owns 1 step (line 6)`}},
		{"RequiredStepOwnedByUnknownRole", "name: db\ntitle: T\nroles: [historian]\nchecklist:\n  - text: Keep the log\n    owner: historian\n    required_before_resolve: true\n  - text: Write the summary\n    owner: historian\n",
			[]string{`a.yaml:3: roles[0]: unknown role "historian"; known roles: operator, spokesperson, scribe; it owns 2 steps (lines 6, 9), 1 of them required before resolve`}},
		{"UnknownContact", minimal + "notify:\n  contacts: [legal, press]\n",
			[]string{`a.yaml:8: notify.contacts[1]: unknown contact "press"; known contacts: legal`}},
		{"UnknownRotations", minimal + "invite:\n  rotations: [sre-primray]\nnotify:\n  rotations: [dba]\n",
			[]string{
				`a.yaml:8: invite.rotations[0]: unknown rotation "sre-primray" (did you mean "sre-primary"?); known rotations: sre-primary`,
				`a.yaml:10: notify.rotations[0]: unknown rotation "dba"; known rotations: sre-primary`,
			}},
		{"OnCallRotation", "name: oc\ntitle: T\nkind: oncall\napplies_to:\n  rotations: [dba]\nchecklist: [Test your pager]\n",
			[]string{`a.yaml:5: applies_to.rotations[0]: unknown rotation "dba"; known rotations: sre-primary`}},
		{"DisabledIsNotChecked", "name: db\ndisabled: true\nroles: [nobody]\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pbs, err := playbooks.Load(mapFS(map[string]string{"a.yaml": tc.file}))
			if err != nil {
				t.Fatal(err)
			}
			err = playbooks.Validate(pbs, known)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			assertProblems(t, err, tc.want)
		})
	}

	t.Run("NothingConfigured", func(t *testing.T) {
		pbs, err := playbooks.Load(mapFS(map[string]string{"a.yaml": minimal + "invite:\n  rotations: [sre]\n"}))
		if err != nil {
			t.Fatal(err)
		}
		assertProblems(t, playbooks.Validate(pbs, playbooks.Known{Roles: []string{"operator"}}),
			[]string{`a.yaml:8: invite.rotations[0]: unknown rotation "sre"; no rotation is defined in the config`})
	})

	t.Run("PlaybookChangedInCode", func(t *testing.T) {
		// Names added after Load have no line; they are still reported.
		pbs, _ := playbooks.Load(mapFS(map[string]string{"a.yaml": minimal}))
		pb := pbs[0]
		pb.Roles = append(pb.Roles, "ghost")
		pb.Checklist = append(pb.Checklist, playbooks.Step{ID: "db/x", Text: "x", Owner: "phantom"})
		assertProblems(t, playbooks.Validate([]playbooks.Playbook{pb}, known), []string{
			`a.yaml: roles[1]: unknown role "ghost"; known roles: operator, spokesperson, scribe`,
			`a.yaml: checklist[1].owner: unknown role "phantom"; known roles: operator, spokesperson, scribe`,
		})
	})

	t.Run("BuiltinSaysHowToAdapt", func(t *testing.T) {
		pbs, err := playbooks.Defaults()
		if err != nil {
			t.Fatal(err)
		}
		drill, _ := playbooks.Find(pbs, "drill")
		k := defaultKnown
		k.Roles = []string{"operator", "spokesperson"}
		assertProblems(t, playbooks.Validate([]playbooks.Playbook{drill}, k), []string{
			"builtin:drill.yaml: this built-in playbook uses names from the default config; replace it with your own playbook named drill in playbooks.dir, or switch it off there with a file holding name: drill and disabled: true",
			`builtin:drill.yaml:10: roles[2]: unknown role "shadow"; known roles: operator, spokesperson; it owns 1 step (line 25)`,
		})
	})

	t.Run("DuplicateNames", func(t *testing.T) {
		a, _ := playbooks.Load(mapFS(map[string]string{"a.yaml": minimal}))
		b, _ := playbooks.Load(mapFS(map[string]string{"b.yaml": minimal}))
		assertProblems(t, playbooks.Validate(append(a, b...), known),
			[]string{`b.yaml:1: name: "db" is already the name of the playbook in a.yaml:1; give each playbook its own name`})
	})
}
