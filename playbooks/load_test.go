package playbooks_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/incidentbot/incidentbot/playbooks"
)

// minimal is the smallest valid playbook; cases append to it or replace it.
const minimal = `name: db
title: Database failover
roles: [operator]
checklist:
  - text: Fail over to the replica
    owner: operator
`

// MustProblems returns the messages of the Problems in err, failing the test
// when err is not a Problems.
func MustProblems(tb testing.TB, err error) []string {
	tb.Helper()
	var ps playbooks.Problems
	if !errors.As(err, &ps) {
		tb.Fatalf("error is %T %v, want playbooks.Problems", err, err)
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Error()
	}
	return msgs
}

// mapFS builds a directory of playbook files.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

func assertProblems(t *testing.T, err error, want []string) {
	t.Helper()
	got := MustProblems(t, err)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err.Error() != strings.Join(want, "\n") {
		t.Errorf("Error() = %q, want the problems one per line", err.Error())
	}
}

func TestLoad_Problems(t *testing.T) {
	long := strings.Repeat("x", 76)
	var manySteps, manyFields strings.Builder
	for i := range 31 {
		manySteps.WriteString("  - Step " + strconv.Itoa(i) + "\n")
	}
	for i := range 60 {
		manyFields.WriteString("f" + strings.Repeat("q", i) + ": 1\n")
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"EmptyFile", map[string]string{"a.yaml": ""},
			[]string{"a.yaml: the file is empty; a playbook needs at least name, title and checklist (see the playbooks README)"}},
		{"OnlyComments", map[string]string{"a.yaml": "# nothing yet\n"},
			[]string{"a.yaml: the file is empty; a playbook needs at least name, title and checklist (see the playbooks README)"}},
		{"SyntaxError", map[string]string{"a.yaml": "name: db\ntitle: [unclosed\nroles: []\n"},
			[]string{"a.yaml:2: invalid YAML: did not find expected ',' or ']'"}},
		{"TabIndent", map[string]string{"a.yaml": "name: db\nchecklist:\n\t- text: x\n"},
			[]string{"a.yaml:3: invalid YAML: found character that cannot start any token"}},
		{"ColonInPlainText", map[string]string{"a.yaml": minimal + "  - text: Scope: what broke\n"},
			[]string{"a.yaml:7: invalid YAML: mapping values are not allowed in this context"}},
		{"SecondDocument", map[string]string{"a.yaml": minimal + "---\nname: other\n"},
			[]string{"a.yaml:7: a second YAML document starts here; put each playbook in its own file"}},
		{"NotFields", map[string]string{"a.yaml": "- name: db\n"},
			[]string{"a.yaml:1: want fields (key: value), got a list"}},
		{"UnknownField", map[string]string{"a.yaml": minimal + "titel: x\n"},
			[]string{`a.yaml:7: unknown field "titel" (did you mean "title"?); allowed here: name, title, description, kind, disabled, applies_to, roles, require_private, public_status, checklist, invite, notify, bookmarks`}},
		{"UnknownStepField", map[string]string{"a.yaml": minimal + "    requried_before_resolve: true\n"},
			[]string{`a.yaml:7: checklist[0]: unknown field "requried_before_resolve" (did you mean "required_before_resolve"?); allowed here: id, text, owner, runbook, required_before_resolve`}},
		{"UnknownFieldFarOff", map[string]string{"a.yaml": minimal + "escalation: x\n"},
			[]string{`a.yaml:7: unknown field "escalation"; allowed here: name, title, description, kind, disabled, applies_to, roles, require_private, public_status, checklist, invite, notify, bookmarks`}},
		{"DuplicateKey", map[string]string{"a.yaml": minimal + "title: Again\n"},
			[]string{"a.yaml:7: title: set twice (first on line 2); keep one"}},
		{"MissingName", map[string]string{"db-failover.yaml": strings.Replace(minimal, "name: db\n", "", 1)},
			[]string{"db-failover.yaml: name: missing; add a name such as name: db-failover"}},
		{"BadName", map[string]string{"a.yaml": strings.Replace(minimal, "name: db", "name: DB Failover", 1)},
			[]string{`a.yaml:1: name: "DB Failover" is not a valid name; use lowercase a-z, 0-9, "-" and "_", at most 40 characters (e.g. "db-failover")`}},
		{"NameTooLong", map[string]string{"a.yaml": strings.Replace(minimal, "name: db", "name: "+strings.Repeat("a", 41), 1)},
			[]string{`a.yaml:1: name: "` + strings.Repeat("a", 41) + `" is not a valid name; use lowercase a-z, 0-9, "-" and "_", at most 40 characters (e.g. "` + strings.Repeat("a", 40) + `")`}},
		{"MissingTitle", map[string]string{"a.yaml": strings.Replace(minimal, "title: Database failover\n", "", 1)},
			[]string{"a.yaml: title: missing; add the name people see in Slack, e.g. title: Database failover"}},
		{"EmptyTitle", map[string]string{"a.yaml": strings.Replace(minimal, "title: Database failover", `title: ""`, 1)},
			[]string{"a.yaml:2: title: missing; add the name people see in Slack, e.g. title: Database failover"}},
		{"TitleTooLong", map[string]string{"a.yaml": strings.Replace(minimal, "title: Database failover", "title: "+long, 1)},
			[]string{"a.yaml:2: title: is 76 characters, longer than 75; say it shorter (put details behind a runbook link)"}},
		{"TitleTwoLines", map[string]string{"a.yaml": strings.Replace(minimal, "title: Database failover", "title: |\n  Database\n  failover", 1)},
			[]string{"a.yaml:2: title: must be one line; Slack shows it in a single checkbox or label"}},
		{"DescriptionTooLong", map[string]string{"a.yaml": minimal + "description: " + strings.Repeat("y", 501) + "\n"},
			[]string{"a.yaml:7: description: is 501 characters, longer than 500; say it shorter (put details behind a runbook link)"}},
		{"MissingChecklist", map[string]string{"a.yaml": "name: db\ntitle: T\n"},
			[]string{"a.yaml: checklist: no steps; a playbook needs at least one (a list of items with text:)"}},
		{"EmptyChecklist", map[string]string{"a.yaml": "name: db\ntitle: T\nchecklist: []\n"},
			[]string{"a.yaml:3: checklist: no steps; a playbook needs at least one (a list of items with text:)"}},
		{"ChecklistNotAList", map[string]string{"a.yaml": "name: db\ntitle: T\nchecklist: Fail over\n"},
			[]string{`a.yaml:3: checklist: want a list, got text (write [Fail over], or one "- item" per line)`}},
		{"TooManySteps", map[string]string{"a.yaml": "name: db\ntitle: T\nchecklist:\n" + manySteps.String()},
			[]string{"a.yaml:3: checklist: has 31 steps, more than 30; nobody reads that many during an incident, so split it or link the details from a runbook"}},
		{"StepWithoutText", map[string]string{"a.yaml": minimal + "  - owner: operator\n"},
			[]string{"a.yaml:7: checklist[1].text: missing; write the step as one short instruction, e.g. text: Roll back the last deploy"}},
		{"StepEmptyText", map[string]string{"a.yaml": minimal + "  - text: \"\"\n"},
			[]string{"a.yaml:7: checklist[1].text: missing; write the step as one short instruction, e.g. text: Roll back the last deploy"}},
		{"StepEmptyDash", map[string]string{"a.yaml": minimal + "  -\n"},
			[]string{"a.yaml:7: checklist[1]: empty step; write its text or remove the dash"}},
		{"StepIsAList", map[string]string{"a.yaml": minimal + "  - [a, b]\n"},
			[]string{"a.yaml:7: checklist[1]: want a step (fields such as text: and owner:, or just its text), got a list"}},
		{"StepTextTooLong", map[string]string{"a.yaml": minimal + "  - " + long + "\n"},
			[]string{"a.yaml:7: checklist[1]: is 76 characters, longer than 75; say it shorter (put details behind a runbook link)"}},
		{"StepTextNotText", map[string]string{"a.yaml": minimal + "  - text: [a]\n"},
			[]string{"a.yaml:7: checklist[1].text: want text, got a list"}},
		{"StepBadID", map[string]string{"a.yaml": minimal + "    id: Fail Over!\n"},
			[]string{`a.yaml:7: checklist[0].id: "Fail Over!" is not a valid id; use lowercase a-z, 0-9, "-" and "_", at most 40 characters (e.g. "fail-over")`}},
		{"DuplicateID", map[string]string{"a.yaml": minimal + "    id: x\n  - id: x\n    text: Other\n"},
			[]string{`a.yaml:8: checklist[1].id: "x" is already the id of checklist[0] (line 5); give each step its own id`}},
		{"DuplicateDerivedID", map[string]string{"a.yaml": minimal + "  - Fail over to the replica!\n"},
			[]string{`a.yaml:7: checklist[1]: this step's id "fail-over-to-the-replica", derived from its text, is already the id of checklist[0] (line 5); give one of them its own id:`}},
		{"OwnerNotInRoles", map[string]string{"a.yaml": minimal + "  - text: Keep the log\n    owner: scribe\n"},
			[]string{`a.yaml:8: checklist[1].owner: role "scribe" is not in this playbook's roles (operator); add it to roles so someone is asked to take it, or change the owner`}},
		{"OwnerWithoutRoles", map[string]string{"a.yaml": "name: db\ntitle: T\nchecklist:\n  - {text: Keep the log, owner: scribe}\n"},
			[]string{`a.yaml:4: checklist[0].owner: role "scribe" is not in this playbook's roles (none); add it to roles so someone is asked to take it, or change the owner`}},
		{"RunbookNotHTTP", map[string]string{"a.yaml": minimal + "    runbook: ftp://files.example.com/db\n"},
			[]string{`a.yaml:7: checklist[0].runbook: "ftp://files.example.com/db" is not an http(s) URL; write the full address, e.g. https://wiki.example.com/runbooks/db-failover`}},
		{"RunbookRelative", map[string]string{"a.yaml": minimal + "    runbook: wiki/db\n"},
			[]string{`a.yaml:7: checklist[0].runbook: "wiki/db" is not an http(s) URL; write the full address, e.g. https://wiki.example.com/runbooks/db-failover`}},
		{"RunbookNoHost", map[string]string{"a.yaml": minimal + "    runbook: https:///db\n"},
			[]string{`a.yaml:7: checklist[0].runbook: "https:///db" is not an http(s) URL; write the full address, e.g. https://wiki.example.com/runbooks/db-failover`}},
		{"RunbookSpace", map[string]string{"a.yaml": minimal + "    runbook: https://wiki.example.com/db failover\n"},
			[]string{`a.yaml:7: checklist[0].runbook: "https://wiki.example.com/db failover" is not an http(s) URL; write the full address, e.g. https://wiki.example.com/runbooks/db-failover`}},
		{"RunbookEmpty", map[string]string{"a.yaml": minimal + "    runbook:\n"},
			[]string{"a.yaml:7: checklist[0].runbook: empty; write the full address, e.g. https://wiki.example.com/runbooks/db-failover"}},
		{"BookmarkProblems", map[string]string{"a.yaml": minimal + "bookmarks:\n  - title: Dashboard\n  - url: https://grafana.example.com/d/db\n  - title: Again\n    url: https://grafana.example.com/d/db\n  - title: Wiki\n    url: javascript:alert(1)\n  - https://grafana.example.com\n"},
			[]string{
				"a.yaml:8: bookmarks[0].url: missing; add the link, e.g. url: https://grafana.example.com/d/api",
				"a.yaml:9: bookmarks[1].title: missing; give the link a short label, e.g. title: Service dashboard",
				`a.yaml:10: bookmarks[2].url: "https://grafana.example.com/d/db" is already bookmarked on line 9; remove one`,
				`a.yaml:13: bookmarks[3].url: "javascript:alert(1)" is not an http(s) URL; write the full address, e.g. https://wiki.example.com/runbooks/db-failover`,
				"a.yaml:14: bookmarks[4]: want fields (key: value), got text",
			}},
		{"InviteChannel", map[string]string{"a.yaml": minimal + "invite:\n  channels: [\"#security\"]\n"},
			[]string{"a.yaml:8: invite.channels: a channel cannot be invited into the war room; to post a notice in it, move it to notify.channels"}},
		{"BadSlackIDs", map[string]string{"a.yaml": minimal + "notify:\n  users: [\"@alice\", U0123ABCD]\n  usergroups: [\"@sre\"]\n  channels: [security, C0123ABCD, \"#sec\"]\n  contacts: [Legal Team]\n  rotations: [\"\"]\n"},
			[]string{
				`a.yaml:8: notify.users[0]: "@alice" is not a Slack user ID; use the ID, e.g. U0123ABCD (in Slack: the profile's menu > Copy member ID)`,
				`a.yaml:9: notify.usergroups[0]: "@sre" is not a Slack user group ID; use the ID, e.g. S0123ABCD (in Slack: the group's menu > Copy group ID)`,
				`a.yaml:10: notify.channels[0]: "security" is not a channel; use its ID (C0123ABCD) or its name with # ("#security")`,
				`a.yaml:11: notify.contacts[0]: "Legal Team" is not a contact name; use the name the config gives the contact, lowercase, e.g. legal`,
				"a.yaml:12: notify.rotations[0]: empty; remove the item or write a name",
			}},
		{"ListedTwice", map[string]string{"a.yaml": strings.Replace(minimal, "roles: [operator]", "roles: [operator,\n  operator]", 1)},
			[]string{`a.yaml:4: roles[1]: "operator" is listed twice (first on line 3); remove one`}},
		{"WrongTypes", map[string]string{"a.yaml": minimal + "    required_before_resolve: \"true\"\n    id: true\nrequire_private: yes\napplies_to:\n  types: security\n  drill: 1\nkind: [oncall]\n"},
			[]string{
				`a.yaml:7: checklist[0].required_before_resolve: want true or false, got text`,
				`a.yaml:8: checklist[0].id: want text, got true/false (put it in quotes if you mean the text "true")`,
				"a.yaml:9: require_private: want true or false, got text",
				`a.yaml:11: applies_to.types: want a list, got text (write [security], or one "- item" per line)`,
				"a.yaml:12: applies_to.drill: want true or false, got a number",
				"a.yaml:13: kind: want text, got a list",
			}},
		{"Aliases", map[string]string{"a.yaml": "name: db\ntitle: &t Database\ndescription: *t\nroles: [operator]\nchecklist:\n  - &step\n    text: Fail over\n  - <<: *step\n    id: again\n"},
			[]string{
				"a.yaml:3: description: want text, got an alias (*t); aliases are not supported, write the value out",
				"a.yaml:8: checklist[1]: merge keys (<<) are not supported; write the fields out",
				"a.yaml:8: checklist[1].text: missing; write the step as one short instruction, e.g. text: Roll back the last deploy",
			}},
		{"BadKind", map[string]string{"a.yaml": minimal + "kind: runbook\n"},
			[]string{`a.yaml:7: kind: "runbook" is not a kind; use incident (the default) or oncall (a checklist for on-call handoffs)`}},
		{"IncidentOnlyInOnCall", map[string]string{"a.yaml": minimal + "    required_before_resolve: true\nkind: oncall\napplies_to:\n  severities: [critical]\n  rotations: [sre]\ninvite:\n  users: [U0123ABCD]\n"},
			[]string{
				"a.yaml:3: roles: has no meaning in an on-call playbook (kind: oncall), which runs at shift handoffs, not on incidents; remove it",
				"a.yaml:6: checklist[0].owner: has no meaning in an on-call playbook (kind: oncall), which runs at shift handoffs, not on incidents; remove it",
				"a.yaml:7: checklist[0].required_before_resolve: has no meaning in an on-call playbook (kind: oncall), which runs at shift handoffs, not on incidents; remove it",
				"a.yaml:10: applies_to.severities: has no meaning in an on-call playbook (kind: oncall), which runs at shift handoffs, not on incidents; remove it",
				"a.yaml:12: invite: has no meaning in an on-call playbook (kind: oncall), which runs at shift handoffs, not on incidents; remove it",
			}},
		{"OnCallOnlyInIncident", map[string]string{"a.yaml": minimal + "applies_to:\n  rotations: [sre]\n"},
			[]string{"a.yaml:8: applies_to.rotations: is only for on-call playbooks (kind: oncall); to bring in a rotation's on-call, list it under invite.rotations or notify.rotations"}},
		{"PrivateWithPublicStatus", map[string]string{"a.yaml": minimal + "require_private: true\npublic_status: true\n"},
			[]string{"a.yaml:8: public_status: true contradicts require_private: true (a private incident never shows on the status page); remove public_status"}},
		{"PrivateOnlyForPublic", map[string]string{"a.yaml": minimal + "require_private: true\napplies_to:\n  private: false\n"},
			[]string{"a.yaml:9: applies_to.private: false contradicts require_private: true (the playbook would make the incident private, and then no longer apply); remove one of them"}},
		{"DuplicateNames", map[string]string{"a.yaml": minimal, "b.yml": minimal},
			[]string{`b.yml:1: name: "db" is already the name of the playbook in a.yaml:1; give each playbook its own name`}},
		{"EveryFileReported", map[string]string{"a.yaml": "name: a\n", "b.yaml": "title: [\n", "c.yaml": minimal},
			[]string{
				"a.yaml: title: missing; add the name people see in Slack, e.g. title: Database failover",
				"a.yaml: checklist: no steps; a playbook needs at least one (a list of items with text:)",
				"b.yaml:2: invalid YAML: did not find expected node content",
			}},
		{"TooLarge", map[string]string{"a.yaml": minimal + "# " + strings.Repeat("x", playbooks.MaxFileSize) + "\n"},
			[]string{"a.yaml: larger than 256 KiB; a playbook is a few KiB, is this the right file?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pbs, err := playbooks.Load(mapFS(tc.files))
			if err == nil {
				t.Fatalf("Load gave no error and %d playbooks", len(pbs))
			}
			if pbs != nil {
				t.Errorf("Load returned %d playbooks with an error, want none", len(pbs))
			}
			assertProblems(t, err, tc.want)
		})
	}

	t.Run("ProblemCap", func(t *testing.T) {
		_, err := playbooks.Load(mapFS(map[string]string{"a.yaml": minimal + manyFields.String()}))
		got := MustProblems(t, err)
		if len(got) != 51 || got[0] != "a.yaml: 10 more problems not shown; is this a playbook file?" {
			t.Errorf("got %d problems, first %q; want 50 and one counting the 10 left out", len(got), got[0])
		}
	})
}

func TestProblem_Error(t *testing.T) {
	for _, tc := range []struct {
		p    playbooks.Problem
		want string
	}{
		{playbooks.Problem{File: "a.yaml", Line: 3, Key: "roles[0]", Message: "bad"}, "a.yaml:3: roles[0]: bad"},
		{playbooks.Problem{File: "a.yaml", Key: "title", Message: "missing"}, "a.yaml: title: missing"},
		{playbooks.Problem{File: "a.yaml", Line: 2, Message: "invalid YAML"}, "a.yaml:2: invalid YAML"},
	} {
		if got := tc.p.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	_, err := playbooks.Load(mapFS(map[string]string{"a.yaml": "name: a\n"}))
	var p playbooks.Problem
	if !errors.As(err, &p) || p.File != "a.yaml" {
		t.Errorf("errors.As(err, *Problem) = %+v; each problem must be reachable on its own", p)
	}
}
