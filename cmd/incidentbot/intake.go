package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/metrics"
	"github.com/incidentbot/incidentbot/store"
)

// resolveIntakeChannels returns c with every triage channel given by
// "#name" replaced by its ID, so that the bot posts and updates triage
// messages by ID. A name that is not found is a permanent error naming
// its key.
func resolveIntakeChannels(ctx context.Context, api *slack.Client, c intake.Config) (intake.Config, error) {
	type ref struct {
		key string
		ch  *string
	}
	refs := []ref{{"intake.triage_channel", &c.TriageChannel}, {"intake.default_route.channel", &c.DefaultRoute.Channel}}
	c.Routes = append([]intake.RouteConfig(nil), c.Routes...)
	for i := range c.Routes {
		refs = append(refs, ref{fmt.Sprintf("intake.routes[%d].channel", i), &c.Routes[i].Channel})
	}
	for _, r := range refs {
		if !strings.HasPrefix(*r.ch, "#") {
			continue
		}
		ids, err := resolveChannels(ctx, api, r.key, []string{*r.ch})
		if err != nil {
			return c, err
		}
		*r.ch = ids[0]
	}
	return c, nil
}

// intakeHandler builds the alert and deploy hooks of the bot, counted in
// m.
func intakeHandler(c intake.Config, app *bot.App, m *metrics.Metrics, log *slog.Logger) (http.Handler, error) {
	h, err := intake.New(intake.Options{Config: c, Sink: app, Logger: log.With("component", "intake"), Observe: m.Intake})
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	return h, nil
}

// newMetrics builds the metrics of a bot on db.
func newMetrics(db *store.DB, log *slog.Logger) *metrics.Metrics {
	return metrics.New(metrics.Options{Source: db, Logger: log.With("component", "metrics")})
}
