package slackfake_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/bot/slackfake"
)

func TestSentEvents(t *testing.T) {
	// The retry, acked at once, must beat the deadline on a loaded CI
	// machine too: a third delivery would fail the test.
	f := mustFixture(t, slackfake.WithAckTimeout(500*time.Millisecond))
	ts, err := f.s.PostUserMessage(f.alice, f.general, "hello")
	if err != nil {
		t.Fatal(err)
	}
	// No app yet: the message event waits, neither acked nor failed.
	evs := f.s.SentEvents()
	if len(evs) != 1 || evs[0].Type != "message" || evs[0].Acked || evs[0].Failed || evs[0].Deliveries != 1 {
		t.Fatalf("before the app connects: %+v", evs)
	}
	// The app ignores the message event and acks the reaction's second
	// delivery.
	var mu sync.Mutex
	seen := map[string]int{}
	mustRunApp(t, f, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		var p struct {
			Event struct {
				Type string `json:"type"`
			} `json:"event"`
		}
		_ = json.Unmarshal(evt.Request.Payload, &p)
		mu.Lock()
		seen[p.Event.Type]++
		n := seen[p.Event.Type]
		mu.Unlock()
		if p.Event.Type == "reaction_added" && n == 2 {
			_ = c.Ack(*evt.Request)
		}
	})
	if err := f.s.AddReaction(f.bob, f.general, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	mustWait(t, f.s, func() bool { return f.s.Pending() == 0 })
	evs = f.s.SentEvents()
	if len(evs) != 2 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
	if m := evs[0]; m.Acked || !m.Failed || m.Deliveries != 4 {
		t.Errorf("the message event, never acked: %+v (want failed after the first delivery and 3 retries)", m)
	}
	var inner struct {
		Reaction string `json:"reaction"`
		Item     struct {
			TS string `json:"ts"`
		} `json:"item"`
	}
	r := evs[1]
	if err := json.Unmarshal(r.Event, &inner); err != nil || r.Type != "reaction_added" || inner.Reaction != "pushpin" || inner.Item.TS != ts {
		t.Errorf("the reaction event: %+v (%s)", r, r.Event)
	}
	if !r.Acked || r.Failed || r.Deliveries != 2 || r.EventID == evs[0].EventID || r.EventID == "" {
		t.Errorf("the reaction, acked on its retry: %+v", r)
	}
}
