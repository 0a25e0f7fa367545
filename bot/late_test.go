package bot_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// slowReceive is a store whose inbox writes land, then answer delay
// late: as on etcd while it elects a leader. It embeds the real store, so
// that what the bot finds on it beyond incident.Store (the announcement
// of effects to the outbox worker, the digest's records) is still there.
type slowReceive struct {
	*store.DB
	delay *atomic.Int64 // nanoseconds
}

func (s slowReceive) Receive(ctx context.Context, r incident.Request, keys []string) (uint64, bool, error) {
	seq, dup, err := s.DB.Receive(ctx, r, keys)
	time.Sleep(time.Duration(s.delay.Load()))
	return seq, dup, err
}

func withSlowReceive(delay *atomic.Int64) harnessOption {
	return withStore(func(s incident.Store) incident.Store { return slowReceive{DB: s.(*store.DB), delay: delay} })
}

// TestLateCommand_NotCarriedOut: a slash command stored after Slack's ack
// deadline (Slack has shown its sender an error) is not carried out, even
// after a restart; its sender is told, and the command sent again works
// once.
func TestLateCommand_NotCarriedOut(t *testing.T) {
	const deadline = 300 * time.Millisecond
	var delay atomic.Int64
	delay.Store(int64(2 * deadline))
	h := newHarness(t, withSlowReceive(&delay), withOptions(func(o *bot.Options) { o.AckDeadline = deadline }))
	h.slash(h.alice, h.general, "declare Checkout is down")
	dm := h.expectDM(h.alice, "Slack stopped waiting", "*Nothing was done.*", "send the command again")
	if !strings.Contains(dm.Text, "<#"+h.general+">") {
		t.Errorf("the DM does not say where the command was sent: %q", dm.Text)
	}
	h.settle()
	if incs, _ := h.db.FindIncidents(h.ctx(), incident.Filter{}); len(incs) != 0 {
		t.Fatalf("%d incidents declared by a command Slack reported as failed", len(incs))
	}
	// Closed for good: a restart does not replay it. (The store answers
	// in time from now on, and the deadline is the harness's again.)
	delay.Store(0)
	h.restartWith(func(o *bot.Options) { o.AckDeadline = harnessAckTimeout() })
	h.settle()
	if incs, _ := h.db.FindIncidents(h.ctx(), incident.Filter{}); len(incs) != 0 {
		t.Fatalf("the late command ran after a restart: %d incidents", len(incs))
	}

	// Sent again, with the store answering in time: declared once.
	h.slash(h.alice, h.general, "declare Checkout is down")
	inc, _ := h.declare(h.alice, "")
	if inc.ID != 1 {
		t.Errorf("declared #%d, want #1", inc.ID)
	}
	h.expectMessage(h.announce, "Incident #1 declared", "Checkout is down")
}

// TestLateCommand_InTimeIsCarriedOut: a store slow but within the
// deadline changes nothing.
func TestLateCommand_InTimeIsCarriedOut(t *testing.T) {
	var delay atomic.Int64
	delay.Store(int64(50 * time.Millisecond))
	h := newHarness(t, withSlowReceive(&delay))
	h.slash(h.alice, h.general, "declare Checkout is down")
	inc, _ := h.declare(h.alice, "")
	if inc.ID != 1 {
		t.Errorf("declared #%d, want #1", inc.ID)
	}
	h.expectMessage(h.announce, "Incident #1 declared", "Checkout is down")
}
