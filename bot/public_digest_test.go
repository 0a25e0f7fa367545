package bot_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/mail"
	"github.com/incidentbot/incidentbot/bot/mail/mailtest"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
)

// digestHarness runs the bot with a real SMTP server and three addresses
// that take the email digest: two of a monitor group (one of them in a
// keep_informed group too, written in capitals), one of a keep_informed
// group that asked for the digest instead of a mail per update.
func digestHarness(t *testing.T) (*harness, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t, mailtest.Plain)
	sender, err := mail.New(mail.Config{Host: srv.Host, Port: srv.Port, Security: mail.None, From: "Acme incidents <incidents@example.com>", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	groups := []stakeholders.Group{
		stakeholders.NewGroup("watchers", stakeholders.Monitor, []string{"ceo@example.com", "board@example.com"}, "", nil),
		stakeholders.NewGroup("support", stakeholders.KeepInformed, []string{"support@example.com", "CEO@example.com"}, "", []string{"major"}).WithEmail("digest"),
	}
	h := newHarness(t, withOptions(func(o *bot.Options) {
		o.Public = bot.PublicOptions{StatusPage: true, StatusPageURL: statusURL, PublishByDefault: []string{"major"},
			Groups: groups, Mail: sender, MailDomain: "example.com"}
	}))
	return h, srv
}

// mailDigest runs the email digest as the cron job (and the start of the
// bot) does, and waits until what it queued is delivered.
func (h *harness) mailDigest(s cron.Schedule) bot.DigestMailResult {
	h.t.Helper()
	res, err := h.app.MailDigest(context.Background(), s)
	if err != nil {
		h.t.Fatalf("mail digest: %v", err)
	}
	h.settle()
	return res
}

// startAt stops the bot, moves its clock to t and starts it again, with
// the catch-up digest of its start.
func (h *harness) startAt(t time.Time, s cron.Schedule) bot.DigestMailResult {
	h.t.Helper()
	h.stop()
	h.clock.Set(t)
	h.reopen()
	return h.mailDigest(s)
}

// expectDigests waits for n mails in all and checks the last ones: one
// digest to each of the three addresses, with subject.
func expectDigests(t *testing.T, srv *mailtest.Server, n int, subject string, wants ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := srv.Wait(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d mails arrived, want %d", len(got), n)
	}
	var to []string
	for _, raw := range got[n-3:] {
		p, err := mailtest.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		to = append(to, p.Header.Get("To"))
		if s := p.Header.Get("Subject"); s != subject {
			t.Errorf("subject %q, want %q", s, subject)
		}
		if id := p.Header.Get("Message-Id"); !regexp.MustCompile(`^<incidentbot\.bot\.0\.\d+@example\.com>$`).MatchString(id) {
			t.Errorf("Message-ID %q is not derived from the outbox effect", id)
		}
		for _, want := range wants {
			if !strings.Contains(p.Text, want) || !strings.Contains(p.HTML, want) {
				t.Errorf("the digest lacks %q:\n%s", want, p.Text)
			}
		}
		for _, hidden := range []string{"Leaked", "rotated", "gateway"} {
			if strings.Contains(p.Text, hidden) || strings.Contains(p.HTML, hidden) {
				t.Errorf("the digest shows %q:\n%s", hidden, p.Text)
			}
		}
	}
	slices.Sort(to)
	if want := []string{"<board@example.com>", "<ceo@example.com>", "<support@example.com>"}; !slices.Equal(to, want) {
		t.Errorf("the digest went to %v, want one each to %v", to, want)
	}
}

// noMailQueued checks that no email waits in the outbox.
func (h *harness) noMailQueued() {
	h.t.Helper()
	effs, err := h.db.PendingEffects(context.Background(), 0)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range effs {
		if e.Kind == "send_email" {
			h.t.Errorf("a mail is still queued: %s", e.Payload)
		}
	}
}

// TestMailDigest_ExactlyOnce: at the digest's time each address gets one
// digest; a restart the same day sends nothing more; a bot down at the
// digest's time sends it once when it starts, and only the latest one; a
// day with nothing public sends nothing. keep_informed addresses that
// asked for the digest get no mail per update.
func TestMailDigest_ExactlyOnce(t *testing.T) {
	h, srv := digestHarness(t)
	daily, err := cron.ParseStandard("0 9 * * *")
	if err != nil {
		t.Fatal(err)
	}
	start := h.clock.Now() // Wed 4 Mar 2026 09:00 UTC
	at := func(days int, hour int) time.Time {
		return start.Add(time.Duration(days)*24*time.Hour + time.Duration(hour-9)*time.Hour)
	}

	// Nothing happened yet: nothing is sent.
	if res := h.mailDigest(daily); !res.Empty || res.Queued != 0 || !res.At.Equal(start) || res.Recipients != 3 {
		t.Errorf("first digest: %+v", res)
	}

	h.clock.Set(at(0, 10))
	inc, room := h.declare(h.alice, "--sev major Checkout fails")
	h.slash(h.alice, room.ID, "update --public Payments fail; we are on it.")
	h.slash(h.alice, room.ID, "update --internal Carol suspects the gateway")
	h.expectRoomAndThread(inc, "Update on incident #1: Payments fail; we are on it.")
	h.expectRoomAndThread(inc, "Update on incident #1: Carol suspects the gateway")
	h.slash(h.bob, h.general, "declare --private --sev critical Leaked keys")
	h.waitFor("the private war room", func() bool {
		i, err := h.db.FindIncidentByID(context.Background(), 2)
		return err == nil && i.CardTS != ""
	})
	priv := h.incident(2)
	h.slash(h.bob, priv.ChannelID, "update --public Keys rotated")
	h.expectMessage(priv.ChannelID, "Update on incident #2: Keys rotated")
	h.settle()
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d mails were sent as it happened; the digest's addresses take none", n)
	}

	// Thursday 09:00: one digest each.
	h.clock.Set(at(1, 9))
	res := h.mailDigest(daily)
	if res.Queued != 3 || !res.At.Equal(at(1, 9)) {
		t.Errorf("Thursday's digest: %+v", res)
	}
	expectDigests(t, srv, 3, "Incident digest, Thu 5 Mar 2026: 1 open, 0 resolved",
		"#1 Checkout fails — major, investigating", "Payments fail; we are on it.", statusURL+"#incident-1")

	// A restart the same day (the catch-up at start) sends nothing more.
	h.clock.Set(at(1, 15))
	h.restart()
	if res := h.mailDigest(daily); res.Queued != 0 || !res.At.Equal(at(1, 9)) {
		t.Errorf("after a restart: %+v", res)
	}
	h.noMailQueued()

	// Down at Friday 09:00: the digest goes once at start.
	if res := h.startAt(at(2, 10), daily); res.Queued != 3 || !res.At.Equal(at(2, 9)) {
		t.Errorf("catch-up: %+v", res)
	}
	expectDigests(t, srv, 6, "Incident digest, Fri 6 Mar 2026: 1 open, 0 resolved", "#1 Checkout fails")
	if res := h.mailDigest(daily); res.Queued != 0 {
		t.Errorf("a second start: %+v", res)
	}

	// Down from Saturday to Monday 10:00: only Monday's digest.
	if res := h.startAt(at(5, 10), daily); res.Queued != 3 || !res.At.Equal(at(5, 9)) {
		t.Errorf("catch-up after days: %+v", res)
	}
	expectDigests(t, srv, 9, "Incident digest, Mon 9 Mar 2026: 1 open, 0 resolved", "#1 Checkout fails")

	// Resolved: Tuesday's digest says so; Wednesday's has nothing.
	h.slash(h.alice, room.ID, "resolve payments are back")
	h.waitEvent(inc.ID, incident.EventResolved)
	h.settle()
	h.expectResolved(inc)
	h.clock.Set(at(6, 9))
	if res := h.mailDigest(daily); res.Queued != 3 {
		t.Errorf("Tuesday: %+v", res)
	}
	expectDigests(t, srv, 12, "Incident digest, Tue 10 Mar 2026: 0 open, 1 resolved", "#1 Checkout fails — major, resolved")
	h.clock.Set(at(7, 9))
	if res := h.mailDigest(daily); !res.Empty || res.Queued != 0 {
		t.Errorf("Wednesday: %+v", res)
	}
	h.noMailQueued()
	if n := len(srv.Messages()); n != 12 {
		t.Errorf("%d mails in all, want 12", n)
	}
	if got, err := h.db.DigestMailed(context.Background(), at(5, 9)); err != nil || len(got) != 0 {
		t.Errorf("Monday's records were not pruned: %v, %v", got, err)
	}
}

// TestMailDigest_QueuedSurvivesRestart: a digest queued while the SMTP
// server is down waits in the outbox across a restart; the catch-up at
// start queues it no second time, and each address gets it once.
func TestMailDigest_QueuedSurvivesRestart(t *testing.T) {
	h, srv := digestHarness(t)
	up := h.sb.Options.Public.Mail
	down, err := mail.New(mail.Config{Host: "127.0.0.1", Port: 1, Security: mail.None, From: "incidents@example.com", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h.restartWith(func(o *bot.Options) { o.Public.Mail = down })
	daily, err := cron.ParseStandard("0 9 * * *")
	if err != nil {
		t.Fatal(err)
	}
	h.declare(h.alice, "--sev major Checkout fails")
	h.clock.Add(24 * time.Hour)
	res, err := h.app.MailDigest(context.Background(), daily)
	if err != nil || res.Queued != 3 {
		t.Fatalf("digest: %+v, %v", res, err)
	}
	h.waitFor("failed attempts to send the digest", func() bool {
		effs, _ := h.db.PendingEffects(context.Background(), 0)
		failed := 0
		for _, e := range effs {
			if e.Kind == "send_email" && e.Attempts > 0 {
				failed++
			}
		}
		return failed == 3
	})
	h.restartWith(func(o *bot.Options) { o.Public.Mail = up })
	// The mails wait for their retry on the bot's clock: no settling yet.
	if res, err := h.app.MailDigest(context.Background(), daily); err != nil || res.Queued != 0 || res.Recipients != 3 {
		t.Errorf("the catch-up at start: %+v, %v", res, err)
	}
	h.waitAdvancing("the digest to arrive", time.Second, func() bool { return len(srv.Messages()) >= 3 })
	h.settle()
	expectDigests(t, srv, 3, "Incident digest, Thu 5 Mar 2026: 1 open, 0 resolved", "#1 Checkout fails")
	h.noMailQueued()
}
