package intake_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
)

// checkBatch asserts what every accepted batch promises the Sink.
func checkBatch(t *testing.T, b intake.Batch, hook string) {
	t.Helper()
	if b.Hook != hook || !strings.HasPrefix(b.Key, hook+":") || b.GroupKey == "" || len(b.Alerts) == 0 {
		t.Fatalf("batch: hook %q key %q groupKey %q alerts %d", b.Hook, b.Key, b.GroupKey, len(b.Alerts))
	}
	for i, a := range b.Alerts {
		if a.Status != intake.StatusFiring && a.Status != intake.StatusResolved {
			t.Fatalf("alerts[%d].Status = %q", i, a.Status)
		}
		if a.Firing() && !a.EndsAt.IsZero() {
			t.Fatalf("alerts[%d] fires with EndsAt %v", i, a.EndsAt)
		}
		if a.Fingerprint == "" || a.Labels == nil || a.Annotations == nil {
			t.Fatalf("alerts[%d]: fingerprint %q labels %v annotations %v", i, a.Fingerprint, a.Labels, a.Annotations)
		}
		for _, l := range append(a.Links, intake.Link{URL: a.GeneratorURL}) {
			if l.URL != "" && !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") {
				t.Fatalf("alerts[%d] links to %q", i, l.URL)
			}
		}
	}
}

// checkRefusal asserts that a refusal is a 400 with a message.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var re *intake.RequestError
	if !errors.As(err, &re) || re.Code != http.StatusBadRequest || re.Message == "" {
		t.Fatalf("error %v (%T) is not a 400 RequestError with a message", err, err)
	}
}

func addFixtures(f *testing.F, prefix string) {
	for _, fx := range fixtures {
		if strings.HasPrefix(fx.file, prefix) {
			f.Add(MustReadFixture(f, fx.file))
		}
	}
	for _, s := range []string{``, `{}`, `null`, `[]`, `{"version":"4"}`, `{"version":"1","groupKey":"k","alerts":[{}]}`,
		`{"version":"4","groupKey":"k","alerts":[{"status":"firing","endsAt":"2026-01-01T00:00:00Z"}]}`,
		`{"version":"4","groupKey":"k","alerts":[{"status":"resolved","startsAt":"x"}]}`} {
		f.Add([]byte(s))
	}
}

// fuzzBatches fuzzes an Alertmanager-shaped parser from the fixtures whose
// names start with prefix.
func fuzzBatches(f *testing.F, prefix, hook string, parse func([]byte, time.Time) (intake.Batch, error)) {
	addFixtures(f, prefix)
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := parse(body, t0)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		checkBatch(t, b, hook)
	})
}

func FuzzParseAlertmanager(f *testing.F) {
	fuzzBatches(f, "alertmanager_", intake.HookAlertmanager, intake.ParseAlertmanager)
}

func FuzzParseGrafana(f *testing.F) {
	fuzzBatches(f, "grafana_", intake.HookGrafana, intake.ParseGrafana)
}

func FuzzParseGeneric(f *testing.F) {
	for _, s := range []string{
		`{"source":"kuma","fingerprint":"f","status":"firing","title":"x","severity":"high","labels":{"a":"b"},"links":[{"url":"https://a"}]}`,
		`{"source":"kuma","fingerprint":"f","status":"resolved","starts_at":"2026-11-22T01:00:00Z","ends_at":"2026-11-22T02:00:00Z"}`,
		`{"source":"kuma","fingerprint":"f","status":"firing","title":"x","annotations":{"runbook_url":"http://r"}}`,
		`{"source":"x"}`, `{}`, `[1]`, `{"source":"kuma","fingerprint":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := intake.ParseGeneric(body, t0)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		checkBatch(t, b, intake.HookGeneric)
		a := b.Alerts[0]
		if a.Firing() && a.Summary == "" {
			t.Fatal("a firing generic alert without a title")
		}
		if !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
			t.Fatalf("ends %v before it starts %v", a.EndsAt, a.StartsAt)
		}
	})
}

func FuzzParseDeploy(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","service":"a","version":"1","environment":"p","time":"2026-11-22T01:00:00Z","link":"https://ci/1","commit":"c","author":"x"}`,
		`{"service":"a","version":"1","environment":"p"}`,
		`{"service":"a","version":"1","environment":"p","time":"9999-12-31T23:59:59Z"}`,
		`{}`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := intake.ParseDeploy(body, t0)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if d.Service == "" || d.Version == "" || d.Environment == "" || d.Key != intake.DeployKey(d) ||
			d.Time.IsZero() || d.Time.After(t0.Add(5*time.Minute)) {
			t.Fatalf("deploy = %+v", d)
		}
		if d.Link != "" && !strings.HasPrefix(d.Link, "http") {
			t.Fatalf("link %q", d.Link)
		}
	})
}

// FuzzParseMatchers: the parser never panics, and what it parses prints
// back to matchers that parse to the same.
func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{
		`severity="critical"`, `{foo = "bar", dings != "bums", }`, `severity=~critical|page, team!~"db|infra"`,
		`code=~"5\d\d"`, `quote="She said: \"Hi\""`, `a=`, `{}`, `a="b`, `a=~"(x"`, "a=\xff", `a=b}`, `a==b`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := intake.ParseMatchers(s)
		if err != nil {
			var me *intake.MatcherError
			if !errors.As(err, &me) || me.Column < 1 || me.Column > len(s)+1 {
				t.Fatalf("error %v (%T): want a *MatcherError with a column within the input", err, err)
			}
			return
		}
		var parts []string
		for _, m := range ms {
			parts = append(parts, m.String())
		}
		again, err := intake.ParseMatchers("{" + strings.Join(parts, ", ") + "}")
		if err != nil {
			t.Fatalf("%q printed as %q does not parse: %v", s, parts, err)
		}
		if len(again) != len(ms) {
			t.Fatalf("%q: %d matchers, reprinted %d", s, len(ms), len(again))
		}
		for i := range ms {
			if again[i].Name != ms[i].Name || again[i].Type != ms[i].Type || again[i].Value != ms[i].Value {
				t.Fatalf("%q: matcher %d %s became %s", s, i, ms[i], again[i])
			}
		}
	})
}
