package slackfake_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// TestChooseInView: a choice in an input with dispatch_action sends
// block_actions at once, with the view and every dispatching choice so
// far; the choices survive a views.update and go with the submission; an
// input without dispatch_action is refused.
func TestChooseInView(t *testing.T) {
	f := mustFixture(t)
	var mu sync.Mutex
	var actions []slack.InteractionCallback
	var submitted *slack.ViewState
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Request == nil || evt.Request.EnvelopeID == "" {
			return
		}
		// Ack once recorded: the test reads what was recorded when the
		// ack arrives.
		defer func() { _ = c.Ack(*evt.Request) }()
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			actions = append(actions, cb)
		case slack.InteractionTypeViewSubmission:
			submitted = cb.View.State
		}
	})
	radio := slack.NewRadioButtonsBlockElement("exp", slack.NewOptionBlockObject("blocked", plain("Blocked"), nil), slack.NewOptionBlockObject("partial", plain("Partial"), nil))
	exp := slack.NewInputBlock("exp", plain("Experience"), nil, radio)
	exp.DispatchAction = true
	box := slack.NewCheckboxGroupsBlockElement("sec", slack.NewOptionBlockObject("security", plain("Security"), nil))
	sec := slack.NewInputBlock("sec", plain("Security"), nil, box)
	sec.DispatchAction, sec.Optional = true, true
	plainIn := slack.NewInputBlock("title", plain("Title"), nil, slack.NewPlainTextInputBlockElement(nil, "title"))
	v, err := f.api.OpenViewContext(f.ctx, f.s.NewTriggerID(f.alice), modal("Declare", exp, sec, plainIn))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ block, value string }{{"exp", "blocked"}, {"sec", "security"}} {
		d, err := f.s.ChooseInView(f.alice, v.ID, c.block, c.value)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Wait(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.ChooseInView(f.alice, v.ID, "title", "x"); err == nil || !strings.Contains(err.Error(), "no dispatch_action") {
		t.Errorf("a plain input dispatched: %v", err)
	}
	if _, err := f.s.ChooseInView(f.alice, v.ID, "exp", "meh"); err == nil {
		t.Error("a choice that is not an option was sent")
	}
	// An update keeping the inputs keeps the choices.
	if _, err := f.api.UpdateViewContext(f.ctx, modal("Declare", exp, sec, plainIn, section("Proposed: critical")), "", "", v.ID); err != nil {
		t.Fatal(err)
	}
	d, err := f.s.SubmitView(f.alice, v.ID, map[string]string{"title": "DB down"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(actions) != 2 || actions[0].Container.Type != "view" || actions[0].View.ID != v.ID || actions[0].ActionCallback.BlockActions[0].SelectedOption.Value != "blocked" {
		t.Fatalf("actions %+v", actions)
	}
	if st := actions[1].View.State.Values; st["exp"]["exp"].SelectedOption.Value != "blocked" || len(st["sec"]["sec"].SelectedOptions) != 1 {
		t.Errorf("the second action's state lacks the first choice: %+v", st)
	}
	if submitted == nil || submitted.Values["exp"]["exp"].SelectedOption.Value != "blocked" || len(submitted.Values["sec"]["sec"].SelectedOptions) != 1 || submitted.Values["title"]["title"].Value != "DB down" {
		t.Errorf("submitted %+v", submitted)
	}
}
