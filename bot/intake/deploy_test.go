package intake_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
)

func TestParseDeploy(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		d, err := intake.ParseDeploy([]byte(`{"id":"ci-981","service":" payments ","version":"v1.42.0","environment":"production",
			"time":"2026-11-22T02:20:00+01:00","link":"https://ci.example/runs/981","commit":"9f8e7d6","author":"alice"}`), t0)
		if err != nil {
			t.Fatal(err)
		}
		want := intake.Deploy{
			Key: intake.DedupeKey(intake.HookDeploy, "id", "ci-981"), ID: "ci-981",
			Service: "payments", Version: "v1.42.0", Environment: "production",
			Time: time.Date(2026, 11, 22, 1, 20, 0, 0, time.UTC), Link: "https://ci.example/runs/981",
			Commit: "9f8e7d6", Author: "alice", ReceivedAt: t0,
		}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("deploy:\n got %+v\nwant %+v", d, want)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		d, err := intake.ParseDeploy([]byte(`{"service":"payments","version":"v2","environment":"staging"}`), t0)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Time.Equal(t0) || d.Key != intake.DeployKey(d) || d.Key == "" {
			t.Errorf("deploy = %+v", d)
		}
		// Without an ID, a retry that repeats the time is the same deploy;
		// another time is another deploy.
		again, _ := intake.ParseDeploy([]byte(`{"service":"payments","version":"v2","environment":"staging","time":"2026-11-22T01:30:00Z"}`), t0.Add(time.Minute))
		later, _ := intake.ParseDeploy([]byte(`{"service":"payments","version":"v2","environment":"staging"}`), t0.Add(time.Minute))
		if again.Key != d.Key || later.Key == d.Key {
			t.Errorf("keys: first %s, retry %s, later %s", d.Key, again.Key, later.Key)
		}
	})
	t.Run("SlightlyAhead", func(t *testing.T) {
		if _, err := intake.ParseDeploy([]byte(`{"service":"a","version":"1","environment":"p","time":"2026-11-22T01:34:59Z"}`), t0); err != nil {
			t.Errorf("a deploy 4m59s ahead (clock drift) is refused: %v", err)
		}
	})

	tests := []struct{ name, body, want string }{
		{"ErrServiceMissing", `{"version":"1","environment":"prod"}`, "service is missing"},
		{"ErrVersionMissing", `{"service":"a","environment":"prod"}`, "version is missing"},
		{"ErrEnvironmentMissing", `{"service":"a","version":"1","environment":"  "}`, "environment is missing"},
		{"ErrServiceLong", `{"service":"` + strings.Repeat("s", 101) + `","version":"1","environment":"p"}`, "service is 101 bytes long; the limit is 100"},
		{"ErrServiceControl", `{"service":"a\tb","version":"1","environment":"p"}`, "service contains a control character"},
		{"ErrLink", `{"service":"a","version":"1","environment":"p","link":"ci.example/runs/1"}`, `link: "ci.example/runs/1" is not an absolute http(s) URL`},
		{"ErrTime", `{"service":"a","version":"1","environment":"p","time":"22/11/2026 01:20"}`, `time: "22/11/2026 01:20" is not an RFC 3339 time`},
		{"ErrTimeAhead", `{"service":"a","version":"1","environment":"p","time":"2026-11-22T02:30:00Z"}`, "is 1h0m0s ahead of incidentbot's clock: send UTC"},
		{"ErrTimeAncient", `{"service":"a","version":"1","environment":"p","time":"1970-01-01T00:00:01Z"}`, "before 2000"},
		{"ErrUnknownField", `{"service":"a","version":"1","environment":"p","env":"prod"}`, `unknown field "env"; the fields are: id, service, version, environment, time, link, commit, author`},
		{"ErrVersionNumber", `{"service":"a","version":1.2,"environment":"p"}`, `field "version" must be a string, not a JSON number`},
		{"ErrNotObject", `"deploy"`, "must be a JSON object, not a JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := intake.ParseDeploy([]byte(tt.body), t0)
			assertBadRequest(t, err, tt.want)
		})
	}
}

func TestHandler_Deploy(t *testing.T) {
	ts := MustServe(t, testConfig())
	body := `{"id":"run-1","service":"payments","version":"v3","environment":"production","link":"https://ci.example/1"}`
	for range 2 { // a retry records nothing new
		r := ts.post(t, "/hooks/deploy", strings.NewReader(body), bearer(deployToken))
		if r.code != 200 || r.body["outcome"] != "recorded" || r.body["key"] != intake.DedupeKey(intake.HookDeploy, "id", "run-1") {
			t.Fatalf("%d %s", r.code, r.raw)
		}
	}
	ts.sink.mu.Lock()
	defer ts.sink.mu.Unlock()
	if len(ts.sink.deploys) != 1 {
		t.Errorf("deploys = %d, want 1", len(ts.sink.deploys))
	}
	for _, d := range ts.sink.deploys {
		if !d.Time.Equal(t0) || d.Service != "payments" {
			t.Errorf("deploy = %+v", d)
		}
	}
}
