package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/slackfake"
)

// Many calls of one rate-limit tier at once (war rooms created in a burst,
// topics refreshed by a tick) are told to wait for the tier's next slot.
// The wait must stay what the tier allows: when waiting callers took a
// slot each and gave it back out of order, slots leaked, every later wait
// grew, and a busy bot throttled itself to a crawl until it restarted.
func TestFaults_ThrottledCallersDoNotLeakSlots(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	ch, err := fake.CreateChannel(alice, "general", false, alice, fake.BotUserID())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
	c := outbound.New(slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL())), outbound.Options{Clock: clk})
	ctx := context.Background()
	// conversations.setTopic is tier 2: a burst of 20, then one every 3 s.
	for range 20 {
		if err := c.SetTopic(ctx, ch, "topic"); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var longest time.Duration
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 200 {
				err := c.SetTopic(ctx, ch, "topic")
				var th *outbound.Throttled
				if !errors.As(err, &th) {
					t.Errorf("a call past the burst: %v, want to be throttled", err)
					return
				}
				mu.Lock()
				longest = max(longest, th.Wait)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if longest > 3*time.Second {
		t.Errorf("throttled callers were told to wait up to %s; the tier frees a slot every 3s", longest)
	}
	if n := fake.CallCount("conversations.setTopic"); n != 20 {
		t.Errorf("%d calls reached Slack, want the burst of 20", n)
	}
}
