package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

// EscalationTarget is who hears about an update that is badly late,
// besides the operator.
type EscalationTarget struct {
	UserGroup string   // a Slack user group ID (S…)
	Users     []string // user IDs
}

func (t EscalationTarget) mentions() string {
	var m []string
	if t.UserGroup != "" {
		m = append(m, "<!subteam^"+t.UserGroup+">")
	}
	for _, u := range t.Users {
		m = append(m, "<@"+u+">")
	}
	return strings.Join(m, " ")
}

// Remind delivers one reminder in Slack. It implements nudge.Notifier.
func (a *App) Remind(ctx context.Context, inc *incident.Incident, r incident.Reminder) error {
	if inc.ChannelID == "" {
		return fmt.Errorf("incident %d has no war room yet", inc.ID)
	}
	blocks, text := a.env().Reminder(inc, r, a.opt.Escalation.mentions())
	// No patient retry here: the scheduler keeps the reminder pending and
	// retries it durably, across restarts.
	if _, err := a.postWith(ctx, false, inc.ChannelID, blocks, text); err != nil {
		return fmt.Errorf("post reminder: %w", err)
	}
	// What follows is secondary: bounded, so that one rate-limited channel
	// cannot hold up the tick and every other incident's reminders.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if r.Stage == incident.StageEscalated && !inc.Private {
		note, plain := views.Notice(fmt.Sprintf(":hourglass: The update on incident #%d is late (it was due %s). The team has been reminded.", inc.ID, views.When(r.Due, a.now(), a.loc)))
		for _, ann := range inc.Announcements {
			if _, err := a.post(ctx, ann.ChannelID, note, plain, slack.MsgOptionTS(ann.TS)); err != nil {
				a.log.Warn("post late-update note", "incident_id", inc.ID, "channel_id", ann.ChannelID, "err", err)
			}
		}
	}
	if r.Stage >= incident.StageDue {
		a.refresh(ctx, inc.ID)
	}
	return nil
}

// Digest posts the open incidents to channel. With nothing open it posts
// only when postWhenEmpty.
func (a *App) Digest(ctx context.Context, channel string, postWhenEmpty bool) error {
	incs, err := a.store.FindIncidents(ctx, incident.Filter{OpenOnly: true})
	if err != nil {
		return fmt.Errorf("read open incidents: %w", err)
	}
	if len(incs) == 0 && !postWhenEmpty {
		return nil
	}
	blocks, text := a.env().Digest(incs)
	if _, err := a.post(ctx, channel, blocks, text); err != nil {
		return fmt.Errorf("post digest: %w", err)
	}
	return nil
}

// Archive archives a closed incident's war room. It implements
// nudge.Notifier.
func (a *App) Archive(ctx context.Context, inc *incident.Incident) error {
	if inc.ChannelID == "" {
		return nil
	}
	err := a.api.ArchiveConversationContext(ctx, inc.ChannelID)
	if err != nil && !slackErr(err, "already_archived") {
		return fmt.Errorf("archive war room: %w", err)
	}
	a.log.Info("war room archived", "incident_id", inc.ID, "channel_id", inc.ChannelID)
	return nil
}
