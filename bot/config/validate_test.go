package config_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // timezone tests must not depend on the host's zoneinfo

	"github.com/incidentbot/incidentbot/bot/config"
)

const (
	botToken = "xoxb-1111-2222-SECRETBOTVALUE"
	appToken = "xapp-1-A111-3333-SECRETAPPVALUE"
)

// MustValidConfig returns the defaults with both tokens set.
func MustValidConfig(tb testing.TB) config.Config {
	tb.Helper()
	c := config.Default()
	c.Slack.BotToken = botToken
	c.Slack.AppToken = appToken
	if err := c.Validate(); err != nil {
		tb.Fatalf("defaults with tokens do not validate: %v", err)
	}
	return c
}

func TestConfig_Validate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c := MustValidConfig(t)
		c.HTTP.Listen = ""
		c.Slack.AnnounceChannels = []string{"#incidents", "C0123ABCD", "G0123ABCD"}
		c.Slack.Admins = []string{"U0123ABCD", "W0123ABCD"}
		c.Reminders.EscalateTo = config.EscalateTo{Usergroup: "S0123ABCD", Users: []string{"U0123ABCD"}}
		c.Digest = config.DigestConfig{Enabled: true, Schedule: "30 8 * * *", Channel: "#ops"}
		c.Incidents.Severities[0].RemindBefore = 2 * time.Minute
		c.Incidents.Severities[0].EscalateAfter = 5 * time.Minute
		c.Postmortem = config.PostmortemConfig{Dir: "postmortems", GitCommit: true, ArchiveAfter: 72 * time.Hour}
		c.Timezone = "Europe/Berlin"
		c.Log = config.LogConfig{Level: "debug", Format: "json"}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})

	tests := []struct {
		name   string
		modify func(c *config.Config)
		want   []string // each must appear in the error, first is the key
	}{
		{"ErrBotTokenMissing", func(c *config.Config) { c.Slack.BotToken = "" }, []string{"slack.bot_token: missing", "SLACK_BOT_TOKEN"}},
		{"ErrBotTokenUser", func(c *config.Config) { c.Slack.BotToken = "xoxp-9999-SECRETUSER" },
			[]string{"slack.bot_token: is a user token", "(xoxp-…)", "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…)"}},
		{"ErrAppTokenUser", func(c *config.Config) { c.Slack.AppToken = "xoxp-9999-SECRETUSER" },
			[]string{"slack.app_token: is a user token", "set SLACK_APP_TOKEN to an app-level token (xapp-…) with connections:write"}},
		{"ErrBotTokenRefresh", func(c *config.Config) { c.Slack.BotToken = "xoxe-1-SECRETREFRESH" }, []string{"slack.bot_token: is a refresh token", "rotation"}},
		{"ErrTokensSwapped", func(c *config.Config) { c.Slack.BotToken, c.Slack.AppToken = appToken, botToken },
			[]string{"slack.bot_token: holds an app-level token (xapp-…) and SLACK_APP_TOKEN a bot token (xoxb-…): the two are swapped"}},
		{"ErrBotTokenIsAppToken", func(c *config.Config) { c.Slack.BotToken = appToken },
			[]string{"slack.bot_token: is an app-level token (xapp-…), which belongs in SLACK_APP_TOKEN; set SLACK_BOT_TOKEN to the Bot User OAuth Token"}},
		{"ErrAppTokenIsBotToken", func(c *config.Config) { c.Slack.AppToken = botToken },
			[]string{"slack.app_token: is a bot token (xoxb-…), which belongs in SLACK_BOT_TOKEN; set SLACK_APP_TOKEN to an app-level token"}},
		{"ErrBotTokenWhitespace", func(c *config.Config) { c.Slack.BotToken = "xoxb-1111 SECRETBOTVALUE" }, []string{"slack.bot_token: contains whitespace"}},
		{"ErrBotTokenChars", func(c *config.Config) { c.Slack.BotToken = "xoxb-1111-SECRETBOTVALUE\"," }, []string{"slack.bot_token: contains characters no Slack token has"}},
		{"ErrBotTokenQuoted", func(c *config.Config) { c.Slack.BotToken = `"xoxb-1111-SECRETBOTVALUE"` }, []string{"slack.bot_token: starts with a quote"}},
		{"ErrAppTokenMissing", func(c *config.Config) { c.Slack.AppToken = "" }, []string{"slack.app_token: missing", "SLACK_APP_TOKEN", "connections:write"}},
		{"ErrAppTokenUnknownPrefix", func(c *config.Config) { c.Slack.AppToken = "SECRETAPPVALUE" }, []string{"slack.app_token: must start with xapp-"}},
		{"ErrConnectTimeout", func(c *config.Config) { c.Slack.ConnectTimeout = 500 * time.Millisecond }, []string{"slack.connect_timeout: 500ms is below the minimum of 1s"}},
		{"ErrCallTimeout", func(c *config.Config) { c.Slack.CallTimeout = 0 }, []string{"slack.call_timeout: 0s is below the minimum of 1s"}},
		{"ErrShutdownGrace", func(c *config.Config) { c.ShutdownGrace = 0 }, []string{"shutdown_grace: must be greater than 0"}},
		{"ErrTooManySeverities", func(c *config.Config) { c.Incidents.Severities = manySeverities(101) },
			[]string{"incidents.severities: 101 severities, more than the 100 a Slack menu can list"}},
		{"ErrSeverityNameLong", func(c *config.Config) { c.Incidents.Severities[0].Name = strings.Repeat("s", 76) },
			[]string{"incidents.severities[0].name: is 76 characters, more than the 75 a Slack menu option shows"}},
		{"ErrAPIURLMissing", func(c *config.Config) { c.Slack.APIURL = "" }, []string{"slack.api_url: missing"}},
		{"ErrAPIURLScheme", func(c *config.Config) { c.Slack.APIURL = "ftp://slack.com/api/" }, []string{"slack.api_url:", "http(s)"}},
		{"ErrAPIURLNoHost", func(c *config.Config) { c.Slack.APIURL = "https:///api/" }, []string{"slack.api_url:", "http(s)"}},
		{"ErrAPIURLSlash", func(c *config.Config) { c.Slack.APIURL = "https://slack.com/api" }, []string{"slack.api_url: must end with /"}},
		{"ErrAnnounceBareName", func(c *config.Config) { c.Slack.AnnounceChannels = []string{"#ok", "incidents"} }, []string{"slack.announce_channels[1]:", `"#incidents"`}},
		{"ErrAnnounceBad", func(c *config.Config) { c.Slack.AnnounceChannels = []string{"#Incidents!"} }, []string{"slack.announce_channels[0]:", "channel ID"}},
		{"ErrAdminName", func(c *config.Config) { c.Slack.Admins = []string{"@alice"} }, []string{"slack.admins[0]:", "not a Slack user ID", "Copy member ID"}},
		{"ErrReactionMissing", func(c *config.Config) { c.Slack.TimelineReaction = "" }, []string{"slack.timeline_reaction: missing"}},
		{"ErrReactionColons", func(c *config.Config) { c.Slack.TimelineReaction = ":pushpin:" }, []string{"slack.timeline_reaction:", "without colons"}},
		{"ErrPrefixMissing", func(c *config.Config) { c.Slack.ChannelPrefix = "" }, []string{"slack.channel_prefix: missing"}},
		{"ErrPrefixChars", func(c *config.Config) { c.Slack.ChannelPrefix = "INC!" }, []string{"slack.channel_prefix:", "a-z, 0-9"}},
		{"ErrPrefixLong", func(c *config.Config) { c.Slack.ChannelPrefix = strings.Repeat("a", 21) }, []string{"slack.channel_prefix: is 21 characters, longer than 20"}},
		{"ErrStorePath", func(c *config.Config) { c.Store.Path = "" }, []string{"store.path: missing"}},
		{"ErrListenNoPort", func(c *config.Config) { c.HTTP.Listen = "localhost" }, []string{"http.listen:", "host:port"}},
		{"ErrListenBadPort", func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:70000" }, []string{"http.listen:", "invalid port"}},
		{"ErrTimezoneMissing", func(c *config.Config) { c.Timezone = "" }, []string{"timezone: missing"}},
		{"ErrTimezoneUnknown", func(c *config.Config) { c.Timezone = "Mars/Olympus" }, []string{`timezone: unknown time zone "Mars/Olympus"`, "IANA"}},
		{"ErrNoSeverities", func(c *config.Config) { c.Incidents.Severities = nil }, []string{"incidents.severities: no severities"}},
		{"ErrSeverityNameMissing", func(c *config.Config) { c.Incidents.Severities[1].Name = "" }, []string{"incidents.severities[1].name: missing"}},
		{"ErrSeverityNameCase", func(c *config.Config) { c.Incidents.Severities[0].Name = "SEV 1" }, []string{"incidents.severities[0].name:", `"sev-1"`}},
		{"ErrSeverityDuplicate", func(c *config.Config) { c.Incidents.Severities[2].Name = "critical" }, []string{"incidents.severities[2].name:", "already used by incidents.severities[0]"}},
		{"ErrSeverityDescription", func(c *config.Config) { c.Incidents.Severities[0].Description = "" }, []string{"incidents.severities[0].description: missing"}},
		{"ErrSeverityUpdateEvery", func(c *config.Config) { c.Incidents.Severities[0].UpdateEvery = 0 }, []string{"incidents.severities[0].update_every: must be greater than 0"}},
		{"ErrSeverityRemindBeforeNegative", func(c *config.Config) { c.Incidents.Severities[0].RemindBefore = -time.Minute }, []string{"incidents.severities[0].remind_before: must not be negative"}},
		{"ErrSeverityEscalateAfterNegative", func(c *config.Config) { c.Incidents.Severities[0].EscalateAfter = -time.Minute }, []string{"incidents.severities[0].escalate_after: must not be negative"}},
		{"ErrSeverityRemindBeforeTooLong", func(c *config.Config) { c.Incidents.Severities[1].RemindBefore = 30 * time.Minute },
			[]string{"incidents.severities[1].remind_before: 30m is not shorter than update_every 30m"}},
		{"ErrDefaultSeverityMissing", func(c *config.Config) { c.Incidents.DefaultSeverity = "" }, []string{"incidents.default_severity: missing", "critical, major, minor"}},
		{"ErrDefaultSeverityUnknown", func(c *config.Config) { c.Incidents.DefaultSeverity = "sev2" }, []string{`incidents.default_severity: "sev2" is not a severity`}},
		{"ErrRemindBefore", func(c *config.Config) { c.Reminders.RemindBefore = 0 }, []string{"reminders.remind_before: must be greater than 0"}},
		{"ErrRemindBeforeCadence", func(c *config.Config) { c.Reminders.RemindBefore = 20 * time.Minute },
			[]string{"reminders.remind_before: 20m is not shorter than incidents.severities[0] (critical) update_every 15m"}},
		{"ErrEscalateAfter", func(c *config.Config) { c.Reminders.EscalateAfter = -time.Second }, []string{"reminders.escalate_after: must be greater than 0"}},
		{"ErrSnooze", func(c *config.Config) { c.Reminders.Snooze = 0 }, []string{"reminders.snooze: must be greater than 0"}},
		{"ErrUsergroup", func(c *config.Config) { c.Reminders.EscalateTo.Usergroup = "@oncall" }, []string{"reminders.escalate_to.usergroup:", "starting with S"}},
		{"ErrEscalateUsers", func(c *config.Config) { c.Reminders.EscalateTo.Users = []string{"U0123ABCD", "bob"} }, []string{"reminders.escalate_to.users[1]:"}},
		{"ErrTick", func(c *config.Config) { c.Scheduler.Tick = 500 * time.Millisecond }, []string{"scheduler.tick: 500ms is below the minimum of 1s"}},
		{"ErrDigestSchedule", func(c *config.Config) { c.Digest.Schedule = "0 9 *" }, []string{`digest.schedule: "0 9 *" is not a valid cron spec`}},
		{"ErrDigestScheduleMissing", func(c *config.Config) { c.Digest = config.DigestConfig{Enabled: true, Channel: "#ops"} }, []string{"digest.schedule: missing"}},
		{"ErrDigestChannelMissing", func(c *config.Config) { c.Digest.Enabled = true }, []string{"digest.channel: missing while digest.enabled is true"}},
		{"ErrDigestChannelBad", func(c *config.Config) { c.Digest.Channel = "ops room" }, []string{"digest.channel:"}},
		{"ErrArchiveAfter", func(c *config.Config) { c.Postmortem.ArchiveAfter = -time.Hour }, []string{"postmortem.archive_after: must not be negative"}},
		{"ErrGitCommitNoDir", func(c *config.Config) { c.Postmortem.GitCommit = true }, []string{"postmortem.git_commit: needs postmortem.dir"}},
		{"ErrLogLevel", func(c *config.Config) { c.Log.Level = "verbose" }, []string{`log.level: "verbose" is not a level`}},
		{"ErrLogFormat", func(c *config.Config) { c.Log.Format = "xml" }, []string{`log.format: "xml" is not a format`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MustValidConfig(t)
			tt.modify(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("expected an error")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for line := range strings.SplitSeq(msg, "\n") {
				if !strings.Contains(line, ": ") || !strings.Contains(line, "(") {
					t.Errorf("line %q does not name a key and a fix", line)
				}
			}
			AssertNoSecret(t, msg)
		})
	}
}

// manySeverities returns n valid severities named sev0, sev1, ….
func manySeverities(n int) []config.Severity {
	sevs := make([]config.Severity, n)
	for i := range sevs {
		sevs[i] = config.Severity{Name: fmt.Sprintf("sev%d", i), Description: "d", UpdateEvery: time.Hour}
	}
	sevs[1].Name = "major" // the default severity
	return sevs
}

func TestConfig_Validate_SeverityLimits(t *testing.T) {
	c := MustValidConfig(t)
	c.Incidents.Severities = manySeverities(config.MaxSeverities)
	c.Incidents.Severities[0].Name = strings.Repeat("s", config.MaxSeverityName)
	if err := c.Validate(); err != nil {
		t.Fatalf("%d severities, one with a %d-character name: %v", config.MaxSeverities, config.MaxSeverityName, err)
	}
}

func TestProblem(t *testing.T) {
	c := MustValidConfig(t)
	c.Slack.Admins = []string{"U0123ABCD", "bob"}
	c.Log.Level = "loud"
	var keys, bases []string
	for _, e := range c.Validate().(interface{ Unwrap() []error }).Unwrap() {
		var p *config.Problem
		if !errors.As(e, &p) {
			t.Fatalf("%v is not a *config.Problem", e)
		}
		if p.Error() != p.Key+": "+p.Msg {
			t.Errorf("Error() = %q", p.Error())
		}
		keys, bases = append(keys, p.Key), append(bases, p.BaseKey())
	}
	if want := []string{"slack.admins[1]", "log.level"}; !slices.Equal(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
	if want := []string{"slack.admins", "log.level"}; !slices.Equal(bases, want) {
		t.Errorf("base keys = %q, want %q", bases, want)
	}
}

// AssertNoSecret fails if s contains any part of a test token beyond its prefix.
func AssertNoSecret(tb testing.TB, s string) {
	tb.Helper()
	for _, secret := range []string{"SECRET", "1111", "3333", "9999"} {
		if strings.Contains(s, secret) {
			tb.Errorf("output leaks a token (%q): %s", secret, s)
		}
	}
}

func TestConfig_Validate_AllProblems(t *testing.T) {
	c := config.Default() // no tokens
	c.Timezone = "Nowhere/Special"
	c.Log.Level = "loud"
	err := c.Validate()
	if err == nil {
		t.Fatal("expected an error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 problems, got %d:\n%s", len(lines), err)
	}
	for i, prefix := range []string{"slack.bot_token:", "slack.app_token:", "timezone:", "log.level:"} {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], prefix)
		}
	}
}

func TestConfig_ValidateWithoutTokens(t *testing.T) {
	if err := config.Default().ValidateWithoutTokens(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := config.Default()
	c.Log.Format = "xml"
	if err := c.ValidateWithoutTokens(); err == nil || !strings.HasPrefix(err.Error(), "log.format:") {
		t.Fatalf("got %v, want a log.format error", err)
	}
}
