package outbound

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"
)

// Messages: post (once), find, update, ephemeral, response_url.

// Message is a message to post as the bot.
type Message struct {
	Channel string // a channel ID, or a user ID for a DM
	// ThreadTS posts the message as a reply in that thread; Broadcast also
	// shows it in the channel.
	ThreadTS  string
	Broadcast bool
	// Text is the notification text (and the fallback); Blocks the body.
	Text   string
	Blocks []slack.Block
	// Key identifies the message for Slack's history, so that a post whose
	// answer was lost can be found instead of posted twice. Empty: none.
	Key string
}

// metadataType is the event_type of the metadata the bot's messages carry.
const metadataType = "incidentbot_message"

func (c *Client) msgOptions(m Message) []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		// Links in incident messages are references, not previews: a
		// preview of every status page link buries the update.
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
		if m.Broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	if m.Key != "" {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    metadataType,
			EventPayload: map[string]any{"key": c.instance + ":" + m.Key},
		}))
	}
	return opts
}

// Post posts m and returns the channel it landed in (a DM's D… for a user
// ID) and its ts.
func (c *Client) Post(ctx context.Context, m Message) (channel, ts string, err error) {
	err = c.call(ctx, "chat.postMessage", m.Channel, func(ctx context.Context) error {
		channel, ts, err = c.api.PostMessageContext(ctx, m.Channel, c.msgOptions(m)...)
		return err
	})
	return channel, ts, err
}

// PostOnce posts m unless it is already there. With check set (the post may
// have happened: an earlier attempt timed out, or the process restarted
// while delivering it), it first looks in the channel (or thread) for a
// message carrying m.Key posted since since. m.Key must be set, and
// m.Channel a channel ID (resolve a DM with OpenDM first).
func (c *Client) PostOnce(ctx context.Context, m Message, check bool, since time.Time) (ts string, err error) {
	if check && m.Key != "" {
		ts, found, err := c.FindPosted(ctx, m.Channel, m.ThreadTS, m.Key, since)
		if IsCode(err, "not_in_channel") {
			// A public channel the bot posts in without being a member
			// (chat:write.public): join it to read its history.
			if jerr := c.Join(ctx, m.Channel); jerr != nil {
				return "", fmt.Errorf("join the channel to look for an earlier post: %w", jerr)
			}
			ts, found, err = c.FindPosted(ctx, m.Channel, m.ThreadTS, m.Key, since)
		}
		if err != nil {
			return "", fmt.Errorf("look for an earlier post: %w", err)
		}
		if found {
			c.log.Info("message already posted; not posting it again", "channel_id", m.Channel, "key", m.Key, "ts", ts)
			return ts, nil
		}
	}
	_, ts, err = c.Post(ctx, m)
	return ts, err
}

// FindPosted looks in channel (or the thread of threadTS) for a message of
// the bot carrying key, posted at or after since.
func (c *Client) FindPosted(ctx context.Context, channel, threadTS, key string, since time.Time) (string, bool, error) {
	want := c.instance + ":" + key
	var found string
	oldest := tsOf(since.Add(-time.Minute)) // clocks differ a little
	match := func(msgs []slack.Message) bool {
		for _, m := range msgs {
			if m.Metadata.EventType == metadataType && fmt.Sprint(m.Metadata.EventPayload["key"]) == want {
				found = m.Timestamp
				return true
			}
		}
		return false
	}
	cursor := ""
	for {
		var msgs []slack.Message
		var next string
		var err error
		if threadTS != "" {
			err = c.call(ctx, "conversations.replies", "", func(ctx context.Context) error {
				var more bool
				msgs, more, next, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
					ChannelID: channel, Timestamp: threadTS, Oldest: oldest, Cursor: cursor, Limit: 200, Inclusive: true, IncludeAllMetadata: true,
				})
				if !more {
					next = ""
				}
				return err
			})
		} else {
			err = c.call(ctx, "conversations.history", "", func(ctx context.Context) error {
				var h *slack.GetConversationHistoryResponse
				h, err = c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
					ChannelID: channel, Oldest: oldest, Cursor: cursor, Limit: 200, Inclusive: true, IncludeAllMetadata: true,
				})
				if h != nil {
					msgs, next = h.Messages, h.ResponseMetaData.NextCursor
				}
				return err
			})
		}
		if err != nil {
			return "", false, err
		}
		if match(msgs) {
			return found, true, nil
		}
		if next == "" {
			return "", false, nil
		}
		cursor = next
	}
}

// tsOf renders t as a Slack timestamp bound.
func tsOf(t time.Time) string {
	if t.IsZero() || t.Unix() < 0 {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10) + ".000000"
}

// Update replaces the text and blocks of the bot's message ts.
func (c *Client) Update(ctx context.Context, channel, ts, text string, blocks []slack.Block) error {
	return c.call(ctx, "chat.update", "", func(ctx context.Context) error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
}

// Ephemeral shows a message to user in channel.
func (c *Client) Ephemeral(ctx context.Context, channel, user, text string, blocks []slack.Block) error {
	return c.call(ctx, "chat.postEphemeral", channel, func(ctx context.Context) error {
		_, err := c.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
}

// Respond answers through a response_url (ephemeral to the person who
// acted; it works in channels the bot is not in).
func (c *Client) Respond(ctx context.Context, responseURL, text string, blocks []slack.Block) error {
	return c.call(ctx, "response_url", "", func(ctx context.Context) error {
		_, _, err := c.api.PostMessageContext(ctx, "", slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...),
			slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral))
		return err
	})
}
