package bot

import (
	"context"
	"errors"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

// replier sends the answers to one person's action: through the
// response_url when Slack gave one (it works in channels the bot is not
// in), else as an ephemeral message in the channel, else as a DM.
type replier struct {
	a           *App
	user        string
	channel     string
	responseURL string
}

func (r replier) blocks(ctx context.Context, text string, blocks []slack.Block) {
	opts := []slack.MsgOption{slack.MsgOptionText(views.Truncate(text, 300), false), slack.MsgOptionBlocks(blocks...)}
	if r.responseURL != "" {
		_, _, err := r.a.api.PostMessageContext(ctx, r.channel, append(opts, slack.MsgOptionResponseURL(r.responseURL, slack.ResponseTypeEphemeral))...)
		if err == nil {
			return
		}
		r.a.log.Warn("reply through response_url", "user_id", r.user, "err", err)
	}
	if r.channel != "" {
		if _, err := r.a.api.PostEphemeralContext(ctx, r.channel, r.user, opts...); err == nil {
			return
		}
	}
	if _, _, err := r.a.api.PostMessageContext(ctx, r.user, opts...); err != nil {
		r.a.log.Error("reply to user", "user_id", r.user, "err", err)
	}
}

func (r replier) text(ctx context.Context, text string) {
	r.blocks(ctx, text, views.Ephemeral(text))
}

// err answers a failed action. Domain errors are explained; internal ones
// are logged and apologised for. lost is the person's own text, shown back
// so that a refusal never loses what they typed.
func (r replier) err(ctx context.Context, err error, lost string) {
	r.a.fail("handle action", err, "user_id", r.user)
	msg := incident.ErrorMessage(err)
	r.blocks(ctx, msg, views.ErrorReply(msg, lost))
}

// ackText is the payload of a slash-command ack showing a message to the
// person who typed it.
func ackText(text string) map[string]any {
	return map[string]any{"response_type": "ephemeral", "text": views.Truncate(text, 300), "blocks": views.Ephemeral(text)}
}

func ackError(err error, lost string) map[string]any {
	msg := incident.ErrorMessage(err)
	return map[string]any{"response_type": "ephemeral", "text": views.Truncate(msg, 300), "blocks": views.ErrorReply(msg, lost)}
}

// post posts a message as the bot and returns its ts. Posts to one
// channel go out one at a time, in the order they were made, and are
// retried through rate limits, so a burst arrives late but whole and in
// order.
func (a *App) post(ctx context.Context, channel string, blocks []slack.Block, text string, extra ...slack.MsgOption) (string, error) {
	return a.postWith(ctx, true, channel, blocks, text, extra...)
}

// postWith is post, with the patient retry layer optional: callers that
// keep their own durable retry (the reminder scheduler) fail fast instead.
func (a *App) postWith(ctx context.Context, retry bool, channel string, blocks []slack.Block, text string, extra ...slack.MsgOption) (string, error) {
	opts := append([]slack.MsgOption{slack.MsgOptionText(views.Truncate(text, 300), false), slack.MsgOptionBlocks(blocks...)}, extra...)
	m := a.channelMus.get(channel)
	m.Lock()
	defer m.Unlock()
	var ts string
	call := func() error {
		var err error
		_, ts, err = a.api.PostMessageContext(ctx, channel, opts...)
		return err
	}
	if !retry {
		return ts, call()
	}
	return ts, a.withRetry(ctx, call)
}

// slackErr reports whether Slack answered the call with the error code
// (e.g. "name_taken"). It compares the code itself: a substring match would
// take "user_not_in_channel" for "not_in_channel".
func slackErr(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}
