package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

// tickAt moves the clock to t and runs one scheduler tick.
func (h *harness) tickAt(t time.Time) nudge.TickResult {
	h.t.Helper()
	if d := t.Sub(h.clock.Now()); d > 0 {
		h.clock.Add(d)
	}
	res, err := h.sched.Tick(context.Background())
	if err != nil {
		h.t.Fatalf("tick: %v", err)
	}
	return res
}

func (h *harness) countMessages(channel, text string) int {
	n := 0
	for _, m := range h.fake.Messages(channel) {
		if strings.Contains(m.Text, text) {
			n++
		}
	}
	return n
}

func (h *harness) count(id int64, kind incident.EventKind) int {
	n := 0
	for _, e := range h.events(id) {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func TestReminders_HeadsUpDueEscalation(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h) // major: update due at 09:30
	due := inc.NextUpdateDue
	if res := h.tickAt(due.Add(-6 * time.Minute)); res.Effects != 0 {
		t.Fatalf("reminder sent 6 minutes early: %+v", res)
	}
	h.tickAt(due.Add(-5 * time.Minute))
	h.expectMessage(ch.ID, "heads-up", "<@"+h.bob+">", "due at 09:30")
	h.tickAt(due.Add(-4 * time.Minute)) // nothing new
	if n := h.count(inc.ID, incident.EventReminderHeadsUp); n != 1 {
		t.Fatalf("%d heads-ups", n)
	}
	h.tickAt(due)
	nudgeMsg := h.expectMessage(ch.ID, "is due now", "<@"+h.bob+">", views.ActionSnooze)
	h.waitCard(inc, "overdue since 09:30")
	h.waitFor("an overdue topic", func() bool { c, _ := h.fake.Channel(ch.ID); return strings.Contains(c.Topic, "OVERDUE") })
	h.tickAt(due.Add(10 * time.Minute))
	h.expectMessage(ch.ID, "Escalation", "<@"+h.alice+">", "<@"+h.admin+">", "10m late")
	h.expectMessage(h.announce, "is late")
	h.tickAt(due.Add(time.Hour))
	for kind, want := range map[incident.EventKind]int{incident.EventReminderHeadsUp: 1, incident.EventReminderDue: 1, incident.EventEscalated: 1} {
		if n := h.count(inc.ID, kind); n != want {
			t.Errorf("%s: %d events, want %d", kind, n, want)
		}
	}
	// Snooze from the nudge: the next update moves 10 minutes on.
	h.click(h.bob, ch.ID, nudgeMsg.TS, views.ActionSnooze)
	h.expectMessage(ch.ID, "snoozed the update reminder")
	got := h.incident(inc.ID)
	// A second click changes nothing and says why.
	h.click(h.bob, ch.ID, nudgeMsg.TS, views.ActionSnooze)
	h.expectEphemeral(ch.ID, h.bob, "not due yet; nothing to snooze")
	if again := h.incident(inc.ID); !again.NextUpdateDue.Equal(got.NextUpdateDue) || h.count(inc.ID, incident.EventSnoozed) != 1 {
		t.Errorf("a second snooze changed the promise: %v -> %v", got.NextUpdateDue, again.NextUpdateDue)
	}
	if !got.NextUpdateDue.Equal(h.clock.Now().Add(10 * time.Minute)) {
		t.Errorf("snoozed due %v", got.NextUpdateDue)
	}
	// After the snooze the next stage is the nudge at the new due time.
	h.tickAt(got.NextUpdateDue)
	h.waitFor("a second nudge", func() bool { return h.count(inc.ID, incident.EventReminderDue) == 2 })
	h.expectMessage(ch.ID, "is due now", "promised for 10:40")
	// An update resets the cycle; a late one is counted.
	h.clock.Add(time.Minute)
	h.slash(h.bob, ch.ID, "update still rotating the certificate")
	h.waitFor("the late update", func() bool { return h.incident(inc.ID).LateUpdates == 1 })
	got = h.incident(inc.ID)
	if got.Reminder.Stage != incident.StageWaiting || !got.NextUpdateDue.Equal(h.clock.Now().Add(30*time.Minute)) {
		t.Errorf("update did not restart the cycle: %+v due %v", got.Reminder, got.NextUpdateDue)
	}
	h.expectRoomAndThread(inc, "Update on incident #1: still rotating the certificate")
}

func TestReminders_SeverityReplanAndResolveCancels(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h) // major, due 09:30
	h.clock.Add(5 * time.Minute)
	h.slash(h.alice, ch.ID, "sev critical") // 15m cadence: due 09:20
	h.waitFor("the re-plan", func() bool {
		return h.incident(inc.ID).NextUpdateDue.Equal(time.Date(2026, 3, 4, 9, 20, 0, 0, time.UTC))
	})
	h.expectRoomAndThread(inc, "from *major* to *critical*")
	h.tickAt(time.Date(2026, 3, 4, 9, 15, 0, 0, time.UTC))
	h.expectMessage(ch.ID, "heads-up", "due at 09:20")
	h.slash(h.alice, ch.ID, "resolve")
	h.waitFor("resolved", func() bool { return h.incident(inc.ID).Status == incident.StatusResolved })
	h.expectResolved(inc)
	res := h.tickAt(time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
	if res.Effects != 0 || h.count(inc.ID, incident.EventReminderDue) != 0 {
		t.Errorf("a resolved incident was nudged: %+v", res)
	}
	// Snooze on a resolved incident is answered and changes nothing.
	h.slash(h.bob, ch.ID, "snooze")
	h.expectEphemeral(ch.ID, h.bob, "is resolved")
}

func TestReminders_RestartInEachState(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	due := inc.NextUpdateDue
	steps := []struct {
		at   time.Time
		kind incident.EventKind
	}{
		{due.Add(-5 * time.Minute), incident.EventReminderHeadsUp},
		{due, incident.EventReminderDue},
		{due.Add(10 * time.Minute), incident.EventEscalated},
	}
	for _, s := range steps {
		h.restart()
		h.tickAt(s.at)
		h.waitFor(string(s.kind), func() bool { return h.count(inc.ID, s.kind) == 1 })
	}
	h.restart()
	h.tickAt(due.Add(2 * time.Hour))
	for _, s := range steps {
		if n := h.count(inc.ID, s.kind); n != 1 {
			t.Errorf("%s sent %d times across restarts", s.kind, n)
		}
	}
	// The escalation's message goes out through the outbox, perhaps only
	// after a restart: wait for it, let everything settle, then count.
	h.waitFor("the escalation message", func() bool { return h.countMessages(ch.ID, "Escalation") > 0 })
	h.settle()
	if n := h.countMessages(ch.ID, "Escalation"); n != 1 {
		t.Errorf("%d escalation messages", n)
	}
	h.expectMessage(ch.ID, "heads-up")
	h.expectMessage(ch.ID, "is due now")
	h.expectMessage(ch.ID, "Escalation")
	h.expectInAnnouncementThread(inc, "is late")
}

func TestReminders_FellDueWhileDown(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	h.stop()
	// The bot is down through the heads-up, the due time and beyond the
	// escalation: at start, only the escalation is sent, once.
	h.clock.Add(3 * time.Hour)
	h.reopen()
	h.tickAt(h.clock.Now())
	h.tickAt(h.clock.Now().Add(time.Minute))
	h.expectMessage(ch.ID, "Escalation")
	h.expectInAnnouncementThread(inc, "is late")
	if a, b, c := h.count(inc.ID, incident.EventReminderHeadsUp), h.count(inc.ID, incident.EventReminderDue), h.count(inc.ID, incident.EventEscalated); a+b != 0 || c != 1 {
		t.Errorf("heads-up %d, due %d, escalation %d; want only one escalation", a, b, c)
	}
}

func TestReminders_TwoTicksRace(t *testing.T) {
	h := newHarness(t)
	inc, _ := withSpokesperson(t, h)
	h.clock.Add(inc.NextUpdateDue.Sub(h.clock.Now()))
	// Two schedulers on the same store, as two ticks overlapping would be.
	other := &nudge.Scheduler{Store: h.db, Planner: h.app, Now: h.clock.Now}
	var wg sync.WaitGroup
	for _, s := range []*nudge.Scheduler{h.sched, other, h.sched, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Tick(context.Background())
		}()
	}
	wg.Wait()
	h.settle()
	if n := h.count(inc.ID, incident.EventReminderDue); n != 1 {
		t.Fatalf("%d due reminders", n)
	}
	if n := h.countMessages(inc.ChannelID, "is due now"); n != 1 {
		t.Errorf("the nudge was posted %d times", n)
	}
	h.expectMessage(inc.ChannelID, "is due now")
}

func TestReminders_SlackRateLimitDelaysNotLoses(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	// Slack refuses the nudge with 5xx (not retried by the client) twice.
	h.fake.FailNext("chat.postMessage", slackfake.Failure{Status: 503})
	h.fake.FailNext("chat.postMessage", slackfake.Failure{Status: 503})
	h.fake.FailNext("chat.postMessage", slackfake.Failure{Status: 503})
	h.fake.FailNext("chat.postMessage", slackfake.Failure{Status: 503})
	h.fake.FailNext("chat.postMessage", slackfake.Failure{Status: 503})
	h.fake.FailNext("chat.postMessage", slackfake.Failure{Status: 503})
	h.tickAt(inc.NextUpdateDue)
	h.waitFor("the failed attempts", func() bool { return h.fake.CallCount("chat.postMessage") >= 1 })
	// The outbox retries with backoff on the bot's clock until Slack
	// answers; a 503 did nothing, so nothing is doubled.
	for i := 0; i < 30 && h.countMessages(ch.ID, "is due now") == 0; i++ {
		h.clock.Add(30 * time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	h.expectMessage(ch.ID, "is due now")
	h.settle()
	if n := h.countMessages(ch.ID, "is due now"); n != 1 {
		t.Errorf("nudge posted %d times", n)
	}
	if n := h.count(inc.ID, incident.EventReminderDue); n != 1 {
		t.Errorf("%d due events", n)
	}
}
