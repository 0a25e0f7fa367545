package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/bot/web"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/leader"
)

// cmdRun checks the configuration and the Slack tokens, opens the
// database, resolves channel names, then connects over Socket Mode and
// serves until ctx ends; it then finishes in-flight work (for at most
// shutdown_grace), stops the scheduler and closes the store. It returns an
// error (exit status 1) when a token is refused, when Slack stays
// unreachable for slack.connect_timeout, at start-up or later, and when
// the bot stops on its own. With store.backend etcd, any number of
// replicas run: each stands by until elected leader, and only the leader
// connects to Slack and runs the scheduler and the outbox.
func cmdRun(ctx context.Context, env *Env, args []string) error {
	opts, err := parseRunFlags(env, args)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(ctx, opts.Config, env.vars())
	if err != nil {
		return err
	}
	log := NewLogger(cfg.Log, env.Stderr)
	logConfigWarnings(cfg, log)
	// On etcd, only the leader's term lets Slack calls through.
	gate := &leaseGate{}
	api := slackClient(cfg, log, gate.wrap)
	// A wrong token must end the process before anything else happens.
	if err := checkTokens(ctx, api, cfg, env.Retry, log); err != nil {
		return err
	}
	db, el, closeStore, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeStore()
	pbs, err := assemblePlaybooks(cfg) // LoadConfig checked them
	if err != nil {
		return err
	}
	var announce []string
	var digest, drill string
	var public bot.PublicOptions
	intakeCfg := cfg.Intake
	err = retrySlack(ctx, cfg, env.Retry, log, "resolve channel names", func(ctx context.Context) error {
		var err error
		if announce, err = resolveChannels(ctx, api, "slack.announce_channels", cfg.Slack.AnnounceChannels); err != nil {
			return err
		}
		if cfg.Digest.Enabled {
			ids, err := resolveChannels(ctx, api, "digest.channel", []string{cfg.Digest.Channel})
			if err != nil {
				return err
			}
			digest = ids[0]
		}
		if cfg.Drill.Channel != "" {
			ids, err := resolveChannels(ctx, api, "drill.channel", []string{cfg.Drill.Channel})
			if err != nil {
				return err
			}
			drill = ids[0]
		}
		if public, err = publicOptions(ctx, api, cfg); err != nil {
			return err
		}
		intakeCfg, err = resolveIntakeChannels(ctx, api, cfg.Intake)
		return err
	})
	if err != nil {
		return err
	}
	m := newMetrics(db, log)
	registerRole(m.Registry(), el)
	appOpts := appOptions(cfg, api, db, announce, log, clock.Real{})
	appOpts.Public = public
	appOpts.Playbooks = playbookOptions(cfg, pbs, drill)
	appOpts.Metrics = m
	appOpts.Oncall.Checklists = pbs // issue 13: handoff checklists, playbooks.dir included
	// app serves the HTTP routes and sites; on etcd each term as leader
	// runs an App of its own (an App runs once).
	app := bot.New(appOpts)
	var current atomic.Pointer[bot.App]
	current.Store(app)
	ready := func() bool {
		if el != nil && el.Role() != leader.RoleLeader {
			return el.Standby()
		}
		return current.Load().Ready()
	}

	// runCtx ends the bot: on a signal, or when the connection to Slack
	// cannot be (re)established.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	if cfg.HTTP.Listen != "" {
		token, err := writeAdminToken(cfg.Store.Path)
		if err != nil {
			return err
		}
		defer os.Remove(adminTokenPath(cfg.Store.Path))
		spool := cfg.Store.Path + ".spool-"
		if err := web.RemoveStale(spool); err != nil {
			log.Warn("stale backup or export copies", "err", err)
		}
		hooks, err := intakeHandler(intakeCfg, app, m, log)
		if err != nil {
			return err
		}
		srv, err := web.Listen(cfg.HTTP.Listen, web.Handler(web.Options{
			Backup: db.Backup, Export: serveExport(db, app.ExportOptions),
			AdminToken: token, Spool: spool,
			Ready: ready, Role: roleOf(el), Logger: log.With("component", "http"),
			Hooks: hooks, Metrics: m.Handler(), Stats: serveStats(db, cfg),
			OncallFeed: app.CalendarFeed(cfg.Oncall.FeedToken), OncallAdmin: app.CalendarAdmin(),
		}), log.With("component", "http"), web.Timeouts{})
		if err != nil {
			return err
		}
		log.Info("admin HTTP server listening", "addr", srv.Addr())
		// The server stops with the bot, not after it, so that the whole
		// shutdown fits in shutdown_grace.
		stopped := make(chan struct{})
		context.AfterFunc(runCtx, func() {
			defer close(stopped)
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
			defer cancel()
			srv.Shutdown(sctx)
		})
		defer func() { stopRun(); <-stopped }()
	}
	stopSites, err := serveSites(runCtx, cfg, db, app, log)
	if err != nil {
		return err
	}
	defer stopSites()
	serve := func(ctx context.Context, app *bot.App) error {
		return serveSlack(ctx, cfg, app, db, digest, log)
	}
	if el == nil {
		err = serve(runCtx, app)
	} else {
		err = leadOrStandBy(runCtx, el, db, gate, log, func(ctx context.Context) error {
			app := bot.New(appOpts)
			current.Store(app)
			return serve(ctx, app)
		})
	}
	stopRun()
	if err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

// serveSlack runs app and the scheduler until ctx ends or the connection
// to Slack cannot be (re)established; it then stops the scheduler and
// waits for a tick in progress.
func serveSlack(ctx context.Context, cfg config.Config, app *bot.App, db *store.DB, digest string, log *slog.Logger) error {
	sched := &nudge.Scheduler{Store: db, Planner: app, Logger: log.With("component", "nudge")}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	c, err := schedule(runCtx, cfg, app, db, sched, digest, log)
	if err != nil {
		return err
	}
	// Catch up at once on reminders that fell due while the bot was down.
	var background sync.WaitGroup
	background.Go(func() {
		select {
		case <-app.Connected():
			if _, err := sched.Tick(runCtx); err != nil {
				log.Error("catch-up reminder tick", "err", err)
			}
		case <-runCtx.Done():
		}
	})
	// The bot gives up by itself when Socket Mode stays down for
	// slack.connect_timeout, so that the supervisor restarts it.
	runErr := app.Run(runCtx)
	stopRun()
	// Stop the scheduler and wait for a tick in progress before the store
	// closes.
	<-c.Stop().Done()
	background.Wait()
	switch {
	case errors.Is(runErr, bot.ErrConnectTimeout):
		return runErr
	case runErr != nil:
		return fmt.Errorf("slack: %s", oneLine(runErr.Error()))
	}
	return nil
}
