package main

import (
	"context"
	"errors"
)

// This file holds the subcommands whose bodies the lead wires up. Flag
// parsing lives in main.go (parseXFlags), so replacing this file keeps it.

// cmdRun connects to Slack over Socket Mode and runs the bot until ctx ends.
func cmdRun(ctx context.Context, env *Env, args []string) error {
	opts, err := parseRunFlags(env, args)
	if err != nil {
		return err
	}
	_ = opts // LoadConfig(opts.Config, env.Getenv), NewLogger, open the store, run.
	return errors.New("not wired yet")
}

// cmdDemo plays a scripted incident against the fake Slack.
func cmdDemo(ctx context.Context, env *Env, args []string) error {
	opts, err := parseDemoFlags(env, args)
	if err != nil {
		return err
	}
	_ = opts
	return errors.New("not wired yet")
}

// cmdBackup writes a consistent copy of the database to opts.Out.
func cmdBackup(ctx context.Context, env *Env, args []string) error {
	opts, err := parseBackupFlags(env, args)
	if err != nil {
		return err
	}
	_ = opts // ReadConfig + cfg.ValidateWithoutTokens: a backup needs no Slack.
	return errors.New("not wired yet")
}

// cmdExport writes incidents as Markdown or JSON to env.Stdout.
func cmdExport(ctx context.Context, env *Env, args []string) error {
	opts, err := parseExportFlags(env, args)
	if err != nil {
		return err
	}
	_ = opts
	return errors.New("not wired yet")
}
