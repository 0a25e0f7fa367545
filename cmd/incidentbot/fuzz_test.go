package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadConfig feeds arbitrary bytes as a config file: loading must
// never panic, and a rejected file must say what is wrong without ever
// echoing a token.
func FuzzReadConfig(f *testing.F) {
	example, err := os.ReadFile(examplePath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	f.Add("slack:\n  api_url: ftp://x\n")
	f.Add("incidents:\n  severities:\n    - name: Crit!\n      update_every: -1m\n")
	f.Add("timezone: [1, 2]\n")
	f.Add(":\n- - :")
	f.Add("slack:\n  bot_token: xoxb-SECRET\n")
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		env := MapEnv(map[string]string{"SLACK_BOT_TOKEN": "xoxb-TOKENVALUE", "SLACK_APP_TOKEN": "xapp-TOKENVALUE"})
		_, err := LoadConfig(context.Background(), path, env)
		if err == nil {
			return
		}
		msg := err.Error()
		if msg == "" {
			t.Fatal("empty error")
		}
		if strings.Contains(msg, "TOKENVALUE") || strings.Contains(msg, "SECRET") {
			t.Fatalf("error leaks a token: %s", msg)
		}
	})
}
