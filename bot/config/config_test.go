package config_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
)

func TestDefault(t *testing.T) {
	c := config.Default()
	if err := c.ValidateWithoutTokens(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if got := c.SeverityNames(); strings.Join(got, ",") != "critical,major,minor" {
		t.Errorf("severities = %v", got)
	}
	if c.Slack.APIURL != "https://slack.com/api/" || c.Store.Path != "data/incidentbot.db" || c.HTTP.Listen != "127.0.0.1:8080" {
		t.Errorf("unexpected defaults: %v", c)
	}
	// docker stop kills 10 s after SIGTERM: the grace must end before.
	if c.ShutdownGrace != 8*time.Second || c.Slack.ConnectTimeout != 2*time.Minute || c.Slack.CallTimeout != 10*time.Second {
		t.Errorf("timeouts: shutdown_grace %s, connect_timeout %s, call_timeout %s", c.ShutdownGrace, c.Slack.ConnectTimeout, c.Slack.CallTimeout)
	}
	// Default returns a fresh slice each time: callers may modify it.
	c.Incidents.Severities[0].Name = "changed"
	if config.Default().Incidents.Severities[0].Name != "critical" {
		t.Error("Default shares its severities slice")
	}
}

func TestConfig_Severity(t *testing.T) {
	c := config.Default()
	c.Incidents.Severities[0].RemindBefore = 2 * time.Minute

	t.Run("Override", func(t *testing.T) {
		s, ok := c.Severity("critical")
		if !ok {
			t.Fatal("critical not found")
		}
		if s.RemindBefore != 2*time.Minute || s.EscalateAfter != 10*time.Minute || s.UpdateEvery != 15*time.Minute {
			t.Errorf("got %+v", s)
		}
	})
	t.Run("Inherited", func(t *testing.T) {
		s, ok := c.Severity(" Major ")
		if !ok {
			t.Fatal("major not found")
		}
		if s.RemindBefore != 5*time.Minute || s.EscalateAfter != 10*time.Minute {
			t.Errorf("got %+v", s)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		if _, ok := c.Severity("sev0"); ok {
			t.Error("found a severity that does not exist")
		}
	})
}

func TestConfig_Location(t *testing.T) {
	c := config.Default()
	if c.Location() != time.UTC {
		t.Errorf("UTC: got %v", c.Location())
	}
	c.Timezone = "America/New_York"
	if got := c.Location().String(); got != "America/New_York" {
		t.Errorf("got %v", got)
	}
	c.Timezone = "Not/AZone"
	if c.Location() != time.UTC {
		t.Error("an invalid zone must fall back to UTC")
	}
}

func TestConfig_Normalized(t *testing.T) {
	c := config.Default()
	c.Slack.BotToken = " " + botToken + "\n"
	c.Slack.APIURL = "http://127.0.0.1:9999/api"
	c.Slack.TimelineReaction = ":memo:"
	c.Slack.Admins = []string{" U0123ABCD ", ""}
	c.Log.Level = "DEBUG"
	n := c.Normalized()
	if n.Slack.BotToken != botToken {
		t.Errorf("token not trimmed")
	}
	if n.Slack.APIURL != "http://127.0.0.1:9999/api/" {
		t.Errorf("api_url = %q", n.Slack.APIURL)
	}
	if n.Slack.TimelineReaction != "memo" {
		t.Errorf("timeline_reaction = %q", n.Slack.TimelineReaction)
	}
	if len(n.Slack.Admins) != 1 || n.Slack.Admins[0] != "U0123ABCD" {
		t.Errorf("admins = %q", n.Slack.Admins)
	}
	if n.Log.Level != "debug" {
		t.Errorf("log.level = %q", n.Log.Level)
	}
	// Normalized must not modify the receiver's severities.
	c2 := config.Default()
	c2.Incidents.Severities[0].Name = " critical "
	_ = c2.Normalized()
	if c2.Incidents.Severities[0].Name != " critical " {
		t.Error("Normalized modified the original severities")
	}
}

func TestConfig_Redacted(t *testing.T) {
	c := MustValidConfig(t)
	r := c.Redacted()
	if r.Slack.BotToken != "xoxb-…(redacted)" || r.Slack.AppToken != "xapp-…(redacted)" {
		t.Errorf("got %q %q", r.Slack.BotToken, r.Slack.AppToken)
	}
	if c.Slack.BotToken != botToken {
		t.Error("Redacted modified the receiver")
	}
	if got := config.RedactToken("SECRETVALUE"); got != "…(redacted)" {
		t.Errorf("unknown prefix: %q", got)
	}
	if got := config.RedactToken(""); got != "" {
		t.Errorf("empty: %q", got)
	}
}

func TestConfig_String(t *testing.T) {
	c := MustValidConfig(t)
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("config", "config", c, "slack", c.Slack)
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("config", "config", c, "slack", c.Slack)
	for _, s := range []string{
		c.String(),
		fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c),
		fmt.Sprint(c.Slack), fmt.Sprintf("%#v", c.Slack), fmt.Sprintf("%v", &c),
		logBuf.String(),
	} {
		AssertNoSecret(t, s)
		if !strings.Contains(s, "xoxb-…(redacted)") {
			t.Errorf("missing the redacted bot token: %s", s)
		}
	}
}
