package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
)

// Consumed messages and ignored chatter: the harness's strict check (see
// the top of harness_test.go for how a test uses it).

// ledger records which bot messages the test has consumed and which
// chatter it ignores.
type ledger struct {
	mu sync.Mutex
	// consumed maps channel/ts to the expectation that consumed it.
	consumed map[string]string
	// checked are the messages a test looked at without consuming them:
	// the replies slash commands answered in their ack (the test holds
	// them as slash's result), messages compared whole (markChecked).
	// expect* can still consume them.
	checked map[string]bool
	// sent are the user and channel of slash commands sent with
	// sendSlash, for noteAck once acked.
	sent    map[*slackfake.Delivery][2]string
	ignores []ignoreRule
}

// ignoreRule is one ignore or ignoreDMs call, or a default.
type ignoreRule struct {
	channel  string // a channel (or DM) ID; "" in every channel
	user     string // the user of a DM; "" for a channel rule
	keywords []string
}

func messageKey(m slackfake.Message) string {
	key := m.Channel + "/" + m.TS
	if m.Ephemeral {
		key += "/" + m.EphemeralTo
	}
	return key
}

// consumeFirst returns the first message of list, in order, not yet
// consumed and showing every keyword, and marks it consumed by what.
func (h *harness) consumeFirst(what string, list []slackfake.Message, keywords []string) (slackfake.Message, bool) {
	h.ledger.mu.Lock()
	defer h.ledger.mu.Unlock()
	for _, m := range list {
		if _, done := h.ledger.consumed[messageKey(m)]; !done && containsAll(render(m), keywords) {
			h.ledger.consumed[messageKey(m)] = what
			return m, true
		}
	}
	return slackfake.Message{}, false
}

// consume waits until list holds a message consumeFirst takes. On time out
// it names the matching messages earlier expectations took, the usual
// cause when a test expects one message twice.
func (h *harness) consume(what string, list func() []slackfake.Message, keywords []string) slackfake.Message {
	h.t.Helper()
	what = fmt.Sprintf("%s with %q", what, keywords)
	var found slackfake.Message
	ok := h.poll(waitTimeout, func() bool {
		var ok bool
		found, ok = h.consumeFirst(what, list(), keywords)
		return ok
	})
	if ok {
		return found
	}
	var taken []string
	h.ledger.mu.Lock()
	for _, m := range list() {
		if by, done := h.ledger.consumed[messageKey(m)]; done && containsAll(render(m), keywords) {
			taken = append(taken, fmt.Sprintf("  %s %q, already consumed by: %s", m.TS, truncate(m.Text, 160), by))
		}
	}
	h.ledger.mu.Unlock()
	if len(taken) > 0 {
		h.t.Fatalf("timed out waiting for %s not consumed yet; the matching messages were consumed before "+
			"(to read a message edited in place, use h.expectEdited):\n%s", what, strings.Join(taken, "\n"))
	}
	h.t.Fatalf("timed out waiting for %s", what)
	return found
}

// markConsumed consumes ms for a check that counted them itself (by
// names it), like the faults tests' audit.
func (h *harness) markConsumed(by string, ms ...slackfake.Message) {
	h.ledger.mu.Lock()
	defer h.ledger.mu.Unlock()
	for _, m := range ms {
		h.ledger.consumed[messageKey(m)] = by
	}
}

// markChecked accounts for ms, which a test checked whole without
// consuming them (fingerprint): expect* can still consume them.
func (h *harness) markChecked(ms ...slackfake.Message) {
	h.ledger.mu.Lock()
	defer h.ledger.mu.Unlock()
	for _, m := range ms {
		h.ledger.checked[messageKey(m)] = true
	}
}

// expectEdited waits until a message in channel the bot already posted,
// consumed or not, shows every keyword, as after an edit in place
// (chat.update), and consumes it.
func (h *harness) expectEdited(channel string, keywords ...string) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	h.waitFor(fmt.Sprintf("a message in %s edited to show %q", channel, keywords), func() bool {
		for _, m := range h.fake.Messages(channel) {
			if containsAll(render(m), keywords) {
				found = m
				h.ledger.mu.Lock()
				h.ledger.consumed[messageKey(m)] = "expectEdited"
				h.ledger.mu.Unlock()
				return true
			}
		}
		return false
	})
	return found
}

// noteAck records that the reply a slash command answered in its ack
// (ack) was shown to user in channel: the test holds it as slash's result,
// so it need not be expected, though expect* can still consume it.
func (h *harness) noteAck(user, channel string, ack []byte) {
	var reply struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(ack, &reply) != nil || reply.Text == "" {
		return
	}
	h.ledger.mu.Lock()
	defer h.ledger.mu.Unlock()
	for _, m := range append(h.fake.Ephemerals(channel, user), h.fake.Messages(channel)...) {
		if k := messageKey(m); m.Text == reply.Text && !h.ledger.checked[k] {
			h.ledger.checked[k] = true
			return
		}
	}
}

// ignore declares chatter the test does not check: bot messages in
// channel (a channel or DM ID; "" for every channel), ephemerals shown
// there included, whose text or blocks contain every keyword (none: all of
// them). Give the reason in a comment at the call.
func (h *harness) ignore(channel string, keywords ...string) {
	h.ledger.mu.Lock()
	defer h.ledger.mu.Unlock()
	h.ledger.ignores = append(h.ledger.ignores, ignoreRule{channel: channel, keywords: slices.Clone(keywords)})
}

// ignoreDMs is ignore for the bot's DM with user.
func (h *harness) ignoreDMs(user string, keywords ...string) {
	h.ledger.mu.Lock()
	defer h.ledger.mu.Unlock()
	h.ledger.ignores = append(h.ledger.ignores, ignoreRule{user: user, keywords: slices.Clone(keywords)})
}

// ignoreWarRoomSetup ignores what nearly every test's declare produces and
// few check. A test that cares about one of these still consumes it with
// expect*, which works the same on ignored messages.
func (h *harness) ignoreWarRoomSetup() {
	for _, keywords := range [][]string{
		// The "ready" reply to the declarer (where the war room is, their
		// role) that follows the slash command's ack.
		{"declared: <#", ">. You are the "},
		// The incident card, pinned in the war room and edited in place all
		// along (its fields); tests read it with h.card and h.waitCard.
		{"*Spokesperson*", "*Declared*"},
		// The spokesperson picker that follows the card.
		{"Choose a spokesperson"},
		// The checklist of each playbook run at declaration, edited in
		// place as steps are ticked; tests read it with checklistMessage.
		{":clipboard: *", "* checklist"},
		// The call for roles nobody holds yet, posted at declaration when
		// there is no operator (alerts, drills) or a playbook asks for more.
		{"Incident #", " needs roles filled"},
		// A drill's notice at declaration that it is only practice.
		{"Incident #", " is a drill"},
		// The announcement in #incidents (public, then private), edited in
		// place; its thread replies are not ignored.
		{"Updates follow in this thread"},
		{"A private incident was declared (severity"},
		// The DM to the operator named at declaration; DMs for roles a test
		// assigns later are not ignored.
		{"You are the operator of incident #"},
	} {
		h.ignore("", keywords...)
	}
}

// checkAllConsumed fails the test if the bot posted a message (in a
// channel, a thread, a DM or as an ephemeral) the test neither consumed
// with expect* nor ignored. A failed test is not checked again: its
// failure says enough.
func (h *harness) checkAllConsumed() {
	if h.t.Failed() {
		return
	}
	// What the bot still had to deliver is checked too, whatever the
	// timing; a stopped or stuck bot gives up after a moment.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = h.sb.Settle(ctx)
	cancel()
	if left := h.unaccounted(); len(left) > 0 {
		h.t.Errorf("%d bot message(s) no expectation consumed:\n%s\n"+
			"Expect each with h.expectMessage, h.expectEphemeral or h.expectDM, "+
			"or, if the test does not care, ignore it with h.ignore(channel, keywords...) or h.ignoreDMs(user, keywords...)",
			len(left), strings.Join(left, "\n"))
	}
}

// unaccounted describes every live bot message neither consumed, checked
// nor ignored, one line each.
func (h *harness) unaccounted() []string {
	h.ledger.mu.Lock()
	defer h.ledger.mu.Unlock()
	// The DMs of the sandbox's people and of users named in ignoreDMs.
	dmWith := map[string]string{}
	users := []string{h.alice, h.bob, h.carol, h.admin}
	for _, r := range h.ledger.ignores {
		users = append(users, r.user)
	}
	for _, u := range users {
		if id, ok := h.fake.DMChannel(u); ok {
			dmWith[id] = u
		}
	}
	var left []string
	for _, m := range h.fake.Unexpected() {
		if _, done := h.ledger.consumed[messageKey(m)]; done || h.ledger.checked[messageKey(m)] || h.ignored(m, dmWith[m.Channel]) {
			continue
		}
		left = append(left, describeMessage(m, dmWith[m.Channel]))
	}
	return left
}

func (h *harness) ignored(m slackfake.Message, dmUser string) bool {
	return slices.ContainsFunc(h.ledger.ignores, func(r ignoreRule) bool {
		switch {
		case r.user != "" && r.user != dmUser:
			return false
		case r.channel != "" && r.channel != m.Channel:
			return false
		}
		return containsAll(render(m), r.keywords)
	})
}

// describeMessage is one line naming where m is and what it says.
func describeMessage(m slackfake.Message, dmUser string) string {
	where := "channel " + m.Channel
	switch {
	case m.Ephemeral:
		where += ", ephemeral to " + m.EphemeralTo
	case dmUser != "":
		where = "DM " + m.Channel + " with " + dmUser
	}
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		where += ", reply in thread " + m.ThreadTS
	}
	text := m.Text
	if text == "" {
		text = string(m.RawBlocks)
	}
	text = truncate(text, 160)
	for _, f := range m.Files {
		text += " [file " + f.Name + "]"
	}
	return fmt.Sprintf("  %s (%s): %q", m.TS, where, text)
}

func truncate(s string, limit int) string {
	if r := []rune(s); len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return s
}

// expectRoomAndThread consumes a message in inc's war room and its copy
// in the thread of inc's first announcement, both showing every keyword.
func (h *harness) expectRoomAndThread(inc *incident.Incident, keywords ...string) {
	h.t.Helper()
	h.expectMessage(inc.ChannelID, keywords...)
	h.expectInAnnouncementThread(inc, keywords...)
}

// expectInAnnouncementThread consumes a reply showing every keyword in the
// thread of inc's first announcement.
func (h *harness) expectInAnnouncementThread(inc *incident.Incident, keywords ...string) {
	h.t.Helper()
	ann := h.incident(inc.ID).Announcements[0]
	h.consume("a reply in the thread of "+ann.TS, func() []slackfake.Message {
		var replies []slackfake.Message
		for _, m := range h.fake.Thread(ann.ChannelID, ann.TS) {
			if m.TS != ann.TS {
				replies = append(replies, m)
			}
		}
		return replies
	}, keywords)
}

// expectResolved consumes what resolving inc posts: the line in the war
// room and its copy in the announcement thread (without any detail for a
// private incident).
func (h *harness) expectResolved(inc *incident.Incident) {
	h.t.Helper()
	line := fmt.Sprintf("resolved incident #%d ", inc.ID)
	h.expectMessage(inc.ChannelID, line)
	if inc.Private {
		line = "A private incident was resolved"
	}
	h.expectInAnnouncementThread(inc, line)
}

// expectClosed consumes what closing inc posts: the thank-you line, the
// summary, the postmortem draft shared with the summary as its comment
// (once the bot has settled), and (public incidents) the line in the
// announcement thread.
func (h *harness) expectClosed(inc *incident.Incident) {
	h.t.Helper()
	h.expectMessage(inc.ChannelID, fmt.Sprintf("closed incident #%d. Thank you all.", inc.ID))
	summary := fmt.Sprintf("*Incident #%d: ", inc.ID)
	h.expectMessage(inc.ChannelID, summary, "* is closed")
	// The draft's upload, once settled; tests of the draft check it.
	h.settle()
	var uploads []slackfake.Message
	for _, m := range h.fake.Messages(inc.ChannelID) {
		if len(m.Files) > 0 && containsAll(render(m), []string{summary, "* is closed"}) {
			uploads = append(uploads, m)
		}
	}
	h.markConsumed("expectClosed", uploads...)
	if !inc.Private {
		h.expectInAnnouncementThread(inc, fmt.Sprintf("Incident #%d (", inc.ID), "postmortem draft is ready")
	}
}
