package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
)

// freePort returns a loopback address nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// syncBuffer is a bytes.Buffer safe for a running command to write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMain_Run(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	general, _ := fake.CreateChannel(alice, "general", false, alice)
	fake.CreateChannel(alice, "incidents", false, alice)
	dir := t.TempDir()
	listen := freePort(t)
	cfgPath := MustWriteConfig(t, fmt.Sprintf(`slack:
  api_url: %q
  announce_channels: ["#incidents"]
store:
  path: %q
http:
  listen: %q
scheduler:
  tick: 1s
`, fake.APIURL(), filepath.Join(dir, "bot.db"), listen))
	env := MapEnv(map[string]string{"SLACK_BOT_TOKEN": fake.BotToken(), "SLACK_APP_TOKEN": fake.AppToken()})

	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Dispatch(ctx, &Env{Stdout: &stderr, Stderr: &stderr, Environ: environ(env), Retry: fastRetry}, []string{"run", "--config", cfgPath})
	}()
	// Long enough for a declaration sent again (declareAsPerson).
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	if err := fake.WaitFor(wctx, func() bool { return fake.Connections() > 0 }); err != nil {
		cancel()
		t.Fatalf("the bot did not connect: %s", stderr.String())
	}
	// It serves: a declaration opens a war room, announced in #incidents.
	declareAsPerson(wctx, t, fake, alice, general, "Run test outage", "inc-1-run-test-outage")
	// Connected: alive and ready.
	if code := httpStatus(t, "http://"+listen+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if err := waitStatus(wctx, "http://"+listen+"/readyz", 200); err != nil {
		t.Errorf("/readyz once connected: %v", err)
	}
	// A second process cannot open the same database: one clear line.
	r := MustRun(t, env, "run", "--config", cfgPath)
	if r.code != 1 || !strings.Contains(lastLine(r.stderr), "locked by another process") {
		t.Errorf("second process: %+v", r)
	}

	// The admin token is beside the database, readable by its owner only.
	tokenFile := filepath.Join(dir, "bot.db.admin-token")
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v %v", fi, err)
	}
	// Without the token, the endpoint refuses even a loopback client.
	resp, err := http.Get("http://" + listen + "/admin/backup")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("backup without token: HTTP %d", resp.StatusCode)
	}
	// Backup while running goes through the bot's admin endpoint.
	out := filepath.Join(dir, "live-backup.db")
	r = MustRun(t, env, "backup", "--config", cfgPath, "--out", out)
	if r.code != 0 || !strings.Contains(r.stdout, "from the running bot") {
		t.Fatalf("backup while running: %+v", r)
	}
	mustHaveIncident(t, out, 1)
	// So does export, with people's names from Slack; a mistake reads as
	// it would offline.
	r = MustRun(t, env, "export", "--config", cfgPath, "--format", "json")
	var exported []struct {
		ID     int64             `json:"id"`
		Title  string            `json:"title"`
		People map[string]string `json:"people"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &exported) != nil || len(exported) != 1 || exported[0].Title != "Run test outage" {
		t.Fatalf("export while running: %+v", r)
	}
	if name := exported[0].People[alice]; name == "" || name == alice {
		t.Errorf("export while running names %s %q, want her name from Slack: %s", alice, name, r.stdout)
	}
	assertOneLineError(t, MustRun(t, env, "export", "--config", cfgPath, "--incident", "7"), 1, "#7 does not exist")
	if m, _ := filepath.Glob(filepath.Join(dir, "bot.db.spool-*")); len(m) != 0 {
		t.Errorf("spool files left behind: %v", m)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exited %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop on cancel")
	}
	if _, err := os.Stat(tokenFile); err == nil {
		t.Error("the admin token outlived the bot")
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Errorf("log lacks the clean stop: %s", stderr.String())
	}
	// Stopped: backup reads the file directly.
	out2 := filepath.Join(dir, "cold-backup.db")
	r = MustRun(t, env, "backup", "--config", cfgPath, "--out", out2)
	if r.code != 0 {
		t.Fatalf("backup when stopped: %+v", r)
	}
	mustHaveIncident(t, out2, 1)
}

// httpStatus GETs url and returns the status code.
func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus polls url until it answers code or ctx ends: readiness
// follows the connection, which the test does not step.
func waitStatus(ctx context.Context, url string, code int) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	last := 0
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if last = resp.StatusCode; last == code {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still answers %d, want %d", url, last, code)
		case <-tick.C:
		}
	}
}

// TestMain_RunGivesUpWhenSocketModeIsLost is the running half of the
// give-up rule: Slack goes away after the bot connected, /readyz turns
// 503 while /healthz stays 200, and after slack.connect_timeout run exits
// with status 1 and one line saying why.
func TestMain_RunGivesUpWhenSocketModeIsLost(t *testing.T) {
	fake := slackfake.New()
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	fake.CreateChannel(alice, "incidents", false, alice)
	listen := freePort(t)
	cfg := MustWriteConfig(t, fmt.Sprintf("slack:\n  api_url: %q\n  connect_timeout: 1s\nstore:\n  path: %q\nhttp:\n  listen: %q\n",
		fake.APIURL(), filepath.Join(t.TempDir(), "bot.db"), listen))
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Dispatch(context.Background(), &Env{Stdout: &stderr, Stderr: &stderr, Environ: environ(fakeEnv(fake)), Retry: fastRetry}, []string{"run", "--config", cfg})
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := waitStatus(wctx, "http://"+listen+"/readyz", 200); err != nil {
		t.Fatalf("%v:\n%s", err, stderr.String())
	}
	fake.Close()
	if err := waitStatus(wctx, "http://"+listen+"/readyz", 503); err != nil {
		t.Errorf("/readyz after Slack went away: %v", err)
	}
	if code := httpStatus(t, "http://"+listen+"/healthz"); code != 200 {
		t.Errorf("/healthz after Slack went away = %d", code)
	}
	select {
	case code := <-done:
		if last := lastLine(stderr.String()); code != 1 || !strings.HasPrefix(last, "incidentbot: no Socket Mode connection to Slack for 1s; exiting") {
			t.Errorf("exit %d, last line %q", code, last)
		}
	case <-wctx.Done():
		t.Fatalf("run did not give up:\n%s", stderr.String())
	}
}

func mustHaveIncident(t *testing.T, path string, id int64) {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindIncidentByID(context.Background(), id); err != nil {
		t.Fatalf("backup lacks incident %d: %v", id, err)
	}
}

func TestMain_RunBadInput(t *testing.T) {
	t.Run("NoConfig", func(t *testing.T) {
		assertOneLineError(t, MustRun(t, nil, "run", "--config", filepath.Join(t.TempDir(), "nope.yaml")), 1, "not found")
	})
	t.Run("WrongTokenPrefix", func(t *testing.T) {
		env := MapEnv(map[string]string{"SLACK_BOT_TOKEN": "xapp-oops", "SLACK_APP_TOKEN": "xapp-1-x"})
		r := MustRun(t, env, "run", "--config", examplePath)
		if r.code != 1 || !strings.Contains(r.stderr, "SLACK_BOT_TOKEN: is an app-level token") || strings.Contains(r.stderr, "xapp-oops") {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("UnwritableStore", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "a-file")
		os.WriteFile(file, []byte("x"), 0o600)
		fake := slackfake.New()
		defer fake.Close()
		path := MustWriteConfig(t, fmt.Sprintf("slack:\n  api_url: %q\nstore:\n  path: %q\nhttp:\n  listen: \"\"\n", fake.APIURL(), filepath.Join(file, "db")))
		r := MustRun(t, fakeEnv(fake), "run", "--config", path)
		if r.code != 1 || !strings.HasPrefix(lastLine(r.stderr), "incidentbot: open store") {
			t.Errorf("got %+v", r)
		}
	})
}

func TestMain_DemoAndExport(t *testing.T) {
	keep := t.TempDir()
	r := MustRun(t, nil, "demo", "--keep", keep)
	if r.code != 0 {
		t.Fatalf("demo exited %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"declare --sev major", "escalation", "#incidents (announcements)", "# Postmortem: #1 Checkout fails for EU customers", "## Action items"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	cfg := MustWriteConfig(t, fmt.Sprintf("store:\n  path: %q\n", filepath.Join(keep, "incidentbot.db")))
	r = MustRun(t, nil, "export", "--config", cfg, "--format", "json")
	if r.code != 0 {
		t.Fatalf("export: %+v", r)
	}
	var got []struct {
		Schema string `json:"schema"`
		ID     int64  `json:"id"`
		Events []any  `json:"events"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 || got[0].Schema != "incidentbot.export/v1" || len(got[0].Events) < 10 {
		t.Fatalf("export json: %v %+v", err, got)
	}
	r = MustRun(t, nil, "export", "--config", cfg, "--incident", "1")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "# Postmortem: #1") {
		t.Fatalf("export md: %+v", r)
	}
	assertOneLineError(t, MustRun(t, nil, "export", "--config", cfg, "--incident", "7"), 1, "#7 does not exist")
	missing := MustWriteConfig(t, fmt.Sprintf("store:\n  path: %q\n", filepath.Join(keep, "nope.db")))
	assertOneLineError(t, MustRun(t, nil, "export", "--config", missing), 1, "no database at")
	if _, err := os.Stat(filepath.Join(keep, "nope.db")); err == nil {
		t.Error("export created an empty database")
	}
}

// TestMain_ExportLeavesOutPrivate: an export is often published, so
// private incidents stay out unless asked for, and cancelled ones (declared
// by mistake) too.
func TestMain_ExportLeavesOutPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	p := policy(config.Default())
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for _, r := range []incident.DeclareRequest{
		{Title: "Public outage", DeclaredBy: "U1"},
		{Title: "Secret breach", DeclaredBy: "U1", Private: true},
		{Title: "Mistaken page", DeclaredBy: "U1"},
	} {
		inc, evs, err := incident.Declare(p, r, now)
		if err != nil {
			t.Fatal(err)
		}
		if r.Title == "Mistaken page" {
			more, err := inc.Cancel(p, "U1", "declared by mistake", now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, more...)
		}
		if _, err := db.CreateIncident(context.Background(), inc, incident.Change{Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	cfg := MustWriteConfig(t, fmt.Sprintf("store:\n  path: %q\n", path))
	r := MustRun(t, nil, "export", "--config", cfg, "--format", "json")
	if r.code != 0 || !strings.Contains(r.stdout, "Public outage") || strings.Contains(r.stdout, "Secret breach") || strings.Contains(r.stdout, "Mistaken page") {
		t.Fatalf("export without --include-private: %+v", r)
	}
	r = MustRun(t, nil, "export", "--config", cfg, "--include-cancelled")
	if r.code != 0 || !strings.Contains(r.stdout, "Mistaken page") || strings.Contains(r.stdout, "Secret breach") {
		t.Fatalf("export --include-cancelled: %+v", r)
	}
	assertOneLineError(t, MustRun(t, nil, "export", "--config", cfg, "--incident", "2"), 1, "--include-private")
	r = MustRun(t, nil, "export", "--config", cfg, "--include-private")
	if r.code != 0 || !strings.Contains(r.stdout, "Secret breach") {
		t.Fatalf("export --include-private: %+v", r)
	}
}
