package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/spf13/viper"
)

const (
	testBotToken = "xoxb-1111-2222-SECRETBOTVALUE"
	testAppToken = "xapp-1-A111-3333-SECRETAPPVALUE"
	examplePath  = "../../config.example.yaml"
)

// MapEnv returns an environment holding only m.
func MapEnv(m map[string]string) map[string]string { return m }

// TokenEnv returns an environment with both Slack tokens set, plus extra
// name, value pairs.
func TokenEnv(extra ...string) map[string]string {
	m := map[string]string{"SLACK_BOT_TOKEN": testBotToken, "SLACK_APP_TOKEN": testAppToken}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// environ returns m as os.Environ would list it.
func environ(m map[string]string) func() []string {
	return func() []string {
		out := make([]string, 0, len(m))
		for k, v := range m {
			out = append(out, k+"="+v)
		}
		return out
	}
}

// MustWriteConfig writes body to a config file in a temporary directory.
func MustWriteConfig(tb testing.TB, body string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// AssertNoSecret fails if s contains a test token beyond its prefix.
func AssertNoSecret(tb testing.TB, s string) {
	tb.Helper()
	for _, secret := range []string{"SECRET", "1111", "3333"} {
		if strings.Contains(s, secret) {
			tb.Errorf("output leaks a token (%q):\n%s", secret, s)
		}
	}
}

// flat renders every leaf of cfg as text, treating nil and empty lists alike.
func flat(cfg config.Config) map[string]string {
	out := make(map[string]string)
	for k, v := range flatten(cfg) {
		b, _ := json.Marshal(v)
		out[k] = strings.ReplaceAll(string(b), "null", "[]")
	}
	return out
}

func TestLoadConfig_Example(t *testing.T) {
	cfg, err := LoadConfig(context.Background(), examplePath, TokenEnv())
	if err != nil {
		t.Fatalf("config.example.yaml does not load: %v", err)
	}

	t.Run("MatchesDefaults", func(t *testing.T) {
		want := config.Default()
		want.Slack.BotToken, want.Slack.AppToken = testBotToken, testAppToken
		got, wantFlat := flat(cfg), flat(want)
		for k, w := range wantFlat {
			if got[k] != w {
				t.Errorf("%s: example has %s, Default() has %s", k, got[k], w)
			}
		}
	})

	t.Run("EveryKeyDocumented", func(t *testing.T) {
		v := viper.New()
		v.SetConfigFile(examplePath)
		if err := v.ReadInConfig(); err != nil {
			t.Fatal(err)
		}
		fileKeys := v.AllKeys()
		sort.Strings(fileKeys)
		known := knownKeys()
		sort.Strings(known)
		if !slices.Equal(fileKeys, known) {
			t.Errorf("keys differ\nexample:   %v\nDefault(): %v", fileKeys, known)
		}
		// Each severity sets what Default() sets, and the example's comment
		// documents the optional overrides.
		body, _ := os.ReadFile(examplePath)
		for _, k := range structKeys(reflectSeverity) {
			if !strings.Contains(string(body), k+":") {
				t.Errorf("severity key %q is not documented in the example", k)
			}
		}
	})

	t.Run("WithoutTokens", func(t *testing.T) {
		if _, err := loadOfflineConfig(examplePath, MapEnv(nil)); err != nil {
			t.Fatalf("example without tokens: %v", err)
		}
		if _, err := LoadConfig(context.Background(), examplePath, MapEnv(nil)); err == nil {
			t.Fatal("LoadConfig accepted a config without tokens")
		}
	})
}

func TestLoadConfig_Env(t *testing.T) {
	path := MustWriteConfig(t, "log:\n  level: warn\n")

	t.Run("OK", func(t *testing.T) {
		cfg, err := LoadConfig(context.Background(), path, TokenEnv(
			"INCIDENTBOT_LOG_LEVEL", "debug",
			"INCIDENTBOT_LOG_FORMAT", "json",
			"INCIDENTBOT_SLACK_ADMINS", "U0123ABCD, W0456EFGH,",
			"INCIDENTBOT_SLACK_ANNOUNCE_CHANNELS", "#incidents",
			"INCIDENTBOT_REMINDERS_SNOOZE", "20m",
			"INCIDENTBOT_REMINDERS_ESCALATE_TO_USERGROUP", "S0123ABCD",
			"INCIDENTBOT_DIGEST_ENABLED", "true",
			"INCIDENTBOT_DIGEST_CHANNEL", "C0123ABCD",
			"INCIDENTBOT_STORE_PATH", "/data/incidentbot.db",
			"INCIDENTBOT_SLACK_API_URL", "http://127.0.0.1:9999/api",
			"INCIDENTBOT_HTTP_LISTEN", "",
		))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Log.Level != "debug" || cfg.Log.Format != "json" {
			t.Errorf("log = %+v", cfg.Log)
		}
		if !slices.Equal(cfg.Slack.Admins, []string{"U0123ABCD", "W0456EFGH"}) {
			t.Errorf("admins = %q", cfg.Slack.Admins)
		}
		if !slices.Equal(cfg.Slack.AnnounceChannels, []string{"#incidents"}) {
			t.Errorf("announce_channels = %q", cfg.Slack.AnnounceChannels)
		}
		if cfg.Reminders.Snooze != 20*time.Minute || cfg.Reminders.EscalateTo.Usergroup != "S0123ABCD" {
			t.Errorf("reminders = %+v", cfg.Reminders)
		}
		if !cfg.Digest.Enabled || cfg.Digest.Channel != "C0123ABCD" {
			t.Errorf("digest = %+v", cfg.Digest)
		}
		if cfg.Store.Path != "/data/incidentbot.db" {
			t.Errorf("store.path = %q", cfg.Store.Path)
		}
		if cfg.Slack.APIURL != "http://127.0.0.1:9999/api/" {
			t.Errorf("api_url = %q (want a trailing slash added)", cfg.Slack.APIURL)
		}
		if cfg.Slack.BotToken != testBotToken || cfg.Slack.AppToken != testAppToken {
			t.Error("tokens not read from SLACK_BOT_TOKEN / SLACK_APP_TOKEN")
		}
		if cfg.HTTP.Listen != "127.0.0.1:8080" {
			t.Errorf("an empty variable must count as unset, got listen %q", cfg.HTTP.Listen)
		}
	})

	t.Run("PrefixedTokenWins", func(t *testing.T) {
		cfg, err := LoadConfig(context.Background(), path, TokenEnv("INCIDENTBOT_SLACK_BOT_TOKEN", "xoxb-from-prefixed-var"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Slack.BotToken != "xoxb-from-prefixed-var" {
			t.Errorf("bot token = %q", config.RedactToken(cfg.Slack.BotToken))
		}
	})

	t.Run("ErrBadDuration", func(t *testing.T) {
		_, err := LoadConfig(context.Background(), path, TokenEnv("INCIDENTBOT_SCHEDULER_TICK", "often"))
		if err == nil || !strings.Contains(err.Error(), `INCIDENTBOT_SCHEDULER_TICK: expected a duration, got "often" (write durations like 90s, 15m or 1h30m)`) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("ErrSeverities", func(t *testing.T) {
		_, err := LoadConfig(context.Background(), path, TokenEnv("INCIDENTBOT_INCIDENTS_SEVERITIES", "sev1"))
		if err == nil || !strings.Contains(err.Error(), "INCIDENTBOT_INCIDENTS_SEVERITIES: incidents.severities cannot be set in the environment") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("ErrInvalidValue", func(t *testing.T) {
		_, err := LoadConfig(context.Background(), path, TokenEnv("INCIDENTBOT_LOG_LEVEL", "loud"))
		var cerr *ConfigError
		if !errors.As(err, &cerr) || len(cerr.Problems) != 1 {
			t.Fatalf("got %v", err)
		}
		if want := fmt.Sprintf(`config file %q: INCIDENTBOT_LOG_LEVEL: "loud" is not a level`, path); !strings.HasPrefix(err.Error(), want) {
			t.Errorf("got %q, want prefix %q", err, want)
		}
	})
}

func TestLoadConfig_File(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // substrings of the error; nil: must load
	}{
		{"OK", "slack:\n  admins: [U0123ABCD]\nincidents:\n  severities:\n    - name: sev1\n      description: Down\n      update_every: 10m\n      remind_before: 2m\n      escalate_after: 5m\n  default_severity: sev1\n", nil},
		{"OKEmptyFile", "", nil},
		{"OKEmptySection", "digest:\npostmortem: {}\n", nil},
		{"OKCaseInsensitiveKeys", "Log:\n  Level: debug\n", nil},
		{"ErrUnknownKey", "slack:\n  bot_tokn: x\n", []string{`slack.bot_tokn: unknown key (did you mean "slack.bot_token"?`}},
		{"ErrUnknownSection", "alerting:\n  enabled: true\n", []string{"alerting.enabled: unknown key", "config.example.yaml"}},
		{"ErrUnknownSeverityKey", "incidents:\n  severities:\n    - name: sev1\n      description: Down\n      updateevery: 10m\n", []string{`incidents.severities[0].updateevery: unknown key (did you mean "incidents.severities[0].update_every"?`}},
		{"ErrSeverityNotMapping", "incidents:\n  severities: [critical]\n", []string{"incidents.severities[0]: not a mapping"}},
		{"ErrLeafAsSection", "timezone:\n  name: UTC\n", []string{"timezone: expected a single value, got a section of keys"}},
		{"ErrManyUnknown", "slak:\nlog:\n  lvl: debug\n", []string{"has 2 problems", "\n  log.lvl: unknown key", "\n  slak: unknown key"}},
		{"ErrTokenInFile", "slack:\n  bot_token: " + testBotToken + "\n", []string{"slack.bot_token: set in the config file", "SLACK_BOT_TOKEN"}},
		{"ErrMalformed", "slack:\n  admins: [U1\nlog:\n  level: info\n", []string{"line ", "fix the YAML syntax"}},
		{"ErrMalformedIndent", "log:\n  level: info\n format: json\n", []string{"yaml: line 2: did not find expected key"}},
		{"ErrDurationNoUnit", "incidents:\n  severities:\n    - name: sev1\n      description: Down\n      update_every: 15\n  default_severity: sev1\n", []string{"incidents.severities[0].update_every: 15 has no unit"}},
		{"ErrDurationWord", "reminders:\n  snooze: soon\n", []string{`reminders.snooze: expected a duration, got "soon"`}},
		{"ErrWrongType", "digest:\n  enabled: maybe\n", []string{`digest.enabled: expected true or false, got "maybe"`}},
		{"ErrValidation", "timezone: Mars/Base\nscheduler:\n  tick: 10ms\n", []string{"has 2 problems", "\n  timezone: unknown time zone", "\n  scheduler.tick: 10ms is below"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := MustWriteConfig(t, tt.body)
			_, err := LoadConfig(context.Background(), path, TokenEnv())
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, fmt.Sprintf("config file %q", path)) {
				t.Errorf("error does not name the file: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			AssertNoSecret(t, msg)
		})
	}

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := LoadConfig(context.Background(), filepath.Join(t.TempDir(), "x.yaml"), TokenEnv())
		if err == nil || !strings.HasSuffix(err.Error(), `x.yaml": not found (copy config.example.yaml)`) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("ErrDirectory", func(t *testing.T) {
		_, err := LoadConfig(context.Background(), t.TempDir(), TokenEnv())
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("OKNoExtension", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "incidentbot.conf")
		if err := os.WriteFile(path, []byte("log:\n  level: error\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(context.Background(), path, TokenEnv())
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Log.Level != "error" {
			t.Errorf("level = %q", cfg.Log.Level)
		}
	})
}

func TestEnvName(t *testing.T) {
	if got := EnvName("reminders.escalate_to.usergroup"); got != "INCIDENTBOT_REMINDERS_ESCALATE_TO_USERGROUP" {
		t.Errorf("got %q", got)
	}
}

func TestNewLogger(t *testing.T) {
	t.Run("JSON", func(t *testing.T) {
		var buf bytes.Buffer
		l := NewLogger(config.LogConfig{Level: "debug", Format: "json"}, &buf)
		l.Debug("hello", "incident_id", 7)
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("not JSON: %q", buf.String())
		}
		if rec["msg"] != "hello" || rec["incident_id"] != float64(7) {
			t.Errorf("got %v", rec)
		}
	})
	t.Run("TextLevel", func(t *testing.T) {
		var buf bytes.Buffer
		l := NewLogger(config.LogConfig{Level: "warn", Format: "text"}, &buf)
		l.Info("hidden")
		l.Warn("shown")
		if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "level=WARN msg=shown") {
			t.Errorf("got %q", got)
		}
	})
}

var reflectSeverity = reflect.TypeFor[config.Severity]()
