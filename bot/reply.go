package bot

import (
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// ackText is the payload of a slash-command ack showing a message to the
// person who typed it.
func ackText(text string) map[string]any {
	return ackBlocks(text, views.Ephemeral(text))
}

// ackBlocks is ackText with blocks of its own. Links do not unfurl: a
// reply is for reading, not for previews.
func ackBlocks(text string, blocks []slack.Block) map[string]any {
	return map[string]any{"response_type": "ephemeral", "text": views.Truncate(text, 300), "blocks": blocks,
		"unfurl_links": false, "unfurl_media": false}
}

// ackError answers a refused request in its ack. Domain errors are
// explained; internal ones are apologised for (and logged where they were
// handled). lost is the person's own text, shown back so that a refusal
// never loses what they typed.
func ackError(err error, lost string) map[string]any {
	msg := incident.ErrorMessage(err)
	return ackBlocks(msg, views.ErrorReply(msg, lost))
}

// ackFor answers a checked request: its confirmation, or why it is
// refused.
func ackFor(lost string) func(c *call, err error) any {
	return func(c *call, err error) any {
		if err != nil {
			return ackError(err, lost)
		}
		if c.ack == "" {
			return nil
		}
		return ackText(c.ack)
	}
}

// replyTo answers the person behind o with text, through the outbox.
func replyTo(o op, text string, blocks []slack.Block) incident.Effect {
	if blocks == nil {
		blocks = views.Ephemeral(text)
	}
	return effect(effReply, laneDM(o.Actor), payload{Msg: msgBlocks, Blocks: blocksJSON(blocks), Text: text,
		ResponseURL: o.ResponseURL, Channel: o.Channel, User: o.Actor})
}

// replyError answers a request refused after its ack.
func (a *App) replyError(o op, err error) incident.Effect {
	msg := incident.ErrorMessage(err)
	return replyTo(o, msg, views.ErrorReply(msg, lostText(o)))
}

// lostText is the person's own free text in a request, shown back when it
// is refused.
func lostText(o op) string {
	switch {
	case o.Text != "":
		return o.Text
	case o.Title != "":
		if o.Impact != "" {
			return o.Title + "\n" + o.Impact
		}
		return o.Title
	case o.Brief != nil:
		return o.Brief.Text()
	}
	return ""
}
