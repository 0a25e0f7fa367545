// Package intaketest runs a real Prometheus Alertmanager for tests of the
// alert intake, here and in the bot's end-to-end tests.
package intaketest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/testtool"
)

// RequireTool returns the path of a program a test needs (amtool,
// alertmanager), or skips the test (fails it in CI) saying how to
// install it.
func RequireTool(tb testing.TB, name string) string {
	tb.Helper()
	return testtool.LookPath(tb, name, "bash .ci/install.d/alertmanager.sh")
}

// Alertmanager is a running Alertmanager on 127.0.0.1, with one route:
// group_by alertname and service, group_wait 1s, group_interval 2s,
// repeat_interval 1h, to a webhook receiver named "incidentbot" that sends
// resolved alerts too.
type Alertmanager struct {
	// URL is Alertmanager's base URL, e.g. http://127.0.0.1:40123.
	URL    string
	amtool string
	home   string
	log    *Buffer
}

// StartAlertmanager starts Debian's prometheus-alertmanager with its
// webhook pointing at webhookURL, authenticated with "Authorization:
// Bearer token", and waits until it is ready. Clustering is off (it would
// bind 0.0.0.0:9094). The process is killed by its PID at cleanup, and its
// log is printed if the test failed.
func StartAlertmanager(tb testing.TB, webhookURL, token string) *Alertmanager {
	tb.Helper()
	bin := RequireTool(tb, "prometheus-alertmanager")
	amtool := RequireTool(tb, "amtool")
	dir := tb.TempDir()
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
`, webhookURL, token)
	cfgFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		tb.Fatal(err)
	}
	am := &Alertmanager{URL: "http://" + freeAddr(tb), amtool: amtool, home: dir, log: &Buffer{}}
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+strings.TrimPrefix(am.URL, "http://"),
		"--cluster.listen-address=",
	)
	cmd.Stdout, cmd.Stderr = am.log, am.log
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	pid := cmd.Process.Pid
	tb.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
		_ = cmd.Wait()
		if tb.Failed() {
			tb.Logf("alertmanager's log:\n%s", am.log)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(am.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return am
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("alertmanager is not ready after 15s: %v\n%s", err, am.log)
		}
		time.Sleep(50 * time.Millisecond) // a real process starting: no clock to move
	}
}

// Fire adds (or refreshes) a firing alert with `amtool alert add`: labels
// like "alertname=X" or a bare first name, annotations like "summary=...".
func (am *Alertmanager) Fire(tb testing.TB, labels []string, annotations ...string) {
	tb.Helper()
	am.add(tb, labels, annotations)
}

// Resolve ends the alert with these labels at end (amtool's --end).
func (am *Alertmanager) Resolve(tb testing.TB, labels []string, end time.Time, annotations ...string) {
	tb.Helper()
	am.add(tb, labels, annotations, "--end="+end.UTC().Format(time.RFC3339))
}

func (am *Alertmanager) add(tb testing.TB, labels, annotations []string, extra ...string) {
	tb.Helper()
	args := []string{"alert", "add", "--alertmanager.url=" + am.URL}
	for _, a := range annotations {
		args = append(args, "--annotation="+a)
	}
	args = append(append(args, extra...), labels...)
	cmd := exec.Command(am.amtool, args...)
	cmd.Env = append(os.Environ(), "HOME="+am.home) // ignore this machine's amtool.yml
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("amtool %v: %v\n%s", args, err, out)
	}
}

// Log returns what Alertmanager has logged so far.
func (am *Alertmanager) Log() string { return am.log.String() }

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Buffer collects output written from several goroutines: a process's
// stdout and stderr, a logger's records.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Post sends body as JSON to url with "Authorization: Bearer token" and
// returns the status and the answer's body.
func Post(client *http.Client, url, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}
