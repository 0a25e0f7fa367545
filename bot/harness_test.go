// The end-to-end harness: the real App against the fake Slack (bot/slackfake)
// and a real bbolt file, through the sandbox the demo uses too.
//
// Strict messages. Every message the bot posts in a test (in a channel, a
// thread, a DM, or as an ephemeral) must be accounted for, in the manner of
// GoAlert's smoke-test harness:
//
//   - h.expectMessage, h.expectEphemeral and h.expectDM wait for and consume
//     the first matching message not consumed yet (channel+ts), so one
//     message cannot satisfy two expectations: expect it twice and the bot
//     must have posted it twice. Editing a message in place (chat.update) does
//     not make a new one: wait for its new state with h.expectEdited (or
//     h.messageWith, h.card, h.waitCard, which consume nothing).
//   - The reply a slash command answers in its ack is h.slash's result: it
//     need not be expected (expect* can still consume it).
//   - At the end of a test that has not failed, every bot message neither
//     consumed nor ignored fails it, with the list (checkAllConsumed).
//   - Chatter the test does not check is ignored explicitly, with a reason
//     in a comment: h.ignore(channel, keywords...) (channel "" for every
//     channel; ephemerals shown there too) and h.ignoreDMs(user,
//     keywords...). No keywords ignores everything there.
//   - A short default list covers the war-room setup nearly every test
//     produces (ignoreWarRoomSetup in harness_consume_test.go); expect* still
//     consumes those messages for a test that checks them.
//   - Helpers for what most tests cause (harness_consume_test.go):
//     h.expectRoomAndThread(inc, keywords...) (the war-room line and its copy
//     in the announcement thread), h.expectResolved(inc), h.expectClosed(inc).
//     A check that compares messages whole (the faults audit, the entry-path
//     fingerprint) accounts for them with h.markConsumed or h.markChecked.
//   - A message posted twice fails the test too (checkNoDuplicates), unless
//     listed in h.allowRepeats.
//
// In a new test: write it, run it, and read the cleanup's list; expect each
// message the test is about, ignore the rest with a reason.
package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/incidentbot/incidentbot/cmd/sandbox"
	"github.com/incidentbot/incidentbot/store"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// harness runs the real App against the fake Slack and a real bbolt file,
// through the sandbox the demo uses too.
type harness struct {
	t        *testing.T
	sb       *sandbox.Sandbox
	fake     *slackfake.Server
	db       *store.DB
	app      *bot.App
	clock    *clock.Fake
	sched    *nudge.Scheduler
	alice    string // declares incidents
	bob      string
	carol    string
	admin    string
	announce string // #incidents
	general  string
	dbPath   string
	// allowRepeats are texts the test has the bot post twice on purpose.
	allowRepeats []string
	// ledger holds the consumed messages and the ignored chatter.
	ledger ledger
}

type harnessOption func(*harnessConfig)

type harnessConfig struct {
	fakeOpts   []slackfake.Option
	ackTimeout time.Duration
	opts       func(*bot.Options)
	wrapStore  func(incident.Store) incident.Store
}

func withFake(o ...slackfake.Option) harnessOption {
	return func(c *harnessConfig) { c.fakeOpts = append(c.fakeOpts, o...) }
}

// withAckTimeout sets Slack's ack deadline, the fake's and the bot's idea
// of it, to d: as in production, they are one.
func withAckTimeout(d time.Duration) harnessOption {
	return func(c *harnessConfig) { c.ackTimeout = d }
}

func withOptions(f func(*bot.Options)) harnessOption {
	return func(c *harnessConfig) { c.opts = f }
}

// withStore wraps the store the bot uses, at every start.
func withStore(wrap func(incident.Store) incident.Store) harnessOption {
	return func(c *harnessConfig) { c.wrapStore = wrap }
}

// harnessAckTimeout is how long the fake waits for an ack before it gives
// up on the envelope. Slack waits 3 s; 2 s keeps the bot honest. Under the
// race detector, on two cores busy with other packages' tests, a declare's
// ack (stored before it is sent) has been seen to take longer: the ack
// latency itself is measured by the benchmarks, not here.
func harnessAckTimeout() time.Duration {
	if raceEnabled {
		return 8 * time.Second
	}
	return 2 * time.Second
}

// harnessLogLines is how many of the last log lines a failing test prints
// (run with -v for all of them, as they come).
const harnessLogLines = 200

func newHarness(t *testing.T, hopts ...harnessOption) *harness {
	t.Helper()
	var hc harnessConfig
	for _, o := range hopts {
		o(&hc)
	}
	ackTimeout := harnessAckTimeout()
	if hc.ackTimeout > 0 {
		ackTimeout = hc.ackTimeout
	}
	o := sandbox.Options{
		Dir:       t.TempDir(),
		Fake:      append([]slackfake.Option{slackfake.WithAckTimeout(ackTimeout)}, hc.fakeOpts...),
		WrapStore: hc.wrapStore,
		Configure: func(bo *bot.Options) {
			// The bot's idea of Slack's deadline is the fake's.
			bo.AckDeadline = ackTimeout
			bo.ShutdownGrace = 2 * time.Second
			if hc.opts != nil {
				hc.opts(bo)
			}
		},
	}
	if testing.Verbose() {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		tail := newLogTail(harnessLogLines)
		o.Logger = slog.New(slog.NewTextHandler(tail, &slog.HandlerOptions{Level: slog.LevelDebug}))
		// Registered first, so run last: the log of the stop is in too.
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("the last %d lines the bot and the fake Slack logged:\n%s", tail.Len(), tail)
			}
		})
	}
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, sb: sb, ledger: ledger{consumed: map[string]string{}, checked: map[string]bool{}, sent: map[*slackfake.Delivery][2]string{}}}
	h.ignoreWarRoomSetup()
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Error(err)
		}
	})
	h.start()
	t.Cleanup(h.checkNoBroadcasts)
	t.Cleanup(h.checkNoDuplicates)
	t.Cleanup(h.checkAllConsumed)
	return h
}

// checkNoDuplicates fails the test if the bot posted any message twice:
// a doubled post is a defect, like a lost one. allowRepeats lists what a
// test posts again on purpose.
func (h *harness) checkNoDuplicates() {
	for _, d := range h.fake.Duplicates(h.allowRepeats...) {
		h.t.Errorf("the bot posted a message twice:\n%s", d)
	}
}

// sync copies the sandbox's parts, which a restart replaces.
func (h *harness) sync() {
	s := h.sb
	h.fake, h.db, h.app, h.clock, h.sched = s.Fake, s.DB, s.App, s.Clock, s.Sched
	h.alice, h.bob, h.carol, h.admin = s.Alice, s.Bob, s.Carol, s.Dana
	h.announce, h.general, h.dbPath = s.Announce, s.General, s.DBPath
}

// checkNoBroadcasts fails the test if anything the bot posted could ping a
// whole channel: user text must never become @channel, @here, @everyone
// or a user-group mention, in the blocks or in the notification text.
func (h *harness) checkNoBroadcasts() {
	var msgs []slackfake.Message
	for _, c := range h.fake.Channels() {
		msgs = append(msgs, h.fake.Messages(c.ID)...)
		for _, u := range []string{h.alice, h.bob, h.carol, h.admin} {
			msgs = append(msgs, h.fake.Ephemerals(c.ID, u)...)
		}
	}
	for _, m := range msgs {
		if m.BotID == "" {
			continue
		}
		// plain_text (headers, buttons) is shown as is and parses no
		// markup; the message text and every mrkdwn text object do.
		texts := append(mrkdwnTexts(m.RawBlocks), m.Text)
		for _, txt := range texts {
			for _, bad := range []string{"<!channel", "<!here", "<!everyone"} {
				if strings.Contains(txt, bad) {
					h.t.Errorf("the bot posted a broadcast %s in %s: %q", bad, m.Channel, txt)
				}
			}
		}
	}
}

// mrkdwnTexts returns the text of every mrkdwn text object in blocks.
func mrkdwnTexts(raw json.RawMessage) []string {
	var out []string
	views.TextObjects(raw, func(typ, text string) {
		if typ == "mrkdwn" {
			out = append(out, text)
		}
	})
	return out
}

// start runs a new App (and scheduler) on the store.
func (h *harness) start() {
	h.t.Helper()
	if err := h.sb.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.sync()
}

// restart stops the bot and starts a new one on the same database file,
// as a redeploy does.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.sb.Restart(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.sync()
}

// restartWith restarts the bot with its options changed by f.
func (h *harness) restartWith(f func(*bot.Options)) {
	h.t.Helper()
	h.stop()
	f(&h.sb.Options)
	h.reopen()
}

// reopen starts a new bot on the stopped bot's database.
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.sb.Reopen(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.sync()
}

// stop stops the bot; the store is checked and closed.
func (h *harness) stop() {
	h.t.Helper()
	if err := h.sb.Stop(); err != nil {
		h.t.Error(err)
	}
}

// settle waits until everything the bot received is processed and every
// effect it can deliver now is delivered.
func (h *harness) settle() {
	h.t.Helper()
	if err := h.sb.Settle(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// slash runs /incident as user in channel and returns the ack payload.
//
// A command Slack gave up on is sent again, as a person does who sees
// Slack's error, once the bot has said that it did nothing with it
// (sentTooLate). On a loaded CI machine a disk or the whole process may
// stall past Slack's deadline; how fast the bot acks is measured by the
// benchmarks, while what it does with a command it could not ack in time
// is what a test checks.
func (h *harness) slash(user, channel, text string) json.RawMessage {
	h.t.Helper()
	for attempt := 1; ; attempt++ {
		d, err := h.fake.SlashCommand(user, channel, "/incident", text)
		if err != nil {
			h.t.Fatalf("slash %q: %v", text, err)
		}
		ack, err := d.Wait(h.ctx())
		if err == nil {
			h.noteAck(user, channel, ack)
			return ack
		}
		if !errors.Is(err, slackfake.ErrNotAcked) || attempt == maxSlashAttempts {
			h.t.Fatalf("slash %q: not acked: %v", text, err)
		}
		h.sentTooLate(user, fmt.Sprintf("slash %q", text), attempt)
	}
}

// maxSlashAttempts bounds how often slash sends a command.
const maxSlashAttempts = 3

// sentTooLate checks what the bot did with a slash command of user (what)
// that Slack gave up on: it must have closed it unacted on and told user so
// (lateCommand), or the command may have been carried out while its sender
// saw an error, and sending it again would repeat it.
func (h *harness) sentTooLate(user, what string, attempt int) {
	h.t.Helper()
	h.t.Logf("%s: Slack gave up waiting for the ack (attempt %d); the bot must say it did nothing", what, attempt)
	h.expectDM(user, "*Nothing was done.*", "send the command again")
}

// ackOf waits for the ack of interaction d (what) and returns its payload.
// One Slack gave up on fails the test, unless the bot did send it, late
// and empty: then the user saw an error, but the interaction was handled
// as if in time (the fake, like Slack, only drops a late ack's payload),
// and the test goes on to check what it did. How fast the bot acks is
// measured by the benchmarks.
func (h *harness) ackOf(what string, d *slackfake.Delivery) json.RawMessage {
	h.t.Helper()
	ack, err := d.Wait(h.ctx())
	if err == nil {
		return ack
	}
	if !errors.Is(err, slackfake.ErrNotAcked) {
		h.t.Fatalf("%s: %v", what, err)
	}
	var late slackfake.Ack
	h.waitFor(fmt.Sprintf("the bot's ack of %s, which Slack gave up on", what), func() bool {
		for _, a := range h.fake.Acks() {
			if a.EnvelopeID == d.EnvelopeID {
				late = a
				return true
			}
		}
		return false
	})
	if len(late.Payload) > 0 {
		h.t.Fatalf("%s: acked %s after Slack gave up, with a payload Slack dropped: %s", what, late.Time.Sub(late.SentAt).Round(time.Millisecond), late.Payload)
	}
	h.t.Logf("%s: acked %s after it was sent, after Slack gave up; empty, so nothing was lost", what, late.Time.Sub(late.SentAt).Round(time.Millisecond))
	return nil
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// waitTimeout bounds waitFor and the expect helpers.
const waitTimeout = 10 * time.Second

// waitFor waits until cond holds, failing with what after 10 s. It wakes
// on every change in the fake Slack and, for conditions on the store that
// no Slack call follows, every few milliseconds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.waitWithin(waitTimeout, what, cond)
}

// waitWithin is waitFor with another timeout.
func (h *harness) waitWithin(d time.Duration, what string, cond func() bool) {
	h.t.Helper()
	if !h.poll(d, cond) {
		h.t.Fatalf("timed out waiting for %s", what)
	}
}

// poll reports whether cond held within d.
func (h *harness) poll(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-h.fake.Changed():
		case <-tick.C:
		}
	}
	return true
}

// waitAdvancing waits until cond holds, moving the bot's clock by step
// between looks: for work that waits on the clock (a Retry-After, a
// backoff). It fails after 200 steps.
func (h *harness) waitAdvancing(what string, step time.Duration, cond func() bool) {
	h.t.Helper()
	for range 200 {
		if cond() {
			return
		}
		h.clock.Add(step)
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("%s did not happen within %s of the bot's clock", what, 200*step)
}

// messageWith returns the first message in channel whose text or blocks
// contain every keyword.
func (h *harness) messageWith(channel string, keywords ...string) (slackfake.Message, bool) {
	for _, m := range h.fake.Messages(channel) {
		if containsAll(render(m), keywords) {
			return m, true
		}
	}
	return slackfake.Message{}, false
}

// expectMessage waits for the first message in channel (top
// level or thread reply) not consumed yet whose text or blocks contain
// every keyword, and consumes it.
func (h *harness) expectMessage(channel string, keywords ...string) slackfake.Message {
	h.t.Helper()
	return h.consume("a message in "+channel, func() []slackfake.Message { return h.fake.Messages(channel) }, keywords)
}

// expectEphemeral is expectMessage for the ephemerals user sees in channel.
func (h *harness) expectEphemeral(channel, user string, keywords ...string) slackfake.Message {
	h.t.Helper()
	defer func() {
		if h.t.Failed() {
			for _, m := range h.fake.Ephemerals(channel, user) {
				h.t.Logf("ephemeral to %s: %s", user, m.Text)
			}
		}
	}()
	return h.consume("an ephemeral to "+user+" in "+channel, func() []slackfake.Message { return h.fake.Ephemerals(channel, user) }, keywords)
}

// expectDM is expectMessage for the bot's DM with user.
func (h *harness) expectDM(user string, keywords ...string) slackfake.Message {
	h.t.Helper()
	return h.consume("a DM to "+user, func() []slackfake.Message { return h.fake.DMs(user) }, keywords)
}

// render is a message's text and blocks as one searchable string.
func render(m slackfake.Message) string {
	raw := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(m.RawBlocks))
	return m.Text + "\n" + raw
}

func containsAll(s string, keywords []string) bool {
	for _, k := range keywords {
		if !strings.Contains(s, k) {
			return false
		}
	}
	return true
}

// declare declares an incident with a one-liner (none when text is empty)
// and waits for the newest incident's war room.
func (h *harness) declare(user, text string) (*incident.Incident, slackfake.Channel) {
	h.t.Helper()
	before := 0
	if text != "" {
		incs, _ := h.db.FindIncidents(context.Background(), incident.Filter{})
		before = len(incs)
		h.slash(user, h.general, "declare "+text)
	}
	var inc *incident.Incident
	h.waitFor("the war room to be ready", func() bool {
		incs, err := h.db.FindIncidents(context.Background(), incident.Filter{})
		if err != nil || len(incs) == 0 || len(incs) <= before {
			return false
		}
		inc = incs[0]
		if inc.CardTS == "" || len(inc.Announcements) != 1 {
			return false
		}
		// The pin and the spokesperson picker follow the card.
		pinned, picker := false, false
		for _, m := range h.fake.Messages(inc.ChannelID) {
			pinned = pinned || (m.TS == inc.CardTS && m.Pinned)
			picker = picker || strings.Contains(m.Text, "Choose a spokesperson")
		}
		return pinned && picker
	})
	ch, ok := h.fake.Channel(inc.ChannelID)
	if !ok {
		h.t.Fatalf("war room %s does not exist", inc.ChannelID)
	}
	return inc, ch
}

func (h *harness) incident(id int64) *incident.Incident {
	h.t.Helper()
	inc, err := h.db.FindIncidentByID(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return inc
}

func (h *harness) events(id int64) []incident.Event {
	h.t.Helper()
	evs, err := h.db.Events(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *harness) waitEvent(id int64, kind incident.EventKind) incident.Event {
	h.t.Helper()
	var found incident.Event
	h.waitFor("a "+string(kind)+" event", func() bool {
		for _, e := range h.events(id) {
			if e.Kind == kind {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// card returns the incident card as it is now.
func (h *harness) card(inc *incident.Incident) slackfake.Message {
	h.t.Helper()
	for _, m := range h.fake.Messages(inc.ChannelID) {
		if m.TS == inc.CardTS {
			return m
		}
	}
	h.t.Fatalf("card %s not found", inc.CardTS)
	return slackfake.Message{}
}

func (h *harness) waitCard(inc *incident.Incident, keywords ...string) {
	h.t.Helper()
	h.waitFor("the card to show "+strings.Join(keywords, ", "), func() bool {
		for _, m := range h.fake.Messages(inc.ChannelID) {
			if m.TS == inc.CardTS {
				return containsAll(render(m), keywords)
			}
		}
		return false
	})
}

func (h *harness) topView(user string) slackfake.View {
	h.t.Helper()
	var v slackfake.View
	h.waitFor("a modal for "+user, func() bool {
		vs := h.fake.OpenViews(user)
		if len(vs) == 0 {
			return false
		}
		v = vs[len(vs)-1]
		return true
	})
	return v
}

func (h *harness) submit(user string, v slackfake.View, values map[string]string) json.RawMessage {
	h.t.Helper()
	d, err := h.fake.SubmitView(user, v.ID, values)
	if err != nil {
		h.t.Fatalf("submit %s: %v", v.CallbackID, err)
	}
	return h.ackOf("submit "+v.CallbackID, d)
}

func (h *harness) click(user, channel, ts, actionID string) {
	h.t.Helper()
	d, err := h.fake.ClickButton(user, channel, ts, actionID)
	if err != nil {
		h.t.Fatalf("click %s: %v", actionID, err)
	}
	h.ackOf("click "+actionID, d)
}

// assertShows fails for each of wants that message m does not show.
func assertShows(t *testing.T, what string, m slackfake.Message, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(render(m), want) {
			t.Errorf("%s lacks %q:\n%s", what, want, render(m))
		}
	}
}
