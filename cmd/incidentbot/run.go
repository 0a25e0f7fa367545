package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/bot/web"
	"github.com/incidentbot/incidentbot/store"
)

// cmdRun connects to Slack over Socket Mode and serves until ctx ends,
// then finishes in-flight work, stops the scheduler and closes the store.
func cmdRun(ctx context.Context, env *Env, args []string) error {
	opts, err := parseRunFlags(env, args)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig(opts.Config, env.getenv)
	if err != nil {
		return err
	}
	log := NewLogger(cfg.Log, env.Stderr)
	db, err := store.Open(cfg.Store.Path, store.WithLogger(log.With("component", "store")))
	if err != nil {
		return err
	}
	defer db.Close()
	api := slackClient(cfg, log)
	announce, err := resolveChannels(ctx, api, cfg.Slack.AnnounceChannels)
	if err != nil {
		return err
	}
	var digest string
	if cfg.Digest.Enabled {
		ids, err := resolveChannels(ctx, api, []string{cfg.Digest.Channel})
		if err != nil {
			return fmt.Errorf("digest.channel: %w", err)
		}
		digest = ids[0]
	}
	app := bot.New(appOptions(cfg, api, db, announce, log, clock.Real{}))
	sched := &nudge.Scheduler{Store: db, Planner: app, Logger: log.With("component", "nudge")}
	if cfg.HTTP.Listen != "" {
		token, err := writeAdminToken(cfg.Store.Path)
		if err != nil {
			return err
		}
		defer os.Remove(adminTokenPath(cfg.Store.Path))
		srv, err := web.Listen(cfg.HTTP.Listen, web.Handler(web.Options{Backup: db.Backup, BackupToken: token, Ready: app.Ready, Logger: log}), log.With("component", "http"))
		if err != nil {
			return err
		}
		log.Info("admin HTTP server listening", "addr", srv.Addr())
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
	}
	c, err := schedule(ctx, cfg, app, db, sched, digest, log)
	if err != nil {
		return err
	}
	// Catch up at once on reminders that fell due while the bot was down.
	var catchUp sync.WaitGroup
	catchUp.Add(1)
	go func() {
		defer catchUp.Done()
		select {
		case <-app.Connected():
			if _, err := sched.Tick(ctx); err != nil {
				log.Error("catch-up reminder tick", "err", err)
			}
		case <-ctx.Done():
		}
	}()
	runErr := app.Run(ctx)
	// Stop the scheduler and wait for a tick in progress before the store
	// closes.
	<-c.Stop().Done()
	catchUp.Wait()
	if runErr != nil {
		return fmt.Errorf("slack: %w", runErr)
	}
	log.Info("stopped cleanly")
	return nil
}
