package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/store"
	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"
)

// policy turns the configuration into the domain's incident policy.
func policy(cfg config.Config) incident.Policy {
	p := incident.Policy{
		DefaultSeverity: cfg.Incidents.DefaultSeverity,
		Admins:          cfg.Slack.Admins,
		RemindBefore:    cfg.Reminders.RemindBefore,
		EscalateAfter:   cfg.Reminders.EscalateAfter,
		Snooze:          cfg.Reminders.Snooze,
		ArchiveAfter:    cfg.Postmortem.ArchiveAfter,
	}
	for _, s := range cfg.Incidents.Severities {
		p.Severities = append(p.Severities, incident.SeverityLevel{
			Name: s.Name, Description: s.Description, UpdateEvery: s.UpdateEvery,
			RemindBefore: s.RemindBefore, EscalateAfter: s.EscalateAfter,
		})
	}
	p.Roles, p.Triage = triagePolicy(cfg)
	return p
}

// slackClient builds the Web API client. Every call is bounded by
// slack.call_timeout, so that a hung call cannot stop other work, and
// nothing is retried here: a call that timed out or met a 5xx may have
// done its work in Slack (a channel created, a message posted), and only
// the outbound client, which can check what Slack already has, may try
// again.
//
// fence, when given, wraps the HTTP transport (see leaseGate).
func slackClient(cfg config.Config, log *slog.Logger, fence ...func(http.RoundTripper) http.RoundTripper) *slack.Client {
	hc := outbound.HTTPClient(cfg.Slack.CallTimeout)
	for _, f := range fence {
		hc.Transport = f(hc.Transport)
	}
	return slack.New(cfg.Slack.BotToken,
		slack.OptionAPIURL(cfg.Slack.APIURL),
		slack.OptionAppLevelToken(cfg.Slack.AppToken),
		slack.OptionHTTPClient(hc),
		slack.OptionLog(slog.NewLogLogger(log.With("component", "slack").Handler(), slog.LevelDebug)),
	)
}

// resolveChannels turns "#name" entries of key into channel IDs. A name
// that is not found is a permanent error naming key.
func resolveChannels(ctx context.Context, api *slack.Client, key string, names []string) ([]string, error) {
	var ids []string
	var byName map[string]string
	for _, n := range names {
		if !strings.HasPrefix(n, "#") {
			ids = append(ids, n)
			continue
		}
		if byName == nil {
			byName = map[string]string{}
			cursor := ""
			for {
				chs, next, err := api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
					Cursor: cursor, ExcludeArchived: true, Limit: 1000, Types: []string{"public_channel", "private_channel"},
				})
				if err != nil {
					return nil, fmt.Errorf("list channels to find %s (%s): %w", n, key, err)
				}
				for _, c := range chs {
					byName[c.Name] = c.ID
				}
				if next == "" {
					break
				}
				cursor = next
			}
		}
		id, ok := byName[strings.TrimPrefix(n, "#")]
		if !ok {
			return nil, permanent("%s: channel %s not found; check the name, invite the bot if the channel is private, or use the channel ID", key, n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// appOptions builds the bot's options from the configuration.
func appOptions(cfg config.Config, api *slack.Client, db *store.DB, announce []string, log *slog.Logger, clk clock.Clock) bot.Options {
	return bot.Options{
		Slack:            api,
		Store:            db,
		Policy:           policy(cfg),
		AnnounceChannels: announce,
		ChannelPrefix:    cfg.Slack.ChannelPrefix,
		TimelineReaction: cfg.Slack.TimelineReaction,
		Location:         cfg.Location(),
		Clock:            clk,
		Logger:           log.With("component", "bot"),
		Escalation:       bot.EscalationTarget{UserGroup: cfg.Reminders.EscalateTo.Usergroup, Users: cfg.Reminders.EscalateTo.Users},
		Postmortem:       bot.PostmortemOptions{Dir: cfg.Postmortem.Dir, GitCommit: cfg.Postmortem.GitCommit},
		ShutdownGrace:    cfg.ShutdownGrace,
		ConnectTimeout:   cfg.Slack.ConnectTimeout,
		CallTimeout:      cfg.Slack.CallTimeout,
		Oncall:           oncallOptions(cfg),
	}
}

// cronLogger adapts slog to robfig/cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "err", err)...)
}

// schedule starts the wall-clock jobs: the reminder tick, the digest and
// the email digest.
// The work itself lives in plain methods tested with a fake clock.
func schedule(ctx context.Context, cfg config.Config, app *bot.App, db *store.DB, sched *nudge.Scheduler, digestChannel string, log *slog.Logger) (*cron.Cron, error) {
	cl := cronLogger{log.With("component", "cron")}
	c := cron.New(cron.WithLocation(cfg.Location()), cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	if _, err := c.AddFunc(fmt.Sprintf("@every %s", cfg.Scheduler.Tick), func() {
		res, err := sched.Tick(ctx)
		if err != nil {
			log.Error("reminder tick", "err", err)
		} else if res.Effects+res.Failed > 0 {
			log.Info("reminder tick", "due", res.Due, "effects", res.Effects, "failed", res.Failed)
		}
	}); err != nil {
		return nil, fmt.Errorf("scheduler.tick: %w", err)
	}
	// The dedupe table of Slack event ids only needs to outlast Slack's
	// redeliveries (minutes); a week is plenty.
	if _, err := c.AddFunc("@daily", func() {
		if n, err := db.PruneSeen(ctx, time.Now().Add(-7*24*time.Hour)); err != nil {
			log.Error("prune seen event ids", "err", err)
		} else if n > 0 {
			log.Info("pruned seen event ids", "count", n)
		}
	}); err != nil {
		return nil, fmt.Errorf("schedule pruning: %w", err)
	}
	if cfg.Digest.Enabled {
		spec, err := digestSchedule(cfg)
		if err != nil {
			return nil, err
		}
		c.Schedule(spec, cron.FuncJob(func() {
			if err := app.Digest(ctx, digestChannel, cfg.Digest.PostWhenEmpty); err != nil {
				log.Error("digest", "err", err)
			}
		}))
	}
	if err := scheduleMailDigest(ctx, cfg, c, app, log); err != nil {
		return nil, err
	}
	c.Start()
	return c, nil
}

// scheduleMailDigest runs the stakeholders' email digest at
// digest.schedule, and once at start for a digest missed while the bot
// was down (App.MailDigest sends each address each digest once).
func scheduleMailDigest(ctx context.Context, cfg config.Config, c *cron.Cron, app *bot.App, log *slog.Logger) error {
	if !cfg.EmailDigest() || cfg.Email.Host == "" {
		return nil
	}
	spec, err := digestSchedule(cfg)
	if err != nil {
		return err
	}
	job := cron.FuncJob(func() {
		res, err := app.MailDigest(ctx, spec)
		if err != nil {
			log.Error("email digest", "err", err, "digest_at", res.At, "mails", res.Queued)
		}
	})
	c.Schedule(spec, job)
	c.Schedule(&atStart{}, job)
	return nil
}

// atStart is a cron schedule that runs its job once, when cron starts.
type atStart struct{ done bool }

// Next implements cron.Schedule: t the first time, then never (zero).
func (s *atStart) Next(t time.Time) time.Time {
	if s.done {
		return time.Time{}
	}
	s.done = true
	return t
}

// digestSchedule is when the digest runs, in the team's time zone.
func digestSchedule(cfg config.Config) (cron.Schedule, error) {
	s, err := cron.ParseStandard("CRON_TZ=" + cfg.Location().String() + " " + cfg.Digest.Schedule)
	if err != nil {
		return nil, fmt.Errorf("digest.schedule: %w", err)
	}
	return s, nil
}
