package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/mail"
	"github.com/incidentbot/incidentbot/bot/mail/mailtest"
	"github.com/incidentbot/incidentbot/bot/publish"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
	"github.com/incidentbot/incidentbot/bot/statuspage"
	"github.com/incidentbot/incidentbot/bot/views"
)

const (
	statusURL  = "https://status.example.com/"
	reportsURL = "https://reports.example.com/"
)

// withPublic serves the status page (publishing major and critical
// updates by default) and the reports site, with groups.
func withPublic(groups ...stakeholders.Group) harnessOption {
	return withOptions(func(o *bot.Options) {
		o.Public = bot.PublicOptions{StatusPage: true, StatusPageURL: statusURL, ReportsURL: reportsURL,
			PublishByDefault: []string{"critical", "major"}, Groups: groups, MailDomain: "example.com"}
	})
}

// statusPage serves the status page from the harness's store, as run.go
// wires it.
func (h *harness) statusPage() http.Handler {
	h.t.Helper()
	p, err := statuspage.New(statuspage.Options{Now: h.clock.Now, Source: publish.NewStatusSource(publish.StatusOptions{
		Store: h.db, Name: "Acme", Severities: incident.DefaultPolicy().SeverityNames(), Now: h.clock.Now})})
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func get(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", path, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// TestPublic_PublishChoice: the update form offers the status page,
// ticked by the severity's default; unticked, the update stays inside;
// --public and the default publish from the command line.
func TestPublic_PublishChoice(t *testing.T) {
	h := newHarness(t, withPublic())
	inc, room := h.declare(h.alice, "--sev major Checkout fails")
	h.slash(h.alice, room.ID, "update")
	v := h.topView(h.alice)
	if !strings.Contains(string(v.Raw), `"block_id":"publish"`) || !strings.Contains(string(v.Raw), `"initial_options"`) {
		t.Fatalf("the update form has no ticked publish choice:\n%s", v.Raw)
	}
	h.submit(h.alice, v, map[string]string{views.InputKnown: "Carol suspects the gateway", views.InputNext: "30m0s", views.InputPublish: ""})
	h.slash(h.alice, room.ID, "update --public Payments with EU cards fail; we are on it.")
	h.slash(h.alice, room.ID, "update We found the cause.")
	h.slash(h.alice, room.ID, "update --internal Rolling back deploy 4411")
	h.settle()
	var published []string
	for _, e := range h.events(inc.ID) {
		if e.Published() {
			published = append(published, e.Text)
		}
	}
	if got := strings.Join(published, " | "); got != "Payments with EU cards fail; we are on it. | We found the cause." {
		t.Errorf("published updates: %s", got)
	}
	page := get(t, h.statusPage(), "/")
	for _, want := range []string{"Checkout fails", "Payments with EU cards fail; we are on it.", "We found the cause."} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q", want)
		}
	}
	for _, hidden := range []string{"gateway", "4411"} {
		if strings.Contains(page, hidden) {
			t.Errorf("the status page shows the internal update with %q", hidden)
		}
	}

	// A private incident offers no choice and publishes nothing.
	h.slash(h.bob, h.general, "declare --private --sev critical Leaked keys")
	var priv *incident.Incident
	h.waitFor("the private war room", func() bool {
		i, err := h.db.FindIncidentByID(context.Background(), 2)
		priv = i
		return err == nil && i.ChannelID != ""
	})
	h.slash(h.bob, priv.ChannelID, "update")
	if v := h.topView(h.bob); strings.Contains(string(v.Raw), `"block_id":"publish"`) {
		t.Error("a private incident's update form offers the status page")
	}
	h.slash(h.bob, priv.ChannelID, "update --public Keys rotated")
	h.settle()
	for _, e := range h.events(2) {
		if e.Published() {
			t.Errorf("a private incident published %q", e.Text)
		}
	}
	if page := get(t, h.statusPage(), "/api/v1/incidents"); strings.Contains(page, "Leaked") || strings.Contains(page, "rotated") {
		t.Error("the private incident reached the status page")
	}
	for _, u := range []string{"Carol suspects the gateway", "Payments with EU cards fail", "We found the cause.", "Rolling back deploy 4411"} {
		h.expectRoomAndThread(inc, "Update on incident #1: "+u)
	}
	h.expectMessage(priv.ChannelID, "Update on incident #2: Keys rotated")
}

// TestPublic_SummaryAndReportLink: the spokesperson writes the customer
// summary in a form once resolved; it shows on the status page, and the
// close announcement links the report.
func TestPublic_SummaryAndReportLink(t *testing.T) {
	h := newHarness(t, withPublic())
	inc, room := h.declare(h.alice, "--sev major Search is slow")
	ack := h.slash(h.alice, room.ID, "summary")
	if !strings.Contains(string(ack), "once it is resolved") {
		t.Errorf("summary of an open incident: %s", ack)
	}
	h.slash(h.alice, room.ID, "resolve index rebuilt")
	h.waitEvent(inc.ID, incident.EventResolved)
	h.slash(h.alice, room.ID, "close")
	h.expectMessage(h.announce, "is closed", reportsURL+"incidents/1")
	h.slash(h.alice, room.ID, "summary")
	v := h.topView(h.alice)
	if v.CallbackID != views.CallbackSummary {
		t.Fatalf("opened %s", v.CallbackID)
	}
	h.submit(h.alice, v, map[string]string{views.InputWhatHappened: "An index <fragmented>.", views.InputImpact: "Slow searches for 2 hours.",
		views.InputApology: "We are sorry.", views.InputChanges: "Rebuilds run in the background."})
	h.waitEvent(inc.ID, incident.EventSummaryWritten)
	h.settle()
	h.expectResolved(inc)
	h.expectMessage(room.ID, "closed incident #1. Thank you all.")
	h.expectMessage(room.ID, "*Incident #1: Search is slow* is closed")
	h.expectMessage(room.ID, "wrote the customer summary")
	var doc struct {
		Incidents []struct {
			ID      int64 `json:"id"`
			Summary *struct {
				WhatHappened string `json:"what_happened"`
				Apology      string `json:"apology"`
			} `json:"summary"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(get(t, h.statusPage(), "/api/v1/incidents")), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Incidents) != 1 || doc.Incidents[0].Summary == nil || doc.Incidents[0].Summary.WhatHappened != "An index <fragmented>." || doc.Incidents[0].Summary.Apology != "We are sorry." {
		t.Errorf("the status page API shows %+v", doc.Incidents)
	}
	// Someone without a role may not write it.
	if ack := h.slash(h.carol, room.ID, "summary"); !strings.Contains(string(ack), "customer summary") {
		t.Errorf("carol's summary: %s", ack)
	}
}

// TestStakeholders_Notify: groups follow incidents of their severities,
// each tier hears what it asked for, people subscribe themselves, private
// incidents reach only their own subscribers, and each notification is a
// timeline event.
func TestStakeholders_Notify(t *testing.T) {
	h := newHarness(t)
	leads := h.fake.AddUserGroup("leads", h.admin)
	h.restartWith(func(o *bot.Options) {
		o.Public = bot.PublicOptions{StatusPage: true, StatusPageURL: statusURL, PublishByDefault: []string{"critical"}, Groups: []stakeholders.Group{
			stakeholders.NewGroup("execs", stakeholders.KeepSatisfied, []string{h.carol, leads}, "", []string{"critical"}),
			stakeholders.NewGroup("support", stakeholders.KeepInformed, nil, h.general, []string{"critical"}),
		}}
	})
	inc, room := h.declare(h.alice, "--sev critical Site down")
	h.expectDM(h.carol, "Incident #1 was declared as critical: Site down.", statusURL+"#incident-1", "app_redirect?channel="+room.ID)
	h.expectDM(h.admin, "Incident #1 was declared as critical")
	h.expectMessage(h.general, "Incident #1 was declared as critical")
	notified := h.waitEvent(inc.ID, incident.EventStakeholdersNotified)
	if f := notified.Fields; f["about"] != "declared" || f["people"] != "2" || f["channels"] != "1" || f["groups"] != "execs,support" {
		t.Errorf("notified event fields = %v", f)
	}
	if added := h.waitEvent(inc.ID, incident.EventStakeholdersAdded); added.Field("groups") != "execs,support" || added.Field("reason") != "severity critical" {
		t.Errorf("added event = %v", added.Fields)
	}

	// Bob subscribes in the war room, closely.
	if ack := h.slash(h.bob, room.ID, "subscribe --tier closely"); !strings.Contains(string(ack), "You follow incident #1 at tier *manage_closely*") {
		t.Errorf("subscribe ack: %s", ack)
	}
	h.settle()
	h.slash(h.alice, room.ID, "update DNS is being fixed")
	h.expectDM(h.bob, "Update on incident #1", "DNS is being fixed")
	h.expectMessage(h.general, "DNS is being fixed")
	h.slash(h.alice, room.ID, "status identified")
	h.expectDM(h.bob, "Incident #1 is now identified")
	h.settle()
	h.waitEvent(inc.ID, incident.EventStatusChanged)
	for _, m := range h.fake.DMs(h.carol) {
		if strings.Contains(m.Text, "update") || strings.Contains(m.Text, "identified") {
			t.Errorf("keep_satisfied carol got %q", m.Text)
		}
	}
	h.slash(h.alice, room.ID, "resolve DNS fixed")
	h.expectDM(h.carol, "Incident #1 is resolved", "DNS fixed")
	h.expectDM(h.admin, "Incident #1 is resolved")
	h.expectDM(h.bob, "Incident #1 is resolved")
	h.expectMessage(h.general, "Incident #1 is resolved")
	h.settle()
	h.expectRoomAndThread(inc, "Update on incident #1: DNS is being fixed")
	h.expectRoomAndThread(inc, "changed the status of incident #1", "to *identified*")
	h.expectResolved(inc)

	// Unsubscribing stops it; unsubscribing again is refused, changing nothing.
	if ack := h.slash(h.bob, room.ID, "unsubscribe"); !strings.Contains(string(ack), "You no longer follow incident #1") {
		t.Errorf("unsubscribe ack: %s", ack)
	}
	h.settle()
	if ack := h.slash(h.bob, room.ID, "unsubscribe"); !strings.Contains(string(ack), "You do not follow incident #1 yourself") {
		t.Errorf("second unsubscribe: %s", ack)
	}

	// A private incident: groups and "all" subscribers hear nothing.
	h.slash(h.carol, h.general, "subscribe all --tier closely")
	h.settle()
	before := len(h.fake.DMs(h.carol))
	h.slash(h.bob, h.general, "declare --private --sev critical Leaked keys")
	h.waitFor("the private incident's war room", func() bool {
		i, err := h.db.FindIncidentByID(context.Background(), 2)
		return err == nil && i.CardTS != ""
	})
	h.settle()
	if after := h.fake.DMs(h.carol); len(after) != before {
		t.Errorf("the private incident reached carol: %q", after[len(after)-1].Text)
	}
	for _, e := range h.events(2) {
		if e.Kind == incident.EventStakeholdersNotified {
			t.Errorf("a private incident notified %v", e.Fields)
		}
	}
	// A bad tier is refused in the ack.
	if ack := h.slash(h.carol, h.general, "subscribe all --tier vip"); !strings.Contains(string(ack), `\"vip\" is not a tier`) && !strings.Contains(string(ack), `"vip" is not a tier`) {
		t.Errorf("bad tier: %s", ack)
	}
}

// TestStakeholders_Email sends stakeholder email through a real SMTP
// server: text and HTML, links to the status page and the war room, a
// Message-ID derived from the outbox effect. The first server is down:
// the mail waits in the outbox across a restart and arrives once.
func TestStakeholders_Email(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Plain)
	down, err := mail.New(mail.Config{Host: "127.0.0.1", Port: 1, Security: mail.None, From: "incidents@example.com", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	up, err := mail.New(mail.Config{Host: srv.Host, Port: srv.Port, Security: mail.None, From: "Acme incidents <incidents@example.com>", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	group := stakeholders.NewGroup("execs", stakeholders.ManageClosely, []string{"cto@example.com"}, "", []string{"critical"})
	h := newHarness(t, withOptions(func(o *bot.Options) {
		o.Public = bot.PublicOptions{StatusPage: true, StatusPageURL: statusURL, Groups: []stakeholders.Group{group}, Mail: down, MailDomain: "example.com"}
	}))
	inc, room := h.declare(h.alice, "--sev critical Checkout <fails> & more")
	h.waitFor("a failed attempt to send the mail", func() bool {
		effs, _ := h.db.PendingEffects(context.Background(), 0)
		for _, e := range effs {
			if e.Kind == "send_email" && e.Attempts > 0 {
				return true
			}
		}
		return false
	})
	h.restartWith(func(o *bot.Options) { o.Public.Mail = up })
	h.waitAdvancing("the mail to arrive", time.Second, func() bool { return len(srv.Messages()) >= 1 })
	h.settle()
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d mails arrived, want 1", len(got))
	}
	p, err := mailtest.Parse(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if id := p.Header.Get("Message-Id"); !regexp.MustCompile(`^<incidentbot\.bot\.1\.\d+@example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID %q is not derived from the effect", id)
	}
	if to := p.Header.Get("To"); to != "<cto@example.com>" {
		t.Errorf("To = %q", to)
	}
	for _, want := range []string{"Incident #1 was declared as critical: Checkout <fails> & more.", "Status page: " + statusURL + "#incident-1", "War room: https://slack.com/app_redirect?channel=" + room.ID} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("the text lacks %q:\n%s", want, p.Text)
		}
	}
	if !strings.Contains(p.HTML, "Checkout &lt;fails&gt; &amp; more") || !strings.Contains(p.HTML, `href="`+statusURL+`#incident-1"`) {
		t.Errorf("the HTML:\n%s", p.HTML)
	}
	notified := h.waitEvent(inc.ID, incident.EventStakeholdersNotified)
	if notified.Field("emails") != "1" {
		t.Errorf("notified = %v", notified.Fields)
	}
}
