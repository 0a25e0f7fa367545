package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadConfig feeds arbitrary bytes as a config file and an arbitrary
// INCIDENTBOT_ variable: loading must never panic; a rejected
// configuration lists problems that each name a key or a variable, carry
// no Go error text and never echo a token; an accepted one is valid.
func FuzzLoadConfig(f *testing.F) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example), "LOG_LEVEL", "debug")
	f.Add("slack:\n  api_url: ftp://x\n", "SLACK_ADMINS", "U0123ABCD, bob,")
	f.Add("incidents:\n  severities:\n    - name: Crit!\n      update_every: -1m\n", "INCIDENTS_SEVERITIES", "x")
	f.Add("timezone: [1, 2]\n", "SCHEDULER_TICK", "15")
	f.Add(":\n- - :", "LOG_LEVL", "debug")
	f.Add("slack:\n  bot_token: xoxb-SECRET\n", "SLACK_BOT_TOKEN", "xapp-1-SWAPPED")
	f.Add("digest:\n  enabled: maybe\n", "DIGEST_ENABLED", "yes")
	f.Add("digest: 5\nlog:\n  level: [a]\n", "PORT_8080_TCP_ADDR", "10.0.0.1")
	f.Add("postmortem:\n  git_commit: true\n", "POSTMORTEM_DIR", ".")
	f.Add("", "SHUTDOWN_GRACE", "0")
	f.Add("slack:\n  connect_timeout: 1ms\n  call_timeout: {a: 1}\n", "slack_call_timeout", "10s")
	f.Add("stakeholders:\n  groups:\n    - name: execs\n      tier: closely\n      members: [U1, a@b]\n      severities: [sev9]\n    - [x]\n", "EMAIL_PASSWORD", "pw")
	f.Add("email:\n  host: smtp.example.com\n  port: x\n  password: leak\nstatuspage:\n  listen: :80\n  path: a\n", "STATUSPAGE_PUBLISH_BY_DEFAULT", "minor,sev9")
	f.Add(oncallConfig, "ONCALL_FEED_TOKEN", "short")
	f.Add("oncall:\n  rotations: [x, {name: A}]\n  escalation: {rotation: a}\n", "ONCALL_ESCALATION", "a")
	// One file, rewritten for each input: a worker runs its inputs one at
	// a time.
	path := filepath.Join(f.TempDir(), "config.yaml")
	f.Fuzz(func(t *testing.T, body, name, value string) {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-TOKENVALUE", "SLACK_APP_TOKEN": "xapp-TOKENVALUE", EnvPrefix + "_" + name: value}
		cfg, err := LoadConfig(context.Background(), path, env)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("accepted an invalid configuration: %v", verr)
			}
			return
		}
		msg := err.Error()
		if msg == "" {
			t.Fatal("empty error")
		}
		if !strings.Contains(body+value, "TOKENVALUE") && strings.Contains(msg, "TOKENVALUE") {
			t.Fatalf("error leaks a token: %s", msg)
		}
		// ": time: " rather than "time: ": a key may end in time
		// (oncall.rotations[0].handoff_time: …).
		for _, raw := range []string{"strconv.", "invalid syntax", ": time: ", "mapstructure", "expected type"} {
			if strings.Contains(msg, raw) && !strings.Contains(body+name+value, raw) {
				t.Fatalf("a Go error reaches the user (%q): %s", raw, msg)
			}
		}
		var cerr *ConfigError
		if !errors.As(err, &cerr) {
			return // the file is not there or not a file: one plain error
		}
		for _, p := range cerr.Problems {
			if line := p.Error(); !strings.Contains(line, ": ") {
				t.Fatalf("problem %q names no key or variable", line)
			}
		}
	})
}
