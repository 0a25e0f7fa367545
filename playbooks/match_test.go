package playbooks_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

func TestAppliesTo_Matches(t *testing.T) {
	yes, no := bptr(true), bptr(false)
	base := playbooks.Facts{Type: "general", Severity: "major"}
	for _, tc := range []struct {
		name string
		a    playbooks.AppliesTo
		f    playbooks.Facts
		want bool
	}{
		{"EmptyMatchesAll", playbooks.AppliesTo{}, base, true},
		{"EmptyMatchesPrivateDrill", playbooks.AppliesTo{}, playbooks.Facts{Type: "x", Severity: "y", Private: true, Drill: true}, true},
		{"TypeIn", playbooks.AppliesTo{Types: []string{"security", "general"}}, base, true},
		{"TypeOut", playbooks.AppliesTo{Types: []string{"security"}}, base, false},
		{"TypeEmptyFact", playbooks.AppliesTo{Types: []string{"security"}}, playbooks.Facts{Severity: "major"}, false},
		{"SeverityIn", playbooks.AppliesTo{Severities: []string{"critical", "major"}}, base, true},
		{"SeverityOut", playbooks.AppliesTo{Severities: []string{"critical"}}, base, false},
		{"PrivateTrueOnPrivate", playbooks.AppliesTo{Private: yes}, playbooks.Facts{Private: true}, true},
		{"PrivateTrueOnPublic", playbooks.AppliesTo{Private: yes}, base, false},
		{"PrivateFalseOnPublic", playbooks.AppliesTo{Private: no}, base, true},
		{"PrivateFalseOnPrivate", playbooks.AppliesTo{Private: no}, playbooks.Facts{Private: true}, false},
		{"DrillTrueOnDrill", playbooks.AppliesTo{Drill: yes}, playbooks.Facts{Drill: true}, true},
		{"DrillTrueOnReal", playbooks.AppliesTo{Drill: yes}, base, false},
		{"DrillFalseOnReal", playbooks.AppliesTo{Drill: no}, base, true},
		{"DrillFalseOnDrill", playbooks.AppliesTo{Drill: no}, playbooks.Facts{Drill: true}, false},
		{"AllHold", playbooks.AppliesTo{Types: []string{"general"}, Severities: []string{"major"}, Private: no, Drill: no}, base, true},
		{"OneFails", playbooks.AppliesTo{Types: []string{"general"}, Severities: []string{"major"}, Private: no, Drill: yes}, base, false},
		{"RotationsIgnoredForIncidents", playbooks.AppliesTo{Rotations: []string{"sre"}}, base, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Matches(tc.f); got != tc.want {
				t.Errorf("Matches(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}

// set is a small playbook set covering each condition.
func set(t *testing.T) []playbooks.Playbook {
	t.Helper()
	pbs, err := playbooks.Load(mapFS(map[string]string{
		"1-any.yaml":      "name: any\ntitle: T\nchecklist: [Any step]\n",
		"2-sec.yaml":      "name: sec\ntitle: T\napplies_to: {types: [security]}\nchecklist: [Sec step]\n",
		"3-critical.yaml": "name: critical\ntitle: T\napplies_to: {severities: [critical], private: false}\nchecklist: [Crit step]\n",
		"4-drill.yaml":    "name: drill\ntitle: T\napplies_to: {drill: true}\nchecklist: [Drill step]\n",
		"5-real.yaml":     "name: real\ntitle: T\napplies_to: {drill: false, private: true}\nchecklist: [Real step]\n",
		"6-off.yaml":      "name: off\ndisabled: true\n",
		"7-oncall.yaml":   "name: handoff\ntitle: T\nkind: oncall\nchecklist: [Test pager]\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	return pbs
}

func TestMatch(t *testing.T) {
	pbs := set(t)
	for _, tc := range []struct {
		f    playbooks.Facts
		want string
	}{
		{playbooks.Facts{Type: "general", Severity: "major"}, "any"},
		{playbooks.Facts{Type: "security", Severity: "major"}, "any sec"},
		{playbooks.Facts{Type: "general", Severity: "critical"}, "any critical"},
		{playbooks.Facts{Type: "general", Severity: "critical", Private: true}, "any real"},
		{playbooks.Facts{Type: "security", Severity: "critical", Private: true, Drill: true}, "any sec drill"},
	} {
		if got := strings.Join(playbooks.Names(playbooks.Match(pbs, tc.f)), " "); got != tc.want {
			t.Errorf("Match(%+v) = %q, want %q (never off or handoff)", tc.f, got, tc.want)
		}
	}
}

func TestMatchDeclare(t *testing.T) {
	pbs, err := playbooks.Load(mapFS(map[string]string{
		"a.yaml": "name: sec\ntitle: T\nrequire_private: true\napplies_to: {types: [security]}\nchecklist: [Contain]\n",
		"b.yaml": "name: public\ntitle: T\napplies_to: {private: false}\nchecklist: [Post on the status page]\n",
		"c.yaml": "name: private\ntitle: T\napplies_to: {private: true}\nchecklist: [Keep it need-to-know]\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		f           playbooks.Facts
		wantPrivate bool
		want        string
	}{
		{"PublicStaysPublic", playbooks.Facts{Type: "general"}, false, "public"},
		{"PrivateStaysPrivate", playbooks.Facts{Type: "general", Private: true}, true, "private"},
		{"SecurityBecomesPrivate", playbooks.Facts{Type: "security"}, true, "sec private"},
		{"SecurityAlreadyPrivate", playbooks.Facts{Type: "security", Private: true}, true, "sec private"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, got := playbooks.MatchDeclare(pbs, tc.f)
			if f.Private != tc.wantPrivate || f.Type != tc.f.Type {
				t.Errorf("facts = %+v, want Private %v and the rest unchanged", f, tc.wantPrivate)
			}
			if names := strings.Join(playbooks.Names(got), " "); names != tc.want {
				t.Errorf("playbooks = %q, want %q", names, tc.want)
			}
		})
	}
}

func TestNewlyMatched(t *testing.T) {
	pbs := set(t)
	major := playbooks.Facts{Type: "general", Severity: "major"}
	critical := playbooks.Facts{Type: "general", Severity: "critical"}
	for _, tc := range []struct {
		name          string
		before, after playbooks.Facts
		want          string
	}{
		{"Raised", major, critical, "critical"},
		{"Lowered", critical, major, ""},
		{"Unchanged", major, major, ""},
		{"MadePrivate", major, playbooks.Facts{Type: "general", Severity: "major", Private: true}, "real"},
		{"RaisedAndPrivate", major, playbooks.Facts{Type: "general", Severity: "critical", Private: true}, "real"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(playbooks.Names(playbooks.NewlyMatched(pbs, tc.before, tc.after)), " "); got != tc.want {
				t.Errorf("NewlyMatched = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("AlreadyRan", func(t *testing.T) {
		// major -> critical -> major -> critical: the second raise must
		// not run "critical" again.
		got := playbooks.Without(playbooks.NewlyMatched(pbs, major, critical), []string{"any", "critical"})
		if len(got) != 0 {
			t.Errorf("Without = %v, want none", playbooks.Names(got))
		}
	})
}

func TestOnCall(t *testing.T) {
	pbs, err := playbooks.Load(mapFS(map[string]string{
		"a.yaml": "name: all\ntitle: T\nkind: oncall\nchecklist: [Test pager]\n",
		"b.yaml": "name: dba\ntitle: T\nkind: oncall\napplies_to: {rotations: [dba]}\nchecklist: [Check replication]\n",
		"c.yaml": "name: off\ntitle: T\nkind: oncall\ndisabled: true\nchecklist: [x]\n",
		"d.yaml": minimal,
	}))
	if err != nil {
		t.Fatal(err)
	}
	for rotation, want := range map[string]string{"dba": "all dba", "sre": "all"} {
		if got := strings.Join(playbooks.Names(playbooks.OnCall(pbs, rotation)), " "); got != want {
			t.Errorf("OnCall(%q) = %q, want %q", rotation, got, want)
		}
	}
}

func TestCombine(t *testing.T) {
	pbs, err := playbooks.Load(mapFS(map[string]string{
		"a.yaml": `name: a
title: A
roles: [operator, spokesperson]
invite: {users: [U0000000A], contacts: [security]}
notify: {users: [U0000000A, U0000000B], channels: ["#x"], contacts: [security, legal], rotations: [sre]}
bookmarks: [{title: Dash, url: "https://d.example.com"}]
checklist: [One]
`,
		"b.yaml": `name: b
title: B
roles: [spokesperson, scribe]
require_private: true
invite: {usergroups: [S0000000G], rotations: [sre]}
notify: {channels: ["#x", "#y"]}
bookmarks: [{title: Same link, url: "https://d.example.com"}, {title: Wiki, url: "https://w.example.com"}]
checklist: [Two, Three]
`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	a, b := pbs[0], pbs[1]
	assertSame(t, playbooks.Combine(pbs), playbooks.Effects{
		Playbooks:      []string{"a", "b"},
		Roles:          []string{"operator", "spokesperson", "scribe"},
		RequirePrivate: true,
		PublicStatus:   false,
		Invite:         playbooks.Audience{Usergroups: []string{"S0000000G"}, Users: []string{"U0000000A"}, Contacts: []string{"security"}, Rotations: []string{"sre"}},
		Notify:         playbooks.Audience{Users: []string{"U0000000B"}, Channels: []string{"#x", "#y"}, Contacts: []string{"legal"}},
		Bookmarks:      []playbooks.Bookmark{{Title: "Dash", URL: "https://d.example.com"}, {Title: "Wiki", URL: "https://w.example.com"}},
		Steps:          append(append([]playbooks.Step{}, a.Checklist...), b.Checklist...),
	})
	if e := playbooks.Combine(nil); !e.PublicStatus || e.RequirePrivate || len(e.Steps) != 0 {
		t.Errorf("Combine(nil) = %+v, want public status and nothing else", e)
	}
	if e := playbooks.Combine(pbs[:1]); !e.PublicStatus {
		t.Error("Combine(a).PublicStatus = false, want true: a does not hide the incident")
	}
	if len(a.Roles) != 2 || len(a.Notify.Users) != 2 {
		t.Errorf("Combine changed its input: a.Roles %v, a.Notify.Users %v", a.Roles, a.Notify.Users)
	}
}
