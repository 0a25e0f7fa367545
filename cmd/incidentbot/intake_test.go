package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake/intaketest"
	"github.com/incidentbot/incidentbot/bot/slackfake"
)

const (
	testAMToken     = "am-token-0123456789abcdef"
	testDeployToken = "deploy-token-0123456789"
)

func postHook(t *testing.T, url, token string, body []byte) (int, string) {
	t.Helper()
	code, out, err := intaketest.Post(http.DefaultClient, url, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, out)
	}
	return string(out)
}

// TestMain_RunIntake runs the bot with its hooks on: Alertmanager's payload
// declares an incident, a warning is triaged in a channel named by name, a
// deploy is recorded, /metrics counts them, and `incidentbot stats` reads
// the figures from the running bot, then from the file once it stopped.
func TestMain_RunIntake(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	fake.CreateChannel(alice, "incidents", false, alice)
	triage, _ := fake.CreateChannel(alice, "alerts-triage", false, alice)
	dir := t.TempDir()
	listen := freePort(t)
	cfgPath := MustWriteConfig(t, fmt.Sprintf(`slack:
  api_url: %q
  announce_channels: ["#incidents"]
store:
  path: %q
http:
  listen: %q
intake:
  triage_channel: "#alerts-triage"
  routes:
    - name: page
      matchers: ['severity="critical"']
      action: declare
`, fake.APIURL(), filepath.Join(dir, "bot.db"), listen))
	env := MapEnv(map[string]string{"SLACK_BOT_TOKEN": fake.BotToken(), "SLACK_APP_TOKEN": fake.AppToken(),
		"INCIDENTBOT_INTAKE_HOOKS_ALERTMANAGER_TOKEN": testAMToken, "INCIDENTBOT_INTAKE_HOOKS_DEPLOY_TOKEN": testDeployToken})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Dispatch(ctx, &Env{Stdout: &stderr, Stderr: &stderr, Environ: environ(env), Retry: fastRetry}, []string{"run", "--config", cfgPath})
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := waitStatus(wctx, "http://"+listen+"/readyz", 200); err != nil {
		t.Fatalf("the bot is not ready: %v\n%s", err, stderr.String())
	}
	base := "http://" + listen
	for _, f := range []string{"alertmanager_firing.json", "alertmanager_group_mixed.json"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "bot", "intake", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		if code, out := postHook(t, base+"/hooks/alertmanager", testAMToken, body); code != 200 {
			t.Fatalf("%s: %d %s", f, code, out)
		}
	}
	deploy := fmt.Appendf(nil, `{"id":"run-1","service":"payments","version":"v1","environment":"production","time":%q}`, time.Now().UTC().Format(time.RFC3339))
	if code, out := postHook(t, base+"/hooks/deploy", testDeployToken, deploy); code != 200 || !strings.Contains(out, `"recorded"`) {
		t.Fatalf("deploy: %d %s", code, out)
	}
	if code, _ := postHook(t, base+"/hooks/grafana", testAMToken, deploy); code != http.StatusNotFound {
		t.Errorf("the grafana hook without a token answers %d, want 404", code)
	}
	if err := fake.WaitFor(wctx, func() bool { _, ok := fake.ChannelByName("inc-1-higherrorrate-service-payments"); return ok }); err != nil {
		t.Fatalf("no war room for the alert: %s", stderr.String())
	}
	if err := fake.WaitFor(wctx, func() bool { return len(fake.Messages(triage)) == 1 }); err != nil {
		t.Fatalf("no triage message in #alerts-triage: %s", stderr.String())
	}

	// The fake records a message before it answers, and the bot counts the
	// call once the answer is back: the counters may trail what the fake
	// shows, so /metrics is read until it has them all or the wait ends.
	wantMetrics := []string{
		`incidentbot_incidents{severity="critical",status="investigating",type="general"} 1`,
		`incidentbot_intake_requests_total{hook="alertmanager",outcome="declared"} 1`,
		`incidentbot_intake_requests_total{hook="alertmanager",outcome="triaged"} 1`,
		`incidentbot_intake_requests_total{hook="deploy",outcome="recorded"} 1`,
		`incidentbot_slack_api_calls_total{method="chat.postMessage",result="ok"}`,
		`incidentbot_outbox_depth`, `go_goroutines`,
	}
	var missing []string
	for {
		metrics := getBody(t, base+"/metrics")
		missing = missing[:0]
		for _, want := range wantMetrics {
			if !strings.Contains(metrics, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || wctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range missing {
		t.Errorf("/metrics lacks %s", m)
	}

	// While the bot runs, stats asks it.
	r := MustRun(t, env, "stats", "--config", cfgPath)
	if r.code != 0 || !strings.Contains(r.stdout, "Incidents:            1 (critical 1, major 0, minor 0)") ||
		!strings.Contains(r.stdout, "0% (0 of 1 deploys)") {
		t.Errorf("stats while running: %+v", r)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run exited %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop")
	}
	// Stopped: stats reads the file, with the same figures.
	r2 := MustRun(t, env, "stats", "--config", cfgPath)
	if r2.code != 0 || r2.stdout != r.stdout {
		t.Errorf("stats from the file:\n%s\nwhile running:\n%s", r2.stdout, r.stdout)
	}
	r = MustRun(t, env, "stats", "--config", cfgPath, "--format", "json", "--service", "payments")
	var doc map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil || doc["deploys"] != 1.0 || doc["service"] != "payments" {
		t.Errorf("stats --format json: %+v", r)
	}
}

func TestStats_Flags(t *testing.T) {
	cfg := MustWriteConfig(t, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "soon"}, "--since takes a number of days or weeks"},
		{[]string{"--format", "xml"}, `--format "xml" is not supported`},
		{[]string{"--service", "<!here>"}, "--service: Write the service as a plain name"},
	} {
		r := MustRun(t, TokenEnv(), append([]string{"stats", "--config", cfg}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("stats %v: %+v, want exit 2 and %q", tc.args, r, tc.want)
		}
	}
	r := MustRun(t, TokenEnv(), "stats", "--config", MustWriteConfig(t, "store:\n  path: "+filepath.Join(t.TempDir(), "none.db")+"\n"))
	if r.code != 1 || !strings.Contains(r.stderr, "no database at") {
		t.Errorf("stats without a database: %+v", r)
	}
}

// TestLoadConfig_Intake checks the intake section: routes from the file,
// tokens from the environment and never printed, and a clear line for
// each mistake.
func TestLoadConfig_Intake(t *testing.T) {
	ctx := context.Background()
	good := `intake:
  triage_channel: "#alerts"
  max_body_bytes: 65536
  routes:
    - name: page
      matchers: ['severity="critical"', 'env!="dev"']
      sources: [alertmanager]
      action: declare
      severity: critical
    - name: db
      action: triage
      channel: C0DB
`
	env := TokenEnv("INCIDENTBOT_INTAKE_HOOKS_ALERTMANAGER_TOKEN", testAMToken)
	cfg, err := LoadConfig(ctx, MustWriteConfig(t, good), env)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Intake.Routes) != 2 || cfg.Intake.Routes[0].Severity != "critical" || cfg.Intake.Routes[1].Channel != "C0DB" ||
		cfg.Intake.MaxBodyBytes != 65536 || cfg.Intake.Hooks.Alertmanager.Token != testAMToken {
		t.Errorf("intake %+v", cfg.Intake)
	}
	if s := cfg.String(); strings.Contains(s, testAMToken) {
		t.Errorf("the config prints a hook token: %s", s)
	}
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"UnknownRouteKey", "intake:\n  routes:\n    - name: x\n      acton: triage\n", nil, `intake.routes[0].acton: unknown key (did you mean "intake.routes[0].action"?`},
		{"RouteNotMapping", "intake:\n  routes: [page]\n", nil, "intake.routes[0]: not a mapping (write name:, matchers:, sources: under a"},
		{"RoutesNotList", "intake:\n  routes: 5\n", nil, "intake.routes: expected a list of routes, each with name, matchers and sources, got 5"},
		{"RoutesInEnv", "", map[string]string{"INCIDENTBOT_INTAKE_ROUTES": "x"}, "INCIDENTBOT_INTAKE_ROUTES: intake.routes cannot be set in the environment"},
		{"UnknownSeverity", "intake:\n  triage_channel: C0A\n  routes:\n    - action: declare\n      severity: sev0\n", nil, `intake.routes[0].severity: severity "sev0" is not defined; known: critical, major, minor`},
		{"BadMatcher", "intake:\n  routes:\n    - action: declare\n      matchers: ['severity~crit']\n", nil, "intake.routes[0].matchers[0]:"},
		{"BodyNotNumber", "intake:\n  max_body_bytes: big\n", nil, `intake.max_body_bytes: expected a whole number, got "big"`},
		{"ShortToken", "", map[string]string{"INCIDENTBOT_INTAKE_HOOKS_GRAFANA_TOKEN": "short"}, "INCIDENTBOT_INTAKE_HOOKS_GRAFANA_TOKEN: is 5 characters; use at least 16"},
		{"NoTriageChannel", "", map[string]string{"INCIDENTBOT_INTAKE_HOOKS_GENERIC_TOKEN": testAMToken}, "intake.default_route.channel: a triage route needs a channel"},
		{"NoHTTP", "http:\n  listen: \"\"\nintake:\n  triage_channel: C0A\n", map[string]string{"INCIDENTBOT_INTAKE_HOOKS_DEPLOY_TOKEN": testDeployToken}, "intake.hooks: the hooks are served on http.listen, which is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := TokenEnv()
			for k, v := range tc.env {
				e[k] = v
			}
			_, err := LoadConfig(ctx, MustWriteConfig(t, tc.file), e)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), testAMToken) {
				t.Errorf("the error shows a token: %v", err)
			}
		})
	}
}
