package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
)

// errNoStats refuses statistics when the store keeps no statistics index.
var errNoStats = errors.New("the store keeps no statistics index")

// Stats computes the figures of q from the store's statistics index.
func (a *App) Stats(ctx context.Context, q incident.StatsQuery) (incident.Stats, error) {
	r, ok := a.store.(incident.StatsReader)
	if !ok {
		return incident.Stats{}, errNoStats
	}
	return incident.ComputeStats(ctx, r, q, a.policy.SeverityNames())
}

// statsReply answers /incident stats in its ack: a read of the window's
// index entries, not of whole incidents.
func (a *App) statsReply(ctx context.Context, sc slack.SlashCommand, cmd command.Command) any {
	now := a.now()
	since, err := command.ParseSince(cmd.Since, now)
	if err != nil {
		return ackError(err, "")
	}
	// No end: what was declared at this very instant counts too.
	s, err := a.Stats(ctx, incident.StatsQuery{Since: since, Service: cmd.Service})
	if err != nil {
		a.fail("compute statistics", err, "user_id", sc.UserID)
		return ackError(err, "")
	}
	blocks, text := a.env().StatsReply(s)
	return ackBlocks(text, blocks)
}
