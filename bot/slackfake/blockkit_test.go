package slackfake_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func button(actionID, value, label string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// TestBlockKit_IDs: block_id is unique within a message or view, action_id
// only within its block (Block Kit reference; slack-reference.md §9).
func TestBlockKit_IDs(t *testing.T) {
	f := mustFixture(t)
	post := func(blocks ...slack.Block) error {
		_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(blocks...))
		return err
	}
	t.Run("OKSameActionIDInTwoBlocks", func(t *testing.T) {
		if err := post(slack.NewActionBlock("a", button("ack", "1", "One")), slack.NewActionBlock("b", button("ack", "2", "Two")),
			slack.NewSectionBlock(plain("s"), nil, slack.NewAccessory(button("ack", "3", "Three")))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrSameActionIDInOneBlock", func(t *testing.T) {
		err := post(slack.NewActionBlock("a", button("ack", "1", "One"), button("ack", "2", "Two")))
		wantCode(t, err, "invalid_blocks")
		var se slack.SlackErrorResponse
		errors.As(err, &se)
		if len(se.ResponseMetadata.Messages) != 1 || !strings.Contains(se.ResponseMetadata.Messages[0], "/blocks/0/elements/1/action_id") {
			t.Fatalf("messages = %q", se.ResponseMetadata.Messages)
		}
	})
	t.Run("ErrSameBlockID", func(t *testing.T) {
		wantCode(t, post(slack.NewActionBlock("a", button("one", "1", "One")), slack.NewActionBlock("a", button("two", "2", "Two"))), "invalid_blocks")
	})

	input := func(blockID, actionID string) *slack.InputBlock {
		return slack.NewInputBlock(blockID, plain("Label "+blockID), nil, slack.NewPlainTextInputBlockElement(nil, actionID))
	}
	t.Run("OKViewSameActionIDInTwoBlocks", func(t *testing.T) {
		_, err := f.api.OpenViewContext(f.ctx, f.s.NewTriggerID(f.alice), modal("Two inputs", input("first", "text"), input("second", "text")))
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrViewSameBlockID", func(t *testing.T) {
		// slack-go refuses this itself, so the view goes as raw JSON.
		view := modal("Two inputs", input("same", "a"), input("other", "b"))
		raw, _ := json.Marshal(view)
		raw = []byte(strings.Replace(string(raw), `"block_id":"other"`, `"block_id":"same"`, 1))
		resp := rawCall(t, f, "views.open", map[string]any{"trigger_id": f.s.NewTriggerID(f.alice), "view": json.RawMessage(raw)})
		if resp["error"] != "invalid_arguments" {
			t.Fatalf("views.open = %v", resp)
		}
	})
	t.Run("ErrViewSameActionIDInOneBlock", func(t *testing.T) {
		_, err := f.api.OpenViewContext(f.ctx, f.s.NewTriggerID(f.alice), modal("Buttons", section("s"),
			slack.NewActionBlock("acts", button("go", "1", "One"), button("go", "2", "Two"))))
		wantCode(t, err, "invalid_arguments")
	})
}

// TestBlockKit_DriveSharedActionID: a test can still click one button of
// several that share an action_id, by naming its block.
func TestBlockKit_DriveSharedActionID(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(time.Second))
	var mu sync.Mutex
	var got []*slack.BlockAction
	var submitted map[string]map[string]slack.BlockAction
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Request == nil || evt.Request.EnvelopeID == "" {
			return
		}
		// Record, then ack: the test reads what was recorded once the ack
		// arrives.
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			mu.Lock()
			got = append(got, cb.ActionCallback.BlockActions...)
			if cb.Type == slack.InteractionTypeViewSubmission {
				submitted = cb.View.State.Values
			}
			mu.Unlock()
		}
		_ = c.Ack(*evt.Request)
	})
	_, ts, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("two incidents", false), slack.MsgOptionBlocks(
		slack.NewActionBlock("inc-1", button("ack", "1", "Ack #1")), slack.NewActionBlock("inc-2", button("ack", "2", "Ack #2"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ClickButton(f.bob, f.general, ts, "ack"); err == nil || !strings.Contains(err.Error(), "ClickButtonIn") {
		t.Fatalf("ambiguous click: err = %v, want one naming ClickButtonIn", err)
	}
	if _, err := f.s.ClickButtonIn(f.bob, f.general, ts, "inc-3", "ack"); err == nil {
		t.Fatal("click in a missing block should fail")
	}
	d, err := f.s.ClickButtonIn(f.bob, f.general, ts, "inc-2", "ack")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}

	// In a modal, too: buttons by block, inputs keyed by block_id.
	v, err := f.api.OpenViewContext(f.ctx, f.s.NewTriggerID(f.alice), modal("Roles",
		slack.NewActionBlock("op", button("pick", "operator", "Operator")),
		slack.NewActionBlock("sp", button("pick", "spokesperson", "Spokesperson")),
		slack.NewInputBlock("first", plain("First"), nil, slack.NewPlainTextInputBlockElement(nil, "name")),
		slack.NewInputBlock("second", plain("Second"), nil, slack.NewPlainTextInputBlockElement(nil, "name"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ClickViewButton(f.alice, v.ID, "pick"); err == nil {
		t.Fatal("ambiguous view click should fail")
	}
	d, err = f.s.ClickViewButtonIn(f.alice, v.ID, "sp", "pick")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SubmitView(f.alice, v.ID, map[string]string{"name": "x"}); err == nil || !strings.Contains(err.Error(), "block_id") {
		t.Fatalf("submit keyed by a shared action_id: err = %v", err)
	}
	d, err = f.s.SubmitView(f.alice, v.ID, map[string]string{"first": "Ann", "second": "Ben"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].BlockID != "inc-2" || got[0].Value != "2" || got[1].BlockID != "sp" || got[1].Value != "spokesperson" {
		t.Fatalf("actions = %+v", got)
	}
	if submitted["first"]["name"].Value != "Ann" || submitted["second"]["name"].Value != "Ben" {
		t.Fatalf("state = %+v", submitted)
	}
}

// textBlocks returns blocks holding exactly n characters of text, spread
// over the kinds of text object msg_blocks_too_long counts, plus a long
// button value and URL, which do not count.
func textBlocks(n int) []slack.Block {
	rest := n - 100 - 9000 - 1500 - 50
	var fields []*slack.TextBlockObject
	for range 9 {
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("f", 1000), false, false))
	}
	btn := button("b", strings.Repeat("v", 2000), strings.Repeat("l", 50))
	btn.URL = "https://example.com/" + strings.Repeat("u", 500)
	return []slack.Block{
		slack.NewHeaderBlock(plain(strings.Repeat("h", 100))),
		slack.NewSectionBlock(nil, fields, nil),
		slack.NewContextBlock("", plain(strings.Repeat("c", 1000)), slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("d", 500), false, false)),
		slack.NewActionBlock("", btn),
		section(strings.Repeat("s", rest)),
	}
}

func TestChat_BlocksTooLong(t *testing.T) {
	f := mustFixture(t)
	const limit = 12000
	ok, over := textBlocks(limit), textBlocks(limit+1)
	raw, _ := json.Marshal(over)
	if len(raw) < limit+2000 {
		t.Fatalf("test blocks too short: %d bytes", len(raw))
	}
	t.Run("PostMessage", func(t *testing.T) {
		if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionBlocks(ok...)); err != nil {
			t.Fatalf("%d characters: %v", limit, err)
		}
		_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionBlocks(over...))
		wantCode(t, err, "msg_blocks_too_long")
	})
	t.Run("PostEphemeral", func(t *testing.T) {
		if _, err := f.api.PostEphemeralContext(f.ctx, f.general, f.alice, slack.MsgOptionBlocks(ok...)); err != nil {
			t.Fatalf("%d characters: %v", limit, err)
		}
		_, err := f.api.PostEphemeralContext(f.ctx, f.general, f.alice, slack.MsgOptionBlocks(over...))
		wantCode(t, err, "msg_blocks_too_long")
	})
	t.Run("Update", func(t *testing.T) {
		_, ts, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("short", false))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := f.api.UpdateMessageContext(f.ctx, f.general, ts, slack.MsgOptionBlocks(ok...)); err != nil {
			t.Fatalf("%d characters: %v", limit, err)
		}
		_, _, _, err = f.api.UpdateMessageContext(f.ctx, f.general, ts, slack.MsgOptionBlocks(over...))
		wantCode(t, err, "msg_blocks_too_long")
	})
	t.Run("ResponseURLAcceptsMore", func(t *testing.T) {
		url := f.s.NewResponseURL(f.alice, f.general)
		if _, _, err := f.api.PostMessageContext(f.ctx, "", slack.MsgOptionBlocks(over...), slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel)); err != nil {
			t.Fatalf("response_url with %d characters: %v", limit+1, err)
		}
	})
}
