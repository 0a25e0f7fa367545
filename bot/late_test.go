package bot_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
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

// slowNext is a store whose next inbox write, once armed, lands and then
// answers delay late.
type slowNext struct {
	*store.DB
	armed *atomic.Bool
	delay time.Duration
}

func (s slowNext) Receive(ctx context.Context, r incident.Request, keys []string) (uint64, bool, error) {
	seq, dup, err := s.DB.Receive(ctx, r, keys)
	if s.armed.CompareAndSwap(true, false) {
		time.Sleep(s.delay)
	}
	return seq, dup, err
}

// newGaveUpHarness is a harness where Slack's ack deadline and the bot's
// are one and the same, as in production, and arm makes the next request
// the bot stores take longer than that deadline.
func newGaveUpHarness(t *testing.T) (h *harness, arm func()) {
	// 1 s: short for a test, long enough for every other ack under the
	// race detector on a loaded machine.
	const deadline = time.Second
	var armed atomic.Bool
	h = newHarness(t,
		withStore(func(s incident.Store) incident.Store {
			return slowNext{DB: s.(*store.DB), armed: &armed, delay: deadline + deadline/4}
		}),
		withAckTimeout(deadline))
	return h, func() { armed.Store(true) }
}

// lateAcks counts the acks the bot sent after Slack had given up.
func (h *harness) lateAcks() int {
	n := 0
	for _, a := range h.fake.Acks() {
		if a.Late {
			n++
		}
	}
	return n
}

// TestLateCommand_SlackGaveUp: with the bot's deadline equal to Slack's,
// a declaration stored too late is acked after Slack gave up and showed
// its sender an error. The bot has done nothing and says so; sent again
// (h.slash does so, as a person would), it declares one incident.
func TestLateCommand_SlackGaveUp(t *testing.T) {
	h, arm := newGaveUpHarness(t)
	arm()
	h.slash(h.alice, h.general, "declare Checkout is down")
	inc, _ := h.declare(h.alice, "")
	h.expectMessage(h.announce, "Incident #1 declared", "Checkout is down")
	h.settle()
	if incs, _ := h.db.FindIncidents(h.ctx(), incident.Filter{}); len(incs) != 1 || inc.ID != 1 {
		t.Fatalf("%d incidents (newest #%d) from one declaration sent twice, the first too late", len(incs), inc.ID)
	}
	if errs := h.fake.UserErrors(); len(errs) != 1 || !strings.Contains(errs[0], "declare Checkout is down") {
		t.Errorf("user errors %q, want the first declaration's", errs)
	}
	if n := h.lateAcks(); n != 1 {
		t.Errorf("%d late acks, want 1", n)
	}
}

// TestLateInteraction_CarriedOut: a click stored too late is acked after
// Slack gave up. Slack does not resend an interaction, and one sent again
// by hand is checked against the state the first left, so it is carried
// out: the harness (ackOf) goes on, and the incident is resolved once.
func TestLateInteraction_CarriedOut(t *testing.T) {
	h, arm := newGaveUpHarness(t)
	inc, ch := withSpokesperson(t, h)
	arm()
	h.click(h.alice, ch.ID, inc.CardTS, views.ActionResolve)
	h.expectResolved(inc)
	h.settle()
	if got := h.incident(inc.ID); got.Status != incident.StatusResolved {
		t.Errorf("status %s after a late resolve click, want resolved", got.Status)
	}
	if errs := h.fake.UserErrors(); len(errs) != 1 || !strings.Contains(errs[0], views.ActionResolve) {
		t.Errorf("user errors %q, want the resolve click's", errs)
	}
	if n := h.lateAcks(); n != 1 {
		t.Errorf("%d late acks, want 1", n)
	}
}
