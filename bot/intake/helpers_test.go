package intake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/intake/intaketest"
)

// Credentials of the test configuration. None may ever appear in a log.
const (
	amToken       = "am-token-0123456789abcdef"
	grafanaToken  = "grafana-token-0123456789"
	genericToken  = "generic-token-0123456789"
	genericSecret = "generic-secret-0123456789"
	deployToken   = "deploy-token-0123456789a"
	deploySecret  = "deploy-secret-0123456789"
)

// t0 is the fake clock's start: shortly after the fixtures were captured.
var t0 = time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)

// testConfig enables every hook and routes critical alerts to "page".
func testConfig() intake.Config {
	c := intake.Default()
	c.Hooks = intake.HooksConfig{
		Alertmanager: intake.BearerHookConfig{Token: amToken},
		Grafana:      intake.BearerHookConfig{Token: grafanaToken},
		Generic:      intake.HookConfig{Token: genericToken, SigningSecret: genericSecret},
		Deploy:       intake.HookConfig{Token: deployToken, SigningSecret: deploySecret},
	}
	c.TriageChannel = "#alerts-triage"
	c.Routes = []intake.RouteConfig{
		{Name: "page", Matchers: []string{`severity=~"critical|page"`}, Action: intake.ActionDeclare, Severity: "critical"},
		{Name: "db", Matchers: []string{`service="db"`}, Action: intake.ActionTriage, Channel: "#db-alerts"},
	}
	return c
}

// memSink is an in-memory Sink that does what the bot must: it keeps one
// group per Batch.Key and one deploy per Deploy.Key.
type memSink struct {
	mu      sync.Mutex
	keep    bool // record every batch (tests); off in benchmarks
	batches []intake.Batch
	groups  map[string]intake.Route
	deploys map[string]intake.Deploy
	// transitions records each alert's status changes, once each:
	// "<fingerprint> firing", "<fingerprint> resolved".
	transitions []string
	last        map[string]intake.Status
	err         error // returned by both methods when set
	got         chan intake.Batch
}

func newMemSink(keep bool) *memSink {
	return &memSink{keep: keep, groups: map[string]intake.Route{}, deploys: map[string]intake.Deploy{},
		last: map[string]intake.Status{}, got: make(chan intake.Batch, 100)}
}

func (s *memSink) Alerts(ctx context.Context, b intake.Batch) (intake.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return intake.Result{}, s.err
	}
	if s.keep {
		s.batches = append(s.batches, b)
		for _, a := range b.Alerts {
			if s.last[b.Key+a.Fingerprint] != a.Status {
				s.last[b.Key+a.Fingerprint] = a.Status
				s.transitions = append(s.transitions, a.Fingerprint+" "+string(a.Status))
			}
		}
		select {
		case s.got <- b:
		default:
		}
	}
	var out intake.Outcome
	_, known := s.groups[b.Key]
	switch {
	case b.AllResolved():
		out = intake.OutcomeResolved
	case known:
		out = intake.OutcomeRepeat
	case b.Route.Action == intake.ActionDeclare:
		out = intake.OutcomeDeclared
	default:
		out = intake.OutcomeTriaged
	}
	if !known {
		s.groups[b.Key] = b.Route
	}
	return intake.Result{Outcome: out}, nil
}

func (s *memSink) Deploy(ctx context.Context, d intake.Deploy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if _, ok := s.deploys[d.Key]; !ok {
		s.deploys[d.Key] = d
	}
	return nil
}

func (s *memSink) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *memSink) snapshot() (batches []intake.Batch, groups int, transitions []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]intake.Batch(nil), s.batches...), len(s.groups), append([]string(nil), s.transitions...)
}

// testServer is the handler served on 127.0.0.1 with its sink, clock, log
// and observations.
type testServer struct {
	*httptest.Server
	sink *memSink
	clk  *clock.Fake
	log  *intaketest.Buffer
	mu   sync.Mutex
	obs  []intake.Observation
	// observed gets a value after each observation is recorded.
	observed chan struct{}
}

// waitObserved waits until n requests have been answered: the sink stores
// a batch before its request is answered and observed.
func (ts *testServer) waitObserved(tb testing.TB, n int) {
	tb.Helper()
	for len(ts.observations()) < n {
		select {
		case <-ts.observed:
		case <-time.After(10 * time.Second):
			tb.Fatalf("%d requests answered after 10s, want %d", len(ts.observations()), n)
		}
	}
}

func (ts *testServer) observations() []intake.Observation {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]intake.Observation(nil), ts.obs...)
}

// MustServe starts the handler for cfg on 127.0.0.1.
func MustServe(tb testing.TB, cfg intake.Config) *testServer {
	tb.Helper()
	ts := &testServer{sink: newMemSink(true), clk: clock.NewFake(t0), log: &intaketest.Buffer{}, observed: make(chan struct{}, 1000)}
	h, err := intake.New(intake.Options{
		Config: cfg,
		Sink:   ts.sink,
		Now:    ts.clk.Now,
		Logger: slog.New(slog.NewTextHandler(ts.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Observe: func(o intake.Observation) {
			ts.mu.Lock()
			ts.obs = append(ts.obs, o)
			ts.mu.Unlock()
			ts.observed <- struct{}{}
		},
	})
	if err != nil {
		tb.Fatalf("intake.New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(intake.PathPrefix, h)
	ts.Server = httptest.NewServer(mux)
	tb.Cleanup(ts.Close)
	return ts
}

// response is what a hook answered.
type response struct {
	code   int
	header http.Header
	body   map[string]string
	raw    string
}

// post sends body to path with headers (name → value; "" removes a default).
// Content-Type defaults to application/json.
func (ts *testServer) post(tb testing.TB, path string, body io.Reader, headers map[string]string) response {
	tb.Helper()
	return ts.do(tb, http.MethodPost, path, body, headers)
}

func (ts *testServer) do(tb testing.TB, method, path string, body io.Reader, headers map[string]string) response {
	tb.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	r := response{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		tb.Fatalf("%s %s answered %d with a body that is not a JSON object of strings: %q", method, path, resp.StatusCode, raw)
	}
	return r
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// MustReadFixture returns testdata/name.
func MustReadFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// assertErrorBody checks a refusal: status, a JSON body with exactly an
// "error" naming each of want.
func assertErrorBody(tb testing.TB, r response, code int, want ...string) {
	tb.Helper()
	if r.code != code {
		tb.Errorf("status = %d, want %d (body %s)", r.code, code, r.raw)
	}
	if len(r.body) != 1 || r.body["error"] == "" {
		tb.Errorf("body = %s, want {\"error\": ...}", r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("Content-Type = %q", ct)
	}
	for _, w := range want {
		if !strings.Contains(r.body["error"], w) {
			tb.Errorf("error %q does not say %q", r.body["error"], w)
		}
	}
}

// assertBadRequest checks that err is a 400 *RequestError saying want.
func assertBadRequest(tb testing.TB, err error, want string) {
	tb.Helper()
	var re *intake.RequestError
	if !errors.As(err, &re) || re.Code != http.StatusBadRequest {
		tb.Fatalf("err = %v, want a 400 RequestError", err)
	}
	if !strings.Contains(err.Error(), want) {
		tb.Errorf("err = %q, want it to say %q", err, want)
	}
}
