package slackfake_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/manifest"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
)

func TestScopes_DefaultFromManifest(t *testing.T) {
	f := mustFixture(t)
	if got, want := f.s.Scopes(), manifest.Default().OAuthConfig.Scopes.Bot; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("scopes = %q, want the manifest's %q", got, want)
	}
}

func TestScopes_MissingScope(t *testing.T) {
	f := mustFixture(t, slackfake.WithoutScopes("pins:write", "groups:history"))
	_, ts, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("pin me", false))
	if err != nil {
		t.Fatal(err)
	}
	resp := rawCall(t, f, "pins.add", map[string]any{"channel": f.general, "timestamp": ts})
	if resp["ok"] != false || resp["error"] != "missing_scope" || resp["needed"] != "pins:write" {
		t.Fatalf("pins.add = %v", resp)
	}
	if p, _ := resp["provided"].(string); !strings.Contains(p, "chat:write") || strings.Contains(p, "pins:write") {
		t.Fatalf("provided = %q", p)
	}
	if c, _ := f.s.Channel(f.general); len(c.Pins) != 0 {
		t.Fatal("a refused call pinned anyway")
	}

	// The scope follows the channel type: history of a public channel
	// needs channels:history, of a private one groups:history.
	priv, _ := f.s.CreateChannel(f.alice, "secret", true, f.s.BotUserID())
	if _, err := f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: f.general}); err != nil {
		t.Fatalf("public history: %v", err)
	}
	resp = rawCall(t, f, "conversations.history", map[string]any{"channel": priv})
	if resp["error"] != "missing_scope" || resp["needed"] != "groups:history" {
		t.Fatalf("private history = %v", resp)
	}
	// An unknown channel tells no type: any of the scopes would do, and
	// the answer is about the channel.
	resp = rawCall(t, f, "conversations.history", map[string]any{"channel": "C404"})
	if resp["error"] != "channel_not_found" {
		t.Fatalf("unknown channel: %v", resp)
	}
}

func TestScopes_PerCallType(t *testing.T) {
	f := mustFixture(t, slackfake.WithoutScopes("groups:write", "groups:read"))
	if _, err := f.api.CreateConversationContext(f.ctx, slack.CreateConversationParams{ChannelName: "pub"}); err != nil {
		t.Fatalf("public create: %v", err)
	}
	_, err := f.api.CreateConversationContext(f.ctx, slack.CreateConversationParams{ChannelName: "priv", IsPrivate: true})
	wantCode(t, err, "missing_scope")
	// conversations.list needs the read scope of every type it lists.
	if _, _, err := f.api.GetConversationsContext(f.ctx, &slack.GetConversationsParameters{Types: []string{"public_channel"}}); err != nil {
		t.Fatalf("list public: %v", err)
	}
	resp := rawCall(t, f, "conversations.list", map[string]any{"types": "public_channel,private_channel"})
	if resp["error"] != "missing_scope" || resp["needed"] != "groups:read" {
		t.Fatalf("list private = %v", resp)
	}
}

func TestScopes_ChatWritePublic(t *testing.T) {
	f := mustFixture(t, slackfake.WithChatWritePublic(false))
	pub, _ := f.s.CreateChannel(f.alice, "public-no-bot", false)
	_, _, err := f.api.PostMessageContext(f.ctx, pub, slack.MsgOptionText("x", false))
	wantCode(t, err, "not_in_channel")
	if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("member", false)); err != nil {
		t.Fatal(err)
	}
}

func TestScopes_MessagesTab(t *testing.T) {
	m := manifest.Default()
	m.Features.AppHome.MessagesTabEnabled = false
	f := mustFixture(t, slackfake.WithManifest(m))
	_, _, err := f.api.PostMessageContext(f.ctx, f.bob, slack.MsgOptionText("psst", false))
	wantCode(t, err, "messages_tab_disabled")
}
