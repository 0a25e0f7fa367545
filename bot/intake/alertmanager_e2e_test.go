package intake_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
)

// requireTool returns the path of a program the test needs. Without it the
// test is skipped, or fails when INCIDENTBOT_REQUIRE_TOOLS=1 (CI).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not installed; bash .ci/install.d/alertmanager.sh installs it", name)
	if os.Getenv("INCIDENTBOT_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// alertmanager is a real Alertmanager process on 127.0.0.1.
type alertmanager struct {
	url    string
	amtool string
	home   string
	log    *syncBuffer
}

// MustStartAlertmanager starts Alertmanager with its webhook receiver
// pointing at hookURL with bearer token, and stops it by PID at cleanup.
func MustStartAlertmanager(t *testing.T, hookURL, token string) *alertmanager {
	t.Helper()
	bin := requireTool(t, "prometheus-alertmanager")
	amtool := requireTool(t, "amtool")
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  resolve_timeout: 5m
route:
  receiver: incidentbot
  group_by: ['alertname', 'service']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: incidentbot
    webhook_configs:
      - url: '%s'
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: '%s'
`, hookURL, token)
	cfgFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	am := &alertmanager{url: fmt.Sprintf("http://127.0.0.1:%d", freePort(t)), amtool: amtool, home: dir, log: &syncBuffer{}}
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+strings.TrimPrefix(am.url, "http://"),
		"--cluster.listen-address=", // no clustering: it would bind 0.0.0.0:9094
	)
	cmd.Stdout, cmd.Stderr = am.log, am.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager's log:\n%s", am.log)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(am.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return am
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager is not ready after 15s: %v\n%s", err, am.log)
		}
		time.Sleep(50 * time.Millisecond) // a real process starting: no clock to move
	}
}

// add runs `amtool alert add` with args.
func (am *alertmanager) add(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(am.amtool, append([]string{"alert", "add", "--alertmanager.url=" + am.url}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+am.home) // no amtool.yml of this machine
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("amtool %v: %v\n%s", args, err, out)
	}
}

// waitBatch returns the next batch the sink stores, failing after 30s.
func waitBatch(t *testing.T, ts *testServer, what string) intake.Batch {
	t.Helper()
	select {
	case b := <-ts.sink.got:
		return b
	case <-time.After(30 * time.Second):
		t.Fatalf("no webhook from alertmanager within 30s: %s", what)
	}
	return intake.Batch{}
}

// TestAlertmanager_EndToEnd fires and resolves alerts in a real
// Alertmanager whose webhook points at the handler, and checks that the
// sink sees each alert fire once and resolve once, in one group.
func TestAlertmanager_EndToEnd(t *testing.T) {
	ts := MustServe(t, testConfig())
	am := MustStartAlertmanager(t, ts.URL+"/hooks/alertmanager", amToken)

	labelsA := []string{"E2ECheckoutDown", "service=checkout", "severity=critical", "instance=a"}
	labelsB := []string{"E2ECheckoutDown", "service=checkout", "severity=critical", "instance=b"}
	summary := "--annotation=summary=Checkout is down"

	am.add(t, append(labelsA, summary)...)
	first := waitBatch(t, ts, "the first firing alert")
	if len(first.Alerts) != 1 || !first.Alerts[0].Firing() || first.Alerts[0].Labels["instance"] != "a" {
		t.Fatalf("first batch = %+v", first.Alerts)
	}
	a := first.Alerts[0]
	if a.Summary != "Checkout is down" || a.Severity != "critical" || !a.EndsAt.IsZero() || a.Fingerprint == "" {
		t.Errorf("alert = %+v", a)
	}
	if first.Route.Name != "page" || first.Receiver != "incidentbot" ||
		first.GroupKey != `{}:{alertname="E2ECheckoutDown", service="checkout"}` {
		t.Errorf("batch: route %q receiver %q groupKey %q", first.Route.Name, first.Receiver, first.GroupKey)
	}

	// The same alert again changes nothing; a second alert joins the group.
	am.add(t, append(labelsA, summary)...)
	am.add(t, append(labelsB, summary)...)
	second := waitBatch(t, ts, "the group with its second alert")
	if second.Key != first.Key || len(second.Firing()) != 2 {
		t.Fatalf("second batch: key %s (first %s), %d firing", second.Key, first.Key, len(second.Firing()))
	}

	end := "--end=" + time.Now().UTC().Format(time.RFC3339)
	am.add(t, append(labelsA, summary, end)...)
	am.add(t, append(labelsB, summary, end)...)
	for b := waitBatch(t, ts, "the resolution"); !b.AllResolved(); b = waitBatch(t, ts, "the resolution of both alerts") {
		if b.Key != first.Key {
			t.Fatalf("a batch of another group: %s", b.Key)
		}
	}

	batches, groups, transitions := ts.sink.snapshot()
	if groups != 1 {
		t.Errorf("groups = %d, want 1", groups)
	}
	fpB := second.Alerts[slices.IndexFunc(second.Alerts, func(x intake.Alert) bool { return x.Labels["instance"] == "b" })].Fingerprint
	if len(transitions) != 4 || transitions[0] != a.Fingerprint+" firing" || transitions[1] != fpB+" firing" ||
		!slices.Contains(transitions[2:], a.Fingerprint+" resolved") || !slices.Contains(transitions[2:], fpB+" resolved") {
		t.Errorf("transitions = %v; want a and b (%s, %s) to fire once and then resolve once", transitions, a.Fingerprint, fpB)
	}
	ts.waitObserved(t, len(batches))
	var outcomes []string
	for _, o := range ts.observations() {
		outcomes = append(outcomes, fmt.Sprintf("%d %s", o.Code, o.Outcome))
	}
	if len(outcomes) != len(batches) || outcomes[0] != "200 declared" || outcomes[1] != "200 repeat" || outcomes[len(outcomes)-1] != "200 resolved" {
		t.Errorf("outcomes = %v for %d batches", outcomes, len(batches))
	}
	last := batches[len(batches)-1]
	for _, x := range last.Alerts {
		if x.EndsAt.IsZero() || x.EndsAt.Before(x.StartsAt) {
			t.Errorf("resolved alert %s: starts %v ends %v", x.Fingerprint, x.StartsAt, x.EndsAt)
		}
	}
}
