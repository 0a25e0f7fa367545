package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MaxChannelPrefix is the longest slack.channel_prefix accepted, leaving room
// for the incident number and slug within Slack's 80-character limit.
const MaxChannelPrefix = 20

// Severity limits. Every severity is an option of the static_select on the
// incident card and in the declare modal, so Block Kit's limits apply:
//   - a static_select holds at most 100 options, and Slack refuses the
//     whole card or modal (invalid_blocks) with one more;
//   - an option's text is at most 75 characters and its value at most 150.
//     The name is both, so the tighter limit, 75, is the real one: a
//     longer name would be cut in the list, and two names that differ only
//     after the cut would look the same to the person choosing.
//
// (Descriptions are the option's description, also 75 characters; the bot
// shortens longer ones with an ellipsis, which is harmless.)
const (
	MaxSeverities     = 100
	MaxSeverityName   = 75
	minConnectTimeout = time.Second
	minCallTimeout    = time.Second
)

var (
	channelIDRe   = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	channelNameRe = regexp.MustCompile(`^#[a-z0-9_-]{1,80}$`)
	userIDRe      = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	usergroupRe   = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	emojiRe       = regexp.MustCompile(`^[a-z0-9_+'-]+$`)
	slugRe        = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

// Validate reports every problem in c, joined with errors.Join, one per
// line, each naming the key, what is wrong and how to fix it. Token values
// never appear in the messages. Call it on a Normalized config.
func (c Config) Validate() error {
	var p problems
	c.validateTokens(&p)
	c.validateSettings(&p)
	return p.err()
}

// ValidateWithoutTokens is Validate without the two Slack token checks, for
// commands that never talk to Slack (demo, backup, export).
func (c Config) ValidateWithoutTokens() error {
	var p problems
	c.validateSettings(&p)
	return p.err()
}

// Problem is one thing wrong with a configuration. Validate returns
// Problems joined with errors.Join; errors.As finds the first.
type Problem struct {
	// Key is the dotted key the problem is about, with the index of a list
	// entry: "log.level", "slack.admins[1]", "incidents.severities[0].name".
	Key string
	// Msg says what is wrong and how to fix it. It never holds a token.
	Msg string
}

// Error returns "key: msg".
func (p *Problem) Error() string { return p.Key + ": " + p.Msg }

// BaseKey returns the key without list indexes and what follows them:
// "slack.admins" for "slack.admins[1]", "incidents.severities" for
// "incidents.severities[0].name". A loader uses it to find where the
// value came from.
func (p *Problem) BaseKey() string {
	if i := strings.IndexByte(p.Key, '['); i >= 0 {
		return p.Key[:i]
	}
	return p.Key
}

// problems collects validation errors.
type problems []error

// add records that key is wrong; format explains what and how to fix it.
func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, &Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems joined, or nil when there are none.
func (p problems) err() error { return errors.Join(p...) }

// tokenSpec describes one of the two Slack tokens.
type tokenSpec struct {
	key, env, prefix, what string
}

var (
	botTokenSpec = tokenSpec{"slack.bot_token", "SLACK_BOT_TOKEN", "xoxb-",
		"the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"}
	appTokenSpec = tokenSpec{"slack.app_token", "SLACK_APP_TOKEN", "xapp-",
		"an app-level token (xapp-…) with connections:write, from Basic Information > App-Level Tokens"}
)

// tokenKinds names what each Slack token prefix is, for messages about a
// token of the wrong kind: the kind, then a note after the prefix.
var tokenKinds = map[string][2]string{
	"xoxb-": {"a bot token", ""},
	"xapp-": {"an app-level token", ""},
	"xoxp-": {"a user token", ", which acts as the person who installed the app"},
	"xoxe-": {"a refresh token", " from token rotation (turn rotation off for this app)"},
	"xoxa-": {"a workspace app token", ""},
	"xoxr-": {"a refresh token", ""},
	"xoxs-": {"a session token", ""},
}

// tokenCharsRe matches what Slack tokens are made of. A token pasted with
// quotes, a trailing comma or a non-ASCII dash is refused here rather than
// by Slack's invalid_auth at start-up.
var tokenCharsRe = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

func (c Config) validateTokens(p *problems) {
	bot, app := c.Slack.BotToken, c.Slack.AppToken
	if tokenPrefix(bot) == appTokenSpec.prefix && tokenPrefix(app) == botTokenSpec.prefix {
		p.add(botTokenSpec.key, "holds an app-level token (xapp-…) and %s a bot token (xoxb-…): the two are swapped; exchange their values", appTokenSpec.env)
		return
	}
	checkToken(p, botTokenSpec, bot)
	checkToken(p, appTokenSpec, app)
}

// checkToken validates one token without ever echoing more than its prefix.
func checkToken(p *problems, s tokenSpec, token string) {
	got := tokenPrefix(token)
	switch {
	case token == "":
		p.add(s.key, "missing (set %s to %s)", s.env, s.what)
	case got == s.prefix:
		if strings.ContainsAny(token, " \t\r\n") {
			p.add(s.key, "contains whitespace (copy the token again without spaces or line breaks)")
		} else if !tokenCharsRe.MatchString(token) {
			p.add(s.key, "contains characters no Slack token has (copy the token again, without quotes or punctuation around it)")
		}
	case got == botTokenSpec.prefix || got == appTokenSpec.prefix:
		other := botTokenSpec
		if got == appTokenSpec.prefix {
			other = appTokenSpec
		}
		p.add(s.key, "is %s (%s…), which belongs in %s; set %s to %s", tokenKinds[got][0], got, other.env, s.env, s.what)
	case got != "":
		p.add(s.key, "is %s (%s…)%s, not the token incidentbot needs; set %s to %s", tokenKinds[got][0], got, tokenKinds[got][1], s.env, s.what)
	case strings.HasPrefix(token, `"`) || strings.HasPrefix(token, "'"):
		p.add(s.key, "starts with a quote (remove the quotes around the value; it must start with %s)", s.prefix)
	default:
		p.add(s.key, "must start with %s (set %s to %s)", s.prefix, s.env, s.what)
	}
}

func (c Config) validateSettings(p *problems) {
	c.validateSlack(p)

	if c.ShutdownGrace <= 0 {
		p.add("shutdown_grace", "must be greater than 0 (how long work in flight may finish after SIGTERM; keep it under your supervisor's kill delay, e.g. 8s for docker stop)")
	}

	c.validateStore(p)

	if c.HTTP.Listen != "" {
		if msg := checkHostPort(c.HTTP.Listen); msg != "" {
			p.add("http.listen", `%q %s (use host:port like "127.0.0.1:8080", or "" to disable the admin server)`, c.HTTP.Listen, msg)
		}
	}

	switch {
	case c.Timezone == "":
		p.add("timezone", `missing (use an IANA zone name such as "UTC" or "Europe/Berlin")`)
	default:
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			p.add("timezone", `unknown time zone %q (use an IANA zone name such as "UTC", "America/New_York" or "Europe/Berlin")`, c.Timezone)
		}
	}

	c.validateIncidents(p)
	c.validateReminders(p)

	if c.Scheduler.Tick < time.Second {
		p.add("scheduler.tick", "%s is below the minimum of 1s (use e.g. 15s)", fmtDuration(c.Scheduler.Tick))
	}

	c.validateDigest(p)
	c.validatePublic(p)
	c.validatePlaybooks(p)
	c.validateOncall(p)

	if c.Postmortem.ArchiveAfter < 0 {
		p.add("postmortem.archive_after", "must not be negative (use 0 to never archive, or e.g. 72h)")
	}
	if c.Postmortem.GitCommit && c.Postmortem.Dir == "" {
		p.add("postmortem.git_commit", "needs postmortem.dir (set the git work tree to write drafts into, or set git_commit: false)")
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level", "%q is not a level (use debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		p.add("log.format", "%q is not a format (use text or json)", c.Log.Format)
	}
	c.validateIntake(p)
}

func (c Config) validateSlack(p *problems) {
	s := c.Slack
	if s.APIURL == "" {
		p.add("slack.api_url", "missing (use %q unless you run a test server)", DefaultAPIURL)
	} else if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add("slack.api_url", "%q is not an http(s) URL (use %q)", s.APIURL, DefaultAPIURL)
	} else if !strings.HasSuffix(s.APIURL, "/") {
		p.add("slack.api_url", "must end with / (use %q)", s.APIURL+"/")
	}

	if s.ConnectTimeout < minConnectTimeout {
		p.add("slack.connect_timeout", "%s is below the minimum of %s (how long an unreachable Slack is retried before the process exits, e.g. 2m)", fmtDuration(s.ConnectTimeout), fmtDuration(minConnectTimeout))
	}
	if s.CallTimeout < minCallTimeout {
		p.add("slack.call_timeout", "%s is below the minimum of %s (how long one Slack API call may take, e.g. 10s)", fmtDuration(s.CallTimeout), fmtDuration(minCallTimeout))
	}

	for i, ch := range s.AnnounceChannels {
		checkChannel(p, fmt.Sprintf("slack.announce_channels[%d]", i), ch)
	}
	for i, u := range s.Admins {
		checkUser(p, fmt.Sprintf("slack.admins[%d]", i), u)
	}

	switch {
	case s.TimelineReaction == "":
		p.add("slack.timeline_reaction", `missing (use an emoji name without colons, e.g. "pushpin")`)
	case !emojiRe.MatchString(s.TimelineReaction):
		p.add("slack.timeline_reaction", `%q is not an emoji name (use lowercase letters, digits, "_", "-" or "+", without colons, e.g. "pushpin")`, s.TimelineReaction)
	}

	switch {
	case s.ChannelPrefix == "":
		p.add("slack.channel_prefix", `missing (use a short prefix such as "inc")`)
	case !slugRe.MatchString(s.ChannelPrefix):
		p.add("slack.channel_prefix", `%q is not valid in a Slack channel name (use only a-z, 0-9, "-" and "_", e.g. "inc")`, s.ChannelPrefix)
	case len(s.ChannelPrefix) > MaxChannelPrefix:
		p.add("slack.channel_prefix", "is %d characters, longer than %d (use a shorter prefix such as \"inc\")", len(s.ChannelPrefix), MaxChannelPrefix)
	}
}

func (c Config) validateIncidents(p *problems) {
	sevs := c.Incidents.Severities
	if len(sevs) == 0 {
		p.add("incidents.severities", "no severities (define at least one, most severe first, or remove the key to use the defaults)")
	}
	if len(sevs) > MaxSeverities {
		p.add("incidents.severities", "%d severities, more than the %d a Slack menu can list (the incident card and the declare modal would be refused; keep at most %d)", len(sevs), MaxSeverities, MaxSeverities)
	}
	seen := make(map[string]int)
	for i, s := range sevs {
		key := fmt.Sprintf("incidents.severities[%d]", i)
		switch {
		case s.Name == "":
			p.add(key+".name", `missing (give each severity a lowercase name such as "critical")`)
		case len(s.Name) > MaxSeverityName:
			p.add(key+".name", "is %d characters, more than the %d a Slack menu option shows (use a shorter name; put the detail in description)", len(s.Name), MaxSeverityName)
			if _, dup := seen[s.Name]; !dup {
				seen[s.Name] = i // known, so that default_severity is not also refused
			}
		case !slugRe.MatchString(s.Name):
			p.add(key+".name", `%q is not valid (use lowercase a-z, 0-9, "-" and "_", e.g. %q)`, s.Name, suggestSlug(s.Name))
		default:
			if j, dup := seen[s.Name]; dup {
				p.add(key+".name", "%q is already used by incidents.severities[%d] (give each severity a different name)", s.Name, j)
			} else {
				seen[s.Name] = i
			}
		}
		if s.Description == "" {
			p.add(key+".description", "missing (add one line telling responders when to pick this severity)")
		}
		if s.UpdateEvery <= 0 {
			p.add(key+".update_every", "must be greater than 0 (how often the commander posts an update, e.g. 30m)")
		}
		if s.RemindBefore < 0 {
			p.add(key+".remind_before", "must not be negative (remove it to use reminders.remind_before)")
		}
		if s.EscalateAfter < 0 {
			p.add(key+".escalate_after", "must not be negative (remove it to use reminders.escalate_after)")
		}
		if s.RemindBefore > 0 && s.UpdateEvery > 0 && s.RemindBefore >= s.UpdateEvery {
			p.add(key+".remind_before", "%s is not shorter than update_every %s (a reminder must come before the update is due; use e.g. %s)",
				fmtDuration(s.RemindBefore), fmtDuration(s.UpdateEvery), fmtDuration(s.UpdateEvery/3))
		}
	}

	switch d := c.Incidents.DefaultSeverity; {
	case d == "":
		p.add("incidents.default_severity", "missing (use one of: %s)", strings.Join(c.SeverityNames(), ", "))
	case len(sevs) > 0:
		if _, ok := seen[d]; !ok {
			p.add("incidents.default_severity", "%q is not a severity in incidents.severities (use one of: %s)", d, strings.Join(c.SeverityNames(), ", "))
		}
	}
}

func (c Config) validateReminders(p *problems) {
	r := c.Reminders
	if r.RemindBefore <= 0 {
		p.add("reminders.remind_before", "must be greater than 0 (how long before an update is due to remind the commander, e.g. 5m)")
	} else {
		for i, s := range c.Incidents.Severities {
			if s.RemindBefore == 0 && s.UpdateEvery > 0 && r.RemindBefore >= s.UpdateEvery {
				p.add("reminders.remind_before", "%s is not shorter than incidents.severities[%d] (%s) update_every %s (lower it, or set remind_before on that severity)",
					fmtDuration(r.RemindBefore), i, s.Name, fmtDuration(s.UpdateEvery))
			}
		}
	}
	if r.EscalateAfter <= 0 {
		p.add("reminders.escalate_after", "must be greater than 0 (how long an overdue update waits before escalating, e.g. 10m)")
	}
	if r.Snooze <= 0 {
		p.add("reminders.snooze", "must be greater than 0 (how long the Snooze button delays a reminder, e.g. 10m)")
	}
	r.EscalateTo.validate(p, "reminders.escalate_to")
}

// validate checks an escalate_to section at key: a user group ID and user
// IDs.
func (e EscalateTo) validate(p *problems, key string) {
	if g := e.Usergroup; g != "" && !usergroupRe.MatchString(g) {
		p.add(key+".usergroup", `%q is not a user group ID (use the ID starting with S, e.g. "S0123ABCD", from the group's profile > Copy group ID)`, g)
	}
	for i, u := range e.Users {
		checkUser(p, fmt.Sprintf("%s.users[%d]", key, i), u)
	}
}

func (c Config) validateDigest(p *problems) {
	d := c.Digest
	switch {
	case d.Schedule == "" && d.Enabled:
		p.add("digest.schedule", `missing (use a 5-field cron spec such as "0 9 * * 1-5", 09:00 Monday to Friday)`)
	case d.Schedule != "":
		if _, err := cron.ParseStandard(d.Schedule); err != nil {
			p.add("digest.schedule", `%q is not a valid cron spec: %v (use 5 fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5")`, d.Schedule, err)
		}
	}
	if d.Enabled && d.Channel == "" {
		p.add("digest.channel", `missing while digest.enabled is true (set a channel ID or "#name", or set digest.enabled: false)`)
	} else if d.Channel != "" {
		checkChannel(p, "digest.channel", d.Channel)
	}
}
