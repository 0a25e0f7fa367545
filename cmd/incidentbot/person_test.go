package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackfake"
)

// declared is what declareAsPerson saw on the way.
type declared struct {
	// misses counts the attempts Slack got no ack for in time; resent
	// says whether the bot closed one unacted on, so it was sent again.
	misses int
	resent bool
}

// declareAsPerson runs "/incident declare title" as sender in channel and
// returns once the war room called room exists.
//
// It acts as a person would when Slack reports that the bot did not
// answer within 3 s. The bot then either carried the command out (it was
// stored in time and only its ack came late) or closed it and sent a DM
// saying that nothing was done (bot/late.go). In the first case the war
// room comes; in the second the command is sent again, at most three
// times in all. Anything else fails the test. Each miss is logged, not
// failed: how fast the bot answers is measured (BENCHMARKS.md), and a
// loaded CI machine (etcd members, Chromium and other packages' tests on
// two cores) misses Slack's 3 s now and then. What the person ends up
// with, one incident, is for the test to check.
func declareAsPerson(ctx context.Context, t *testing.T, fake *slackfake.Server, sender, channel, title, room string) declared {
	t.Helper()
	var got declared
	for attempt := 1; ; attempt++ {
		dms := len(fake.DMs(sender))
		sent := time.Now()
		d, err := fake.SlashCommand(sender, channel, "/incident", "declare "+title)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Wait(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, slackfake.ErrNotAcked) || attempt == 3 {
			t.Fatalf("declaration %q, attempt %d: %v", title, attempt, err)
		}
		got.misses++
		t.Logf("declaration %q, attempt %d: not acked within Slack's 3 s (sent %s ago)", title, attempt, time.Since(sent).Round(time.Millisecond))
		closed := false
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err = fake.WaitFor(wctx, func() bool {
			if _, ok := fake.ChannelByName(room); ok {
				return true
			}
			if all := fake.DMs(sender); len(all) > dms {
				closed = slices.ContainsFunc(all[dms:], func(m slackfake.Message) bool { return strings.Contains(m.Text, "Nothing was done") })
			}
			return closed
		})
		cancel()
		if err != nil {
			t.Fatalf("declaration %q was not acked, and within 15 s the bot neither declared it nor told its sender that nothing was done", title)
		}
		if !closed {
			t.Logf("declaration %q, attempt %d: carried out; only its ack was late", title, attempt)
			break
		}
		got.resent = true
		t.Logf("declaration %q, attempt %d: closed, and its sender told; sending it again", title, attempt)
	}
	if err := fake.WaitFor(ctx, func() bool { _, ok := fake.ChannelByName(room); return ok }); err != nil {
		t.Fatalf("declared %q, but no war room %s: %v", title, room, err)
	}
	return got
}
