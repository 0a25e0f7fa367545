package outbound

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/clock"
)

// Options configure a Client.
type Options struct {
	// Clock defaults to the real one.
	Clock clock.Clock
	// Timeout bounds each call (default 10 s). The HTTP client should have
	// one too; this one also covers waiting for a connection.
	Timeout time.Duration
	// Instance tells this database's messages from another's in message
	// metadata (see Post); default "incidentbot".
	Instance string
	Logger   *slog.Logger
	// Observe, when set, hears the outcome of every call (for metrics).
	Observe func(method string, err error, took time.Duration)
	// NoPacing turns off the limiter that keeps calls under Slack's rate
	// limits before they are made; 429s and their Retry-After are still
	// honoured. It is for tests against a fake Slack that does not limit:
	// the limiter runs on the (often frozen) test clock.
	NoPacing bool
}

// Client makes the bot's Slack Web API calls. It is safe for concurrent
// use and holds no lock across a call.
type Client struct {
	api      *slack.Client
	clk      clock.Clock
	lim      *limits
	timeout  time.Duration
	instance string
	log      *slog.Logger
	observe  func(string, error, time.Duration)
}

// New returns a Client calling Slack through api.
func New(api *slack.Client, o Options) *Client {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Instance == "" {
		o.Instance = "incidentbot"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	lim := newLimits(o.Clock)
	lim.noPacing = o.NoPacing
	return &Client{api: api, clk: o.Clock, lim: lim, timeout: o.Timeout, instance: o.Instance, log: o.Logger, observe: o.Observe}
}

// API returns the underlying slack-go client, for the Socket Mode
// connection.
func (c *Client) API() *slack.Client { return c.api }

// call runs one Web API call: it waits for the rate limit, bounds the call
// with the timeout, and remembers a 429's Retry-After for every caller.
func (c *Client) call(ctx context.Context, method, channel string, fn func(ctx context.Context) error) error {
	if err := c.lim.wait(ctx, method, channel); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	err := fn(cctx)
	if class, wait := Classify(err); class == RateLimited {
		c.lim.block(method, channel, wait)
	}
	if c.observe != nil {
		c.observe(method, err, time.Since(start))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

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

// OpenDM returns the ID of the bot's direct-message channel with user.
func (c *Client) OpenDM(ctx context.Context, user string) (string, error) {
	var id string
	err := c.call(ctx, "conversations.open", "", func(ctx context.Context) error {
		ch, _, _, err := c.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
		if ch != nil {
			id = ch.ID
		}
		return err
	})
	return id, err
}

// CreateChannel creates a public or private channel.
func (c *Client) CreateChannel(ctx context.Context, name string, private bool) (*slack.Channel, error) {
	var ch *slack.Channel
	err := c.call(ctx, "conversations.create", "", func(ctx context.Context) error {
		var err error
		ch, err = c.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: private})
		return err
	})
	return ch, err
}

// FindChannel looks up a channel the bot can see by name (conversations.list
// pages through every channel: use it only to recover from an ambiguous
// create).
func (c *Client) FindChannel(ctx context.Context, name string) (*slack.Channel, error) {
	cursor := ""
	for {
		var chs []slack.Channel
		var next string
		err := c.call(ctx, "conversations.list", "", func(ctx context.Context) error {
			var err error
			chs, next, err = c.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
				Cursor: cursor, ExcludeArchived: true, Limit: 1000, Types: []string{"public_channel", "private_channel"},
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		for i := range chs {
			if chs[i].Name == name {
				return &chs[i], nil
			}
		}
		if next == "" {
			return nil, nil
		}
		cursor = next
	}
}

// Join makes the bot a member of a public channel.
func (c *Client) Join(ctx context.Context, channel string) error {
	return c.call(ctx, "conversations.join", "", func(ctx context.Context) error {
		_, _, _, err := c.api.JoinConversationContext(ctx, channel)
		return err
	})
}

// Invite adds user to channel. A user already there is not an error.
func (c *Client) Invite(ctx context.Context, channel, user string) error {
	err := c.call(ctx, "conversations.invite", "", func(ctx context.Context) error {
		_, err := c.api.InviteUsersToConversationContext(ctx, channel, user)
		return err
	})
	if IsCode(err, "already_in_channel") {
		return nil
	}
	return err
}

// SetTopic sets a channel's topic.
func (c *Client) SetTopic(ctx context.Context, channel, topic string) error {
	return c.call(ctx, "conversations.setTopic", "", func(ctx context.Context) error {
		_, err := c.api.SetTopicOfConversationContext(ctx, channel, topic)
		return err
	})
}

// Pin pins message ts. A message already pinned is not an error.
func (c *Client) Pin(ctx context.Context, channel, ts string) error {
	err := c.call(ctx, "pins.add", "", func(ctx context.Context) error {
		return c.api.AddPinContext(ctx, channel, slack.ItemRef{Channel: channel, Timestamp: ts})
	})
	if IsCode(err, "already_pinned") {
		return nil
	}
	return err
}

// React adds the reaction name to message ts. One already there is not an
// error.
func (c *Client) React(ctx context.Context, channel, ts, name string) error {
	err := c.call(ctx, "reactions.add", "", func(ctx context.Context) error {
		return c.api.AddReactionContext(ctx, name, slack.ItemRef{Channel: channel, Timestamp: ts})
	})
	if IsCode(err, "already_reacted") {
		return nil
	}
	return err
}

// Archive archives a channel. One already archived is not an error.
func (c *Client) Archive(ctx context.Context, channel string) error {
	err := c.call(ctx, "conversations.archive", "", func(ctx context.Context) error {
		return c.api.ArchiveConversationContext(ctx, channel)
	})
	if IsCode(err, "already_archived") {
		return nil
	}
	return err
}

// Upload shares a text file in channel with a comment. Title should be
// unique in the channel: FindFile looks for it after an ambiguous failure.
func (c *Client) Upload(ctx context.Context, channel, filename, title, content, comment string) error {
	var up *slack.GetUploadURLExternalResponse
	err := c.call(ctx, "files.getUploadURLExternal", "", func(ctx context.Context) error {
		var err error
		up, err = c.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: filename, FileSize: len(content)})
		return err
	})
	if err != nil {
		return err
	}
	err = c.call(ctx, "files.upload", "", func(ctx context.Context) error {
		return c.api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Content: content, Filename: filename})
	})
	if err != nil {
		return err
	}
	return c.call(ctx, "files.completeUploadExternal", "", func(ctx context.Context) error {
		_, err := c.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
			Files: []slack.FileSummary{{ID: up.FileID, Title: title}}, Channel: channel, InitialComment: comment,
		})
		return err
	})
}

// FindFile reports whether a file titled title was shared in channel at or
// after since.
func (c *Client) FindFile(ctx context.Context, channel, title string, since time.Time) (bool, error) {
	cursor := ""
	for {
		var h *slack.GetConversationHistoryResponse
		err := c.call(ctx, "conversations.history", "", func(ctx context.Context) error {
			var err error
			h, err = c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: tsOf(since.Add(-time.Minute)), Cursor: cursor, Limit: 200, Inclusive: true,
			})
			return err
		})
		if err != nil {
			return false, err
		}
		for _, m := range h.Messages {
			for _, f := range m.Files {
				if f.Title == title {
					return true, nil
				}
			}
		}
		if h.ResponseMetaData.NextCursor == "" {
			return false, nil
		}
		cursor = h.ResponseMetaData.NextCursor
	}
}

// Message fetches message ts of channel, also when it is a thread reply.
func (c *Client) Message(ctx context.Context, channel, ts string) (slack.Message, error) {
	var h *slack.GetConversationHistoryResponse
	err := c.call(ctx, "conversations.history", "", func(ctx context.Context) error {
		var err error
		h, err = c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Latest: ts, Inclusive: true, Limit: 1})
		return err
	})
	if err != nil {
		return slack.Message{}, err
	}
	for _, m := range h.Messages {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	// Thread replies are not in the history; ask for the thread. Slack
	// answers with the thread's parent first: start the page at the reply.
	var msgs []slack.Message
	err = c.call(ctx, "conversations.replies", "", func(ctx context.Context) error {
		var err error
		msgs, _, _, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Oldest: ts, Inclusive: true, Limit: 2})
		return err
	})
	if err != nil {
		return slack.Message{}, err
	}
	for _, m := range msgs {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	return slack.Message{}, fmt.Errorf("message %s not found in %s", ts, channel)
}

// Permalink returns a link to message ts.
func (c *Client) Permalink(ctx context.Context, channel, ts string) (string, error) {
	var link string
	err := c.call(ctx, "chat.getPermalink", "", func(ctx context.Context) error {
		var err error
		link, err = c.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	return link, err
}

// User returns a user's profile.
func (c *Client) User(ctx context.Context, id string) (*slack.User, error) {
	var u *slack.User
	err := c.call(ctx, "users.info", "", func(ctx context.Context) error {
		var err error
		u, err = c.api.GetUserInfoContext(ctx, id)
		return err
	})
	return u, err
}

// Users lists every user of the workspace (paged by slack-go).
func (c *Client) Users(ctx context.Context) ([]slack.User, error) {
	var us []slack.User
	err := c.call(ctx, "users.list", "", func(ctx context.Context) error {
		var err error
		us, err = c.api.GetUsersContext(ctx)
		return err
	})
	return us, err
}

// Members lists the members of a channel.
func (c *Client) Members(ctx context.Context, channel string) ([]string, error) {
	var all []string
	cursor := ""
	for {
		var ids []string
		var next string
		err := c.call(ctx, "conversations.members", "", func(ctx context.Context) error {
			var err error
			ids, next, err = c.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{ChannelID: channel, Cursor: cursor, Limit: 1000})
			return err
		})
		if err != nil {
			return nil, err
		}
		all = append(all, ids...)
		if next == "" {
			return all, nil
		}
		cursor = next
	}
}

// OpenView opens a modal with a trigger_id (valid 3 s after the click).
func (c *Client) OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) error {
	return c.call(ctx, "views.open", "", func(ctx context.Context) error {
		_, err := c.api.OpenViewContext(ctx, triggerID, v)
		return err
	})
}

// AuthTest checks the bot token and returns who the bot is.
func (c *Client) AuthTest(ctx context.Context) (*slack.AuthTestResponse, error) {
	var r *slack.AuthTestResponse
	err := c.call(ctx, "auth.test", "", func(ctx context.Context) error {
		var err error
		r, err = c.api.AuthTestContext(ctx)
		return err
	})
	return r, err
}

// UserByEmail finds the user with this email (users.lookupByEmail,
// scope users:read.email): how rotations name people by email.
func (c *Client) UserByEmail(ctx context.Context, email string) (*slack.User, error) {
	var u *slack.User
	err := c.call(ctx, "users.lookupByEmail", "", func(ctx context.Context) error {
		var err error
		u, err = c.api.GetUserByEmailContext(ctx, email)
		return err
	})
	return u, err
}
