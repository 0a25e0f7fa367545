package intake_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
)

func alert(status intake.Status, source string, labels ...string) intake.Alert {
	a := intake.Alert{Source: source, Status: status, Labels: map[string]string{}}
	for i := 0; i+1 < len(labels); i += 2 {
		a.Labels[labels[i]] = labels[i+1]
	}
	return a
}

func TestRouter(t *testing.T) {
	c := intake.Default()
	c.TriageChannel = "#triage"
	c.Routes = []intake.RouteConfig{
		{Name: "page", Matchers: []string{`severity=~"critical|page"`, `env!="staging"`}, Action: intake.ActionDeclare, Severity: "critical", Playbook: "outage"},
		{Matchers: []string{`{team="db", severity="warning"}`}, Sources: []string{"grafana"}, Action: intake.ActionTriage, Channel: "C0DBTEAM1"},
		{Name: "kuma", Sources: []string{"kuma"}, Action: intake.ActionDeclare, Type: "availability"},
	}
	rt, err := intake.NewRouter(c)
	if err != nil {
		t.Fatal(err)
	}
	const firing, resolved = intake.StatusFiring, intake.StatusResolved
	tests := []struct {
		name   string
		alerts []intake.Alert
		want   string // route name
	}{
		{"CriticalProd", []intake.Alert{alert(firing, "alertmanager", "severity", "critical", "env", "prod")}, "page"},
		{"PageNoEnv", []intake.Alert{alert(firing, "grafana", "severity", "page")}, "page"},
		{"CriticalStaging", []intake.Alert{alert(firing, "alertmanager", "severity", "critical", "env", "staging")}, "default"},
		{"DBWarningGrafana", []intake.Alert{alert(firing, "grafana", "team", "db", "severity", "warning")}, "route 2"},
		{"DBWarningAlertmanager", []intake.Alert{alert(firing, "alertmanager", "team", "db", "severity", "warning")}, "default"},
		{"GenericSource", []intake.Alert{alert(firing, "kuma")}, "kuma"},
		{"FirstRouteWins", []intake.Alert{alert(firing, "kuma", "severity", "critical")}, "page"},
		{"EarliestRouteOfAnyFiringAlert", []intake.Alert{
			alert(firing, "grafana", "team", "db", "severity", "warning"),
			alert(firing, "grafana", "team", "db", "severity", "critical"),
		}, "page"},
		{"ResolvedAlertsDoNotRouteAFiringGroup", []intake.Alert{
			alert(resolved, "grafana", "severity", "critical"),
			alert(firing, "grafana", "team", "db", "severity", "warning"),
		}, "route 2"},
		{"AllResolvedRouteByAll", []intake.Alert{
			alert(resolved, "grafana", "team", "db", "severity", "warning"),
			alert(resolved, "grafana", "severity", "critical"),
		}, "page"},
		{"NoLabels", []intake.Alert{alert(firing, "alertmanager")}, "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rt.Match(intake.Batch{Alerts: tt.alerts}); got.Name != tt.want {
				t.Errorf("Match = %q, want %q", got.Name, tt.want)
			}
		})
	}

	got := rt.Match(intake.Batch{Alerts: []intake.Alert{alert(firing, "grafana", "team", "db", "severity", "warning")}})
	want := intake.Route{Name: "route 2", Index: 1, Action: intake.ActionTriage, Channel: "C0DBTEAM1"}
	if got != want {
		t.Errorf("route 2 = %+v, want %+v", got, want)
	}
	got = rt.MatchAlert(alert(firing, "alertmanager", "severity", "critical"))
	want = intake.Route{Name: "page", Index: 0, Action: intake.ActionDeclare, Severity: "critical", Playbook: "outage"}
	if got != want {
		t.Errorf("page = %+v, want %+v", got, want)
	}
	got = rt.MatchAlert(alert(firing, "alertmanager"))
	want = intake.Route{Name: "default", Index: -1, Action: intake.ActionTriage, Channel: "#triage"}
	if got != want {
		t.Errorf("default = %+v, want %+v", got, want)
	}
}

func TestConfig_Validate(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		if err := intake.Default().Validate(); err != nil {
			t.Errorf("the defaults do not validate: %v", err)
		}
		if err := testConfig().Validate(); err != nil {
			t.Errorf("the test config does not validate: %v", err)
		}
	})

	tests := []struct {
		name   string
		modify func(c *intake.Config)
		want   []string // each must appear; the first names the key
	}{
		{"ErrMaxBody", func(c *intake.Config) { c.MaxBodyBytes = 10 }, []string{"intake.max_body_bytes: must be between 1024"}},
		{"ErrTolerance", func(c *intake.Config) { c.SignatureTolerance = 2 * time.Hour }, []string{"intake.signature_tolerance: must be between 10s and 1h, got 2h0m0s"}},
		{"ErrShortToken", func(c *intake.Config) { c.Hooks.Alertmanager.Token = "short" }, []string{"intake.hooks.alertmanager.token: is 5 characters; use at least 16", "openssl rand"}},
		{"ErrTokenSpace", func(c *intake.Config) { c.Hooks.Deploy.Token = "deploy-token-0123456789a\n" }, []string{"intake.hooks.deploy.token: contains whitespace"}},
		{"ErrShortSecret", func(c *intake.Config) { c.Hooks.Generic.SigningSecret = "abc" }, []string{"intake.hooks.generic.signing_secret: is 3 characters"}},
		{"ErrTriageChannel", func(c *intake.Config) { c.TriageChannel = "alerts" }, []string{`intake.triage_channel: "alerts" is not a channel`}},
		{"ErrNoTriageChannel", func(c *intake.Config) { c.TriageChannel = "" }, []string{"intake.default_route.channel: a triage route needs a channel", "set intake.triage_channel"}},
		{"ErrAction", func(c *intake.Config) { c.Routes[0].Action = "page" }, []string{`intake.routes[0].action: "page" is not an action: use declare`}},
		{"ErrActionMissing", func(c *intake.Config) { c.Routes[1].Action = "" }, []string{"intake.routes[1].action: missing"}},
		{"ErrMatcher", func(c *intake.Config) { c.Routes[1].Matchers = []string{`service="db"`, `severity=~"(warn"`} },
			[]string{"intake.routes[1].matchers[1]: invalid regular expression \"(warn\": missing closing )", "column 11"}},
		{"ErrSource", func(c *intake.Config) { c.Routes[0].Sources = []string{"Grafana"} }, []string{`intake.routes[0].sources[0]: "Grafana" is not a source name`}},
		{"ErrSeverity", func(c *intake.Config) { c.Routes[0].Severity = "P1 High" }, []string{`intake.routes[0].severity: "P1 High" is not a severity name`}},
		{"ErrDeclareChannel", func(c *intake.Config) { c.Routes[0].Channel = "#x" }, []string{"intake.routes[0].channel: only triage routes post to a channel"}},
		{"ErrRouteChannel", func(c *intake.Config) { c.Routes[1].Channel = "db alerts" }, []string{`intake.routes[1].channel: "db alerts" is not a channel`}},
		{"ErrRouteName", func(c *intake.Config) { c.Routes[1].Name = "db\nalerts" }, []string{"intake.routes[1].name:"}},
		{"ErrDefaultMatchers", func(c *intake.Config) { c.DefaultRoute.Matchers = []string{"a=b"} }, []string{"intake.default_route: takes no matchers or sources"}},
		{"ErrDefaultAction", func(c *intake.Config) { c.DefaultRoute.Action = "drop" }, []string{`intake.default_route.action: "drop" is not an action`}},
		{"ErrSeveral", func(c *intake.Config) { c.MaxBodyBytes = 0; c.Routes[0].Action = "" }, []string{"intake.max_body_bytes", "\nintake.routes[0].action"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.modify(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want[0])
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to say %q", err, w)
				}
			}
			for _, secret := range []string{amToken, grafanaToken, genericToken, genericSecret, deployToken, deploySecret, "alertmanager-secret-0123"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		})
	}

	t.Run("TriageChannelNotNeededWhenOff", func(t *testing.T) {
		c := intake.Default()
		c.Hooks.Deploy.Token = deployToken // deploys only: no alert is ever triaged
		if err := c.Validate(); err != nil {
			t.Error(err)
		}
	})
}

func TestConfig_ValidateRefs(t *testing.T) {
	c := testConfig()
	c.Routes[0].Type = "outage"
	c.Routes[1].Playbook = "db-failover"
	c.DefaultRoute.Severity = "sev9"
	err := c.ValidateRefs(intake.Refs{Severities: []string{"critical", "major", "minor"}, Types: []string{"security"}, Playbooks: nil})
	want := []string{
		`intake.routes[0].type: incident type "outage" is not defined; known: security`,
		`intake.default_route.severity: severity "sev9" is not defined; known: critical, major, minor`,
	}
	if err == nil {
		t.Fatal("ValidateRefs = nil")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("ValidateRefs = %q, want %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "db-failover") {
		t.Errorf("playbooks were checked against a nil list: %v", err)
	}
	if err := testConfig().ValidateRefs(intake.Refs{Severities: []string{"critical"}}); err != nil {
		t.Errorf("valid refs: %v", err)
	}
}

func TestDedupeKey(t *testing.T) {
	a := intake.DedupeKey(intake.HookGeneric, "ab", "c")
	b := intake.DedupeKey(intake.HookGeneric, "a", "bc")
	if a == b {
		t.Error("the parts run together")
	}
	if !strings.HasPrefix(a, "generic:") || len(a) != len("generic:")+32 {
		t.Errorf("key %q", a)
	}
	if intake.DedupeKey(intake.HookAlertmanager, "x") == intake.DedupeKey(intake.HookGrafana, "x") {
		t.Error("two hooks share a key")
	}
	if a != intake.DedupeKey(intake.HookGeneric, "ab", "c") {
		t.Error("the key is not stable")
	}
}
