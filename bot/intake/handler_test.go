package intake_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// The real Alertmanager 0.25 captures (testdata/alertmanager_*.json) and
// Grafana payloads written from Grafana's documentation
// (testdata/grafana_*.SYNTHETIC.json, not produced by Grafana).
var fixtures = []struct {
	file  string
	hook  string
	parse func([]byte, time.Time) (intake.Batch, error)
}{
	{"alertmanager_firing.json", intake.HookAlertmanager, intake.ParseAlertmanager},
	{"alertmanager_resolved.json", intake.HookAlertmanager, intake.ParseAlertmanager},
	{"alertmanager_group_mixed.json", intake.HookAlertmanager, intake.ParseAlertmanager},
	{"alertmanager_resolved_by_timeout.json", intake.HookAlertmanager, intake.ParseAlertmanager},
	{"alertmanager_prometheus_firing.json", intake.HookAlertmanager, intake.ParseAlertmanager},
	{"alertmanager_prometheus_resolved.json", intake.HookAlertmanager, intake.ParseAlertmanager},
	{"grafana_firing.SYNTHETIC.json", intake.HookGrafana, intake.ParseGrafana},
	{"grafana_resolved.SYNTHETIC.json", intake.HookGrafana, intake.ParseGrafana},
}

// TestParse_Golden pins the normalised form of every fixture.
func TestParse_Golden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			b, err := f.parse(MustReadFixture(t, f.file), t0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(b, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(f.file, ".json")+".golden.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the normalised batch; review and run go test -update:\n%s", golden, got)
			}
		})
	}
}

func TestHandler_Alertmanager(t *testing.T) {
	ts := MustServe(t, testConfig())
	post := func(file string) response {
		return ts.post(t, "/hooks/alertmanager", bytes.NewReader(MustReadFixture(t, file)), bearer(amToken))
	}

	t.Run("FiringThenResolved", func(t *testing.T) {
		r := post("alertmanager_firing.json")
		if r.code != 200 || r.body["outcome"] != "declared" || r.body["status"] != "ok" {
			t.Fatalf("firing: %d %s", r.code, r.raw)
		}
		batches, _, _ := ts.sink.snapshot()
		b := batches[len(batches)-1]
		wantKey := intake.DedupeKey(intake.HookAlertmanager, `{}:{alertname="HighErrorRate", service="payments"}`)
		if b.Key != wantKey || r.body["key"] != wantKey {
			t.Errorf("key = %q (answered %q), want %q", b.Key, r.body["key"], wantKey)
		}
		if b.Hook != intake.HookAlertmanager || b.Receiver != "bot" || !b.ReceivedAt.Equal(t0) {
			t.Errorf("batch = hook %q receiver %q received %v", b.Hook, b.Receiver, b.ReceivedAt)
		}
		if b.Route.Name != "page" || b.Route.Action != intake.ActionDeclare || b.Route.Severity != "critical" {
			t.Errorf("route = %+v, want page/declare/critical", b.Route)
		}
		a := b.Alerts[0]
		if a.Status != intake.StatusFiring || !a.EndsAt.IsZero() {
			t.Errorf("firing alert: status %q endsAt %v; want firing with zero endsAt (Alertmanager sends 0001-01-01)", a.Status, a.EndsAt)
		}
		if a.Name != "HighErrorRate" || a.Summary != "Error rate above 5%" || a.Severity != "critical" ||
			a.Description != "payments 5xx ratio is 7.3% over 5m" || a.GeneratorURL != "http://prometheus.local/graph?g0.expr=rate" {
			t.Errorf("alert = %+v", a)
		}
		if !slices.Contains(a.Links, intake.Link{Title: "Runbook", URL: "https://runbooks.example/payments"}) {
			t.Errorf("links = %v, want the runbook", a.Links)
		}

		r = post("alertmanager_resolved.json")
		if r.code != 200 || r.body["outcome"] != "resolved" || r.body["key"] != wantKey {
			t.Fatalf("resolved: %d %s", r.code, r.raw)
		}
		batches, groups, _ := ts.sink.snapshot()
		res := batches[len(batches)-1].Alerts[0]
		if res.Fingerprint != a.Fingerprint || res.Status != intake.StatusResolved ||
			!res.EndsAt.Equal(time.Date(2026, 11, 22, 1, 26, 13, 0, time.UTC)) {
			t.Errorf("resolved alert = %s %s %v; want the firing fingerprint %s, resolved at 01:26:13", res.Fingerprint, res.Status, res.EndsAt, a.Fingerprint)
		}
		if groups != 1 {
			t.Errorf("groups = %d, want 1", groups)
		}
	})

	t.Run("Retry", func(t *testing.T) {
		// A retry of the same notification is a repeat of the same group.
		_, before, _ := ts.sink.snapshot()
		r := post("alertmanager_firing.json")
		_, after, _ := ts.sink.snapshot()
		if r.code != 200 || r.body["outcome"] != "repeat" || after != before {
			t.Errorf("retry: %d %s, groups %d → %d", r.code, r.raw, before, after)
		}
	})

	t.Run("MixedGroup", func(t *testing.T) {
		// The group says firing; its first alert is resolved.
		r := post("alertmanager_group_mixed.json")
		if r.code != 200 || r.body["outcome"] != "triaged" {
			t.Fatalf("%d %s", r.code, r.raw)
		}
		batches, _, _ := ts.sink.snapshot()
		b := batches[len(batches)-1]
		if b.Status != intake.StatusFiring || b.AllResolved() {
			t.Errorf("group status %q", b.Status)
		}
		if got := []intake.Status{b.Alerts[0].Status, b.Alerts[1].Status}; got[0] != intake.StatusResolved || got[1] != intake.StatusFiring {
			t.Errorf("alert statuses = %v, want [resolved firing]", got)
		}
		if b.Alerts[0].EndsAt.IsZero() || !b.Alerts[1].EndsAt.IsZero() {
			t.Errorf("endsAt = %v, %v", b.Alerts[0].EndsAt, b.Alerts[1].EndsAt)
		}
		if b.Route.Name != "db" || b.Route.Channel != "#db-alerts" {
			t.Errorf("route = %+v, want db to #db-alerts", b.Route)
		}
		if b.Alerts[0].GeneratorURL != "" {
			t.Errorf("an empty generatorURL became %q", b.Alerts[0].GeneratorURL)
		}
	})

	t.Run("ResolvedByTimeout", func(t *testing.T) {
		r := post("alertmanager_resolved_by_timeout.json")
		if r.code != 200 || r.body["outcome"] != "resolved" {
			t.Fatalf("%d %s", r.code, r.raw)
		}
		batches, _, _ := ts.sink.snapshot()
		if b := batches[len(batches)-1]; b.Key != batches[len(batches)-2].Key {
			t.Errorf("the timeout resolution has another key than its group")
		}
	})

	t.Run("PrometheusRule", func(t *testing.T) {
		post("alertmanager_prometheus_firing.json")
		post("alertmanager_prometheus_resolved.json")
		batches, _, _ := ts.sink.snapshot()
		f, r := batches[len(batches)-2], batches[len(batches)-1]
		if f.Key != r.Key || f.Alerts[0].Fingerprint != "0c49c34574829129" || r.Alerts[0].Fingerprint != "0c49c34574829129" {
			t.Errorf("firing %s/%s, resolved %s/%s", f.Key, f.Alerts[0].Fingerprint, r.Key, r.Alerts[0].Fingerprint)
		}
		if !strings.Contains(f.Alerts[0].GeneratorURL, "&g0.tab=1") {
			t.Errorf("generatorURL = %q", f.Alerts[0].GeneratorURL)
		}
		// severity=warning, service=incidentbot: no route, the default.
		if f.Route.Name != "default" || f.Route.Action != intake.ActionTriage || f.Route.Channel != "#alerts-triage" {
			t.Errorf("route = %+v", f.Route)
		}
	})
}

func TestHandler_Grafana(t *testing.T) {
	ts := MustServe(t, testConfig())
	r := ts.post(t, "/hooks/grafana", bytes.NewReader(MustReadFixture(t, "grafana_firing.SYNTHETIC.json")), bearer(grafanaToken))
	if r.code != 200 || r.body["outcome"] != "declared" {
		t.Fatalf("firing: %d %s", r.code, r.raw)
	}
	r = ts.post(t, "/hooks/grafana", bytes.NewReader(MustReadFixture(t, "grafana_resolved.SYNTHETIC.json")), bearer(grafanaToken))
	if r.code != 200 || r.body["outcome"] != "resolved" {
		t.Fatalf("resolved: %d %s", r.code, r.raw)
	}
	batches, groups, _ := ts.sink.snapshot()
	f, res := batches[0], batches[1]
	wantKey := intake.DedupeKey(intake.HookGrafana, "1", `{}/{}:{alertname="HighErrorRate", service="payments"}`)
	if f.Key != wantKey || res.Key != wantKey || groups != 1 {
		t.Errorf("keys %s, %s, groups %d; want %s once", f.Key, res.Key, groups, wantKey)
	}
	if f.Key == intake.DedupeKey(intake.HookAlertmanager, f.GroupKey) {
		t.Error("a Grafana group has the key of an Alertmanager group")
	}
	if f.OrgID != 1 || f.Title != "[FIRING:1] HighErrorRate payments" || f.State != "alerting" || !strings.HasPrefix(f.Message, "**Firing**") {
		t.Errorf("grafana fields: %d %q %q %q", f.OrgID, f.Title, f.State, f.Message)
	}
	a := f.Alerts[0]
	for _, title := range []string{"Runbook", "Dashboard", "Panel", "Silence"} {
		if !slices.ContainsFunc(a.Links, func(l intake.Link) bool { return l.Title == title && strings.HasPrefix(l.URL, "http") }) {
			t.Errorf("links %v lack %s", a.Links, title)
		}
	}
	if a.Source != intake.HookGrafana || !strings.Contains(a.Values, "value=7.3") || a.Labels["grafana_folder"] != "Payments" {
		t.Errorf("alert = %+v", a)
	}
	if res.State != "ok" || res.Alerts[0].Status != intake.StatusResolved || res.Alerts[0].EndsAt.IsZero() {
		t.Errorf("resolved = %q %q %v", res.State, res.Alerts[0].Status, res.Alerts[0].EndsAt)
	}
}

// TestGrafana_Orgs checks that two Grafana organisations never share a group.
func TestGrafana_Orgs(t *testing.T) {
	body := MustReadFixture(t, "grafana_firing.SYNTHETIC.json")
	b1, err := intake.ParseGrafana(body, t0)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := intake.ParseGrafana(bytes.Replace(body, []byte(`"orgId": 1`), []byte(`"orgId": 2`), 1), t0)
	if err != nil {
		t.Fatal(err)
	}
	if b2.OrgID != 2 || b1.Key == b2.Key {
		t.Errorf("org 1 key %s, org %d key %s", b1.Key, b2.OrgID, b2.Key)
	}
}

func TestHandler_SinkErrors(t *testing.T) {
	ts := MustServe(t, testConfig())
	body := MustReadFixture(t, "alertmanager_firing.json")

	// A request that can never succeed: 4xx, which Alertmanager does not
	// retry before the next group_interval.
	ts.sink.setErr(incident.Errorf(incident.EINVALID, "Severity page is not configured; fix intake.routes."))
	r := ts.post(t, "/hooks/alertmanager", bytes.NewReader(body), bearer(amToken))
	assertErrorBody(t, r, 422, "Severity page is not configured")

	// A transient failure: 5xx, retried with backoff; the details stay in
	// the log.
	ts.sink.setErr(fmt.Errorf("store alerts: %w", errors.New("disk full at /var/lib/secret-path")))
	r = ts.post(t, "/hooks/alertmanager", bytes.NewReader(body), bearer(amToken))
	assertErrorBody(t, r, 503, "retry later")
	if strings.Contains(r.raw, "disk full") {
		t.Errorf("the answer leaks the internal error: %s", r.raw)
	}
	logs := ts.log.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "disk full") || strings.Count(logs, "disk full") != 1 {
		t.Errorf("log = %s; want the internal error logged once at error", logs)
	}

	ts.sink.setErr(incident.Errorf(incident.ECONFLICT, "Incident 4 is closed."))
	r = ts.post(t, "/hooks/deploy", strings.NewReader(`{"service":"a","version":"1","environment":"prod"}`), bearer(deployToken))
	assertErrorBody(t, r, 422, "Incident 4 is closed.")
	ts.sink.setErr(errors.New("bbolt: database not open"))
	r = ts.post(t, "/hooks/deploy", strings.NewReader(`{"service":"a","version":"1","environment":"prod"}`), bearer(deployToken))
	assertErrorBody(t, r, 503)

	var codes []int
	for _, o := range ts.observations() {
		codes = append(codes, o.Code)
	}
	if !slices.Equal(codes, []int{422, 503, 422, 503}) {
		t.Errorf("observed codes %v", codes)
	}
}

func TestHandler_Observe(t *testing.T) {
	ts := MustServe(t, testConfig())
	ts.post(t, "/hooks/alertmanager", bytes.NewReader(MustReadFixture(t, "alertmanager_group_mixed.json")), bearer(amToken))
	ts.post(t, "/hooks/alertmanager", strings.NewReader(`{}`), bearer("wrong-token-0123456789"))
	ts.post(t, "/hooks/deploy", strings.NewReader(`{"service":"a","version":"1","environment":"prod"}`), bearer(deployToken))
	ts.post(t, "/hooks/nope", strings.NewReader(`{}`), nil)
	want := []intake.Observation{
		{Hook: "alertmanager", Code: 200, Outcome: intake.OutcomeTriaged, Alerts: 2},
		{Hook: "alertmanager", Code: 401, Outcome: intake.OutcomeUnauthorized},
		{Hook: "deploy", Code: 200, Outcome: intake.OutcomeRecorded},
		{Hook: "", Code: 404, Outcome: intake.OutcomeInvalid},
	}
	if got := ts.observations(); !slices.Equal(got, want) {
		t.Errorf("observations:\n got %+v\nwant %+v", got, want)
	}
}

func TestNew_Errors(t *testing.T) {
	if _, err := intake.New(intake.Options{Config: testConfig()}); err == nil || !strings.Contains(err.Error(), "Sink") {
		t.Errorf("no sink: %v", err)
	}
	c := testConfig()
	c.Routes[0].Matchers = []string{`severity=~"crit(`}
	_, err := intake.New(intake.Options{Config: c, Sink: newMemSink(false)})
	if err == nil || !strings.Contains(err.Error(), "intake.routes[0].matchers[0]") {
		t.Errorf("bad matcher: %v", err)
	}
}
