// Package config holds incidentbot's typed configuration: the Config struct,
// its defaults and its validation. It does not read files or the environment;
// cmd/incidentbot does that with viper and decodes into Config through the
// mapstructure tags.
//
// Every key is named by its tags, e.g. Config.Slack.BotToken is
// "slack.bot_token" in YAML and INCIDENTBOT_SLACK_BOT_TOKEN in the environment.
package config

import (
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
)

// Config is the whole configuration of one incidentbot process.
type Config struct {
	// Slack: tokens, API endpoint and workspace-level settings.
	Slack SlackConfig `mapstructure:"slack" yaml:"slack"`
	// Store: where the data lives: a bbolt file, or etcd.
	Store StoreConfig `mapstructure:"store" yaml:"store"`
	// HTTP: the admin HTTP server (health, readiness, backup).
	HTTP HTTPConfig `mapstructure:"http" yaml:"http"`
	// Timezone is the IANA zone used to render times and run the digest,
	// e.g. "Europe/Berlin". Key: timezone. Default "UTC".
	Timezone string `mapstructure:"timezone" yaml:"timezone"`
	// Incidents: severities and their update cadence.
	Incidents IncidentsConfig `mapstructure:"incidents" yaml:"incidents"`
	// Reminders: update reminders and escalation.
	Reminders RemindersConfig `mapstructure:"reminders" yaml:"reminders"`
	// Scheduler: how often due reminders are checked.
	Scheduler SchedulerConfig `mapstructure:"scheduler" yaml:"scheduler"`
	// Digest: the optional daily digest of open incidents.
	Digest DigestConfig `mapstructure:"digest" yaml:"digest"`
	// Postmortem: where postmortem drafts are written.
	Postmortem PostmortemConfig `mapstructure:"postmortem" yaml:"postmortem"`
	// Log: level and format of the process log.
	Log LogConfig `mapstructure:"log" yaml:"log"`
	// StatusPage, Reports, Stakeholders and Email keep people informed
	// (public.go).
	StatusPage   StatusPageConfig   `mapstructure:"statuspage" yaml:"statuspage"`
	Reports      ReportsConfig      `mapstructure:"reports" yaml:"reports"`
	Stakeholders StakeholdersConfig `mapstructure:"stakeholders" yaml:"stakeholders"`
	Email        EmailConfig        `mapstructure:"email" yaml:"email"`
	// Playbooks, Types, Roles, Impact and Drill configure playbooks,
	// incident types, the roles beyond operator and spokesperson,
	// impact-based triage and drills (playbooks.go).
	Playbooks PlaybooksConfig `mapstructure:"playbooks" yaml:"playbooks"`
	Types     []IncidentType  `mapstructure:"types" yaml:"types"`
	Roles     []Role          `mapstructure:"roles" yaml:"roles"`
	Impact    ImpactConfig    `mapstructure:"impact" yaml:"impact"`
	Drill     DrillConfig     `mapstructure:"drill" yaml:"drill"`
	// Intake: the alert and deploy hooks, and the routes of alerts.
	Intake intake.Config `mapstructure:"intake" yaml:"intake"`
	// Oncall: rotations, paging and handoffs (see oncall.go).
	Oncall OncallConfig `mapstructure:"oncall" yaml:"oncall"`
	// ShutdownGrace is how long work in flight may go on after SIGTERM
	// before its Slack calls are cancelled. docker stop sends SIGKILL 10 s
	// after SIGTERM and Kubernetes 30 s after, so the default leaves
	// room for the scheduler and the HTTP server to stop too.
	// Key: shutdown_grace. Default 8s.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace" yaml:"shutdown_grace"`
}

// SlackConfig is the "slack" section.
type SlackConfig struct {
	// BotToken is the Bot User OAuth Token (xoxb-…). Key: slack.bot_token.
	// Set it with SLACK_BOT_TOKEN, never in the file.
	BotToken string `mapstructure:"bot_token" yaml:"bot_token"`
	// AppToken is the app-level token with connections:write (xapp-…) used
	// by Socket Mode. Key: slack.app_token. Set it with SLACK_APP_TOKEN.
	AppToken string `mapstructure:"app_token" yaml:"app_token"`
	// APIURL is the Web API base URL, always ending in "/".
	// Key: slack.api_url. Default "https://slack.com/api/".
	APIURL string `mapstructure:"api_url" yaml:"api_url"`
	// AnnounceChannels are where declarations and resolutions are announced:
	// channel IDs ("C0123ABCD") or names ("#incidents").
	// Key: slack.announce_channels.
	AnnounceChannels []string `mapstructure:"announce_channels" yaml:"announce_channels"`
	// Admins are Slack user IDs ("U0123ABCD") allowed to do anything.
	// Key: slack.admins.
	Admins []string `mapstructure:"admins" yaml:"admins"`
	// TimelineReaction is the emoji name (without colons) that adds a message
	// to the incident timeline. Key: slack.timeline_reaction. Default "pushpin".
	TimelineReaction string `mapstructure:"timeline_reaction" yaml:"timeline_reaction"`
	// ChannelPrefix starts every war-room channel name, e.g. "inc" gives
	// "inc-42-db-down". Key: slack.channel_prefix. Default "inc".
	ChannelPrefix string `mapstructure:"channel_prefix" yaml:"channel_prefix"`
	// ConnectTimeout is how long an unreachable Slack (refused connections,
	// DNS failures, timeouts, 5xx answers) is retried, at start-up and
	// whenever Socket Mode is disconnected, before the process exits with
	// status 1 so that its supervisor restarts it.
	// Key: slack.connect_timeout. Default 2m, minimum 1s.
	ConnectTimeout time.Duration `mapstructure:"connect_timeout" yaml:"connect_timeout"`
	// CallTimeout bounds one Web API call, from dialling to the end of the
	// answer, so that a hung call cannot stop other work.
	// Key: slack.call_timeout. Default 10s, minimum 1s.
	CallTimeout time.Duration `mapstructure:"call_timeout" yaml:"call_timeout"`
}

// StoreConfig is the "store" section.
type StoreConfig struct {
	// Path is the bbolt database file. Key: store.path.
	// Default "data/incidentbot.db". With backend etcd the data is in
	// etcd, and this path only places the admin token and the temporary
	// copies of backups and exports, next to it.
	Path string `mapstructure:"path" yaml:"path"`
	// Backend is "bbolt" (one process, one file) or "etcd" (any number of
	// replicas on an etcd cluster, one of them the leader).
	// Key: store.backend. Default "bbolt".
	Backend string `mapstructure:"backend" yaml:"backend"`
	// Etcd configures the etcd backend.
	Etcd EtcdConfig `mapstructure:"etcd" yaml:"etcd"`
}

// EtcdConfig is the "store.etcd" section (see etcd.go).
type EtcdConfig struct {
	// Endpoints are the etcd members' client URLs, e.g.
	// "https://etcd-0.etcd:2379". Key: store.etcd.endpoints.
	Endpoints []string `mapstructure:"endpoints" yaml:"endpoints"`
	// Prefix starts every key the bot writes; several bots may share a
	// cluster under different prefixes. Key: store.etcd.prefix.
	// Default "/incidentbot/".
	Prefix string `mapstructure:"prefix" yaml:"prefix"`
	// TLS: client certificates and the CA of the cluster.
	TLS EtcdTLS `mapstructure:"tls" yaml:"tls"`
	// LeaseTTL is the leader's lease: a replica that stops renewing it
	// (killed, cut off) is replaced this long after its last renewal. Key:
	// store.etcd.lease_ttl. Default 5s; whole seconds, 2s to 60s.
	LeaseTTL time.Duration `mapstructure:"lease_ttl" yaml:"lease_ttl"`
	// DialTimeout bounds connecting to etcd at start-up.
	// Key: store.etcd.dial_timeout. Default 5s.
	DialTimeout time.Duration `mapstructure:"dial_timeout" yaml:"dial_timeout"`
	// RequestTimeout bounds each request to etcd, its attempts included.
	// Key: store.etcd.request_timeout. Default 5s.
	RequestTimeout time.Duration `mapstructure:"request_timeout" yaml:"request_timeout"`
	// AttemptTimeout bounds the first attempt at a request (each next one
	// may take twice as long): a member silent that long is given up for
	// another. Key: store.etcd.attempt_timeout. Default 1s; at most
	// request_timeout.
	AttemptTimeout time.Duration `mapstructure:"attempt_timeout" yaml:"attempt_timeout"`
	// MaxTxnOps is the cluster's --max-txn-ops: the most keys the bot
	// writes in one transaction. Raise both together.
	// Key: store.etcd.max_txn_ops. Default 128 (etcd's default).
	MaxTxnOps int `mapstructure:"max_txn_ops" yaml:"max_txn_ops"`
}

// EtcdTLS is the "store.etcd.tls" section. Empty keys leave TLS to the
// endpoints' scheme: https verifies the server against the system's CAs.
type EtcdTLS struct {
	// CAFile is a PEM file of the CA that signed the members'
	// certificates. Key: store.etcd.tls.ca_file.
	CAFile string `mapstructure:"ca_file" yaml:"ca_file"`
	// CertFile and KeyFile are this client's certificate and key (PEM),
	// for a cluster that requires client certificates.
	// Keys: store.etcd.tls.cert_file, store.etcd.tls.key_file.
	CertFile string `mapstructure:"cert_file" yaml:"cert_file"`
	KeyFile  string `mapstructure:"key_file" yaml:"key_file"`
}

// HTTPConfig is the "http" section.
type HTTPConfig struct {
	// Listen is the host:port of the admin HTTP server; empty disables it.
	// Key: http.listen. Default "127.0.0.1:8080".
	Listen string `mapstructure:"listen" yaml:"listen"`
}

// IncidentsConfig is the "incidents" section.
type IncidentsConfig struct {
	// Severities, most severe first. Key: incidents.severities.
	Severities []Severity `mapstructure:"severities" yaml:"severities"`
	// DefaultSeverity names the severity used when none is given.
	// Key: incidents.default_severity. Default "major".
	DefaultSeverity string `mapstructure:"default_severity" yaml:"default_severity"`
}

// Severity is one entry of incidents.severities.
type Severity struct {
	// Name is lowercase [a-z0-9_-], unique.
	Name string `mapstructure:"name" yaml:"name"`
	// Description is shown when declaring an incident.
	Description string `mapstructure:"description" yaml:"description"`
	// UpdateEvery is how often the commander must post an update.
	UpdateEvery time.Duration `mapstructure:"update_every" yaml:"update_every"`
	// RemindBefore overrides reminders.remind_before; 0 uses it.
	RemindBefore time.Duration `mapstructure:"remind_before" yaml:"remind_before,omitempty"`
	// EscalateAfter overrides reminders.escalate_after; 0 uses it.
	EscalateAfter time.Duration `mapstructure:"escalate_after" yaml:"escalate_after,omitempty"`
}

// RemindersConfig is the "reminders" section.
type RemindersConfig struct {
	// RemindBefore is how long before an update is due the commander is
	// reminded. Key: reminders.remind_before. Default 5m.
	RemindBefore time.Duration `mapstructure:"remind_before" yaml:"remind_before"`
	// EscalateAfter is how long after an update was due, with none posted,
	// the bot escalates. Key: reminders.escalate_after. Default 10m.
	EscalateAfter time.Duration `mapstructure:"escalate_after" yaml:"escalate_after"`
	// Snooze is how long the "Snooze" button delays a reminder.
	// Key: reminders.snooze. Default 10m.
	Snooze time.Duration `mapstructure:"snooze" yaml:"snooze"`
	// EscalateTo is who is paged on escalation (besides the channel).
	EscalateTo EscalateTo `mapstructure:"escalate_to" yaml:"escalate_to"`
}

// EscalateTo is the "reminders.escalate_to" section.
type EscalateTo struct {
	// Usergroup is a Slack user group ID ("S0123ABCD") mentioned on
	// escalation. Key: reminders.escalate_to.usergroup. Optional.
	Usergroup string `mapstructure:"usergroup" yaml:"usergroup"`
	// Users are Slack user IDs mentioned on escalation.
	// Key: reminders.escalate_to.users.
	Users []string `mapstructure:"users" yaml:"users"`
}

// SchedulerConfig is the "scheduler" section.
type SchedulerConfig struct {
	// Tick is how often due reminders are checked. Key: scheduler.tick.
	// Default 15s, minimum 1s.
	Tick time.Duration `mapstructure:"tick" yaml:"tick"`
}

// DigestConfig is the "digest" section.
type DigestConfig struct {
	// Enabled turns the digest on. Key: digest.enabled. Default false.
	Enabled bool `mapstructure:"enabled" yaml:"enabled"`
	// Schedule is a standard 5-field cron spec in Config.Timezone.
	// Key: digest.schedule. Default "0 9 * * 1-5".
	Schedule string `mapstructure:"schedule" yaml:"schedule"`
	// Channel receives the digest (ID or "#name"); required when enabled.
	// Key: digest.channel.
	Channel string `mapstructure:"channel" yaml:"channel"`
	// PostWhenEmpty posts even when no incident is open.
	// Key: digest.post_when_empty. Default false.
	PostWhenEmpty bool `mapstructure:"post_when_empty" yaml:"post_when_empty"`
}

// PostmortemConfig is the "postmortem" section.
type PostmortemConfig struct {
	// Dir is where postmortem drafts are written as Markdown; empty keeps
	// them in Slack only. Key: postmortem.dir.
	Dir string `mapstructure:"dir" yaml:"dir"`
	// GitCommit commits each draft in Dir (which must be a git work tree).
	// Key: postmortem.git_commit.
	GitCommit bool `mapstructure:"git_commit" yaml:"git_commit"`
	// ArchiveAfter archives the war room this long after resolution; 0
	// never archives. Key: postmortem.archive_after.
	ArchiveAfter time.Duration `mapstructure:"archive_after" yaml:"archive_after"`
}

// LogConfig is the "log" section.
type LogConfig struct {
	// Level is debug, info, warn or error. Key: log.level. Default "info".
	Level string `mapstructure:"level" yaml:"level"`
	// Format is text or json. Key: log.format. Default "text".
	Format string `mapstructure:"format" yaml:"format"`
}

// Defaults that other packages refer to.
const (
	// DefaultAPIURL is the default slack.api_url.
	DefaultAPIURL = "https://slack.com/api/"
	// DefaultConnectTimeout is the default slack.connect_timeout.
	DefaultConnectTimeout = 2 * time.Minute
	// DefaultCallTimeout is the default slack.call_timeout.
	DefaultCallTimeout = 10 * time.Second
	// DefaultShutdownGrace is the default shutdown_grace: under the 10 s
	// docker stop gives before SIGKILL.
	DefaultShutdownGrace = 8 * time.Second
)

// Default returns a configuration that works out of the box once the two
// Slack tokens are set.
func Default() Config {
	c := Config{
		Slack: SlackConfig{
			APIURL:           DefaultAPIURL,
			TimelineReaction: "pushpin",
			ChannelPrefix:    "inc",
			ConnectTimeout:   DefaultConnectTimeout,
			CallTimeout:      DefaultCallTimeout,
		},
		Store: StoreConfig{Path: "data/incidentbot.db", Backend: BackendBbolt, Etcd: EtcdConfig{
			Prefix: DefaultEtcdPrefix, LeaseTTL: DefaultLeaseTTL, DialTimeout: 5 * time.Second,
			RequestTimeout: 5 * time.Second, AttemptTimeout: DefaultAttemptTimeout, MaxTxnOps: DefaultMaxTxnOps,
		}},
		HTTP:     HTTPConfig{Listen: "127.0.0.1:8080"},
		Timezone: "UTC",
		Incidents: IncidentsConfig{
			Severities: []Severity{
				{Name: "critical", Description: "Service unreachable or data lost", UpdateEvery: 15 * time.Minute},
				{Name: "major", Description: "A major feature is broken, no data lost", UpdateEvery: 30 * time.Minute},
				{Name: "minor", Description: "Degraded, users can still work", UpdateEvery: 60 * time.Minute},
			},
			DefaultSeverity: "major",
		},
		Reminders: RemindersConfig{
			RemindBefore:  5 * time.Minute,
			EscalateAfter: 10 * time.Minute,
			Snooze:        10 * time.Minute,
		},
		Scheduler:     SchedulerConfig{Tick: 15 * time.Second},
		Digest:        DigestConfig{Schedule: "0 9 * * 1-5"},
		Log:           LogConfig{Level: "info", Format: "text"},
		ShutdownGrace: DefaultShutdownGrace,
		StatusPage:    StatusPageConfig{Path: "/", Name: "Our services", PublishByDefault: []string{"critical", "major"}},
		Reports:       ReportsConfig{Path: "/"},
		Email:         EmailConfig{Port: "587", Security: "starttls"},
		Intake:        intake.Default(),
		Oncall:        defaultOncall(),
	}
	defaultPlaybooks(&c)
	return c
}

// Normalized returns c with harmless spelling variations fixed: surrounding
// spaces trimmed, a trailing "/" added to slack.api_url, colons removed from
// slack.timeline_reaction, empty list entries dropped and names lowercased
// where Slack is case-insensitive. Loaders call it before Validate.
func (c Config) Normalized() Config {
	c.Slack.BotToken = strings.TrimSpace(c.Slack.BotToken)
	c.Slack.AppToken = strings.TrimSpace(c.Slack.AppToken)
	c.Slack.APIURL = strings.TrimSpace(c.Slack.APIURL)
	if c.Slack.APIURL != "" && !strings.HasSuffix(c.Slack.APIURL, "/") {
		c.Slack.APIURL += "/"
	}
	c.Slack.AnnounceChannels = trimList(c.Slack.AnnounceChannels)
	c.Slack.Admins = trimList(c.Slack.Admins)
	c.Slack.TimelineReaction = strings.Trim(strings.TrimSpace(c.Slack.TimelineReaction), ":")
	c.Slack.ChannelPrefix = strings.TrimSpace(c.Slack.ChannelPrefix)
	c.Store.Path = strings.TrimSpace(c.Store.Path)
	c.Store = c.Store.normalized()
	c.HTTP.Listen = strings.TrimSpace(c.HTTP.Listen)
	c.Timezone = strings.TrimSpace(c.Timezone)
	if len(c.Incidents.Severities) > 0 {
		sevs := make([]Severity, len(c.Incidents.Severities))
		copy(sevs, c.Incidents.Severities)
		for i := range sevs {
			sevs[i].Name = strings.TrimSpace(sevs[i].Name)
			sevs[i].Description = strings.TrimSpace(sevs[i].Description)
		}
		c.Incidents.Severities = sevs
	}
	c.Incidents.DefaultSeverity = strings.TrimSpace(c.Incidents.DefaultSeverity)
	c.Reminders.EscalateTo.Usergroup = strings.TrimSpace(c.Reminders.EscalateTo.Usergroup)
	c.Reminders.EscalateTo.Users = trimList(c.Reminders.EscalateTo.Users)
	c.Digest.Schedule = strings.TrimSpace(c.Digest.Schedule)
	c.Digest.Channel = strings.TrimSpace(c.Digest.Channel)
	c.Postmortem.Dir = strings.TrimSpace(c.Postmortem.Dir)
	c.Log.Level = strings.ToLower(strings.TrimSpace(c.Log.Level))
	c.Log.Format = strings.ToLower(strings.TrimSpace(c.Log.Format))
	normalizePlaybooks(&c)
	c.Intake = normalizedIntake(c.Intake)
	c.Oncall = c.Oncall.normalized() // issue 13
	return c.normalizedPublic()
}

// trimList returns a copy of list with entries trimmed and empty ones dropped.
func trimList(list []string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Severity returns the severity called name (case-insensitive) with
// RemindBefore and EscalateAfter filled in from the reminders section when
// the severity does not override them.
func (c Config) Severity(name string) (Severity, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, s := range c.Incidents.Severities {
		if s.Name == name {
			if s.RemindBefore == 0 {
				s.RemindBefore = c.Reminders.RemindBefore
			}
			if s.EscalateAfter == 0 {
				s.EscalateAfter = c.Reminders.EscalateAfter
			}
			return s, true
		}
	}
	return Severity{}, false
}

// SeverityNames returns the severity names, most severe first.
func (c Config) SeverityNames() []string {
	names := make([]string, len(c.Incidents.Severities))
	for i, s := range c.Incidents.Severities {
		names[i] = s.Name
	}
	return names
}

// Location returns the time zone named by Timezone. Call it after Validate;
// an unknown zone yields UTC.
func (c Config) Location() *time.Location {
	if c.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}
