package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

// MustPlaybookDir writes files into a new playbooks directory.
func MustPlaybookDir(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// badPlaybooks has one problem of each kind check-config must name.
var badPlaybooks = map[string]string{
	"payments.yaml": `name: payments
title: Payments outage
roles: [operator, scribbler]
checklist:
  - text: Fail over
    runbook: wiki/payments
`,
	"broken.yaml": "name: broken\ntitle: [unclosed\n",
	"empty.yaml":  "name: empty\ntitle: Nothing to do\nchecklist: []\n",
	"twin.yaml":   "name: payments\ntitle: Twin\nchecklist: [Do it]\n",
	"sev.yaml":    "name: sev\ntitle: Sev\napplies_to:\n  severities: [sev9]\nchecklist: [Do it]\n",
}

func TestCheckConfig_Playbooks(t *testing.T) {
	dir := MustPlaybookDir(t, badPlaybooks)
	path := MustWriteConfig(t, "playbooks:\n  dir: "+dir+"\n")
	r := MustRun(t, TokenEnv(), "check-config", "--config", path)
	if r.code != 1 {
		t.Fatalf("exit %d, stdout %s", r.code, r.stdout)
	}
	for _, want := range []string{
		filepath.Join(dir, "broken.yaml") + ":2: invalid YAML",
		filepath.Join(dir, "empty.yaml") + ":3: checklist:",
		filepath.Join(dir, "payments.yaml") + `:3: roles[1]: unknown role "scribbler" (did you mean "scribe"?)`,
		filepath.Join(dir, "payments.yaml") + ":6: checklist[0].runbook:",
		filepath.Join(dir, "sev.yaml") + `:4: applies_to.severities[0]: unknown severity "sev9"`,
		filepath.Join(dir, "twin.yaml") + `:1: name: "payments" is already the name of the playbook in ` + filepath.Join(dir, "payments.yaml") + ":1",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("check-config does not report %q:\n%s", want, r.stderr)
		}
	}
	// run refuses to start, with the same list, before touching Slack.
	r = MustRun(t, TokenEnv(), "run", "--config", path)
	if r.code != 1 || !strings.Contains(r.stderr, `unknown role "scribbler"`) || !strings.Contains(r.stderr, filepath.Join(dir, "payments.yaml")+":3") {
		t.Errorf("run: exit %d\n%s", r.code, r.stderr)
	}
}

func TestCheckConfig_PlaybooksAgainstTheConfig(t *testing.T) {
	// Roles without the shadow: the built-in drill playbook needs it, and
	// check-config says how to adapt.
	path := MustWriteConfig(t, "roles:\n  - name: scribe\n    description: Keeps the log.\n  - name: subject-matter-lead\n    description: Knows the system.\n")
	_, err := LoadConfig(context.Background(), path, TokenEnv())
	lines := strings.Join(problemLines(t, err), "\n")
	for _, want := range []string{`builtin:drill.yaml:10: roles[2]: unknown role "shadow"`, "builtin:drill.yaml: this built-in playbook uses names from the default config"} {
		if !strings.Contains(lines, want) {
			t.Errorf("problems lack %q:\n%s", want, lines)
		}
	}
	// Switching it off in playbooks.dir fixes it.
	dir := MustPlaybookDir(t, map[string]string{"drill.yaml": "name: drill\ndisabled: true\n"})
	path = MustWriteConfig(t, "playbooks:\n  dir: "+dir+"\nroles:\n  - name: scribe\n    description: Keeps the log.\n  - name: subject-matter-lead\n    description: Knows the system.\n")
	if _, err := LoadConfig(context.Background(), path, TokenEnv()); err != nil {
		t.Fatal(err)
	}
	// A playbooks.dir that is not there.
	path = MustWriteConfig(t, "playbooks:\n  dir: /nonexistent/playbooks\n")
	_, err = LoadConfig(context.Background(), path, TokenEnv())
	if lines := strings.Join(problemLines(t, err), "\n"); !strings.Contains(lines, "/nonexistent/playbooks: cannot read the playbook directory") {
		t.Errorf("missing dir: %s", lines)
	}
}

func TestLoadConfig_PlaybookSections(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := MustWriteConfig(t, `incidents:
  severities:
    - name: sev1
      description: Down
      update_every: 15m
    - name: sev2
      description: Degraded
      update_every: 30m
  default_severity: sev2
types:
  - name: general
    description: An outage
  - name: security
    description: A compromise
  - name: data-loss
    description: Data lost
  - name: third-party
    description: A provider fails
roles:
  - name: scribe
    description: Keeps the log.
    single_holder: true
  - name: subject-matter-lead
    description: Knows the system.
  - name: shadow
    description: Learns.
    single_holder: yes
impact:
  degraded:
    severity: sev1
  currency: EUR
playbooks:
  contacts:
    - name: security
      usergroups: [S0SECURITY]
    - name: legal
      users: [U0COUNSEL1]
drill:
  channel: "#drills"
`)
		cfg, err := LoadConfig(context.Background(), path, TokenEnv())
		if err != nil {
			t.Fatal(err)
		}
		p := policy(cfg)
		if len(p.Roles) != 3 || p.Roles[1].Name != "subject-matter-lead" || !p.Roles[1].Multi || p.Roles[2].Multi {
			t.Errorf("roles %+v", p.Roles)
		}
		if p.Triage.Blocked.Severity != "sev1" || p.Triage.Degraded.Severity != "sev1" || p.Triage.Partial.Severity != "sev2" || p.Triage.Currency != "EUR" ||
			p.Triage.Degraded.Response != "restore by the next working day" {
			t.Errorf("triage %+v", p.Triage)
		}
		pbs, err := assemblePlaybooks(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The built-in critical playbook follows the renamed severities.
		crit, _ := playbooks.Find(pbs, "critical")
		if len(crit.AppliesTo.Severities) != 1 || crit.AppliesTo.Severities[0] != "sev1" {
			t.Errorf("critical applies to %v", crit.AppliesTo.Severities)
		}
		o := playbookOptions(cfg, pbs, "C0DRILLS1")
		if o.DrillChannel != "C0DRILLS1" || o.Contacts["security"].Usergroups[0] != "S0SECURITY" || len(o.Types) != 4 {
			t.Errorf("options %+v", o)
		}
		if r := p.Response("sev1"); r != "restore immediately, around the clock" {
			t.Errorf("response %q", r)
		}
	})
	for name, c := range map[string]struct{ body, want string }{
		"NotAList":        {"roles: scribe\n", `roles: expected a list of roles, each with name, description and single_holder, got "scribe"`},
		"EntryNotMap":     {"types: [general]\n", `types[0]: not a mapping (write name:, description: under a "- ")`},
		"UnknownKey":      {"playbooks:\n  contacts:\n    - name: legal\n      user: [U0COUNSEL1]\n", `playbooks.contacts[0].user: unknown key (did you mean "playbooks.contacts[0].users"?`},
		"WrongType":       {"roles:\n  - name: shadow\n    description: x\n    single_holder: maybe\n", `roles[0].single_holder: expected true or false, got "maybe"`},
		"BadSeverity":     {"impact:\n  partial:\n    severity: trivial\n", `impact.partial.severity: "trivial" is not a severity`},
		"DrillIsAnnounce": {"slack:\n  announce_channels: [\"#incidents\"]\ndrill:\n  channel: \"#incidents\"\n", "drill.channel: #incidents is also in slack.announce_channels"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(context.Background(), MustWriteConfig(t, c.body), TokenEnv())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	t.Run("NotFromTheEnvironment", func(t *testing.T) {
		_, err := LoadConfig(context.Background(), MustWriteConfig(t, ""), TokenEnv("INCIDENTBOT_ROLES", "scribe"))
		if err == nil || !strings.Contains(err.Error(), "INCIDENTBOT_ROLES: roles cannot be set in the environment") {
			t.Errorf("got %v", err)
		}
	})
}
