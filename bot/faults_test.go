package bot_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Fault tests: Slack misbehaves in each way the fake can make it (a storm
// of 429s, a 5xx or a reset after the work was done, an answer slower than
// the client's timeout, a call that never answers, sockets dropped in the
// middle of a burst, an envelope delivered twice) and the bot must still
// do every acknowledged request once, publish every stored change once,
// and lose nothing. Each test ends with audit, which compares what the
// store holds with what Slack shows.

// afterWork are the ways a call can do its work in Slack and still look
// failed to the bot.
func afterWork() []struct {
	name  string
	fault slackfake.Fault
} {
	return []struct {
		name  string
		fault slackfake.Fault
	}{
		{"5xx", slackfake.Fault{Kind: slackfake.FaultStatusAfterWork, Status: 502}},
		{"reset", slackfake.Fault{Kind: slackfake.FaultResetAfterWork}},
		{"slower than the timeout", slackfake.Fault{Kind: slackfake.FaultSlowAfterWork, Delay: 2 * time.Second}},
		{"hang", slackfake.Fault{Kind: slackfake.FaultHangAfterWork}},
	}
}

// eachAfterWork runs test once for each way of losing an answer, on a new
// bot whose Slack calls give up after 300 ms (so that slow and hung
// answers are given up on quickly).
func eachAfterWork(t *testing.T, test func(t *testing.T, h *harness, fault slackfake.Fault)) {
	for _, tc := range afterWork() {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, withOptions(func(o *bot.Options) { o.CallTimeout = 300 * time.Millisecond }))
			test(t, h, tc.fault)
		})
	}
}

// drain moves the bot's clock a second at a time until Slack has every
// envelope acked and the bot has nothing queued or in flight: Retry-After
// and backoffs pass on the bot's clock, call timeouts on the real one.
func (h *harness) drain() {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for h.fake.Pending() > 0 || !h.app.Idle() || h.fake.InFlight() > 0 {
		if time.Now().After(deadline) {
			h.t.Fatalf("the bot is still busy after 20s: %d envelopes unacked, %d calls in flight; %s",
				h.fake.Pending(), h.fake.InFlight(), strings.Join(h.app.Busy(), "; "))
		}
		h.clock.Add(time.Second)
		time.Sleep(10 * time.Millisecond)
	}
}

// faultsHit counts the calls of method an injected fault hit.
func (h *harness) faultsHit(method string) int {
	n := 0
	for _, c := range h.fake.Calls() {
		if c.Fault != "" && (method == "" || c.Method == method) {
			n++
		}
	}
	return n
}

// sendSlash runs /incident text as user in channel and returns its
// delivery, without waiting for the ack.
func (h *harness) sendSlash(user, channel, text string) *slackfake.Delivery {
	h.t.Helper()
	d, err := h.fake.SlashCommand(user, channel, "/incident", text)
	if err != nil {
		h.t.Fatalf("slash %q: %v", text, err)
	}
	h.ledger.mu.Lock()
	h.ledger.sent[d] = [2]string{user, channel}
	h.ledger.mu.Unlock()
	return d
}

// acked waits for d's ack and reports whether it came.
func (h *harness) acked(d *slackfake.Delivery) bool {
	h.t.Helper()
	ack, err := d.Wait(h.ctx())
	if err != nil && err != slackfake.ErrNotAcked {
		h.t.Fatalf("wait for an ack: %v", err)
	}
	h.ledger.mu.Lock()
	who, ok := h.ledger.sent[d]
	h.ledger.mu.Unlock()
	if err == nil && ok {
		h.noteAck(who[0], who[1], ack)
	}
	return err == nil
}

// notes counts the notes of incident id whose text contains marker.
func (h *harness) notes(id int64, marker string) int {
	n := 0
	for _, e := range h.events(id) {
		if e.Kind == incident.EventNote && strings.Contains(e.Text, marker) {
			n++
		}
	}
	return n
}

// audit checks that what the store holds was published in Slack once:
// nothing left in the inbox or the outbox, and for every incident one war
// room with its members, one pinned card, one picker at most, one
// announcement, one role DM per role given, and each update, notice,
// reminder and postmortem upload of its timeline once in the war room and
// the announcement thread. Doubled posts anywhere fail the test at its end
// (the harness checks Duplicates).
func (h *harness) audit() {
	h.t.Helper()
	ctx := context.Background()
	if reqs, err := h.db.Requests(ctx, 0); err != nil || len(reqs) > 0 {
		h.t.Errorf("%d requests still in the inbox (%v)", len(reqs), err)
	}
	if effs, err := h.db.PendingEffects(ctx, 0); err != nil || len(effs) > 0 {
		h.t.Errorf("%d effects still in the outbox (%v)", len(effs), err)
	}
	incs, err := h.db.FindIncidents(ctx, incident.Filter{})
	if err != nil {
		h.t.Fatal(err)
	}
	var anns []slackfake.Message
	for _, m := range h.fake.Messages(h.announce) {
		if m.BotID != "" && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
			anns = append(anns, m)
		}
	}
	if len(anns) != len(incs) {
		h.t.Errorf("%d announcements for %d incidents:\n%s", len(anns), len(incs), h.fake.Transcript(h.announce))
	}
	for _, inc := range incs {
		h.auditIncident(inc)
	}
}

func (h *harness) auditIncident(inc *incident.Incident) {
	h.t.Helper()
	t, id := h.t, inc.ID
	name := fmt.Sprintf("incident #%d", id)
	re := regexp.MustCompile(fmt.Sprintf(`^inc-%d(-|$)`, id))
	var rooms []string
	for _, ch := range h.fake.Channels() {
		if re.MatchString(ch.Name) {
			rooms = append(rooms, ch.ID)
		}
	}
	if len(rooms) != 1 || rooms[0] != inc.ChannelID {
		t.Errorf("%s: war room %q recorded, %v in Slack", name, inc.ChannelID, rooms)
		return
	}
	room, _ := h.fake.Channel(inc.ChannelID)
	var top, thread []slackfake.Message
	for _, m := range h.fake.Messages(room.ID) {
		if m.BotID != "" && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
			top = append(top, m)
		}
	}
	if len(inc.Announcements) != 1 || inc.Announcements[0].TS == "" {
		t.Errorf("%s: announcements %+v", name, inc.Announcements)
	} else {
		for _, m := range h.fake.Thread(h.announce, inc.Announcements[0].TS) {
			if m.BotID != "" && m.TS != inc.Announcements[0].TS {
				thread = append(thread, m)
			}
		}
	}
	once := func(what string, ms []slackfake.Message, want int, sub ...string) {
		t.Helper()
		var seen []slackfake.Message
		for _, m := range ms {
			if containsAll(m.Text, sub) {
				seen = append(seen, m)
			}
		}
		if len(seen) != want {
			t.Errorf("%s: %d messages %s, want %d", name, len(seen), what, want)
		}
		h.markConsumed("audit", seen...)
	}
	once("card", top, 1, fmt.Sprintf("Incident #%d (", id))
	if !slices.Contains(room.Pins, inc.CardTS) {
		t.Errorf("%s: the card %s is not pinned: %v", name, inc.CardTS, room.Pins)
	}
	evs := h.events(id)
	spokes := slices.ContainsFunc(evs, func(e incident.Event) bool {
		return e.Kind == incident.EventRoleAssigned && e.Field("role") == string(incident.RoleSpokesperson)
	})
	if n := len(filterText(top, "Choose a spokesperson")); n > 1 || (n == 0 && !spokes) {
		t.Errorf("%s: %d spokesperson pickers", name, n)
	}
	for _, u := range []string{inc.DeclaredBy, inc.Operator, inc.Spokesperson} {
		if u != "" && !slices.Contains(room.Members, u) {
			t.Errorf("%s: %s is not in the war room", name, u)
		}
	}
	want := map[string]int{} // text in the room or "thread:" text → count
	for _, e := range evs {
		switch e.Kind {
		case incident.EventUpdatePosted:
			want[fmt.Sprintf("Update on incident #%d: %s", id, e.Text)]++
			if !inc.Private {
				want["thread:"+fmt.Sprintf("Update on incident #%d: %s", id, e.Text)]++
			}
		case incident.EventSeverityChanged:
			s := fmt.Sprintf("changed the severity of incident #%d from *%s* to *%s*", id, e.Field("from"), e.Field("to"))
			want[s]++
			want["thread:"+s]++
		case incident.EventResolved:
			want[fmt.Sprintf("resolved incident #%d ", id)]++
			want["thread:"+fmt.Sprintf("resolved incident #%d ", id)]++
		case incident.EventClosed:
			want[fmt.Sprintf("closed incident #%d.", id)]++
			want["thread:"+fmt.Sprintf("Incident #%d (", id)]++
		case incident.EventRoleAssigned:
			if e.Field("role") == string(incident.RoleSpokesperson) {
				want[fmt.Sprintf("<@%s> is now the *spokesperson*", e.Field("to"))]++
			}
			dm := fmt.Sprintf("You are the %s of incident #%d", e.Field("role"), id)
			dms := filterText(h.fake.DMs(e.Field("to")), dm)
			if len(dms) != 1 {
				t.Errorf("%s: %d DMs %q, want 1", name, len(dms), dm)
			}
			h.markConsumed("audit", dms...)
		case incident.EventPostmortem:
			title := fmt.Sprintf("Postmortem draft: incident #%d (draft %s)", id, e.Field("draft"))
			n := 0
			for _, m := range top {
				if k := len(slices.DeleteFunc(slices.Clone(m.Files), func(f slackfake.File) bool { return f.Title != title })); k > 0 {
					n += k
					h.markConsumed("audit", m)
				}
			}
			if n != 1 {
				t.Errorf("%s: %d uploads of %q, want 1", name, n, title)
			}
		}
	}
	for text, n := range want {
		if rest, ok := strings.CutPrefix(text, "thread:"); ok {
			once("in the thread with "+rest, thread, n, rest)
		} else {
			once("with "+text, top, n, text)
		}
	}
	h.auditReminders(name, inc, evs, top)
}

// auditReminders checks that each reminder event was posted once, unless
// its promise was kept before it went out, and none without its event.
func (h *harness) auditReminders(name string, inc *incident.Incident, evs []incident.Event, top []slackfake.Message) {
	h.t.Helper()
	stages := map[incident.EventKind]string{
		incident.EventReminderHeadsUp: ":alarm_clock:", incident.EventReminderDue: ":bell:", incident.EventEscalated: ":rotating_light: Escalation",
	}
	for kind, prefix := range stages {
		lo, hi := 0, 0
		for _, e := range evs {
			if e.Kind != kind {
				continue
			}
			hi++
			if inc.Status.Open() && e.Field("due") == inc.NextUpdateDue.UTC().Format(time.RFC3339) {
				lo++
			}
		}
		n := 0
		for _, m := range top {
			if strings.HasPrefix(m.Text, prefix) {
				n++
				h.markConsumed("audit", m)
			}
		}
		if n < lo || n > hi {
			h.t.Errorf("%s: %d %s reminders for %d events (%d still due)", name, n, kind, hi, lo)
		}
	}
}

func filterText(ms []slackfake.Message, s string) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range ms {
		if m.BotID != "" && strings.Contains(m.Text, s) {
			out = append(out, m)
		}
	}
	return out
}

// ready declares an incident and lets its war room be built.
func (h *harness) ready(text string) *incident.Incident {
	h.t.Helper()
	h.slash(h.alice, h.general, "declare "+text)
	// Drained before it is looked at: these bots' calls give up after
	// 300 ms, which a loaded machine can take, and the retry waits on the
	// bot's clock, which only drain moves.
	h.drain()
	inc, _ := h.declare(h.alice, "")
	return h.incident(inc.ID)
}

func TestFaults_ChannelCreatedButAnswerLost(t *testing.T) {
	eachAfterWork(t, func(t *testing.T, h *harness, fault slackfake.Fault) {
		h.fake.Inject("conversations.create", fault)
		h.slash(h.alice, h.general, "declare Payments are failing")
		h.drain()
		if h.faultsHit("conversations.create") != 1 {
			t.Fatal("the fault did not hit conversations.create")
		}
		// The channel the lost answer made is adopted, not doubled.
		inc := h.incident(1)
		if ch, ok := h.fake.Channel(inc.ChannelID); !ok || ch.Name != "inc-1-payments-are-failing" {
			t.Errorf("war room %+v", ch)
		}
		h.audit()
	})
}

func TestFaults_PostAnswerLost(t *testing.T) {
	eachAfterWork(t, func(t *testing.T, h *harness, fault slackfake.Fault) {
		inc := h.ready("Search is slow")
		// The spokesperson's DM and the war-room notice, then the
		// update in the war room and its reply in the announcement
		// thread: each post's answer is lost, each is found by its
		// metadata and not posted again.
		f := fault
		f.Calls = 2
		h.fake.Inject("chat.postMessage", f)
		h.slash(h.alice, inc.ChannelID, "role spokesperson <@"+h.bob+"|bob>")
		h.drain()
		h.fake.Inject("chat.postMessage", f)
		h.slash(h.bob, inc.ChannelID, "update Index rebuild running")
		h.drain()
		if n := h.faultsHit("chat.postMessage"); n != 4 {
			t.Fatalf("the fault hit %d posts, want 4", n)
		}
		if n := len(filterText(h.fake.DMs(h.bob), "You are the spokesperson of incident #1")); n != 1 {
			t.Errorf("%d role DMs", n)
		}
		if n := len(filterText(h.fake.Messages(h.announce), "Index rebuild running")); n != 1 {
			t.Errorf("%d replies in the announcement thread", n)
		}
		h.audit()
	})
}

func TestFaults_UploadAnswerLost(t *testing.T) {
	eachAfterWork(t, func(t *testing.T, h *harness, fault slackfake.Fault) {
		inc := h.ready("Login fails")
		h.slash(h.alice, inc.ChannelID, "resolve rolled back")
		h.drain()
		h.fake.Inject("files.completeUploadExternal", fault)
		h.slash(h.alice, inc.ChannelID, "close")
		h.drain()
		if h.faultsHit("files.completeUploadExternal") != 1 {
			t.Fatal("the fault did not hit the upload")
		}
		// Found by its title: shared once, never uploaded again.
		if n := h.fake.CallCount("files.getUploadURLExternal"); n != 1 {
			t.Errorf("%d uploads started, want 1", n)
		}
		h.audit()
	})
}

func TestFaults_HungCallDoesNotHoldOtherIncidents(t *testing.T) {
	// Calls give up after 3 s: long enough to see what happens meanwhile.
	h := newHarness(t, withOptions(func(o *bot.Options) { o.CallTimeout = 3 * time.Second }))
	a := h.ready("--sev critical Database down")
	b := h.ready("--sev critical Queue backed up")
	due := b.NextUpdateDue // b was declared last
	// Both heads-ups fall due at one tick; the first post hangs in Slack.
	h.fake.Inject("chat.postMessage", slackfake.Fault{Kind: slackfake.FaultHangBeforeWork})
	h.clock.Set(due.Add(-5 * time.Minute))
	if _, err := h.sched.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One of the two posts hangs; the other incident's heads-up is posted
	// while it does: no lock, no lane and no tick waits on a hung call.
	var hung, posted *incident.Incident
	h.waitFor("one heads-up posted while the other hangs", func() bool {
		for _, x := range [][2]*incident.Incident{{a, b}, {b, a}} {
			if len(filterText(h.fake.Messages(x[0].ChannelID), "heads-up")) == 1 && h.fake.InFlight() == 1 {
				posted, hung = x[0], x[1]
				return true
			}
		}
		return false
	})
	if len(filterText(h.fake.Messages(hung.ChannelID), "heads-up")) != 0 {
		t.Fatalf("incident #%d's heads-up posted despite the hang", hung.ID)
	}
	// The scheduler goes on too: the next stage of the posted one comes
	// while the hung call still hangs.
	h.clock.Set(due)
	if _, err := h.sched.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the next reminder while the call still hangs", func() bool {
		return len(filterText(h.fake.Messages(posted.ChannelID), "is due now")) == 1
	})
	if h.fake.InFlight() == 0 {
		t.Log("the hung call gave up before the second reminder: the check above proves less")
	}
	// Once the hung call gives up, its reminders are delivered, each once.
	h.drain()
	h.audit()
	for _, inc := range []*incident.Incident{a, b} {
		if n := len(filterText(h.fake.Messages(inc.ChannelID), "is due now")); n != 1 {
			t.Errorf("incident #%d: %d due reminders", inc.ID, n)
		}
	}
}

func TestFaults_RateLimitStormDuringBurst(t *testing.T) {
	h := newHarness(t)
	inc := h.ready("Checkout errors")
	// Every Web API call is refused with 429 for the next two minutes of
	// the bot's clock, while 20 requests come in.
	h.fake.Inject("", slackfake.Fault{Kind: slackfake.FaultRateLimit, RetryAfter: 5, Until: h.clock.Now().Add(2 * time.Minute)})
	var ds []*slackfake.Delivery
	var markers []string
	for i := range 20 {
		switch i % 5 {
		case 0:
			ds = append(ds, h.sendSlash(h.bob, h.general, fmt.Sprintf("declare Storm %d", i)))
		case 1:
			m := fmt.Sprintf("upd-%02d", i)
			markers = append(markers, m)
			ds = append(ds, h.sendSlash(h.alice, inc.ChannelID, "update "+m+" still failing"))
		default:
			m := fmt.Sprintf("note-%02d", i)
			markers = append(markers, m)
			ds = append(ds, h.sendSlash(h.carol, inc.ChannelID, "note "+m))
		}
	}
	for i, d := range ds {
		if !h.acked(d) {
			t.Fatalf("request %d not acked", i)
		}
	}
	h.drain()
	if n := h.faultsHit(""); n < 10 {
		t.Fatalf("the storm hit %d calls", n)
	}
	for _, m := range markers {
		n := 0
		for _, e := range h.events(inc.ID) {
			if strings.Contains(e.Text, m) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d events", m, n)
		}
	}
	incs, _ := h.db.FindIncidents(context.Background(), incident.Filter{})
	if len(incs) != 5 {
		t.Errorf("%d incidents, want 5", len(incs))
	}
	h.audit()
}

func TestFaults_SocketsDropMidBurst(t *testing.T) {
	for _, abrupt := range []bool{false, true} {
		t.Run(fmt.Sprintf("all-sockets=%v", abrupt), func(t *testing.T) {
			h := newHarness(t)
			inc := h.ready("Cache stampede")
			ts, _ := h.fake.PostUserMessage(h.alice, inc.ChannelID, "the graph at 09:02")
			h.settle()
			// The burst: notes and the timeline reaction. The socket dies
			// with the 4th envelope in flight, or at once after the 4th
			// was sent; what comes after waits for the reconnection.
			if !abrupt {
				h.fake.DropSocketsAfter(4)
			}
			var ds []*slackfake.Delivery
			for i := range 8 {
				if i == 3 {
					h.fake.AddReaction(h.alice, inc.ChannelID, ts, "pushpin")
					if abrupt {
						h.fake.DropSockets()
					}
					continue
				}
				ds = append(ds, h.sendSlash(h.alice, inc.ChannelID, fmt.Sprintf("note burst-%d", i)))
			}
			acked := make([]bool, len(ds))
			for i, d := range ds {
				acked[i] = h.acked(d)
			}
			h.drain()
			for i := range ds {
				m := fmt.Sprintf("burst-%d", []int{0, 1, 2, 4, 5, 6, 7}[i])
				switch n := h.notes(inc.ID, m); {
				case acked[i] && n != 1:
					t.Errorf("%s acked, on the timeline %d times", m, n)
				case !acked[i] && n > 1:
					t.Errorf("%s not acked, on the timeline %d times", m, n)
				}
			}
			// The reaction's event is redelivered until acked: once.
			if n := h.count(inc.ID, incident.EventMessagePinned); n != 1 {
				t.Errorf("the reaction pinned the message %d times", n)
			}
			if n := len(h.fake.UserErrors()); !abrupt && n != 0 {
				t.Logf("users saw %d errors", n)
			}
			h.audit()
		})
	}
}

func TestFaults_RedeliveredEnvelopesActOnce(t *testing.T) {
	h := newHarness(t)
	inc := h.ready("Webhooks delayed")
	redeliver := func(what string, d *slackfake.Delivery) {
		t.Helper()
		if _, err := d.Wait(h.ctx()); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		again, err := h.fake.Redeliver(d)
		if err != nil {
			t.Fatalf("redeliver %s: %v", what, err)
		}
		// An ack is owed to the copy too; its payload says nothing new.
		if ack, err := again.Wait(h.ctx()); err != nil || len(ack) > 0 {
			t.Errorf("%s redelivered: ack %s, %v", what, ack, err)
		}
		h.drain()
	}
	// A slash command.
	redeliver("slash command", h.sendSlash(h.alice, inc.ChannelID, "note redelivered-note"))
	if n := h.notes(inc.ID, "redelivered-note"); n != 1 {
		t.Errorf("slash command: %d notes", n)
	}
	h.expectEphemeral(inc.ChannelID, h.alice, "Added to the timeline")
	// A block action: the severity menu of the card.
	d, err := h.fake.SelectInMessage(h.alice, inc.ChannelID, inc.CardTS, views.ActionSeverity, "critical")
	if err != nil {
		t.Fatal(err)
	}
	redeliver("block action", d)
	if n := h.count(inc.ID, incident.EventSeverityChanged); n != 1 {
		t.Errorf("block action: %d severity changes", n)
	}
	// A view submission: the update form.
	h.click(h.alice, inc.ChannelID, inc.CardTS, views.ActionPostUpdate)
	v := h.topView(h.alice)
	d, err = h.fake.SubmitView(h.alice, v.ID, map[string]string{views.InputKnown: "redelivered-update", views.InputNext: "30m0s"})
	if err != nil {
		t.Fatal(err)
	}
	redeliver("view submission", d)
	if n := h.count(inc.ID, incident.EventUpdatePosted); n != 1 {
		t.Errorf("view submission: %d updates", n)
	}
	// An event: the timeline reaction.
	ts, _ := h.fake.PostUserMessage(h.alice, inc.ChannelID, "redelivered-pin")
	h.settle()
	h.fake.AddReaction(h.alice, inc.ChannelID, ts, "pushpin")
	var reaction *slackfake.Delivery
	h.waitFor("the reaction event", func() bool {
		for _, e := range h.fake.SentEvents() {
			if e.Type == "reaction_added" {
				reaction = e.Delivery
				return true
			}
		}
		return false
	})
	redeliver("event", reaction)
	h.drain()
	if n := h.count(inc.ID, incident.EventMessagePinned); n != 1 {
		t.Errorf("event: %d pins", n)
	}
	h.audit()
}
