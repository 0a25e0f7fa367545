package outbound

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"
)

// Files and reads: uploads and finding them, messages, permalinks, users,
// members, modals, auth.test.

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
