package bot_test

import (
	"fmt"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
)

func TestMessageShortcutAddsToTimeline(t *testing.T) {
	h := newHarness(t)
	inc, ch := h.declare(h.alice, "Shortcut test")
	ts, _ := h.fake.PostUserMessage(h.alice, ch.ID, "the queue is draining now")
	d, err := h.fake.MessageShortcut(h.alice, ch.ID, ts, bot.CallbackAddToTimeline)
	if err != nil {
		t.Fatal(err)
	}
	d.Wait(h.ctx())
	h.expectEphemeral(ch.ID, h.alice, "Added to the timeline of incident #1")
	e := h.waitEvent(inc.ID, incident.EventMessagePinned)
	if e.Text != "the queue is draining now" || e.Field("author") != h.alice || e.Actor != h.alice {
		t.Errorf("timeline entry %+v", e)
	}
	// Outside a war room the shortcut explains itself.
	ts2, _ := h.fake.PostUserMessage(h.alice, h.general, "hello")
	d, _ = h.fake.MessageShortcut(h.alice, h.general, ts2, bot.CallbackAddToTimeline)
	d.Wait(h.ctx())
	h.expectEphemeral(h.general, h.alice, "not an incident's war room")
}

func TestHelpForOneCommand(t *testing.T) {
	h := newHarness(t)
	ack := h.slash(h.alice, h.general, "help update")
	if !strings.Contains(string(ack), "/incident update") || strings.Contains(string(ack), "/incident declare") {
		t.Errorf("help update = %s", ack)
	}
}

func TestListHidesPrivateIncidentsFromStrangers(t *testing.T) {
	h := newHarness(t)
	h.declare(h.alice, "--private Suspicious logins")
	h.declare(h.alice, "Public outage")
	h.slash(h.carol, h.general, "list")
	m := h.expectEphemeral(h.general, h.carol, "Open incidents (1)")
	if strings.Contains(render(m), "private") || strings.Contains(render(m), "Suspicious") {
		t.Errorf("a stranger sees the private incident: %s", render(m))
	}
	h.slash(h.alice, h.general, "list")
	h.expectEphemeral(h.general, h.alice, "Open incidents (2)", "private incident")
}

func TestDigest(t *testing.T) {
	h := newHarness(t)
	if err := h.app.Digest(h.ctx(), h.announce, false); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Digest(h.ctx(), h.announce, true); err != nil {
		t.Fatal(err)
	}
	h.expectMessage(h.announce, "no open incidents")
	if n := h.countMessages(h.announce, "digest"); n != 1 {
		t.Fatalf("%d digests with nothing open; want only the one configured to post when empty", n)
	}
	inc, _ := withSpokesperson(t, h)
	h.declare(h.alice, "--private Secret thing")
	h.clock.Add(2 * time.Hour) // the first incident's update is overdue
	h.slash(h.alice, inc.ChannelID, "task write the runbook")
	h.expectMessage(inc.ChannelID, "write the runbook")
	if err := h.app.Digest(h.ctx(), h.announce, false); err != nil {
		t.Fatal(err)
	}
	m := h.expectMessage(h.announce, "Incident digest: 2 open")
	assertShows(t, "digest", m, "Checkout is down", "open for 2h 00m", "update overdue since 09:30", "1 open action items", "private incident")
	if strings.Contains(render(m), "Secret thing") {
		t.Error("digest leaks a private title")
	}
}

func TestSurvivesSocketModeDisconnect(t *testing.T) {
	h := newHarness(t)
	h.declare(h.alice, "Before the refresh")
	acks := len(h.fake.Acks())
	h.fake.Disconnect("refresh_requested")
	h.waitFor("a reconnect", func() bool { return h.fake.Connections() == 1 })
	// Envelopes sent while reconnecting wait in the fake until a socket is
	// up; either way the command is served.
	h.slash(h.alice, h.general, "declare After the refresh")
	h.waitFor("the second war room", func() bool { _, ok := h.fake.ChannelByName("inc-2-after-the-refresh"); return ok })
	if len(h.fake.Acks()) <= acks {
		t.Error("no ack recorded after the reconnect")
	}
	if errs := h.fake.UserErrors(); len(errs) > 0 {
		t.Errorf("users saw errors: %v", errs)
	}
}

func TestUnknownEventIsAcked(t *testing.T) {
	h := newHarness(t, withAckTimeout(time.Second))
	// slack-go cannot parse an inner event type it does not know; the bot
	// must still ack it, or Slack redelivers it for ever.
	d := h.fake.SendEvent(map[string]any{"type": "brand_new_event_type", "event_ts": "1.2"})
	if _, err := d.Wait(h.ctx()); err != nil {
		t.Fatalf("unknown event not acked: %v", err)
	}
	// Malformed but known: a reaction on a message in no incident channel.
	d = h.fake.SendEvent(map[string]any{"type": "reaction_added", "user": h.alice, "reaction": "pushpin", "item": map[string]any{"type": "message", "channel": "CNOPE", "ts": "1.1"}, "event_ts": "1.3"})
	if _, err := d.Wait(h.ctx()); err != nil {
		t.Fatalf("reaction event not acked: %v", err)
	}
	if incs, _ := h.db.FindIncidents(h.ctx(), incident.Filter{}); len(incs) != 0 {
		t.Errorf("stray events created incidents")
	}
}

func TestBurstUnderRateLimitsLosesNothing(t *testing.T) {
	h := newHarness(t, withFake(slackfake.WithRateLimits(true)))
	inc, ch := withSpokesperson(t, h)
	// Five updates in a burst: Slack allows about one message a second per
	// channel, so some posts are answered 429 and retried after Retry-After.
	for i := range 5 {
		h.slash(h.bob, ch.ID, fmt.Sprintf("update burst %d", i))
	}
	// Retry-After is honoured on the bot's clock: move it along.
	h.waitAdvancing("every update in the war room", time.Second, func() bool { return h.countMessages(ch.ID, "Update on incident #1: burst") == 5 })
	ann := inc.Announcements[0]
	h.waitAdvancing("every update in the announcement thread", time.Second, func() bool {
		n := 0
		for _, m := range h.fake.Thread(ann.ChannelID, ann.TS) {
			if strings.Contains(m.Text, ": burst") {
				n++
			}
		}
		return n == 5
	})
	limited := 0
	for _, c := range h.fake.Calls() {
		if c.Method == "chat.postMessage" && c.Status == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Error("the burst never hit the rate limit; the test proves nothing")
	}
	if n := h.incident(inc.ID).Updates; n != 5 {
		t.Errorf("%d updates recorded", n)
	}
	for i := range 5 {
		h.expectRoomAndThread(inc, fmt.Sprintf("Update on incident #1: burst %d", i))
	}
}

func TestWarRoomSetup_TransientFailureRetried(t *testing.T) {
	h := newHarness(t)
	// Slack fails to create the channel (a 503 that did nothing): the
	// declaration is kept and the channel retried with backoff.
	h.fake.FailNext("conversations.create", slackfake.Failure{Status: 503})
	h.slash(h.alice, h.general, "declare --private Database failover stuck")
	h.waitFor("the failed create", func() bool { return h.fake.CallCount("conversations.create") == 1 })
	// A private incident without a war room stays invisible to others.
	h.slash(h.carol, h.general, "list")
	h.expectEphemeral(h.general, h.carol, "No open incidents")
	// The retry waits on the bot's clock: it is still pending across a
	// restart, and lands once the clock moves.
	h.restart()
	if inc := h.incident(1); inc.ChannelID != "" {
		t.Fatalf("channel %s before the retry was due", inc.ChannelID)
	}
	for i := 0; i < 20 && h.incident(1).CardTS == ""; i++ {
		h.clock.Add(time.Second)
		time.Sleep(10 * time.Millisecond)
	}
	h.settle()
	inc := h.incident(1)
	if inc.ChannelID == "" || inc.CardTS == "" || len(inc.Announcements) != 1 || inc.Announcements[0].TS == "" {
		t.Fatalf("war room not finished: %+v", inc)
	}
	if ch, _ := h.fake.Channel(inc.ChannelID); !ch.Private || !slices.Contains(ch.Members, h.alice) {
		t.Errorf("war room %+v", ch)
	}
	if n := h.fake.CallCount("conversations.create"); n != 2 {
		t.Errorf("conversations.create called %d times, want 2", n)
	}
	if n := len(h.fake.Messages(h.announce)); n != 1 {
		t.Errorf("%d announcements, want 1:\n%s", n, h.fake.Transcript(h.announce))
	}
}

func TestWarRoomSetup_PermanentFailureReportedOnce(t *testing.T) {
	h := newHarness(t)
	// The workspace forbids the bot to create channels: that is said once,
	// with the reason, and not retried; the incident is kept and works.
	h.fake.FailNext("conversations.create", slackfake.Failure{Error: "restricted_action"})
	h.slash(h.alice, h.general, "declare Database failover stuck")
	h.expectEphemeral(h.general, h.alice, "Incident #1 is recorded", "restricted_action", "/incident 1")
	h.settle()
	inc := h.incident(1)
	if inc.ChannelID != "" || inc.WarRoomError != "restricted_action" {
		t.Fatalf("incident %+v", inc)
	}
	if n := h.fake.CallCount("conversations.create"); n != 1 {
		t.Errorf("conversations.create called %d times, want 1", n)
	}
	h.clock.Add(time.Hour)
	h.settle()
	if n := h.fake.CallCount("conversations.create"); n != 1 {
		t.Errorf("retried a permanent failure: %d calls", n)
	}
	// The announcement still goes out, and commands work by number.
	h.expectMessage(h.announce, "Database failover stuck")
	h.slash(h.alice, h.general, "1 note still no war room")
	h.waitEvent(1, incident.EventNote)
	if e := h.waitEvent(1, incident.EventDeliveryFailed); e.Field("error") != "restricted_action" {
		t.Errorf("delivery failure event %+v", e)
	}
}
func TestThreadReplyJoinsTimeline(t *testing.T) {
	h := newHarness(t)
	inc, ch := h.declare(h.alice, "Thread pins")
	h.fake.JoinChannel(h.bob, ch.ID)
	parent, _ := h.fake.PostUserMessage(h.alice, ch.ID, "looking at the dashboards")
	h.fake.PostThreadReply(h.bob, ch.ID, parent, "first reply")
	reply, _ := h.fake.PostThreadReply(h.bob, ch.ID, parent, "p99 latency doubled at 09:02")
	h.fake.AddReaction(h.alice, ch.ID, reply, "pushpin")
	e := h.waitEvent(inc.ID, incident.EventMessagePinned)
	if e.Text != "p99 latency doubled at 09:02" || e.Field("author") != h.bob {
		t.Errorf("pinned %+v, want the reply itself", e)
	}
	// An edit that leaves the text alone (a link preview) is not an edit.
	h.fake.EditMessage(h.bob, ch.ID, reply, "p99 latency doubled at 09:02")
	h.fake.EditMessage(h.bob, ch.ID, reply, "p99 latency tripled at 09:02")
	h.waitEvent(inc.ID, incident.EventMessageEdited)
	if n := h.count(inc.ID, incident.EventMessageEdited); n != 1 {
		t.Errorf("%d edit events, want 1", n)
	}
}

func TestMalformedInteractionsAreAnswered(t *testing.T) {
	h := newHarness(t)
	_, ch := h.declare(h.alice, "Malformed clicks")
	// The test posts these itself, through the bot's client.
	h.ignore("", "old message")
	// Buttons the bot never rendered (an old message, a forged payload):
	// posted here with the bot's own client, then clicked.
	post := func(channel, actionID, value string) string {
		btn := slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, "Click", false, false))
		_, ts, err := h.sb.Options.Slack.PostMessage(channel, slack.MsgOptionText("old message", false),
			slack.MsgOptionBlocks(slack.NewActionBlock("b", btn)))
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	ts := post(ch.ID, views.ActionTaskDone, "1:not-a-number")
	h.click(h.alice, ch.ID, ts, views.ActionTaskDone)
	h.expectEphemeral(ch.ID, h.alice, "This button is broken")
	ts = post(ch.ID, views.ActionTaskDone, "1:99")
	h.click(h.alice, ch.ID, ts, views.ActionTaskDone)
	h.expectEphemeral(ch.ID, h.alice, "no action item 99")
	ts = post(ch.ID, views.ActionResolve, "4242")
	h.click(h.alice, ch.ID, ts, views.ActionResolve)
	h.expectEphemeral(ch.ID, h.alice, "#4242 does not exist")
	// A card button clicked outside any war room, with no incident in it.
	h.fake.JoinChannel(h.fake.BotUserID(), h.general)
	ts = post(h.general, views.ActionPostUpdate, "")
	h.click(h.alice, h.general, ts, views.ActionPostUpdate)
	h.expectEphemeral(h.general, h.alice, "not an incident's war room")
	ts = post(ch.ID, "some_action_from_an_old_version", "x")
	h.click(h.alice, ch.ID, ts, "some_action_from_an_old_version")
	if errs := h.fake.UserErrors(); len(errs) > 0 {
		t.Errorf("users saw errors: %v", errs)
	}
	if got := h.incident(1); got.Status != incident.StatusInvestigating {
		t.Errorf("a malformed click changed the incident: %s", got.Status)
	}
}

func TestRoleModalAndPlainMentions(t *testing.T) {
	h := newHarness(t)
	inc, ch := h.declare(h.alice, "Roles by form")
	// The card's Assign role button: a free role is assigned at once.
	h.click(h.alice, ch.ID, inc.CardTS, views.ActionAssignRole)
	v := h.topView(h.alice)
	if v.CallbackID != views.CallbackRole {
		t.Fatalf("opened %q", v.CallbackID)
	}
	ack := h.submit(h.alice, v, map[string]string{views.InputRole: "spokesperson", views.InputUser: h.carol})
	if len(ack) > 0 && string(ack) != "null" {
		t.Fatalf("ack = %s, want the form closed", ack)
	}
	h.waitFor("carol as spokesperson", func() bool { return h.incident(inc.ID).Spokesperson == h.carol })
	h.expectDM(h.carol, "spokesperson")
	h.expectMessage(ch.ID, "<@"+h.carol+"> is now the *spokesperson*")
	h.settle()
	if c, _ := h.fake.Channel(ch.ID); !slices.Contains(c.Members, h.carol) {
		t.Error("the new spokesperson was not invited to the war room")
	}
	// Someone who already holds the role: the form says so.
	h.click(h.alice, ch.ID, inc.CardTS, views.ActionAssignRole)
	v = h.topView(h.alice)
	ack = h.submit(h.alice, v, map[string]string{views.InputRole: "operator", views.InputUser: h.alice})
	if !strings.Contains(string(ack), "already the operator") {
		t.Errorf("ack = %s", ack)
	}
	// A client that did not escape the mention sends a plain @name.
	h.slash(h.alice, ch.ID, "role spokesperson @bob --force")
	h.waitFor("bob by name", func() bool { return h.incident(inc.ID).Spokesperson == h.bob })
	h.expectMessage(ch.ID, "<@"+h.bob+"> is now the *spokesperson*")
	h.expectDM(h.bob, "You are the spokesperson of incident #1")
	h.slash(h.alice, ch.ID, "role spokesperson @nobody-here --force")
	h.expectEphemeral(ch.ID, h.alice, "no user called @nobody-here")
	// The postmortem waits for the resolution.
	h.slash(h.alice, ch.ID, "postmortem")
	h.expectEphemeral(ch.ID, h.alice, "once incident #1 is resolved")
}
