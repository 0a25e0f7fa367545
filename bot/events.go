package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// handleEventsAPI turns war-room activity into timeline entries: a message
// pinned or given the timeline reaction joins the timeline, and later
// edits and deletions of it are recorded. Slack redelivers events it
// thinks were missed; each event_id acts once.
func (a *App) handleEventsAPI(ctx context.Context, evt socketmode.Event) {
	ev, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok {
		return
	}
	// Only events the bot acts on are recorded for deduplication: every
	// message in every war room arrives here too.
	first := func() bool {
		cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
		if !ok || cb.EventID == "" {
			return true
		}
		first, err := a.store.FirstTime(ctx, "event:"+cb.EventID, a.now())
		if err != nil {
			a.fail("dedupe event", err, "event_id", cb.EventID)
			return true
		}
		return first
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		if e.Reaction != a.opt.TimelineReaction || e.Item.Type != "message" || e.User == a.botUserID || !first() {
			return
		}
		a.pinToTimeline(ctx, e.Item.Channel, e.Item.Timestamp, e.User)
	case *slackevents.PinAddedEvent:
		if e.User == a.botUserID || e.Item.Type != "message" || !first() {
			return
		}
		ts := e.Item.Timestamp
		if ts == "" && e.Item.Message != nil {
			ts = e.Item.Message.Timestamp
		}
		ch := e.Channel
		if ch == "" {
			ch = e.Item.Channel
		}
		a.pinToTimeline(ctx, ch, ts, e.User)
	case *slackevents.MessageEvent:
		if (e.SubType == "message_changed" || e.SubType == "message_deleted") && first() {
			a.messageChanged(ctx, e)
		}
	}
}

// pinToTimeline fetches the message (its text and files as they are now)
// and adds it to the timeline of the incident whose war room holds it.
func (a *App) pinToTimeline(ctx context.Context, channel, ts, actor string) {
	inc, err := a.store.FindIncidentByChannel(ctx, channel)
	if err != nil {
		a.fail("find incident of pinned message", err, "channel_id", channel)
		return
	}
	if inc.IsPinned(ts) {
		return
	}
	msg, err := a.fetchMessage(ctx, channel, ts)
	if err != nil {
		a.log.Error("fetch pinned message", "incident_id", inc.ID, "channel_id", channel, "err", err)
		return
	}
	if msg.BotID != "" && msg.BotID == a.botID {
		return
	}
	pm := incident.PinnedMessage{TS: ts, Author: msg.User, Text: safeCommandText(msg.Text)}
	if link, err := a.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts}); err == nil {
		pm.Permalink = link
	}
	for _, f := range msg.Files {
		link := f.Permalink
		if link == "" {
			link = f.Name
		}
		pm.Files = append(pm.Files, link)
	}
	_, evs, err := a.store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
		return i.PinMessage(a.policy, actor, pm, a.now())
	})
	if err != nil {
		a.fail("add pinned message to timeline", err, "incident_id", inc.ID)
		return
	}
	if len(evs) == 0 {
		return
	}
	if err := a.api.AddReactionContext(ctx, "white_check_mark", slack.ItemRef{Channel: channel, Timestamp: ts}); err != nil && !slackErr(err, "already_reacted") {
		a.log.Warn("acknowledge timeline entry", "incident_id", inc.ID, "err", err)
	}
}

func (a *App) fetchMessage(ctx context.Context, channel, ts string) (slack.Message, error) {
	h, err := a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Latest: ts, Inclusive: true, Limit: 1})
	if err != nil {
		return slack.Message{}, fmt.Errorf("read message %s: %w", ts, err)
	}
	for _, m := range h.Messages {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	// Thread replies are not in the history; ask for the thread.
	// Slack answers with the thread's parent first: start the page at the
	// reply itself.
	msgs, _, _, err := a.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Oldest: ts, Inclusive: true, Limit: 2})
	if err != nil {
		return slack.Message{}, fmt.Errorf("read thread message %s: %w", ts, err)
	}
	for _, m := range msgs {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	return slack.Message{}, fmt.Errorf("message %s not found in %s", ts, channel)
}

// messageChanged records edits and deletions of messages on a timeline.
func (a *App) messageChanged(ctx context.Context, e *slackevents.MessageEvent) {
	var ts, text, actor string
	var del bool
	switch e.SubType {
	case "message_changed":
		if e.Message == nil {
			return
		}
		// Link previews and reply counts change a message too; only a new
		// text is an edit.
		if e.PreviousMessage != nil && e.PreviousMessage.Text == e.Message.Text {
			return
		}
		ts, text, actor = e.Message.Timestamp, e.Message.Text, e.Message.User
	case "message_deleted":
		ts, del = e.DeletedTimeStamp, true
		if e.PreviousMessage != nil {
			actor = e.PreviousMessage.User
		}
	default:
		return
	}
	inc, err := a.store.FindIncidentByChannel(ctx, e.Channel)
	if err != nil || !inc.IsPinned(ts) {
		return
	}
	_, _, err = a.store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
		if del {
			return i.DeletePinned(a.policy, actor, ts, a.now())
		}
		return i.EditPinned(a.policy, actor, ts, safeCommandText(text), a.now())
	})
	if err != nil {
		a.fail("record edit of timeline message", err, "incident_id", inc.ID)
	}
}
