package intake_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
)

func TestParseGeneric(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		body := `{
		  "source": "uptime-kuma",
		  "fingerprint": "api-health",
		  "status": "firing",
		  "title": "API health check failing",
		  "severity": "Critical",
		  "labels": {"service": "api", "env": "prod"},
		  "annotations": {"runbook_url": "https://runbooks.example/api"},
		  "description": "GET /health returned 503\nthree times",
		  "links": [{"title": "Monitor", "url": "https://kuma.example/dashboard/7"}],
		  "starts_at": "2026-11-22T01:26:05+01:00"
		}`
		b, err := intake.ParseGeneric([]byte(body), t0)
		if err != nil {
			t.Fatal(err)
		}
		want := intake.Alert{
			Source:      "uptime-kuma",
			Fingerprint: "api-health",
			Status:      intake.StatusFiring,
			Name:        "API health check failing",
			Labels:      map[string]string{"service": "api", "env": "prod", "severity": "critical"},
			Annotations: map[string]string{"runbook_url": "https://runbooks.example/api"},
			Summary:     "API health check failing",
			Description: "GET /health returned 503\nthree times",
			StartsAt:    time.Date(2026, 11, 22, 0, 26, 5, 0, time.UTC),
			Links: []intake.Link{
				{Title: "Monitor", URL: "https://kuma.example/dashboard/7"},
				{Title: "Runbook", URL: "https://runbooks.example/api"},
			},
			Severity: "critical",
		}
		if len(b.Alerts) != 1 || !reflect.DeepEqual(b.Alerts[0], want) {
			t.Errorf("alert:\n got %+v\nwant %+v", b.Alerts, want)
		}
		if b.Hook != intake.HookGeneric || b.Key != intake.DedupeKey(intake.HookGeneric, "uptime-kuma", "api-health") || b.GroupKey != "api-health" || b.Status != intake.StatusFiring {
			t.Errorf("batch = %+v", b)
		}
	})

	t.Run("ResolvedDefaults", func(t *testing.T) {
		b, err := intake.ParseGeneric([]byte(`{"source":"kuma","fingerprint":"api-health","status":"resolved","starts_at":"2026-11-22T01:00:00Z"}`), t0)
		if err != nil {
			t.Fatal(err)
		}
		a := b.Alerts[0]
		if a.Status != intake.StatusResolved || !a.EndsAt.Equal(t0) || !b.AllResolved() {
			t.Errorf("resolved alert = %+v", a)
		}
		firing, err := intake.ParseGeneric([]byte(`{"source":"kuma","fingerprint":"api-health","status":"firing","title":"x"}`), t0)
		if err != nil {
			t.Fatal(err)
		}
		if firing.Key != b.Key || !firing.Alerts[0].StartsAt.Equal(t0) {
			t.Errorf("firing key %s vs resolved %s; starts %v", firing.Key, b.Key, firing.Alerts[0].StartsAt)
		}
		other, _ := intake.ParseGeneric([]byte(`{"source":"pingdom","fingerprint":"api-health","status":"firing","title":"x"}`), t0)
		if other.Key == b.Key {
			t.Error("two sources with one fingerprint share a group")
		}
	})

	t.Run("SeverityLabelWins", func(t *testing.T) {
		b, err := intake.ParseGeneric([]byte(`{"source":"kuma","fingerprint":"f","status":"firing","title":"x","labels":{"severity":"page","alertname":"ApiDown"}}`), t0)
		if err != nil {
			t.Fatal(err)
		}
		if a := b.Alerts[0]; a.Severity != "page" || a.Labels["severity"] != "page" || a.Name != "ApiDown" {
			t.Errorf("alert = %+v", a)
		}
	})

	long := strings.Repeat("x", 1001)
	tests := []struct {
		name, body, want string
	}{
		{"ErrSourceMissing", `{"fingerprint":"f","status":"firing","title":"x"}`, "source is missing"},
		{"ErrSourceCase", `{"source":"Uptime Kuma","fingerprint":"f","status":"firing","title":"x"}`, `source "Uptime Kuma": use 1 to 63 lowercase`},
		{"ErrSourceReserved", `{"source":"alertmanager","fingerprint":"f","status":"firing","title":"x"}`, "reserved for /hooks/alertmanager"},
		{"ErrFingerprintMissing", `{"source":"kuma","status":"firing","title":"x"}`, "fingerprint is missing"},
		{"ErrFingerprintControl", `{"source":"kuma","fingerprint":"a\u0000b","status":"firing","title":"x"}`, "fingerprint contains a control character"},
		{"ErrFingerprintLong", `{"source":"kuma","fingerprint":"` + strings.Repeat("f", 257) + `","status":"firing","title":"x"}`, "fingerprint is 257 bytes long; the limit is 256"},
		{"ErrStatusMissing", `{"source":"kuma","fingerprint":"f","title":"x"}`, "status is missing: use firing or resolved"},
		{"ErrStatusWrong", `{"source":"kuma","fingerprint":"f","status":"ok","title":"x"}`, `status: "ok" is not a status`},
		{"ErrTitleMissing", `{"source":"kuma","fingerprint":"f","status":"firing","title":"  "}`, "title is missing"},
		{"ErrTitleLong", `{"source":"kuma","fingerprint":"f","status":"firing","title":"` + long + `"}`, "title is 1001 bytes long"},
		{"ErrTitleNewline", `{"source":"kuma","fingerprint":"f","status":"firing","title":"a\nb"}`, "title contains a control character"},
		{"ErrLabelName", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","labels":{"9lives":"x"}}`, `labels: "9lives" is not a label name`},
		{"ErrLabelType", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","labels":{"a":1}}`, "must be a string, not a JSON number"},
		{"ErrLabelsList", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","labels":["a"]}`, `field "labels" must be an object of string values, not a JSON array`},
		{"ErrLinkURL", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","links":[{"title":"x","url":"javascript:alert(1)"}]}`, `links[0].url: "javascript:alert(1)" is not an absolute http(s) URL`},
		{"ErrLinkRelative", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","links":[{"url":"/dash"}]}`, `links[0].url`},
		{"ErrLinkField", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","links":[{"href":"https://a"}]}`, `unknown field "href"`},
		{"ErrStartsAt", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","starts_at":"1700000000"}`, `starts_at: "1700000000" is not an RFC 3339 time`},
		{"ErrStartsAtNumber", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","starts_at":1700000000}`, `field "starts_at" must be a string`},
		{"ErrEndsAtFiring", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","ends_at":"2026-11-22T01:00:00Z"}`, "ends_at is set on a firing alert"},
		{"ErrEndsBeforeStarts", `{"source":"kuma","fingerprint":"f","status":"resolved","starts_at":"2026-11-22T01:00:00Z","ends_at":"2026-11-22T00:00:00Z"}`, "ends_at (2026-11-22T00:00:00Z) is before starts_at"},
		{"ErrUnknownField", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","dedupe_key":"k"}`, `unknown field "dedupe_key"; the fields are: source, fingerprint, status`},
		{"ErrSeverityLong", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","severity":"` + strings.Repeat("s", 41) + `"}`, "severity is 41 bytes long"},
		{"ErrDescriptionControl", `{"source":"kuma","fingerprint":"f","status":"firing","title":"x","description":"a\u0007"}`, "description contains a control character (U+0007)"},
		{"ErrNull", `null`, "source is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := intake.ParseGeneric([]byte(tt.body), t0)
			assertBadRequest(t, err, tt.want)
		})
	}
}

func TestHandler_Generic(t *testing.T) {
	ts := MustServe(t, testConfig())
	body := `{"source":"kuma","fingerprint":"api","status":"firing","title":"API down","severity":"critical"}`
	r := ts.post(t, "/hooks/generic", strings.NewReader(body), bearer(genericToken))
	if r.code != 200 || r.body["outcome"] != "declared" {
		t.Fatalf("bearer: %d %s", r.code, r.raw)
	}
	// Signed, at the edge of the tolerance window.
	ts.clk.Add(10 * time.Minute)
	resolved := `{"source":"kuma","fingerprint":"api","status":"resolved"}`
	sig := intake.Sign(genericSecret, ts.clk.Now().Add(-intake.DefaultSignatureTolerance), []byte(resolved))
	r = ts.post(t, "/hooks/generic", strings.NewReader(resolved), map[string]string{intake.SignatureHeader: sig})
	if r.code != 200 || r.body["outcome"] != "resolved" {
		t.Fatalf("signed: %d %s", r.code, r.raw)
	}
	// A rotated secret: the new signature among others.
	sig = intake.Sign("old-secret-000000000000", ts.clk.Now(), []byte(body)) + ",v1=" +
		strings.TrimPrefix(intake.Sign(genericSecret, ts.clk.Now(), []byte(body)), "t="+strconv.FormatInt(ts.clk.Now().Unix(), 10)+",v1=")
	r = ts.post(t, "/hooks/generic", strings.NewReader(body), map[string]string{intake.SignatureHeader: sig})
	if r.code != 200 {
		t.Fatalf("two signatures: %d %s", r.code, r.raw)
	}
	batches, groups, transitions := ts.sink.snapshot()
	if len(batches) != 3 || groups != 1 || !batches[1].Alerts[0].EndsAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("batches %d groups %d, resolved at %v", len(batches), groups, batches[1].Alerts[0].EndsAt)
	}
	if strings.Join(transitions, ";") != "api firing;api resolved;api firing" {
		t.Errorf("transitions = %v", transitions)
	}
}
