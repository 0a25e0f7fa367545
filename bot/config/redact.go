package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Tokens never reach a log, an error or a printed config.

// Redacted returns a copy of c safe to print or log: each non-empty token is
// replaced by its prefix and "…(redacted)", e.g. "xoxb-…(redacted)"; so are
// the calendar feed's token, the SMTP password and the hooks' secrets.
func (c Config) Redacted() Config {
	c.Slack.BotToken = RedactToken(c.Slack.BotToken)
	c.Slack.AppToken = RedactToken(c.Slack.AppToken)
	c.Oncall.FeedToken = RedactToken(c.Oncall.FeedToken)
	if c.Email.Password != "" {
		c.Email.Password = "…(redacted)"
	}
	c.Intake = redactedIntake(c.Intake)
	return c
}

// tokenPrefixes are the Slack token prefixes Redacted keeps.
var tokenPrefixes = []string{"xoxb-", "xapp-", "xoxp-", "xoxe-", "xoxa-", "xoxr-", "xoxs-"}

// RedactToken returns token with everything after its Slack prefix hidden:
// "" stays "", "xoxb-123-abc" becomes "xoxb-…(redacted)" and anything
// without a known prefix becomes "…(redacted)".
func RedactToken(token string) string {
	if token == "" {
		return ""
	}
	return tokenPrefix(token) + "…(redacted)"
}

// tokenPrefix returns token's known Slack prefix, such as "xoxb-", or "".
func tokenPrefix(token string) string {
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(token, p) {
			return p
		}
	}
	return ""
}

// plainConfig has Config's fields but none of its methods, so String can
// format it without recursing.
type plainConfig Config

// String formats the configuration with tokens redacted.
func (c Config) String() string {
	return fmt.Sprintf("%+v", plainConfig(c.Redacted()))
}

// GoString formats the configuration for %#v with tokens redacted.
func (c Config) GoString() string {
	return fmt.Sprintf("%#v", plainConfig(c.Redacted()))
}

// LogValue makes slog print the configuration with tokens redacted, also
// with the JSON handler (which would otherwise marshal the raw struct).
func (c Config) LogValue() slog.Value {
	return slog.StringValue(c.String())
}

// plainSlack has SlackConfig's fields but none of its methods.
type plainSlack SlackConfig

// String formats the Slack section with tokens redacted, so that printing
// the section alone cannot leak a token either.
func (s SlackConfig) String() string {
	s.BotToken, s.AppToken = RedactToken(s.BotToken), RedactToken(s.AppToken)
	return fmt.Sprintf("%+v", plainSlack(s))
}

// GoString formats the Slack section for %#v with tokens redacted.
func (s SlackConfig) GoString() string {
	s.BotToken, s.AppToken = RedactToken(s.BotToken), RedactToken(s.AppToken)
	return fmt.Sprintf("%#v", plainSlack(s))
}

// LogValue makes slog print the Slack section with tokens redacted.
func (s SlackConfig) LogValue() slog.Value {
	return slog.StringValue(s.String())
}
