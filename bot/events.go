package bot

import (
	"context"

	"github.com/slack-go/slack/slackevents"
)

// onEvent turns war-room activity into timeline requests: a message given
// the timeline reaction or pinned joins the timeline, and later edits and
// deletions of it are recorded. Slack redelivers events it thinks were
// missed; each event_id (and envelope) acts once.
func (a *App) onEvent(ctx context.Context, ev slackevents.EventsAPIEvent, env string, ack func(any)) {
	keys := []string{env}
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		keys = append(keys, "event:"+cb.EventID)
	}
	silent := func(*call, error) any { return nil }
	o := op{Via: viaEvent}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		if e.Reaction != a.opt.TimelineReaction || e.Item.Type != "message" || e.User == a.botUserID {
			break
		}
		o.Kind, o.Actor, o.Channel, o.TS = opPin, e.User, e.Item.Channel, e.Item.Timestamp
	case *slackevents.PinAddedEvent:
		if e.User == a.botUserID || e.Item.Type != "message" {
			break
		}
		o.Kind, o.Actor, o.Channel, o.TS = opPin, e.User, e.Channel, e.Item.Timestamp
		if o.Channel == "" {
			o.Channel = e.Item.Channel
		}
		if o.TS == "" && e.Item.Message != nil {
			o.TS = e.Item.Message.Timestamp
		}
	case *slackevents.MessageEvent:
		switch e.SubType {
		case "message_changed":
			// Link previews and reply counts change a message too; only a
			// new text is an edit.
			if e.Message == nil || (e.PreviousMessage != nil && e.PreviousMessage.Text == e.Message.Text) {
				break
			}
			o.Kind, o.Actor, o.Channel, o.TS, o.Text = opEdit, e.Message.User, e.Channel, e.Message.Timestamp, e.Message.Text
		case "message_deleted":
			o.Kind, o.Channel, o.TS = opDelete, e.Channel, e.DeletedTimeStamp
			if e.PreviousMessage != nil {
				o.Actor = e.PreviousMessage.User
			}
		}
	}
	if o.Kind == "" || o.Channel == "" || o.TS == "" {
		ack(nil)
		return
	}
	a.accept(ctx, o, keys, ack, silent)
}
