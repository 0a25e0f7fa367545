package bot_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

func mention(id string) string { return "<@" + id + "|someone>" }

// withSpokesperson declares an incident by alice and makes bob the
// spokesperson through the picker.
func withSpokesperson(t *testing.T, h *harness) (*incident.Incident, slackfake.Channel) {
	t.Helper()
	inc, ch := h.declare(h.alice, "--sev major Checkout is down")
	picker := h.expectMessage(ch.ID, "choose a *spokesperson*")
	d, err := h.fake.SelectInMessage(h.alice, ch.ID, picker.TS, views.ActionPickSpokesperson, h.bob)
	if err != nil {
		t.Fatal(err)
	}
	d.Wait(h.ctx())
	h.waitFor("bob to be spokesperson", func() bool { return h.incident(inc.ID).Spokesperson == h.bob })
	h.expectDM(h.bob, "spokesperson", "post status updates")
	h.expectMessage(ch.ID, "is now the *spokesperson*")
	h.waitCard(inc, "<@"+h.bob+">")
	return h.incident(inc.ID), ch
}

func TestRoles_PickerAndHandoff(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)

	// Bob hands off to Carol: a brief, then Carol accepts.
	h.slash(h.bob, ch.ID, "role spokesperson "+mention(h.carol))
	v := h.topView(h.bob)
	if v.CallbackID != views.CallbackHandoff {
		t.Fatalf("opened %q, want the handoff brief", v.CallbackID)
	}
	h.submit(h.bob, v, map[string]string{views.InputState: "EU checkout failing, cert suspected", views.InputWatch: "the 10:30 promise to support"})
	offer := h.expectMessage(ch.ID, "offers the spokesperson role", "EU checkout failing")
	h.expectDM(h.carol, "offers the spokesperson role")
	if got := h.incident(inc.ID).Spokesperson; got != h.bob {
		t.Fatalf("role changed before acceptance: %s", got)
	}
	// Only Carol may accept.
	h.click(h.alice, ch.ID, offer.TS, views.ActionAcceptHandoff)
	h.expectEphemeral(ch.ID, h.alice, "only they can accept")
	h.click(h.carol, ch.ID, offer.TS, views.ActionAcceptHandoff)
	h.waitFor("carol to be spokesperson", func() bool { return h.incident(inc.ID).Spokesperson == h.carol })
	h.waitCard(inc, "<@"+h.carol+">")
	h.expectMessage(ch.ID, "<@"+h.carol+"> is now the *spokesperson*")
	h.expectDM(h.carol, "You are the spokesperson of incident #1")
	var kinds []incident.EventKind
	for _, e := range h.events(inc.ID) {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, incident.EventHandoffOffered) || !slices.Contains(kinds, incident.EventHandoffAccepted) {
		t.Errorf("timeline lacks the handoff: %v", kinds)
	}
}

func TestRoles_ForceAndRefusals(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	// A stranger cannot take a held role or start its handoff.
	h.slash(h.carol, ch.ID, "role spokesperson "+mention(h.carol))
	h.expectEphemeral(ch.ID, h.carol, "can hand off the spokesperson role")
	// The operator may force it.
	h.slash(h.alice, ch.ID, "role spokesperson "+mention(h.carol)+" --force")
	h.waitFor("forced role change", func() bool { return h.incident(inc.ID).Spokesperson == h.carol })
	h.expectMessage(ch.ID, "<@"+h.carol+"> is now the *spokesperson*")
	h.expectDM(h.carol, "You are the spokesperson of incident #1")
	// Nobody may take an empty role from outside the war room.
	inc2, ch2 := h.declare(h.alice, "Second incident")
	h.slash(h.carol, h.general, fmt.Sprintf("%d role spokesperson %s", inc2.ID, mention(h.carol)))
	h.expectEphemeral(h.general, h.carol, "join <#"+ch2.ID+">")
	if got := h.incident(inc2.ID).Spokesperson; got != "" {
		t.Fatalf("a stranger took the role from #general: %s", got)
	}
	// A user who does not exist.
	h.slash(h.alice, ch.ID, "role operator <@U404|ghost>")
	h.expectEphemeral(ch.ID, h.alice, "no user")
	// An unknown role word.
	h.slash(h.alice, ch.ID, "role boss "+mention(h.bob))
	h.expectEphemeral(ch.ID, h.alice, "role")
	// The role modal from the card assigns a free role... none is free, so
	// assigning the operator role to bob swaps the form for a handoff brief.
	h.click(h.alice, ch.ID, inc.CardTS, views.ActionAssignRole)
	v := h.topView(h.alice)
	ack := h.submit(h.alice, v, map[string]string{views.InputRole: "operator", views.InputUser: h.bob})
	if !strings.Contains(string(ack), `"update"`) || !strings.Contains(string(ack), views.CallbackHandoff) {
		t.Fatalf("ack = %s, want the handoff brief in place of the role form", ack)
	}
}

func TestUpdates(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	h.clock.Add(10 * time.Minute)
	h.slash(h.bob, ch.ID, "update --next 45m Payments time out; investigating <!channel>")
	m := h.expectMessage(ch.ID, "Update on incident #1", "Payments time out")
	if strings.Contains(render(m), "<!channel>") {
		t.Errorf("update echoed a live @channel: %s", render(m))
	}
	h.expectInAnnouncementThread(inc, "Payments time out")
	got := h.incident(inc.ID)
	if want := h.clock.Now().Add(45 * time.Minute); !got.NextUpdateDue.Equal(want) || got.Updates != 1 {
		t.Errorf("next due %v (want %v), updates %d", got.NextUpdateDue, want, got.Updates)
	}
	h.waitCard(inc, "due 09:55")

	// A stranger's update is refused and their text shown back.
	h.slash(h.carol, ch.ID, "update Everything is fine actually")
	h.expectEphemeral(ch.ID, h.carol, "can post status updates", "Everything is fine actually")

	// The card's button opens the modal; submitting posts the update.
	h.click(h.bob, ch.ID, inc.CardTS, views.ActionPostUpdate)
	v := h.topView(h.bob)
	if v.CallbackID != views.CallbackUpdate {
		t.Fatalf("opened %q", v.CallbackID)
	}
	h.submit(h.bob, v, map[string]string{views.InputStatus: "identified", views.InputKnown: "Cert expired <b>", views.InputNext: "1h0m0s"})
	h.expectRoomAndThread(inc, "Cert expired &lt;b&gt;")
	h.waitFor("status identified", func() bool { return h.incident(inc.ID).Status == incident.StatusIdentified })
}

func TestSeverityStatusNoteTimeline(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	// Severity from the card's select.
	d, err := h.fake.SelectInMessage(h.alice, ch.ID, inc.CardTS, views.ActionSeverity, "critical")
	if err != nil {
		t.Fatal(err)
	}
	d.Wait(h.ctx())
	h.expectRoomAndThread(inc, "from *major* to *critical*")
	h.waitCard(inc, ":red_circle: critical")
	h.waitFor("the topic", func() bool { c, _ := h.fake.Channel(ch.ID); return strings.Contains(c.Topic, "CRITICAL") })
	// Critical pulls the next update forward to 15 minutes.
	if got := h.incident(inc.ID).NextUpdateDue; !got.Equal(h.clock.Now().Add(15 * time.Minute)) {
		t.Errorf("next update due %v", got)
	}
	// Status from outside the war room, by number.
	h.slash(h.alice, h.general, "1 status monitoring")
	h.waitFor("monitoring", func() bool { return h.incident(inc.ID).Status == incident.StatusMonitoring })
	h.expectRoomAndThread(inc, "changed the status of incident #1", "to *monitoring*")
	if h.incident(inc.ID).MitigatedAt.IsZero() {
		t.Error("mitigation time not recorded")
	}
	// A note by someone in the war room.
	h.fake.JoinChannel(h.carol, ch.ID)
	h.slash(h.carol, ch.ID, "note restarted the payment workers")
	h.expectEphemeral(ch.ID, h.carol, "Added to the timeline")
	// A message pinned with the reaction, then edited, one pinned then deleted, a file.
	ts, _ := h.fake.PostUserMessage(h.carol, ch.ID, "error rate is back to 0.1%")
	h.fake.AddReaction(h.alice, ch.ID, ts, "pushpin")
	h.waitEvent(inc.ID, incident.EventMessagePinned)
	h.fake.AddReaction(h.bob, ch.ID, ts, "pushpin") // a second pin adds nothing
	h.fake.EditMessage(h.carol, ch.ID, ts, "error rate is back to 0.2%")
	h.waitEvent(inc.ID, incident.EventMessageEdited)
	ts2, _ := h.fake.PostUserMessage(h.bob, ch.ID, "oops, wrong channel")
	h.fake.PinMessage(h.bob, ch.ID, ts2)
	h.waitFor("the second pinned message", func() bool { return h.incident(inc.ID).IsPinned(ts2) })
	h.fake.DeleteMessage(h.bob, ch.ID, ts2)
	h.waitEvent(inc.ID, incident.EventMessageDeleted)
	fid, err := h.fake.ShareFile(h.carol, ch.ID, "graph.png", "PNG")
	if err != nil {
		t.Fatal(err)
	}
	var fileTS string
	for _, m := range h.fake.Messages(ch.ID) {
		if len(m.Files) > 0 {
			fileTS = m.TS
		}
	}
	h.fake.AddReaction(h.carol, ch.ID, fileTS, "pushpin")
	h.waitFor("the file on the timeline", func() bool { return h.incident(inc.ID).IsPinned(fileTS) })
	_ = fid
	pins := 0
	for _, e := range h.events(inc.ID) {
		if e.Kind == incident.EventMessagePinned {
			pins++
			if e.Field("ts") == fileTS && e.Field("files") == "" {
				t.Errorf("pinned file message without file link: %+v", e)
			}
		}
	}
	if pins != 3 {
		t.Errorf("%d pinned entries, want 3 (a repeated reaction must not add one)", pins)
	}
	h.slash(h.alice, ch.ID, "timeline")
	tl := h.expectEphemeral(ch.ID, h.alice, "Timeline of incident #1")
	assertShows(t, "timeline", tl, "restarted the payment workers", "back to 0.2%", "_(edited)_", "_message deleted_", "major → critical")
	if strings.Contains(render(tl), "oops, wrong channel") {
		t.Error("timeline shows the text of a deleted message")
	}
}

func TestResolveCloseAndPostmortem(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	// Close before resolve is refused.
	h.slash(h.alice, ch.ID, "close")
	h.expectEphemeral(ch.ID, h.alice, "resolve it first")
	// A stranger cannot resolve.
	h.click(h.carol, ch.ID, inc.CardTS, views.ActionResolve)
	h.expectEphemeral(ch.ID, h.carol, "Only the operator")
	h.slash(h.alice, ch.ID, "cause expired TLS certificate")
	h.slash(h.alice, ch.ID, "task monitor certificate expiry "+mention(h.carol))
	h.expectMessage(ch.ID, "monitor certificate expiry", "owner <@"+h.carol+">")
	h.clock.Add(40 * time.Minute)
	h.click(h.alice, ch.ID, inc.CardTS, views.ActionResolve)
	h.expectResolved(inc)
	h.waitCard(inc, "Close and draft postmortem")
	if got := h.incident(inc.ID); !got.NextUpdateDue.IsZero() || !got.WakeAt.IsZero() {
		t.Errorf("resolve left reminders planned: due %v wake %v", got.NextUpdateDue, got.WakeAt)
	}
	h.clock.Add(time.Hour)
	h.click(h.bob, ch.ID, inc.CardTS, views.ActionClose)
	h.waitFor("the postmortem upload", func() bool { fs := h.fake.Files(); return len(fs) == 1 && len(fs[0].Channels) == 1 })
	f := h.fake.Files()[0]
	evs := h.events(inc.ID)
	// Names come from Slack: a draft is read outside it.
	names := func(id string) string { return h.sb.Names[id] }
	want, err := postmortem.Draft(h.incident(inc.ID), evs, postmortem.Options{Location: time.UTC, Policy: h.sb.Options.Policy, Now: h.clock.Now(), UserName: names})
	if err != nil {
		t.Fatal(err)
	}
	if string(f.Content) != want {
		t.Errorf("uploaded postmortem differs from the stored draft:\n%s", string(f.Content))
	}
	if !strings.Contains(string(f.Content), "expired TLS certificate") || !slices.Contains(f.Channels, ch.ID) {
		t.Errorf("postmortem %q in %v", f.Name, f.Channels)
	}
	h.expectInAnnouncementThread(inc, "postmortem draft is ready")
	h.expectMessage(ch.ID, "closed incident #1. Thank you all.")
	// Commands on a closed incident are refused clearly.
	h.slash(h.alice, ch.ID, "sev critical")
	h.expectEphemeral(ch.ID, h.alice, "is closed")
	h.slash(h.alice, ch.ID, "postmortem")
	h.waitFor("a regenerated draft", func() bool { fs := h.fake.Files(); return len(fs) == 2 && len(fs[1].Channels) == 1 })
	// The summary goes with each draft as its comment.
	h.expectMessage(ch.ID, "*Incident #1: Checkout is down* is closed")
	h.expectMessage(ch.ID, "*Incident #1: Checkout is down* is closed")
}

func TestCommandsOutsideWarRoom(t *testing.T) {
	h := newHarness(t)
	h.declare(h.alice, "First thing broken")
	h.declare(h.alice, "Second thing broken")
	h.slash(h.alice, h.general, "sev critical")
	h.expectEphemeral(h.general, h.alice, "Which incident?", "#1", "#2")
	h.slash(h.alice, h.general, "99 sev critical")
	h.expectEphemeral(h.general, h.alice, "#99 does not exist")
	h.slash(h.alice, h.general, "list")
	h.expectEphemeral(h.general, h.alice, "Open incidents (2)")
	ack := h.slash(h.alice, h.general, "help")
	if !strings.Contains(string(ack), "• `declare` — declare an incident") {
		t.Errorf("help = %s", ack)
	}
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	_, ch := withSpokesperson(t, h)
	for _, c := range []struct{ text, want string }{
		{"frobnicate", "Unknown subcommand"},
		{"sev", "severity"},
		{"sev apocalyptic", "not a severity"},
		{"status bored", "status"},
		{"role spokesperson", "role"},
		{"note", "note"},
		{"update --next 30x fixed", "duration"},
		{"task done", "number"},
		{"task done 7", "no action item 7"},
	} {
		ack := h.slash(h.alice, ch.ID, c.text)
		if !strings.Contains(strings.ToLower(string(ack)), strings.ToLower(c.want)) {
			h.waitFor(fmt.Sprintf("a reply to %q mentioning %q", c.text, c.want), func() bool {
				for _, m := range h.fake.Ephemerals(ch.ID, h.alice) {
					if strings.Contains(strings.ToLower(render(m)), strings.ToLower(c.want)) {
						return true
					}
				}
				return false
			})
		}
	}
	if errs := h.fake.UserErrors(); len(errs) > 0 {
		t.Errorf("users saw Slack errors: %v", errs)
	}
}

func TestRedeliveredEventActsOnce(t *testing.T) {
	h := newHarness(t, withAckTimeout(time.Second))
	inc, ch := h.declare(h.alice, "Pins twice")
	ts, _ := h.fake.PostUserMessage(h.alice, ch.ID, "root cause candidate")
	h.waitFor("the message event to be acked", func() bool { return h.fake.Pending() == 0 })
	before := len(h.fake.Acks())
	// The ack of the reaction event is lost: Slack redelivers it with the
	// same event_id, and the bot must act once.
	h.fake.DropNextAcks(1)
	h.fake.AddReaction(h.alice, ch.ID, ts, "pushpin")
	h.waitFor("the redelivery to be acked", func() bool { return len(h.fake.Acks()) > before && h.fake.Pending() == 0 })
	h.waitEvent(inc.ID, incident.EventMessagePinned)
	// A second person's reaction is another event for the same message.
	h.fake.AddReaction(h.bob, ch.ID, ts, "pushpin")
	h.waitFor("the second reaction to be acked", func() bool { return h.fake.Pending() == 0 })
	n := 0
	for _, e := range h.events(inc.ID) {
		if e.Kind == incident.EventMessagePinned {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d timeline entries for one message", n)
	}
	// The lost first delivery left no ack: the redelivery and the second
	// reaction did.
	if got := len(h.fake.Acks()) - before; got < 2 {
		t.Errorf("%d acks after the lost one, want the redelivery and the second reaction", got)
	}
}

func TestRateLimitedCallsAreRetried(t *testing.T) {
	h := newHarness(t)
	h.fake.FailNext("conversations.create", slackfake.Failure{Status: 429, RetryAfter: 1})
	h.fake.FailNext("chat.postMessage", slackfake.Failure{Status: 429, RetryAfter: 1})
	h.slash(h.alice, h.general, "declare Busy Slack")
	h.waitFor("the refused create", func() bool { return h.fake.CallCount("conversations.create") == 1 })
	// Retry-After is honoured on the bot's clock: nothing is retried until
	// it moves.
	time.Sleep(50 * time.Millisecond)
	if n := h.fake.CallCount("conversations.create"); n != 1 {
		t.Fatalf("conversations.create called %d times before Retry-After passed", n)
	}
	for i := 0; i < 20 && h.incident(1).CardTS == ""; i++ {
		h.clock.Add(time.Second)
		time.Sleep(20 * time.Millisecond)
	}
	inc, ch := h.declare(h.alice, "")
	h.expectMessage(h.announce, "Busy Slack")
	if ch.Name != "inc-1-busy-slack" || inc.CardTS == "" {
		t.Errorf("war room %q card %q", ch.Name, inc.CardTS)
	}
	if n := h.fake.CallCount("conversations.create"); n != 2 {
		t.Errorf("conversations.create called %d times, want 2", n)
	}
}
