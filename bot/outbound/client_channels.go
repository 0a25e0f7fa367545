package outbound

import (
	"context"

	"github.com/slack-go/slack"
)

// Channels: DMs, create, find by name, join, invite, topic, pins,
// reactions, archive.

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
