package bot_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
)

func TestFaults_RequestsOfOneIncidentKeepTheirOrder(t *testing.T) {
	h := newHarness(t)
	inc, ch := h.declare(h.alice, "Order of requests")
	h.settle()
	ts, _ := h.fake.PostUserMessage(h.alice, ch.ID, "the deploy at 09:02")
	h.settle()
	// Reading the message to put it on the timeline is slow; the cancel
	// that comes next needs no Slack call.
	h.fake.Inject("conversations.history", slackfake.Fault{Kind: slackfake.FaultSlowAfterWork, Delay: 300 * time.Millisecond})
	h.fake.AddReaction(h.alice, ch.ID, ts, "pushpin")
	h.waitFor("the reaction's ack", func() bool { return h.fake.Pending() == 0 })
	h.slash(h.alice, ch.ID, "cancel wrong alarm")
	h.settle()
	if n := h.count(inc.ID, incident.EventMessagePinned); n != 1 {
		t.Errorf("the message acknowledged before the cancel is on the timeline %d times, want 1", n)
	}
	if got := h.incident(inc.ID).Status; got != incident.StatusCancelled {
		t.Errorf("status %s", got)
	}
	h.expectMessage(ch.ID, "cancelled incident #1", "wrong alarm")
	h.expectMessage(h.announce, "cancelled incident #1", "wrong alarm")
}
