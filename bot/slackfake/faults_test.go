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

	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// botMessages counts the bot's live messages in channel.
func botMessages(s *slackfake.Server, channel string) int {
	n := 0
	for _, m := range s.Messages(channel) {
		if m.BotID != "" && !m.Deleted {
			n++
		}
	}
	return n
}

func TestFaults_RateLimitStorm(t *testing.T) {
	now := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := mustFixture(t, slackfake.WithNow(clock))

	t.Run("Calls", func(t *testing.T) {
		f.s.Inject("chat.postMessage", slackfake.Fault{Kind: slackfake.FaultRateLimit, Calls: 3, RetryAfter: 7})
		for i := range 3 {
			_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("x", false))
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if _, err := f.api.AuthTestContext(f.ctx); err != nil {
			t.Fatalf("another method: %v", err)
		}
		if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("through", false)); err != nil {
			t.Fatalf("fourth call: %v", err)
		}
		if n := botMessages(f.s, f.general); n != 1 {
			t.Fatalf("%d messages, want 1: a 429 does nothing", n)
		}
	})
	t.Run("WindowEveryMethod", func(t *testing.T) {
		f.s.Inject("", slackfake.Fault{Kind: slackfake.FaultRateLimit, Until: clock().Add(time.Minute)})
		for _, call := range []func() error{
			func() error { _, err := f.api.AuthTestContext(f.ctx); return err },
			func() error {
				_, err := f.api.GetConversationInfoContext(f.ctx, &slack.GetConversationInfoInput{ChannelID: f.general})
				return err
			},
		} {
			var rl *slack.RateLimitedError
			if err := call(); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
				t.Fatalf("in the window: %v", err)
			}
		}
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
		if _, err := f.api.AuthTestContext(f.ctx); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
	calls := f.s.Calls()
	if calls[0].Fault != "rate_limit" || calls[0].Status != http.StatusTooManyRequests {
		t.Fatalf("first call = %+v", calls[0])
	}
}

func TestFaults_AfterWork(t *testing.T) {
	f := mustFixture(t)
	for _, st := range []int{500, 502, 503} {
		before := botMessages(f.s, f.general)
		f.s.Inject("chat.postMessage", slackfake.Fault{Kind: slackfake.FaultStatusAfterWork, Status: st})
		_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("maybe", false))
		var sc slack.StatusCodeError
		if !errors.As(err, &sc) || sc.Code != st {
			t.Fatalf("status %d: err = %v", st, err)
		}
		if botMessages(f.s, f.general) != before+1 {
			t.Fatalf("status %d: the work was not done", st)
		}
	}

	f.s.Inject("chat.postMessage", slackfake.Fault{Kind: slackfake.FaultResetAfterWork})
	before := botMessages(f.s, f.general)
	_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("reset", false))
	if err == nil || slackErr(err) != "" {
		t.Fatalf("reset: err = %v, want a transport error", err)
	}
	if botMessages(f.s, f.general) != before+1 {
		t.Fatal("reset: the work was not done")
	}
	mustWait(t, f.s, func() bool { return f.s.InFlight() == 0 })
	calls := f.s.Calls()
	if c := calls[len(calls)-2]; c.Fault != "status_after_work" || c.Status != 503 {
		t.Fatalf("call = %+v", c)
	}
	last := calls[len(calls)-1]
	if last.Fault != "reset_after_work" || last.Status != 0 {
		t.Fatalf("call = %+v", last)
	}
}

// TestFaults_SlowAndHang: the client's timeout (500 ms) is shorter than the
// answer; hanging calls end when the client gives up.
func TestFaults_SlowAndHang(t *testing.T) {
	f := mustFixture(t)
	impatient := slack.New(f.s.BotToken(), slack.OptionAPIURL(f.s.APIURL()), slack.OptionHTTPClient(&http.Client{Timeout: 500 * time.Millisecond}))
	for _, tc := range []struct {
		fault    slackfake.Fault
		workDone bool
	}{
		{slackfake.Fault{Kind: slackfake.FaultSlowAfterWork, Delay: time.Minute}, true},
		{slackfake.Fault{Kind: slackfake.FaultHangAfterWork}, true},
		{slackfake.Fault{Kind: slackfake.FaultHangBeforeWork}, false},
	} {
		before := botMessages(f.s, f.general)
		f.s.Inject("chat.postMessage", tc.fault)
		_, _, err := impatient.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("late", false))
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("%v: err = %v, want a timeout", tc.fault.Kind, err)
		}
		if done := botMessages(f.s, f.general) == before+1; done != tc.workDone {
			t.Fatalf("%v: work done = %v", tc.fault.Kind, done)
		}
		mustWait(t, f.s, func() bool { return f.s.InFlight() == 0 })
	}
	// A slow answer within the client's patience arrives.
	f.s.Inject("chat.postMessage", slackfake.Fault{Kind: slackfake.FaultSlowAfterWork, Delay: 10 * time.Millisecond})
	if _, _, err := impatient.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("a bit late", false)); err != nil {
		t.Fatal(err)
	}
}

// TestFaults_HangEndsOnClose: Close ends a hanging call rather than waiting
// for it.
func TestFaults_HangEndsOnClose(t *testing.T) {
	s := slackfake.New()
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	s.Inject("", slackfake.Fault{Kind: slackfake.FaultHangBeforeWork})
	errc := make(chan error, 1)
	go func() { _, err := api.AuthTestContext(context.Background()); errc <- err }()
	mustWait(t, s, func() bool { return s.InFlight() == 1 })
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the hanging call")
	}
	if err := <-errc; err == nil {
		t.Fatal("the hanging call succeeded")
	}
}

func TestFaults_FailNextAndClear(t *testing.T) {
	f := mustFixture(t)
	f.s.FailNext("auth.test", slackfake.Failure{Error: "fatal_error"})
	f.s.Inject("auth.test", slackfake.Fault{Kind: slackfake.FaultRateLimit, Calls: 5})
	_, err := f.api.AuthTestContext(f.ctx)
	wantCode(t, err, "fatal_error")
	f.s.ClearFaults()
	if _, err := f.api.AuthTestContext(f.ctx); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}

// eventID returns the event_id of an events_api envelope.
func eventID(evt socketmode.Event) string {
	var p struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(evt.Request.Payload, &p)
	return p.EventID
}

// TestSocket_DropMidBurst: the socket dies with an envelope in flight. An
// event comes again after the reconnect, with the same event_id, the next
// retry_attempt and a retry reason; a slash command is lost and the user
// saw an error.
func TestSocket_DropMidBurst(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(time.Second), slackfake.WithPingInterval(100*time.Millisecond))
	type seen struct {
		typ, eventID, text, reason string
		attempt                    int
	}
	var mu sync.Mutex
	var got []seen
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Request == nil || evt.Request.EnvelopeID == "" {
			return
		}
		s := seen{typ: evt.Request.Type, reason: evt.Request.RetryReason, attempt: evt.Request.RetryAttempt}
		if evt.Type == socketmode.EventTypeEventsAPI {
			s.eventID = eventID(evt)
			if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
				if m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); ok {
					s.text = m.Text
				}
			}
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
		_ = c.Ack(*evt.Request)
	})
	reconnected := func(n int) {
		t.Helper()
		mustWait(t, f.s, func() bool { return f.s.CallCount("apps.connections.open") >= n && f.s.Connections() == 1 })
	}

	// Burst 1: "one" is delivered, "two" is in flight when the socket
	// dies, "three" waits for the reconnect.
	f.s.DropSocketsAfter(2)
	for _, text := range []string{"one", "two", "three"} {
		if _, err := f.s.PostUserMessage(f.alice, f.general, text); err != nil {
			t.Fatal(err)
		}
	}
	reconnected(2)
	mustWait(t, f.s, func() bool { return f.s.Pending() == 0 })

	// Burst 2: the slash command is the envelope in flight.
	f.s.DropSocketsAfter(1)
	cmd, err := f.s.SlashCommand(f.alice, f.general, "/incident", "lost")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(f.ctx); !errors.Is(err, slackfake.ErrNotAcked) {
		t.Fatalf("slash command: %v, want ErrNotAcked", err)
	}
	reconnected(3)

	mu.Lock()
	defer mu.Unlock()
	byText := map[string][]seen{}
	for _, s := range got {
		if s.typ == "slash_commands" {
			t.Fatalf("the lost slash command was delivered: %+v", s)
		}
		byText[s.text] = append(byText[s.text], s)
	}
	// "one" was written just before the drop: the app may have lost it
	// with the socket, and then gets it again, with the same event_id.
	if l := byText["one"]; len(l) == 0 || l[len(l)-1].eventID != l[0].eventID {
		t.Errorf("one: %+v", l)
	}
	// The app never saw the first attempt of "two": it first sees the
	// redelivery. ("three" and "two" may come again if a loaded machine
	// acks them late; the first sight is what matters.)
	if l := byText["two"]; len(l) == 0 || l[0].attempt != 1 || l[0].reason != "timeout" {
		t.Errorf("two: %+v, want first the redelivery (retry_attempt 1, timeout)", l)
	}
	if l := byText["three"]; len(l) == 0 || l[0].attempt != 0 {
		t.Errorf("three: %+v, want a first delivery after the reconnect", l)
	}
	if ue := f.s.UserErrors(); len(ue) != 1 || !strings.Contains(ue[0], "lost") {
		t.Errorf("user errors = %q, want the lost slash command", ue)
	}
}

// TestSocket_RedeliverAcked: an acked envelope of any type comes again with
// the same envelope_id; the app acks it again, and its payload is ignored.
func TestSocket_RedeliverAcked(t *testing.T) {
	f := mustFixture(t, slackfake.WithAckTimeout(time.Second))
	var mu sync.Mutex
	seen := map[string]int{}
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Request == nil || evt.Request.EnvelopeID == "" {
			return
		}
		mu.Lock()
		seen[evt.Request.EnvelopeID]++
		n := seen[evt.Request.EnvelopeID]
		mu.Unlock()
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = c.Ack(*evt.Request, map[string]any{"text": "reply " + string(rune('0'+n))})
			return
		}
		_ = c.Ack(*evt.Request)
	})
	btnTS := ""
	if _, ts, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("b", false), slack.MsgOptionBlocks(slack.NewActionBlock("a", button("go", "1", "Go")))); err != nil {
		t.Fatal(err)
	} else {
		btnTS = ts
	}
	drives := map[string]func() (*slackfake.Delivery, error){
		"slash_commands": func() (*slackfake.Delivery, error) { return f.s.SlashCommand(f.alice, f.general, "/incident", "x") },
		"interactive":    func() (*slackfake.Delivery, error) { return f.s.ClickButton(f.bob, f.general, btnTS, "go") },
		"events_api": func() (*slackfake.Delivery, error) {
			return f.s.SendEvent(map[string]any{"type": "reaction_added", "user": f.alice, "reaction": "eyes", "item": map[string]any{"type": "message", "channel": f.general, "ts": btnTS}, "event_ts": "1.1"}), nil
		},
	}
	for typ, drive := range drives {
		d, err := drive()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Wait(f.ctx); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		dup, err := f.s.Redeliver(d)
		if err != nil {
			t.Fatal(err)
		}
		if dup.EnvelopeID != d.EnvelopeID {
			t.Fatalf("%s: redelivered as %s, want the same envelope_id %s", typ, dup.EnvelopeID, d.EnvelopeID)
		}
		if _, err := dup.Wait(f.ctx); err != nil {
			t.Fatalf("%s: duplicate not acked: %v", typ, err)
		}
		mu.Lock()
		if seen[d.EnvelopeID] != 2 {
			t.Errorf("%s: envelope seen %d times", typ, seen[d.EnvelopeID])
		}
		mu.Unlock()
	}
	// The slash command's second ack payload was ignored.
	if e := f.s.Ephemerals(f.general, f.alice); len(e) != 1 || e[0].Text != "reply 1" {
		t.Fatalf("ephemerals = %+v", e)
	}
	dups := 0
	for _, a := range f.s.Acks() {
		if a.Duplicate {
			dups++
		}
	}
	if dups != 3 {
		t.Fatalf("%d duplicate acks, want 3", dups)
	}
	if _, err := f.s.Redeliver(nil); err == nil {
		t.Fatal("redelivering nothing should fail")
	}
}
