package slackfake_test

import (
	"fmt"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/slackfake"
)

// TestBookmarks follows bookmarks.add as Slack documents it
// (https://docs.slack.dev/reference/methods/bookmarks.add): title and type
// required, only "link" accepted, an http(s) link, at most 100 per
// conversation, the bot a member, and bookmarks:write granted.
func TestBookmarks(t *testing.T) {
	f := mustFixture(t)
	add := func(channel, title, typ, link string) error { return addBookmark(f, channel, title, typ, link) }
	b, err := f.api.AddBookmarkContext(f.ctx, f.general, slack.AddBookmarkParameters{Title: "Dashboard", Type: "link", Link: "https://grafana.example.com/d/x"})
	if err != nil || b.ID == "" || b.ChannelID != f.general || b.Link != "https://grafana.example.com/d/x" || b.Type != "link" {
		t.Fatalf("bookmark %+v, %v", b, err)
	}
	wantCode(t, add(f.general, "", "link", "https://x.example"), "invalid_arguments")
	wantCode(t, add(f.general, "Doc", "file", "https://x.example"), "invalid_bookmark_type")
	wantCode(t, add(f.general, "Doc", "link", "wiki/page"), "invalid_link")
	wantCode(t, add("C0NOPE", "Doc", "link", "https://x.example"), "channel_not_found")
	private, err := f.s.CreateChannel(f.alice, "private-room", true, f.bob)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, add(private, "Doc", "link", "https://x.example"), "channel_not_found")
	for i := 1; i < 100; i++ {
		if err := add(f.general, fmt.Sprint("Link ", i), "link", fmt.Sprintf("https://x.example/%d", i)); err != nil {
			t.Fatalf("bookmark %d: %v", i, err)
		}
	}
	wantCode(t, add(f.general, "One too many", "link", "https://x.example/101"), "too_many_tabs")
	bs, err := f.api.ListBookmarksContext(f.ctx, f.general)
	if err != nil || len(bs) != 100 {
		t.Fatalf("%d bookmarks, %v", len(bs), err)
	}

	t.Run("Scope", func(t *testing.T) {
		f := mustFixture(t, slackfake.WithoutScopes("bookmarks:write"))
		wantCode(t, addBookmark(f, f.general, "Doc", "link", "https://x.example"), "missing_scope")
	})
}

// TestUsergroupsUsersList follows usergroups.users.list
// (https://docs.slack.dev/reference/methods/usergroups.users.list): the
// members' IDs, no_such_subteam for an unknown group, usergroups:read
// needed.
func TestUsergroupsUsersList(t *testing.T) {
	f := mustFixture(t)
	g := f.s.AddUserGroup("sre", f.alice, f.bob)
	ids, err := f.api.GetUserGroupMembersContext(f.ctx, g)
	if err != nil || len(ids) != 2 || ids[0] != f.alice || ids[1] != f.bob {
		t.Fatalf("members %v, %v", ids, err)
	}
	_, err = f.api.GetUserGroupMembersContext(f.ctx, "S0NOPE")
	wantCode(t, err, "no_such_subteam")
	t.Run("Scope", func(t *testing.T) {
		f := mustFixture(t, slackfake.WithoutScopes("usergroups:read"))
		_, err := f.api.GetUserGroupMembersContext(f.ctx, f.s.AddUserGroup("x", f.alice))
		wantCode(t, err, "missing_scope")
	})
}

func addBookmark(f *fixture, channel, title, typ, link string) error {
	_, err := f.api.AddBookmarkContext(f.ctx, channel, slack.AddBookmarkParameters{Title: title, Type: typ, Link: link})
	return err
}
