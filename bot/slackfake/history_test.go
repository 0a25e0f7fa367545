package slackfake_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
)

func TestChat_Metadata(t *testing.T) {
	f := mustFixture(t)
	md := slack.SlackMetadata{EventType: "incidentbot_outbox", EventPayload: map[string]any{"key": "inc-1/card", "n": 2}}
	_, parent, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("card", false), slack.MsgOptionMetadata(md))
	if err != nil {
		t.Fatal(err)
	}
	_, reply, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "incidentbot_outbox", EventPayload: map[string]any{"key": "inc-1/reply"}}))
	if err != nil {
		t.Fatal(err)
	}

	history := func(all bool) slack.Message {
		t.Helper()
		h, err := f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: f.general, IncludeAllMetadata: all, Latest: parent, Inclusive: true, Limit: 1})
		if err != nil || len(h.Messages) != 1 {
			t.Fatalf("history = %+v, %v", h, err)
		}
		return h.Messages[0]
	}
	if m := history(false); m.Metadata.EventType != "" {
		t.Fatalf("metadata without include_all_metadata: %+v", m.Metadata)
	}
	m := history(true)
	if m.Metadata.EventType != "incidentbot_outbox" || m.Metadata.EventPayload["key"] != "inc-1/card" || m.Metadata.EventPayload["n"] != float64(2) {
		t.Fatalf("metadata = %+v", m.Metadata)
	}

	replies := func(all bool) []slack.Message {
		t.Helper()
		msgs, _, _, err := f.api.GetConversationRepliesContext(f.ctx, &slack.GetConversationRepliesParameters{ChannelID: f.general, Timestamp: parent, IncludeAllMetadata: all})
		if err != nil || len(msgs) != 2 || msgs[1].Timestamp != reply {
			t.Fatalf("replies = %+v, %v", msgs, err)
		}
		return msgs
	}
	if r := replies(false); r[1].Metadata.EventType != "" {
		t.Fatalf("reply metadata without include_all_metadata: %+v", r[1].Metadata)
	}
	if r := replies(true); r[1].Metadata.EventPayload["key"] != "inc-1/reply" {
		t.Fatalf("reply metadata = %+v", r[1].Metadata)
	}

	// chat.update keeps the metadata unless it sends new, and the blocks
	// unless it sends blocks (an empty array removes them).
	_, withBlocks, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("b", false), slack.MsgOptionBlocks(section("kept")))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.api.UpdateMessageContext(f.ctx, f.general, withBlocks, slack.MsgOptionText("b v2", false)); err != nil {
		t.Fatal(err)
	}
	if m := f.s.ExpectMessage(t, f.general, "b v2"); len(m.Blocks) != 1 {
		t.Fatalf("text-only update dropped the blocks: %+v", m)
	}
	if resp := rawCall(t, f, "chat.update", map[string]any{"channel": f.general, "ts": withBlocks, "text": "b v3", "blocks": []any{}}); resp["ok"] != true {
		t.Fatal(resp)
	}
	if m := f.s.ExpectMessage(t, f.general, "b v3"); len(m.Blocks) != 0 {
		t.Fatalf("blocks: [] kept the blocks: %+v", m)
	}
	if _, _, _, err := f.api.UpdateMessageContext(f.ctx, f.general, parent, slack.MsgOptionText("card v2", false)); err != nil {
		t.Fatal(err)
	}
	if m := history(true); m.Text != "card v2" || m.Metadata.EventPayload["key"] != "inc-1/card" {
		t.Fatalf("after update: %+v", m)
	}

	for name, bad := range map[string]string{
		"NotJSON":      `{`,
		"NoEventType":  `{"event_payload":{}}`,
		"PayloadArray": `{"event_type":"x","event_payload":[1]}`,
	} {
		resp := rawCall(t, f, "chat.postMessage", map[string]any{"channel": f.general, "text": "x", "metadata": bad})
		if resp["ok"] != false || !strings.HasPrefix(fmt.Sprint(resp["error"]), "invalid_metadata_") {
			t.Errorf("%s: %v", name, resp)
		}
	}
}

func TestConversations_HistoryPaging(t *testing.T) {
	f := mustFixture(t)
	ch, _ := f.s.CreateChannel(f.alice, "paging", false, f.s.BotUserID())
	var ts []string
	for i := range 5 {
		_, t1, err := f.api.PostMessageContext(f.ctx, ch, slack.MsgOptionText(fmt.Sprint("m", i), false))
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, t1)
	}
	// Newest first, two at a time, following the cursor.
	var texts []string
	cursor := ""
	for pages := 0; ; pages++ {
		h, err := f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: ch, Limit: 2, Cursor: cursor})
		if err != nil || pages > 5 {
			t.Fatalf("page %d: %+v, %v", pages, h, err)
		}
		for _, m := range h.Messages {
			texts = append(texts, m.Text)
		}
		if h.HasMore != (h.ResponseMetaData.NextCursor != "") {
			t.Fatalf("has_more %v with cursor %q", h.HasMore, h.ResponseMetaData.NextCursor)
		}
		if cursor = h.ResponseMetaData.NextCursor; cursor == "" {
			break
		}
	}
	if got := strings.Join(texts, ","); got != "m4,m3,m2,m1,m0" {
		t.Fatalf("pages = %s", got)
	}
	window := func(oldest, latest string, inclusive bool) string {
		h, err := f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: ch, Oldest: oldest, Latest: latest, Inclusive: inclusive})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range h.Messages {
			out = append(out, m.Text)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		oldest, latest string
		inclusive      bool
		want           string
	}{
		{ts[1], ts[3], false, "m2"},
		{ts[1], ts[3], true, "m3,m2,m1"},
		{ts[3], "", false, "m4"},
		{"", ts[1], false, "m0"},
		{"", ts[1], true, "m1,m0"},
	} {
		if got := window(tc.oldest, tc.latest, tc.inclusive); got != tc.want {
			t.Errorf("oldest %s latest %s inclusive %v = %q, want %q", tc.oldest, tc.latest, tc.inclusive, got, tc.want)
		}
	}
}

func TestConversations_OpenDM(t *testing.T) {
	f := mustFixture(t)
	ch, _, _, err := f.api.OpenConversationContext(f.ctx, &slack.OpenConversationParameters{Users: []string{f.bob}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.ID, "D") {
		t.Fatalf("DM channel %q", ch.ID)
	}
	again, _, already, err := f.api.OpenConversationContext(f.ctx, &slack.OpenConversationParameters{Users: []string{f.bob}})
	if err != nil || again.ID != ch.ID || !already {
		t.Fatalf("second open = %+v, already %v, %v", again, already, err)
	}
	// Posting to the user ID lands in the same DM.
	posted, _, err := f.api.PostMessageContext(f.ctx, f.bob, slack.MsgOptionText("you are the operator", false))
	if err != nil || posted != ch.ID {
		t.Fatalf("post to user: channel %q, %v", posted, err)
	}
	if _, _, err := f.api.PostMessageContext(f.ctx, ch.ID, slack.MsgOptionText("by channel", false)); err != nil {
		t.Fatal(err)
	}
	h, err := f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: ch.ID})
	if err != nil || len(h.Messages) != 2 || h.Messages[1].Text != "you are the operator" {
		t.Fatalf("DM history = %+v, %v", h, err)
	}
	if dm, ok := f.s.DMChannel(f.bob); !ok || dm != ch.ID || len(f.s.DMs(f.bob)) != 2 {
		t.Fatalf("DMChannel = %q, DMs = %+v", dm, f.s.DMs(f.bob))
	}

	t.Run("ErrMissingIMScopes", func(t *testing.T) {
		g := mustFixture(t, slackfake.WithoutScopes("im:write", "im:history"))
		_, _, _, err := g.api.OpenConversationContext(g.ctx, &slack.OpenConversationParameters{Users: []string{g.bob}})
		wantCode(t, err, "missing_scope")
		dm, _, err := g.api.PostMessageContext(g.ctx, g.bob, slack.MsgOptionText("hi", false))
		if err != nil {
			t.Fatalf("chat.postMessage to a user needs only chat:write: %v", err)
		}
		resp := rawCall(t, g, "conversations.history", map[string]any{"channel": dm})
		if resp["error"] != "missing_scope" || resp["needed"] != "im:history" {
			t.Fatalf("DM history = %v", resp)
		}
	})
}
