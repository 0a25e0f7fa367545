package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/store"
)

// TestServeSites serves the status page and the reports site from a real
// store on their own loopback addresses, under their paths.
func TestServeSites(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "incidentbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := config.Default()
	cfg.StatusPage.Listen, cfg.StatusPage.Path, cfg.StatusPage.Name = "127.0.0.1:0", "/status/", "Acme"
	cfg.Reports.Listen = "127.0.0.1:0"
	app := bot.New(bot.Options{Store: db, Slack: slack.New("xoxb-test")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	stop, err := serveSites(ctx, cfg, db, app, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	addr := func(component string) string {
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, component) && strings.Contains(line, "addr=") {
				a := line[strings.Index(line, "addr=")+5:]
				return strings.Fields(a)[0]
			}
		}
		t.Fatalf("no address logged for %s:\n%s", component, logs.String())
		return ""
	}
	for _, tc := range []struct{ url, want string }{
		{"http://" + addr("status page") + "/status/", "<title>Acme status</title>"},
		{"http://" + addr("status page") + "/status", "<title>Acme status</title>"}, // redirected
		{"http://" + addr("status page") + "/status/api/v1/status", `"indicator": "none"`},
		{"http://" + addr("reports site") + "/", "No postmortem"},
	} {
		res, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d, want %q in:\n%.600s", tc.url, res.StatusCode, tc.want, body)
		}
	}
}

func TestPublicOptions(t *testing.T) {
	cfg := config.Default()
	cfg.StatusPage.Listen, cfg.StatusPage.PublicURL = "127.0.0.1:0", "https://status.example.com/"
	cfg.Email = config.EmailConfig{Host: "smtp.example.com", Port: "465", Security: "tls", From: "Acme <incidents@example.com>"}
	cfg.Stakeholders.Groups = []config.StakeholderGroup{
		{Name: "execs", Tier: "keep_satisfied", Members: []string{"U0123ABCD", "S0123ABCD", "cto@example.com"}, Severities: []string{"critical"}},
		{Name: "support", Tier: "keep_informed", Members: []string{"support@example.com"}, Email: "digest"},
	}
	o, err := publicOptions(context.Background(), nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !o.StatusPage || o.Mail == nil || o.MailDomain != "example.com" || len(o.Groups) != 2 {
		t.Fatalf("options = %+v", o)
	}
	g := o.Groups[0]
	if g.Users[0] != "U0123ABCD" || g.UserGroups[0] != "S0123ABCD" || g.Emails[0] != "cto@example.com" {
		t.Errorf("group = %+v", g)
	}
	// The email mode reaches the group: keep_informed asked for the
	// digest instead of a mail per update.
	if !o.Groups[1].Digested() || o.Groups[0].Digested() {
		t.Errorf("digested: execs %v, support %v; want only support", o.Groups[0].Digested(), o.Groups[1].Digested())
	}
}
