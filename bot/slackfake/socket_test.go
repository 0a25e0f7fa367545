package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// mustRunApp connects a real slack-go socketmode client to the fake and
// feeds every event to handle in one goroutine.
func mustRunApp(tb testing.TB, f *fixture, handle func(c *socketmode.Client, evt socketmode.Event)) *slack.Client {
	tb.Helper()
	api := startApp(tb, f, handle)
	mustWait(tb, f.s, func() bool { return f.s.Connections() == 1 })
	return api
}

// startApp runs a socketmode client until the test ends, without waiting
// for it to connect.
func startApp(tb testing.TB, f *fixture, handle func(c *socketmode.Client, evt socketmode.Event)) *slack.Client {
	api := slack.New(f.s.BotToken(), slack.OptionAPIURL(f.s.APIURL()), slack.OptionAppLevelToken(f.s.AppToken()))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				handle(client, evt)
			}
		}
	})
	tb.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return api
}

func mustWait(tb testing.TB, s *slackfake.Server, cond func() bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, cond); err != nil {
		tb.Fatalf("condition not met: %v", err)
	}
}

func TestSocketMode_SlashCommandSurvivesDisconnect(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(time.Second), slackfake.WithPingInterval(100*time.Millisecond))
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeSlashCommand {
			return
		}
		cmd := evt.Data.(slack.SlashCommand)
		_ = c.Ack(*evt.Request, map[string]any{"text": "got " + cmd.Text})
	})

	d, err := f.s.SlashCommand(f.alice, f.general, "/incident", "declare <@"+f.bob+"|bob> db down")
	if err != nil {
		t.Fatal(err)
	}
	ack, err := d.Wait(f.ctx)
	if err != nil || !strings.Contains(string(ack), "got declare") {
		t.Fatalf("ack = %s, %v", ack, err)
	}
	if e := f.s.Ephemerals(f.general, f.alice); len(e) != 1 || !strings.HasPrefix(e[0].Text, "got declare") {
		t.Fatalf("ephemerals = %+v", e)
	}

	f.s.Disconnect("refresh_requested")
	mustWait(t, f.s, func() bool {
		return f.s.CallCount("apps.connections.open") >= 2 && f.s.Connections() == 1
	})
	d2, err := f.s.SlashCommand(f.alice, f.general, "/incident", "second")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	acks := f.s.Acks()
	if len(acks) != 2 || acks[0].EnvelopeID != d.EnvelopeID || acks[1].EnvelopeID != d2.EnvelopeID {
		t.Fatalf("acks = %+v", acks)
	}
	if len(f.s.UserErrors()) != 0 {
		t.Fatalf("user errors: %v", f.s.UserErrors())
	}
}

func TestSocketMode_EventRedeliveredWhenNotAcked(t *testing.T) {
	// The retry, acked at once, must beat the deadline on a loaded CI
	// machine too: a third delivery would fail the test.
	f := mustFixture(t, slackfake.WithAckTimeout(500*time.Millisecond))
	type seen struct {
		eventID, envelopeID, reason string
		attempt                     int
	}
	got := make(chan seen, 10)
	var mu sync.Mutex
	first := true
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		var p struct {
			EventID string `json:"event_id"`
		}
		_ = json.Unmarshal(evt.Request.Payload, &p)
		got <- seen{p.EventID, evt.Request.EnvelopeID, evt.Request.RetryReason, evt.Request.RetryAttempt}
		mu.Lock()
		skip := first
		first = false
		mu.Unlock()
		if !skip {
			_ = c.Ack(*evt.Request)
		}
	})
	if _, err := f.s.PostUserMessage(f.alice, f.general, "hello"); err != nil {
		t.Fatal(err)
	}
	a, b := <-got, <-got
	if a.attempt != 0 || b.attempt != 1 || b.reason != "timeout" || a.eventID != b.eventID || a.envelopeID == b.envelopeID {
		t.Fatalf("first %+v, retry %+v", a, b)
	}
	mustWait(t, f.s, func() bool { return f.s.Pending() == 0 })
	select {
	case extra := <-got:
		t.Fatalf("unexpected redelivery %+v", extra)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestSocketMode_UnackedInteractionIsUserError(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(200*time.Millisecond))
	mustRunApp(t, f, func(*socketmode.Client, socketmode.Event) {})
	d, err := f.s.SlashCommand(f.alice, f.general, "/incident", "help")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); !errors.Is(err, slackfake.ErrNotAcked) {
		t.Fatalf("Wait = %v, want ErrNotAcked", err)
	}
	if ue := f.s.UserErrors(); len(ue) != 1 || !strings.Contains(ue[0], "/incident") {
		t.Fatalf("user errors = %v", ue)
	}
}

func TestSocketMode_QueuedUntilConnected(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(time.Second))
	d, err := f.s.SlashCommand(f.alice, f.general, "/incident", "early")
	if err != nil {
		t.Fatal(err)
	}
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			_ = c.Ack(*evt.Request)
		}
	})
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSocketMode_ButtonAndResponseURL(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(time.Second))
	actions := make(chan slack.InteractionCallback, 1)
	api := mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = c.Ack(*evt.Request)
			actions <- evt.Data.(slack.InteractionCallback)
		} else if evt.Request != nil && evt.Request.EnvelopeID != "" {
			_ = c.Ack(*evt.Request)
		}
	})
	btn := slack.NewButtonBlockElement("ack", "inc-7", slack.NewTextBlockObject(slack.PlainTextType, "Acknowledge", false, false))
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "Severity", false, false), "sev",
		slack.NewOptionBlockObject("sev1", slack.NewTextBlockObject(slack.PlainTextType, "SEV1", false, false), nil),
		slack.NewOptionBlockObject("sev2", slack.NewTextBlockObject(slack.PlainTextType, "SEV2", false, false), nil))
	_, ts, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("Incident 7", false),
		slack.MsgOptionBlocks(section("*Incident 7*"), slack.NewActionBlock("", btn, sel)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ClickButton(f.bob, f.general, ts, "ack"); err != nil {
		t.Fatal(err)
	}
	cb := <-actions
	if cb.Type != slack.InteractionTypeBlockActions || len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("callback = %+v", cb)
	}
	a := cb.ActionCallback.BlockActions[0]
	if a.ActionID != "ack" || a.Value != "inc-7" || a.BlockID == "" || cb.Container.MessageTs != ts || cb.User.ID != f.bob || cb.ResponseURL == "" {
		t.Fatalf("action = %+v, callback = %+v", a, cb)
	}
	if _, _, err := api.PostMessageContext(f.ctx, "", slack.MsgOptionText("Acknowledged by bob", false), slack.MsgOptionReplaceOriginal(cb.ResponseURL)); err != nil {
		t.Fatal(err)
	}
	if m := f.s.ExpectMessage(t, f.general, "Acknowledged by bob"); !m.Edited || m.TS != ts {
		t.Fatalf("message = %+v", m)
	}
	f.s.ExpectNoUserErrors(t)
	if _, err := f.s.SelectInMessage(f.bob, f.general, ts, "sev", "sev9"); err == nil {
		t.Fatal("selecting a missing option should fail")
	}
}

func TestSocketMode_ModalFlow(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(time.Second))
	var mu sync.Mutex
	submissions := 0
	var lastValues map[string]map[string]slack.BlockAction
	input := func(id, label string, el slack.BlockElement, optional bool) *slack.InputBlock {
		b := slack.NewInputBlock(id, slack.NewTextBlockObject(slack.PlainTextType, label, false, false), nil, el)
		b.Optional = optional
		return b
	}
	declare := modal("Declare incident",
		input("title", "Title", slack.NewPlainTextInputBlockElement(nil, "title_input"), false),
		input("sev", "Severity", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "sev_select",
			slack.NewOptionBlockObject("sev1", slack.NewTextBlockObject(slack.PlainTextType, "SEV1", false, false), nil)), false),
		input("commander", "Commander", slack.NewOptionsSelectBlockElement(slack.OptTypeUser, nil, "commander_select"), true),
	)
	declare.CallbackID = "declare"
	declare.NotifyOnClose = true

	var api *slack.Client
	api = mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			_ = c.Ack(*evt.Request)
			cmd := evt.Data.(slack.SlashCommand)
			if _, err := api.OpenViewContext(context.Background(), cmd.TriggerID, declare); err != nil {
				t.Errorf("open view: %v", err)
			}
		case socketmode.EventTypeInteractive:
			cb := evt.Data.(slack.InteractionCallback)
			if cb.Type != slack.InteractionTypeViewSubmission {
				_ = c.Ack(*evt.Request)
				return
			}
			mu.Lock()
			submissions++
			n := submissions
			lastValues = cb.View.State.Values
			mu.Unlock()
			switch n {
			case 1:
				_ = c.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"title": "Too short"}))
			case 2:
				upd := modal("Confirm", section("Sure?"))
				_ = c.Ack(*evt.Request, slack.NewUpdateViewSubmissionResponse(&upd))
			default:
				_ = c.Ack(*evt.Request)
			}
		default:
			if evt.Request != nil && evt.Request.EnvelopeID != "" {
				_ = c.Ack(*evt.Request)
			}
		}
	})

	if _, err := f.s.SlashCommand(f.alice, f.general, "/incident", "declare"); err != nil {
		t.Fatal(err)
	}
	mustWait(t, f.s, func() bool { return len(f.s.OpenViews(f.alice)) == 1 })
	v := f.s.OpenViews(f.alice)[0]
	if v.CallbackID != "declare" {
		t.Fatalf("view = %+v", v)
	}
	if _, err := f.s.SubmitView(f.alice, v.ID, map[string]string{"sev": "sev1"}); err == nil {
		t.Fatal("submit without required title should fail")
	}
	if _, err := f.s.SubmitView(f.alice, v.ID, map[string]string{"title": "db", "sev": "sev2"}); err == nil {
		t.Fatal("submit with unknown option should fail")
	}
	d, err := f.s.SubmitView(f.alice, v.ID, map[string]string{"title": "db", "sev": "sev1", "commander": f.bob})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	if errs := f.s.ViewErrors(v.ID); errs["title"] != "Too short" {
		t.Fatalf("view errors = %v", errs)
	}
	mu.Lock()
	if lastValues["sev"]["sev_select"].SelectedOption.Value != "sev1" || lastValues["commander"]["commander_select"].SelectedUser != f.bob || lastValues["title"]["title_input"].Value != "db" {
		t.Fatalf("state values = %+v", lastValues)
	}
	mu.Unlock()

	d, _ = f.s.SubmitView(f.alice, v.ID, map[string]string{"title_input": "database down", "sev": "sev1"})
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	if views := f.s.OpenViews(f.alice); len(views) != 1 || views[0].Title != "Confirm" {
		t.Fatalf("after update: %+v", views)
	}
	d, _ = f.s.SubmitView(f.alice, v.ID, nil)
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	if views := f.s.OpenViews(f.alice); len(views) != 0 {
		t.Fatalf("after close: %+v", views)
	}
	if ue := f.s.UserErrors(); len(ue) != 0 {
		t.Fatalf("user errors: %v", ue)
	}
}

func TestSocketMode_TooManySockets(t *testing.T) {
	f := mustFixture(t)
	for range 10 {
		mustRunAppN(t, f)
	}
	mustWait(t, f.s, func() bool { return f.s.Connections() == 10 })
	api := slack.New(f.s.BotToken(), slack.OptionAPIURL(f.s.APIURL()), slack.OptionAppLevelToken(f.s.AppToken()))
	_, url, err := api.StartSocketModeContext(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := websocketDial(url); err == nil {
		t.Fatal("11th socket accepted")
	} else if resp == nil || resp.StatusCode != 429 {
		t.Fatalf("11th socket: %v", err)
	}
}

// mustRunAppN connects one more socketmode client that acks everything.
func mustRunAppN(tb testing.TB, f *fixture) {
	startApp(tb, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			_ = c.Ack(*evt.Request)
		}
	})
}

func websocketDial(url string) (*websocket.Conn, *http.Response, error) {
	c, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err == nil {
		c.Close()
	}
	return c, resp, err
}

func TestSocketMode_LargeAckIgnored(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(200*time.Millisecond))
	api := slack.New(f.s.BotToken(), slack.OptionAPIURL(f.s.APIURL()), slack.OptionAppLevelToken(f.s.AppToken()))
	_, url, err := api.StartSocketModeContext(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var hello socketmode.Request
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.NumConnections != 1 {
		t.Fatalf("hello = %+v, %v", hello, err)
	}
	// A ticket is single use.
	if _, resp, err := websocket.DefaultDialer.Dial(url, nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reused ticket: %v", err)
	}
	d, err := f.s.SlashCommand(f.alice, f.general, "/incident", "big")
	if err != nil {
		t.Fatal(err)
	}
	var env socketmode.Request
	if err := ws.ReadJSON(&env); err != nil || env.Type != "slash_commands" || !env.AcceptsResponsePayload {
		t.Fatalf("envelope = %+v, %v", env, err)
	}
	big := map[string]any{"envelope_id": env.EnvelopeID, "payload": map[string]any{"text": strings.Repeat("x", 21*1024)}}
	if err := ws.WriteJSON(big); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); !errors.Is(err, slackfake.ErrNotAcked) {
		t.Fatalf("Wait = %v, want ErrNotAcked", err)
	}
	if len(f.s.Acks()) != 0 {
		t.Fatalf("acks = %+v", f.s.Acks())
	}
}
