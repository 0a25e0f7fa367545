package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/metrics"
	"github.com/incidentbot/incidentbot/bot/testtool"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/storetest"
)

var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// secrets are what the private incident holds that no label may show.
var secrets = []string{"vault-breach", "vault", "Vault keys leaked", "C0SECRET"}

// populate stores incidents of every kind the metrics treat apart.
func populate(tb testing.TB, db *store.DB) {
	tb.Helper()
	incs := []*incident.Incident{
		{Title: "Checkout down", Severity: "critical", Status: incident.StatusResolved, Type: "outage", Service: "checkout",
			DeclaredAt: t0, AcknowledgedAt: t0.Add(2 * time.Minute), MitigatedAt: t0.Add(20 * time.Minute), ResolvedAt: t0.Add(90 * time.Minute),
			Updates: 5, LateUpdates: 1},
		{Title: "Search slow", Severity: "minor", Status: incident.StatusInvestigating, DeclaredAt: t0.Add(time.Hour), AcknowledgedAt: t0.Add(time.Hour), Updates: 1},
		{Title: "Vault keys leaked", Severity: "critical", Status: incident.StatusIdentified, Private: true, Type: "vault-breach", Service: "vault",
			ChannelID: "C0SECRET", DeclaredAt: t0.Add(2 * time.Hour), AcknowledgedAt: t0.Add(2*time.Hour + time.Minute), Updates: 2},
		{Title: "Game day", Severity: "critical", Status: incident.StatusClosed, Drill: true, Type: "drill-only-type", DeclaredAt: t0, ResolvedAt: t0.Add(time.Hour), Updates: 9},
		{Title: "Oops", Severity: "major", Status: incident.StatusCancelled, Type: "cancelled-only-type", DeclaredAt: t0, Updates: 7},
	}
	for _, inc := range incs {
		if _, err := db.CreateIncident(context.Background(), inc, incident.Change{}); err != nil {
			tb.Fatal(err)
		}
	}
}

func scrape(tb testing.TB, m *metrics.Metrics) []byte {
	tb.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("scrape: %d %v\n%s", resp.StatusCode, err, body)
	}
	return body
}

func parse(tb testing.TB, body []byte) map[string]*dto.MetricFamily {
	tb.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("parse the exposition: %v\n%s", err, body)
	}
	return fams
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// exercised returns metrics over a populated store, with one of each
// process measurement.
func exercised(tb testing.TB) (*metrics.Metrics, *store.DB) {
	db := storetest.Open(tb)
	populate(tb, db)
	m := metrics.New(metrics.Options{Source: db})
	m.SlackCall("chat.postMessage", nil, 30*time.Millisecond)
	m.SlackCall("chat.postMessage", &slack.RateLimitedError{RetryAfter: time.Second}, time.Millisecond)
	m.SlackCall("conversations.create", slack.SlackErrorResponse{Err: "name_taken"}, time.Millisecond)
	m.Ack(4 * time.Millisecond)
	m.Intake(intake.Observation{Hook: intake.HookAlertmanager, Code: 200, Outcome: intake.OutcomeDeclared, Alerts: 3})
	m.Intake(intake.Observation{Hook: intake.HookDeploy, Code: 200, Outcome: intake.OutcomeRecorded})
	m.Intake(intake.Observation{Hook: intake.HookGeneric, Code: 401, Outcome: intake.OutcomeUnauthorized})
	m.Reminder("escalation")
	m.SetOutboxDepth(func() int { return 4 })
	return m, db
}

func TestMetrics_Exposition(t *testing.T) {
	m, _ := exercised(t)
	fams := parse(t, scrape(t, m))
	value := func(name string, want map[string]string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Fatalf("no %s", name)
		}
	next:
		for _, x := range f.GetMetric() {
			got := labels(x)
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			switch {
			case x.Gauge != nil:
				return x.Gauge.GetValue()
			case x.Counter != nil:
				return x.Counter.GetValue()
			case x.Histogram != nil:
				return float64(x.Histogram.GetSampleCount())
			}
		}
		t.Fatalf("no %s%v", name, want)
		return 0
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"incidentbot_incidents", map[string]string{"severity": "critical", "status": "resolved", "type": "outage"}, 1},
		{"incidentbot_incidents", map[string]string{"severity": "minor", "status": "investigating", "type": ""}, 1},
		{"incidentbot_incidents", map[string]string{"severity": "critical", "status": "identified", "type": ""}, 1},
		{"incidentbot_incident_time_to_acknowledge_seconds", map[string]string{"severity": "critical"}, 2},
		{"incidentbot_incident_time_to_mitigate_seconds", map[string]string{"severity": "critical"}, 1},
		{"incidentbot_incident_time_to_resolve_seconds", map[string]string{"severity": "critical"}, 1},
		{"incidentbot_incident_updates_total", map[string]string{"timeliness": "on_time"}, 7},
		{"incidentbot_incident_updates_total", map[string]string{"timeliness": "late"}, 1},
		{"incidentbot_slack_api_calls_total", map[string]string{"method": "chat.postMessage", "result": "ok"}, 1},
		{"incidentbot_slack_api_calls_total", map[string]string{"method": "chat.postMessage", "result": "rate_limited"}, 1},
		{"incidentbot_slack_api_calls_total", map[string]string{"method": "conversations.create", "result": "permanent"}, 1},
		{"incidentbot_envelope_ack_seconds", nil, 1},
		{"incidentbot_intake_requests_total", map[string]string{"hook": "alertmanager", "outcome": "declared"}, 1},
		{"incidentbot_intake_requests_total", map[string]string{"hook": "generic", "outcome": "unauthorized"}, 1},
		{"incidentbot_intake_requests_total", map[string]string{"hook": "deploy", "outcome": "recorded"}, 1},
		{"incidentbot_alerts_received_total", map[string]string{"source": "alertmanager", "outcome": "declared"}, 3},
		{"incidentbot_reminders_total", map[string]string{"stage": "escalation"}, 1},
		{"incidentbot_reminders_total", map[string]string{"stage": "heads_up"}, 0},
		{"incidentbot_outbox_depth", nil, 4},
	} {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Drills and cancelled incidents are left out of every incident figure.
	total := 0.0
	for _, x := range fams["incidentbot_incidents"].GetMetric() {
		total += x.Gauge.GetValue()
	}
	if total != 3 {
		t.Errorf("%v incidents counted, want 3 (no drill, no cancelled)", total)
	}
	h := fams["incidentbot_incident_time_to_resolve_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleSum() != 90*60 {
		t.Errorf("time to resolve sum %v", h.GetSampleSum())
	}
}

// TestMetrics_Privacy checks that no label value of the whole exposition
// comes from a private incident, a drill or a cancelled incident, while
// the public incident's type does show (so the check can fail).
func TestMetrics_Privacy(t *testing.T) {
	m, _ := exercised(t)
	body := scrape(t, m)
	var values []string
	for _, f := range parse(t, body) {
		for _, x := range f.GetMetric() {
			for _, v := range labels(x) {
				values = append(values, v)
			}
		}
	}
	has := func(s string) bool {
		for _, v := range values {
			if strings.Contains(v, s) {
				return true
			}
		}
		return false
	}
	if !has("outage") {
		t.Fatal("the public incident's type is not in any label: the check below proves nothing")
	}
	for _, s := range append(secrets, "drill-only-type", "cancelled-only-type", "checkout", "Checkout down") {
		if has(s) {
			t.Errorf("a label shows %q", s)
		}
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("the exposition contains %q", s)
		}
	}
}

// TestMetrics_Promtool runs Prometheus's own linter on the real output.
func TestMetrics_Promtool(t *testing.T) {
	promtool := testtool.LookPath(t, "promtool", "bash .ci/install.d/prometheus.sh")
	m, _ := exercised(t)
	body := scrape(t, m)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check metrics: %v\n%s\n--- exposition:\n%s", err, out, body)
	}
}

// countingSource counts the walks of the statistics index.
type countingSource struct {
	metrics.Source
	walks   atomic.Int64
	version atomic.Uint64
	err     error
}

func (c *countingSource) EachFacts(ctx context.Context, since, until time.Time, fn func(incident.Facts) error) error {
	c.walks.Add(1)
	if c.err != nil {
		return c.err
	}
	return c.Source.EachFacts(ctx, since, until, fn)
}

func (c *countingSource) Version() uint64 { return c.version.Load() }

// TestMetrics_Refresh checks that scrapes read the index only after a
// write, and at most once per Refresh.
func TestMetrics_Refresh(t *testing.T) {
	db := storetest.Open(t)
	populate(t, db)
	src := &countingSource{Source: db}
	now := t0
	m := metrics.New(metrics.Options{Source: src, Refresh: time.Minute, Now: func() time.Time { return now }, NoProcess: true})
	scrape(t, m)
	scrape(t, m)
	if n := src.walks.Load(); n != 1 {
		t.Errorf("%d walks for two scrapes of an unchanged store", n)
	}
	src.version.Add(1)
	scrape(t, m)
	if n := src.walks.Load(); n != 1 {
		t.Errorf("%d walks: a write within Refresh read the index again", n)
	}
	now = now.Add(2 * time.Minute)
	scrape(t, m)
	if n := src.walks.Load(); n != 2 {
		t.Errorf("%d walks after a write and Refresh", n)
	}
	// A failed reading serves the previous figures and counts the error.
	src.err = errors.New("disk gone")
	src.version.Add(1)
	now = now.Add(2 * time.Minute)
	fams := parse(t, scrape(t, m))
	if fams["incidentbot_incidents"] == nil || fams["incidentbot_metrics_read_errors_total"].GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("after a failed reading: %v", fams["incidentbot_metrics_read_errors_total"])
	}
}

// TestMetrics_Nil checks that a bot without metrics measures nothing and
// does not fail.
func TestMetrics_Nil(t *testing.T) {
	var m *metrics.Metrics
	m.SlackCall("x", nil, 0)
	m.Ack(time.Second)
	m.Intake(intake.Observation{})
	m.Reminder("due")
	m.SetOutboxDepth(func() int { return 1 })
}
