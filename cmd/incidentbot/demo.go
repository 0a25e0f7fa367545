package main

import (
	"context"

	"github.com/incidentbot/incidentbot/bot/demo"
)

// cmdDemo plays a scripted incident with the real bot against the built-in
// fake Slack, and prints what each channel saw.
func cmdDemo(ctx context.Context, env *Env, args []string) error {
	opts, err := parseDemoFlags(env, args)
	if err != nil {
		return err
	}
	return demo.Run(ctx, env.Stdout, demo.Options{Keep: opts.Keep})
}
