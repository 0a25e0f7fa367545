package outbound

import (
	"context"

	"github.com/slack-go/slack"
)

// The calls of issue 12: playbooks add bookmarks to the war room and
// invite or notify the members of user groups (UserGroupMembers).

// AddBookmark adds a link to channel's bookmarks bar.
func (c *Client) AddBookmark(ctx context.Context, channel, title, link string) error {
	return c.call(ctx, "bookmarks.add", "", func(ctx context.Context) error {
		_, err := c.api.AddBookmarkContext(ctx, channel, slack.AddBookmarkParameters{Title: title, Type: "link", Link: link})
		return err
	})
}

// Bookmarks lists channel's bookmarks, so that a bookmark whose answer
// was lost is found instead of added twice.
func (c *Client) Bookmarks(ctx context.Context, channel string) ([]slack.Bookmark, error) {
	var bs []slack.Bookmark
	err := c.call(ctx, "bookmarks.list", "", func(ctx context.Context) error {
		var err error
		bs, err = c.api.ListBookmarksContext(ctx, channel)
		return err
	})
	return bs, err
}

// UpdateView replaces an open modal, unless it changed since hash (then
// Slack answers hash_conflict and the newer view stays).
func (c *Client) UpdateView(ctx context.Context, viewID, hash string, v slack.ModalViewRequest) error {
	return c.call(ctx, "views.update", "", func(ctx context.Context) error {
		_, err := c.api.UpdateViewContext(ctx, v, "", hash, viewID)
		return err
	})
}
