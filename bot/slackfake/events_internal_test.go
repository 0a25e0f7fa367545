package slackfake

import (
	"context"
	"slices"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// TestEvents_ParseWithSlackGo checks that every event the fake emits is one
// slack-go's socketmode client can parse (an unparsable event would reach
// the app only as error_bad_message). With no socket connected, the
// envelopes wait in s.pending, where the test reads them.
func TestEvents_ParseWithSlackGo(t *testing.T) {
	// Subscribed to every event the fake produces, beyond the manifest's.
	s := New(WithEvents("message.channels", "reaction_added", "pin_added", "member_joined_channel", "app_mention"))
	t.Cleanup(s.Close)
	ctx := context.Background()
	alice := s.AddUser(User{Name: "alice"})
	bob := s.AddUser(User{Name: "bob"})
	ch, err := s.CreateChannel(alice, "ops", false, s.BotUserID())
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := s.PostUserMessage(alice, ch, "hey <@"+s.BotUserID()+"> help")
	if _, err := s.PostThreadReply(alice, ch, ts, "in thread"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.EditMessage(alice, ch, ts, "edited"))
	must(s.AddReaction(alice, ch, ts, "pushpin"))
	must(s.PinMessage(alice, ch, ts))
	must(s.JoinChannel(bob, ch))
	_, err = s.ShareFile(alice, ch, "log.txt", "boom")
	must(err)
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	btn := slack.NewButtonBlockElement("", "v", slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false))
	_, botTS, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("bot says", false),
		slack.MsgOptionBlocks(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "H", false, false)), slack.NewActionBlock("", btn)))
	must(err)
	_, err = api.SetTopicOfConversationContext(ctx, ch, "topic")
	must(err)
	_, _, err = api.DeleteMessageContext(ctx, ch, botTS)
	must(err)
	// A channel without the bot produces no events.
	quiet, _ := s.CreateChannel(alice, "quiet", false)
	_, _ = s.PostUserMessage(alice, quiet, "unheard")

	s.mu.Lock()
	pending := slices.Clone(s.pending)
	s.mu.Unlock()
	var kinds []string
	for _, env := range pending {
		if env.typ != "events_api" {
			t.Fatalf("unexpected envelope type %s", env.typ)
		}
		ev, err := slackevents.ParseEvent(env.payload, slackevents.OptionNoVerifyToken())
		if err != nil {
			t.Fatalf("parse %s: %v", env.payload, err)
		}
		kind := ev.InnerEvent.Type
		switch data := ev.InnerEvent.Data.(type) {
		case *slackevents.MessageEvent:
			if data.SubType != "" {
				kind += "/" + data.SubType
			} else if data.BotID != "" {
				kind += "/bot"
			}
			if data.Channel == quiet {
				t.Fatal("event from a channel without the bot")
			}
		case *slackevents.PinAddedEvent:
			if data.Channel != ch || data.Item.Message == nil || data.Item.Message.Timestamp != ts {
				t.Fatalf("pin_added = %+v", data)
			}
		case *slackevents.ReactionAddedEvent:
			if data.Item.Timestamp != ts || data.Reaction != "pushpin" {
				t.Fatalf("reaction_added = %+v", data)
			}
		}
		kinds = append(kinds, kind)
	}
	for _, want := range []string{
		"message", "app_mention", "message/message_changed", "reaction_added", "pin_added",
		"member_joined_channel", "message/channel_join", "message/file_share", "message/bot",
		"message/channel_topic", "message/message_deleted",
	} {
		if !slices.Contains(kinds, want) {
			t.Errorf("no %s event; got %v", want, kinds)
		}
	}
}

func TestBlocks_Validate(t *testing.T) {
	for name, tc := range map[string]struct {
		blocks string
		ok     bool
	}{
		"section ok":        {`[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`, true},
		"empty text":        {`[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, false},
		"bad text type":     {`[{"type":"section","text":{"type":"markdown","text":"x"}}]`, false},
		"unknown block":     {`[{"type":"carousel"}]`, false},
		"11 fields":         {`[{"type":"section","fields":[` + repeat(`{"type":"mrkdwn","text":"f"}`, 11) + `]}]`, false},
		"header 151":        {`[{"type":"header","text":{"type":"plain_text","text":"` + repeatRaw("h", 151) + `"}}]`, false},
		"context 11":        {`[{"type":"context","elements":[` + repeat(`{"type":"mrkdwn","text":"c"}`, 11) + `]}]`, false},
		"dup block_id":      {`[{"type":"divider","block_id":"a"},{"type":"divider","block_id":"a"}]`, false},
		"option value 151":  {`[{"type":"actions","elements":[{"type":"static_select","action_id":"s","options":[{"text":{"type":"plain_text","text":"o"},"value":"` + repeatRaw("v", 151) + `"}]}]}]`, false},
		"input in actions":  {`[{"type":"actions","elements":[{"type":"plain_text_input","action_id":"p"}]}]`, false},
		"max_length 3001":   {`[{"type":"input","label":{"type":"plain_text","text":"L"},"element":{"type":"plain_text_input","action_id":"p","max_length":3001}}]`, false},
		"checkbox 11 opts":  {`[{"type":"actions","elements":[{"type":"checkboxes","action_id":"c","options":[` + opts(11) + `]}]}]`, false},
		"checkbox 10 opts":  {`[{"type":"actions","elements":[{"type":"checkboxes","action_id":"c","options":[` + opts(10) + `]}]}]`, true},
		"button value 2001": {`[{"type":"actions","elements":[{"type":"button","action_id":"b","text":{"type":"plain_text","text":"B"},"value":"` + repeatRaw("v", 2001) + `"}]}]`, false},
	} {
		_, msgs, parsed := validateBlocks([]byte(tc.blocks), surfaceMessage)
		if !parsed {
			t.Errorf("%s: not parsed", name)
			continue
		}
		if (len(msgs) == 0) != tc.ok {
			t.Errorf("%s: messages %q, want ok=%v", name, msgs, tc.ok)
		}
	}
}

func repeatRaw(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func repeat(item string, n int) string {
	out := ""
	for i := range n {
		if i > 0 {
			out += ","
		}
		out += item
	}
	return out
}

func opts(n int) string {
	out := ""
	for i := range n {
		if i > 0 {
			out += ","
		}
		out += `{"text":{"type":"plain_text","text":"o"},"value":"v` + string(rune('a'+i)) + `"}`
	}
	return out
}
