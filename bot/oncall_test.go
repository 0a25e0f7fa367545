package bot_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/incidentbot/incidentbot/bot/web"
	"github.com/incidentbot/incidentbot/playbooks"
)

// oncallHarness is a harness whose bot has two rotations and an
// escalation policy. The sandbox's clock starts on Wednesday 2026-03-04
// 09:00 UTC. primary (bob, erin by email, carol) changes every Monday at
// 09:00 Berlin time (08:00 UTC): bob is on call until Mon 9 Mar, then
// erin. secondary (carol, dana) follows the same weeks: carol now.
// Escalation: the operator (5m), then secondary (5m), then the user group
// sre (dana and erin, 10m).
type oncallH struct {
	*harness
	erin string
	sre  string
}

// mondayShift is the first handoff after the sandbox's start: Mon 9 Mar
// 2026, 09:00 in Berlin.
var mondayShift = time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)

func newOncallHarness(t *testing.T, tweak ...func(*bot.OncallOptions)) *oncallH {
	t.Helper()
	h := &oncallH{harness: newHarness(t)}
	h.erin = h.fake.AddUser(slackfake.User{Name: "erin", RealName: "Erin Eve", Email: "Erin@Example.com"})
	h.sb.Names[h.erin] = "Erin Eve"
	h.sre = h.fake.AddUserGroup("sre", h.admin, h.erin)
	rot := func(name string, members ...string) oncall.Rotation {
		r, ps := oncall.ParseRotation(oncall.RotationSpec{Name: name, Members: members, Start: "2026-03-02", HandoffTime: "09:00", TimeZone: "Europe/Berlin"})
		if errs := oncall.Errors(ps); len(errs) > 0 {
			t.Fatal(errs)
		}
		return r
	}
	pbs, err := playbooks.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	o := bot.OncallOptions{
		Rotations:        []oncall.Rotation{rot("primary", h.bob, "erin@example.com", h.carol), rot("secondary", h.carol, h.admin)},
		OperatorRotation: "primary",
		AckTimeout:       5 * time.Minute,
		Escalation: oncall.Policy{Name: "default", Levels: []oncall.Level{
			{Rotation: "secondary", AckTimeout: 5 * time.Minute},
			{UserGroup: h.sre, AckTimeout: 10 * time.Minute},
		}},
		ConfirmWithin:     30 * time.Minute,
		HandoffEscalation: bot.EscalationTarget{Users: []string{h.admin}},
		OverdueAfter:      24 * time.Hour,
		Checklists:        pbs,
	}
	for _, f := range tweak {
		f(&o)
	}
	h.restartWith(func(bo *bot.Options) { bo.Oncall = o })
	return h
}

// dmWith returns the newest DM to user containing every keyword, waiting
// for it.
func (h *oncallH) dmWith(user string, keywords ...string) slackfake.Message {
	h.t.Helper()
	var found slackfake.Message
	h.waitFor("a DM to "+user+" with "+strings.Join(keywords, ", "), func() bool {
		dms := h.fake.DMs(user)
		for i := len(dms) - 1; i >= 0; i-- {
			if containsAll(render(dms[i]), keywords) {
				found = dms[i]
				return true
			}
		}
		return false
	})
	return found
}

// ignoreLateUpdates ignores the late-update reminder (in the announcement
// thread) and its escalation (in the war room): they fire because the test
// moves the clock past the first update's due time, and remind_test.go
// checks them.
func (h *oncallH) ignoreLateUpdates() {
	h.ignore("", "The update on incident #", " is late (it was due ")
	h.ignore("", "Escalation: the update on incident #", " late (due ")
}

// countDMs counts the DMs to user containing text.
func (h *oncallH) countDMs(user, text string) int {
	n := 0
	for _, m := range h.fake.DMs(user) {
		if strings.Contains(render(m), text) {
			n++
		}
	}
	return n
}

// ackText returns the text of an ack payload.
func ackText(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("ack %s: %v", raw, err)
	}
	return v.Text + "\n" + strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(v.Blocks))
}

func (h *oncallH) overrides() []oncall.Override {
	h.t.Helper()
	os, err := h.db.OncallOverrides(context.Background(), time.Time{})
	if err != nil {
		h.t.Fatal(err)
	}
	return os
}

func TestOncall_DeclarePagesTheOnCallOperator(t *testing.T) {
	h := newOncallHarness(t)
	declared := h.clock.Now()
	ack := h.slash(h.alice, h.general, "declare Checkout is down")
	if s := ackText(t, ack); !strings.Contains(s, "<@"+h.bob+"> is on call in *primary*") {
		t.Errorf("the declare ack does not say who leads: %s", s)
	}
	inc, ch := h.declare(h.alice, "")
	if inc.Operator != h.bob {
		t.Fatalf("operator = %s, want bob, who is on call in primary", inc.Operator)
	}
	if !containsAll(strings.Join(ch.Members, " "), []string{h.bob}) {
		t.Errorf("bob was not invited: %v", ch.Members)
	}
	if !inc.AcknowledgedAt.IsZero() {
		t.Errorf("acknowledged at %v before anyone answered", inc.AcknowledgedAt)
	}
	page := h.dmWith(h.bob, "You are paged", "Checkout is down", "Acknowledge", "<#"+inc.ChannelID+">")
	if n := h.countDMs(h.bob, "You are now the"); n != 0 {
		t.Errorf("bob got the role DM as well as the page")
	}
	h.expectMessage(inc.ChannelID, "Paging <@"+h.bob+">", "5m to acknowledge")

	// Bob acknowledges three minutes later: that is the time to
	// acknowledge, not the declaration's.
	h.clock.Add(3 * time.Minute)
	h.click(h.bob, page.Channel, page.TS, views.ActionPageAck)
	h.waitEvent(inc.ID, incident.EventPageAcknowledged)
	h.expectMessage(inc.ChannelID, "<@"+h.bob+"> acknowledged the page after 3m")
	h.expectDMOrEphemeral(h.bob, page.Channel, "You acknowledged the page for incident #1.")
	got := h.incident(inc.ID)
	if !got.AcknowledgedAt.Equal(declared.Add(3*time.Minute)) || got.Page.AckedBy != h.bob || got.Page.State != incident.PageAcknowledged {
		t.Fatalf("after the click: acknowledged at %v, page %+v", got.AcknowledgedAt, got.Page)
	}
	if m := postmortem.ComputeMetrics(got, h.events(inc.ID)); m.TimeToAcknowledge != 3*time.Minute {
		t.Errorf("time to acknowledge = %v, want 3m", m.TimeToAcknowledge)
	}
	// Nothing escalates after the acknowledgement.
	h.ignoreLateUpdates()
	h.tickAt(declared.Add(time.Hour))
	h.settle()
	if n := h.countDMs(h.carol, "You are paged"); n != 0 {
		t.Errorf("secondary was paged after the acknowledgement")
	}
	// A second click is answered, not recorded twice.
	h.click(h.bob, page.Channel, page.TS, views.ActionPageAck)
	h.expectDMOrEphemeral(h.bob, page.Channel, "already acknowledged")
	n := 0
	for _, e := range h.events(inc.ID) {
		if e.Kind == incident.EventPageAcknowledged {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d acknowledgements on the timeline", n)
	}
}

// expectDMOrEphemeral waits for a reply to user with keywords, in a DM or
// as an ephemeral in channel, and consumes it.
func (h *oncallH) expectDMOrEphemeral(user, channel string, keywords ...string) {
	h.t.Helper()
	h.consume("a reply to "+user, func() []slackfake.Message {
		return append(h.fake.DMs(user), h.fake.Ephemerals(channel, user)...)
	}, keywords)
}

func TestOncall_DeclarerOnCallIsNotPaged(t *testing.T) {
	h := newOncallHarness(t)
	h.slash(h.bob, h.general, "declare Search is slow")
	inc, _ := h.declare(h.bob, "")
	if inc.Operator != h.bob || inc.Page != nil || !inc.AcknowledgedAt.Equal(inc.DeclaredAt) {
		t.Fatalf("operator %s, page %+v, acknowledged %v", inc.Operator, inc.Page, inc.AcknowledgedAt)
	}
	h.ignoreLateUpdates()
	h.tickAt(h.clock.Now().Add(time.Hour))
	h.settle()
	if n := h.countDMs(h.carol, "You are paged"); n != 0 {
		t.Error("secondary was paged for an incident its declarer leads")
	}
}

func TestOncall_EscalatesWithoutAck(t *testing.T) {
	h := newOncallHarness(t)
	start := h.clock.Now()
	h.slash(h.alice, h.general, "declare Payments fail")
	inc, _ := h.declare(h.alice, "")
	h.dmWith(h.bob, "You are paged")

	// Not yet: the operator has five minutes.
	h.tickAt(start.Add(4 * time.Minute))
	h.settle()
	if n := h.countDMs(h.carol, "You are paged"); n != 0 {
		t.Fatal("secondary paged before the operator's time was up")
	}
	// Level 2: whoever is on call in secondary.
	h.tickAt(start.Add(5 * time.Minute))
	h.dmWith(h.carol, "You are paged", "You are on call in *secondary*", "Acknowledge")
	h.expectMessage(inc.ChannelID, "Nobody acknowledged in time: paging <@"+h.carol+"> (on call in secondary) (level 2)")

	// A redeploy between two levels loses and doubles nothing.
	h.restart()
	h.tickAt(start.Add(9 * time.Minute))
	h.settle()
	if n := h.countDMs(h.carol, "You are paged"); n != 1 {
		t.Fatalf("carol was paged %d times", n)
	}

	// Level 3: each member of the user group, looked up in Slack.
	h.tickAt(start.Add(10 * time.Minute))
	h.dmWith(h.admin, "You are paged", "as a member of <!subteam^"+h.sre+">")
	h.dmWith(h.erin, "You are paged", "as a member of <!subteam^"+h.sre+">")
	h.expectMessage(inc.ChannelID, "Nobody acknowledged in time: paging <!subteam^"+h.sre+"> (level 3)")
	if h.fake.CallCount("usergroups.users.list") == 0 {
		t.Error("the user group's members were not looked up")
	}
	// Then nobody is left: the war room is told, once.
	h.tickAt(start.Add(20 * time.Minute))
	h.expectMessage(inc.ChannelID, "Nobody acknowledged the page", "paging stopped after level 3")
	h.ignoreLateUpdates()
	h.tickAt(start.Add(40 * time.Minute))
	h.settle()
	if n := h.countMessages(inc.ChannelID, "paging stopped"); n != 1 {
		t.Errorf("the war room heard %d times that paging stopped", n)
	}
	evs := h.events(inc.ID)
	var kinds []string
	for _, e := range evs {
		if strings.HasPrefix(string(e.Kind), "page") {
			kinds = append(kinds, string(e.Kind)+":"+e.Field("level"))
		}
	}
	if got := strings.Join(kinds, " "); got != "paged:1 paged:2 paged:3 page_exhausted:3" {
		t.Errorf("page events = %s", got)
	}

	// Erin finally answers, from the group's page: she leads now, and the
	// time to acknowledge is the real time of her click.
	page := h.dmWith(h.erin, "You are paged")
	h.clock.Set(start.Add(47 * time.Minute))
	h.click(h.erin, page.Channel, page.TS, views.ActionPageAck)
	h.expectMessage(inc.ChannelID, "<@"+h.erin+"> acknowledged the page after 47m and is now the *operator*")
	h.expectDMOrEphemeral(h.erin, page.Channel, "You acknowledged the page for incident #1. You are now its operator.")
	got := h.incident(inc.ID)
	if got.Operator != h.erin || !got.AcknowledgedAt.Equal(start.Add(47*time.Minute)) {
		t.Fatalf("operator %s, acknowledged at %v", got.Operator, got.AcknowledgedAt)
	}
	h.waitFor("erin in the war room", func() bool {
		ch, _ := h.fake.Channel(inc.ChannelID)
		return strings.Contains(strings.Join(ch.Members, " "), h.erin)
	})
}

func TestOncall_ResolvingStopsPaging(t *testing.T) {
	h := newOncallHarness(t)
	start := h.clock.Now()
	h.slash(h.alice, h.general, "declare Login loops")
	inc, _ := h.declare(h.alice, "")
	h.slash(h.admin, inc.ChannelID, "resolve false alarm")
	h.waitEvent(inc.ID, incident.EventResolved)
	h.expectResolved(inc)
	h.tickAt(start.Add(time.Hour))
	h.settle()
	if n := h.countDMs(h.carol, "You are paged"); n != 0 {
		t.Error("paging went on after the incident was resolved")
	}
	if got := h.incident(inc.ID); got.Page.State != incident.PageStopped {
		t.Errorf("page = %+v", got.Page)
	}
}

func TestOncall_Status(t *testing.T) {
	h := newOncallHarness(t)
	s := ackText(t, h.slash(h.alice, h.general, "oncall"))
	// Erin's email was resolved with users.lookupByEmail.
	for _, want := range []string{"*primary*", "Now: <@" + h.bob + ">, until Mon 9 Mar 09:00 CET", "Next: <@" + h.erin + ">, until Mon 16 Mar 09:00 CET",
		"*secondary*", "Now: <@" + h.carol + ">", "Next: <@" + h.admin + ">"} {
		if !strings.Contains(s, want) {
			t.Errorf("/incident oncall lacks %q:\n%s", want, s)
		}
	}
	if h.fake.CallCount("users.lookupByEmail") == 0 {
		t.Error("the member's email was not looked up")
	}
	s = ackText(t, h.slash(h.alice, h.general, "oncall secondary"))
	if strings.Contains(s, "primary") || !strings.Contains(s, "<@"+h.carol+">") {
		t.Errorf("/incident oncall secondary:\n%s", s)
	}
	s = ackText(t, h.slash(h.alice, h.general, "oncall tertiary"))
	if !strings.Contains(s, `There is no rotation called "tertiary". The rotations are: primary, secondary.`) {
		t.Errorf("unknown rotation:\n%s", s)
	}
	s = ackText(t, h.slash(h.alice, h.general, "help oncall"))
	if !strings.Contains(s, "oncall override ROTATION @user FROM TO") {
		t.Errorf("help oncall:\n%s", s)
	}
}

func TestOncall_UnknownEmailIsReported(t *testing.T) {
	h := newOncallHarness(t, func(o *bot.OncallOptions) {
		r, _ := oncall.ParseRotation(oncall.RotationSpec{Name: "db", Members: []string{"ghost@example.com", "erin@example.com"}, Start: "2026-03-02", HandoffTime: "09:00"})
		o.Rotations = append(o.Rotations, r)
	})
	s := ackText(t, h.slash(h.alice, h.general, "oncall db"))
	for _, want := range []string{"Now: ghost@example.com _(not found in Slack)_", "No Slack user has the email ghost@example.com"} {
		if !strings.Contains(s, want) {
			t.Errorf("/incident oncall db lacks %q:\n%s", want, s)
		}
	}
}

func TestOncall_Override(t *testing.T) {
	h := newOncallHarness(t)
	// Bob, on call, asks Carol to cover his evening.
	s := ackText(t, h.slash(h.bob, h.general, "oncall override primary <@"+h.carol+"> 18:00 +6h"))
	if !strings.Contains(s, "<@"+h.carol+"> is on call in *primary* from Wed 4 Mar 18:00 CET to Thu 5 Mar 00:00 CET") {
		t.Fatalf("ack:\n%s", s)
	}
	h.waitFor("the override", func() bool { return len(h.overrides()) == 1 })
	o := h.overrides()[0]
	if o.User != h.carol || o.CreatedBy != h.bob || !o.From.Equal(time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)) || !o.To.Equal(time.Date(2026, 3, 4, 23, 0, 0, 0, time.UTC)) {
		t.Fatalf("override = %+v", o)
	}
	h.expectDM(h.carol, "<@"+h.bob+"> put you on call in *primary* from Wed 4 Mar 18:00 CET to Thu 5 Mar 00:00 CET")
	s = ackText(t, h.slash(h.alice, h.general, "oncall overrides"))
	if !strings.Contains(s, "*#1* primary: <@"+h.carol+"> covers Wed 4 Mar 18:00 CET → Thu 5 Mar 00:00 CET (set by <@"+h.bob+">") {
		t.Errorf("list:\n%s", s)
	}
	// During the override, Carol is on call, and a declaration pages her.
	h.clock.Set(time.Date(2026, 3, 4, 18, 0, 0, 0, time.UTC))
	s = ackText(t, h.slash(h.alice, h.general, "oncall primary"))
	if !strings.Contains(s, "Now: <@"+h.carol+"> _(override #1)_") {
		t.Errorf("status during the override:\n%s", s)
	}
	h.slash(h.alice, h.general, "declare Disk full")
	if inc, _ := h.declare(h.alice, ""); inc.Operator != h.carol {
		t.Errorf("operator = %s, want carol, who covers", inc.Operator)
	}

	// Bad input: a clear ephemeral error, and nothing changes.
	other := h.fake.AddUser(slackfake.User{Name: "zed", RealName: "Zed Zee"})
	bot := h.fake.AddUser(slackfake.User{Name: "robot", IsBot: true})
	for _, tt := range []struct {
		user, text, want string
	}{
		{h.bob, "oncall override tertiary <@" + h.carol + "> now +1h", `There is no rotation called "tertiary"`},
		{h.bob, "oncall override primary <@" + h.carol + "> +2h yesterday", `"yesterday" is not a time I understand`},
		{h.bob, "oncall override primary <@" + h.carol + "> 2026-03-05T10:00 2026-03-05T09:00", "which is not after it starts"},
		{h.bob, "oncall override primary <@" + h.carol + "> 2026-03-01T10:00 +1h", "which is in the past"},
		{h.bob, "oncall override primary <@" + h.admin + "> 20:00 +1h", "That overlaps override #1 on primary"},
		{h.bob, "oncall override primary <@U0NOBODY1> 2026-03-06T10:00 +1h", "There is no user <@U0NOBODY1>"},
		{h.bob, "oncall override primary <@" + bot + "> 2026-03-06T10:00 +1h", "is a bot"},
		{h.bob, "oncall override primary <@" + h.carol + "> soon +1h", `"soon" is not a time I understand`},
		{other, "oncall override primary <@" + h.carol + "> 2026-03-06T10:00 +1h", "Only members of primary, the person covering, or an incidentbot admin"},
		{h.bob, "oncall override primary <@" + h.carol + "> now +100d", "longer than the limit"},
		{h.bob, "oncall override primary <mailto:ghost@example.com|ghost@example.com> 2026-03-06T10:00 +1h", "No Slack user has the email ghost@example.com"},
	} {
		s := ackText(t, h.slash(tt.user, h.general, tt.text))
		if !strings.Contains(s, tt.want) {
			t.Errorf("%s: ack lacks %q:\n%s", tt.text, tt.want, s)
		}
	}
	h.settle()
	if n := len(h.overrides()); n != 1 {
		t.Errorf("bad input changed the overrides: %d stored", n)
	}

	// Removal: by someone with no say, refused; by the covering person,
	// the override in progress ends now and stays listed as removed.
	s = ackText(t, h.slash(other, h.general, "oncall remove 1"))
	if !strings.Contains(s, "Only <@"+h.bob+"> (who set override #1)") {
		t.Errorf("removal by a stranger:\n%s", s)
	}
	s = ackText(t, h.slash(h.carol, h.general, "oncall remove 9"))
	if !strings.Contains(s, "There is no override #9") {
		t.Errorf("removal of a missing override:\n%s", s)
	}
	h.clock.Add(30 * time.Minute)
	s = ackText(t, h.slash(h.carol, h.general, "oncall remove #1"))
	if !strings.Contains(s, "Override #1 removed") {
		t.Fatalf("removal:\n%s", s)
	}
	h.waitFor("the removal", func() bool { return h.overrides()[0].Removed() })
	o = h.overrides()[0]
	if o.RemovedBy != h.carol || !o.To.Equal(h.clock.Now()) {
		t.Errorf("removed override = %+v", o)
	}
	// Bob, on call again at once, is told; Carol removed it herself.
	h.expectDM(h.bob, "<@"+h.carol+"> removed override #1: you are on call in *primary* again from Wed 4 Mar 19:30 CET to Thu 5 Mar 00:00 CET")
	s = ackText(t, h.slash(h.alice, h.general, "oncall primary"))
	if !strings.Contains(s, "Now: <@"+h.bob+">") {
		t.Errorf("after the removal:\n%s", s)
	}
	s = ackText(t, h.slash(h.alice, h.general, "oncall overrides"))
	if !strings.Contains(s, "~*#1* primary") || !strings.Contains(s, "removed by <@"+h.carol+">") {
		t.Errorf("the removal is not on the list:\n%s", s)
	}
	s = ackText(t, h.slash(h.carol, h.general, "oncall remove 1"))
	if !strings.Contains(s, "Override #1 was already removed") {
		t.Errorf("second removal:\n%s", s)
	}
}

func TestOncall_OverrideModal(t *testing.T) {
	h := newOncallHarness(t)
	h.slash(h.carol, h.general, "oncall override")
	v := h.topView(h.carol)
	if v.CallbackID != views.CallbackOncall {
		t.Fatalf("opened %q", v.CallbackID)
	}
	values := map[string]string{views.InputRotation: "primary", views.InputUser: h.carol, views.InputFrom: "2026-03-06T09:00", views.InputTo: "2026-03-05T09:00"}
	h.submit(h.carol, v, values)
	if errs := h.fake.ViewErrors(v.ID); !strings.Contains(errs[views.InputTo], "which is not after it starts") {
		t.Errorf("TO before FROM: field errors %v", errs)
	}
	values[views.InputTo] = "whenever"
	h.submit(h.carol, v, values)
	if errs := h.fake.ViewErrors(v.ID); !strings.Contains(errs[views.InputTo], `"whenever" is not a time I understand`) {
		t.Errorf("bad TO: field errors %v", errs)
	}
	if n := len(h.overrides()); n != 0 {
		t.Fatalf("a refused form stored %d overrides", n)
	}
	values[views.InputTo] = "+1d"
	h.submit(h.carol, v, values)
	h.waitFor("the override", func() bool { return len(h.overrides()) == 1 })
	if o := h.overrides()[0]; o.User != h.carol || !o.From.Equal(time.Date(2026, 3, 6, 8, 0, 0, 0, time.UTC)) || !o.To.Equal(time.Date(2026, 3, 7, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("override = %+v", o)
	}
	// Bob's turn is covered: he is told.
	h.expectDM(h.bob, "<@"+h.carol+"> set <@"+h.carol+"> to cover your on-call time in *primary*", "from Fri 6 Mar 09:00 CET to Sat 7 Mar 09:00 CET")
}

func TestOncall_Swap(t *testing.T) {
	h := newOncallHarness(t)
	// Bob trades the rest of his week for Erin's next one.
	// Erin is named by her email, as Slack sends a typed address.
	s := ackText(t, h.slash(h.bob, h.general, "oncall swap primary <mailto:erin@example.com|erin@example.com>"))
	if !strings.Contains(s, "<@"+h.erin+"> covers your turn Wed 4 Mar 10:00 CET → Mon 9 Mar 09:00 CET, and you cover theirs Mon 9 Mar 09:00 CET → Mon 16 Mar 09:00 CET") {
		t.Fatalf("ack:\n%s", s)
	}
	h.waitFor("the swap", func() bool { return len(h.overrides()) == 2 })
	os := h.overrides()
	if os[0].Swap == "" || os[0].Swap != os[1].Swap || os[0].User != h.erin || os[1].User != h.bob {
		t.Fatalf("swap = %+v", os)
	}
	h.expectDM(h.erin, "<@"+h.bob+"> swapped on-call turns with you in *primary*", "you cover Wed 4 Mar 10:00 CET → Mon 9 Mar 09:00 CET")
	s = ackText(t, h.slash(h.alice, h.general, "oncall primary"))
	if !strings.Contains(s, "Now: <@"+h.erin+"> _(override #1)_") || !strings.Contains(s, "Next: <@"+h.bob+">, until Mon 16 Mar 09:00 CET _(override #2)_") {
		t.Errorf("status after the swap:\n%s", s)
	}
	// Carol has no turn to trade with alice, who is in no rotation.
	s = ackText(t, h.slash(h.carol, h.general, "oncall swap primary <@"+h.alice+">"))
	if !strings.Contains(s, "<@"+h.alice+"> has no turn in primary to trade") {
		t.Errorf("swap with a non-member:\n%s", s)
	}
	// Removing one half removes the swap.
	s = ackText(t, h.slash(h.erin, h.general, "oncall remove 2"))
	if !strings.Contains(s, "The swap (overrides #2 and #1) is removed") {
		t.Fatalf("removal:\n%s", s)
	}
	h.waitFor("both halves removed", func() bool {
		os := h.overrides()
		return os[0].Removed() && os[1].Removed()
	})
	// Bob, who covered Erin's week, is told, and that the rest of his own
	// week is his again; Erin removed it herself.
	h.expectDM(h.bob, "<@"+h.erin+"> removed override #2: you no longer cover *primary* from Mon 9 Mar 09:00 CET to Mon 16 Mar 09:00 CET")
	h.expectDM(h.bob, "<@"+h.erin+"> removed override #1: you are on call in *primary* again from Wed 4 Mar 10:00 CET to Mon 9 Mar 09:00 CET")
}

func TestOncall_Handoff(t *testing.T) {
	h := newOncallHarness(t)
	start := h.clock.Now()
	h.slash(h.alice, h.general, "declare Replication lag")
	inc, _ := h.declare(h.alice, "")
	// Bob, paged as the operator, acknowledges: the page does not
	// escalate, and the only escalation below is the handoff's.
	page := h.dmWith(h.bob, "You are paged")
	h.click(h.bob, page.Channel, page.TS, views.ActionPageAck)
	h.expectMessage(inc.ChannelID, "<@"+h.bob+"> acknowledged the page after 0m")
	h.expectDMOrEphemeral(h.bob, page.Channel, "You acknowledged the page for incident #1.")
	h.slash(h.alice, inc.ChannelID, "task Alert on replication lag <@"+h.carol+">")
	h.waitFor("the action item", func() bool { return len(h.incident(inc.ID).ActionItems) == 1 })
	h.expectMessage(inc.ChannelID, "Action item: Alert on replication lag")
	h.ignoreLateUpdates()
	h.tickAt(start.Add(time.Hour))
	h.settle()
	if n := h.countDMs(h.erin, "You are on call"); n != 0 {
		t.Fatal("a handoff DM before the shift change")
	}
	// A redeploy just before the shift change.
	h.restart()

	h.tickAt(mondayShift)
	in := h.expectDM(h.erin, "*You are on call in primary* from Mon 9 Mar 09:00 CET until Mon 16 Mar 09:00 CET, taking over from <@"+h.bob+">",
		"*Open incidents*", "#1 Replication lag", "*Overdue action items*", "#1.1 Alert on replication lag", "owner <@"+h.carol+">",
		"*Checklist*", "Send yourself a test page", "I have taken over", "Please confirm by Mon 9 Mar 09:30 CET")
	h.expectDM(h.bob, "*Your on-call shift in primary ends* at Mon 9 Mar 09:00 CET; <@"+h.erin+"> takes over", "#1 Replication lag")
	h.expectDM(h.admin, "*You are on call in secondary*", "taking over from <@"+h.carol+">")
	h.expectDM(h.carol, "*Your on-call shift in secondary ends* at Mon 9 Mar 09:00 CET; <@"+h.admin+"> takes over")
	// The same tick again, and a later one, send nothing more.
	h.tickAt(mondayShift)
	h.tickAt(mondayShift.Add(time.Minute))
	h.settle()
	if n := h.countDMs(h.erin, "You are on call in primary"); n != 1 {
		t.Fatalf("erin got the handoff %d times", n)
	}

	// Erin ticks two steps, then confirms: both are recorded.
	block := views.ChecklistBlock(0, "primary", mondayShift)
	d, err := h.fake.SelectInMessageIn(h.erin, in.Channel, in.TS, block, views.ActionHandoffCheck, "oncall/test-page,oncall/access")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the ticks", func() bool {
		c, err := h.db.FindHandoffCheck(context.Background(), "primary", mondayShift)
		return err == nil && strings.Join(c.Checked, " ") == "oncall/test-page oncall/access"
	})
	// Only the incoming person may confirm.
	h.click(h.bob, in.Channel, in.TS, views.ActionHandoffConfirm)
	h.expectDMOrEphemeral(h.bob, in.Channel, "This handoff is for <@"+h.erin+">; only they can confirm it.")
	h.clock.Set(mondayShift.Add(10 * time.Minute))
	h.click(h.erin, in.Channel, in.TS, views.ActionHandoffConfirm)
	h.expectDMOrEphemeral(h.erin, in.Channel, "Handoff confirmed: you are on call in *primary*")
	h.expectDM(h.bob, "<@"+h.erin+"> confirmed taking over on-call in *primary*")
	c, err := h.db.FindHandoffCheck(context.Background(), "primary", mondayShift)
	if err != nil || c.ConfirmedBy != h.erin || !c.ConfirmedAt.Equal(mondayShift.Add(10*time.Minute)) {
		t.Fatalf("check = %+v, %v", c, err)
	}

	// Dana never confirms secondary: after 30 minutes Carol (outgoing) is
	// told, once; primary, confirmed, is not escalated.
	h.tickAt(mondayShift.Add(29 * time.Minute))
	h.settle()
	if n := h.countDMs(h.carol, "has not confirmed"); n != 0 {
		t.Fatal("escalated before the deadline")
	}
	h.tickAt(mondayShift.Add(30 * time.Minute))
	h.expectDM(h.carol, "<@"+h.admin+"> has not confirmed taking over on-call in *secondary*")
	h.tickAt(mondayShift.Add(time.Hour))
	h.settle()
	if n := h.countDMs(h.carol, "has not confirmed"); n != 1 {
		t.Errorf("carol heard %d times", n)
	}
	if n := h.countDMs(h.bob, "has not confirmed"); n != 0 {
		t.Error("a confirmed handoff was escalated")
	}
	// Confirming late closes the gap for those who were told.
	sec := h.dmWith(h.admin, "*You are on call in secondary*")
	h.click(h.admin, sec.Channel, sec.TS, views.ActionHandoffConfirm)
	h.expectDMOrEphemeral(h.admin, sec.Channel, "Handoff confirmed: you are on call in *secondary*")
	h.expectDM(h.carol, "<@"+h.admin+"> confirmed taking over on-call in *secondary*", "The gap is closed.")
}

func TestOncall_HandoffAfterOverride(t *testing.T) {
	h := newOncallHarness(t)
	// Carol covers two hours of Bob's Thursday: two handoffs, each way.
	h.slash(h.bob, h.general, "oncall override primary <@"+h.carol+"> 2026-03-05T10:00 2026-03-05T12:00")
	h.waitFor("the override", func() bool { return len(h.overrides()) == 1 })
	h.expectDM(h.carol, "<@"+h.bob+"> put you on call in *primary* from Thu 5 Mar 10:00 CET to Thu 5 Mar 12:00 CET")
	from := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	h.tickAt(from)
	h.expectDM(h.carol, "*You are on call in primary* from Thu 5 Mar 10:00 CET until Thu 5 Mar 12:00 CET, taking over from <@"+h.bob+">")
	h.expectDM(h.bob, "*Your on-call shift in primary ends* at Thu 5 Mar 10:00 CET; <@"+h.carol+"> takes over")
	// Carol does not confirm, and the next tick is when her turn is over:
	// the unconfirmed handoff is not escalated then, as there is no gap
	// left to close.
	h.tickAt(from.Add(2 * time.Hour))
	h.expectDM(h.bob, "*You are on call in primary* from Thu 5 Mar 12:00 CET until Mon 9 Mar 09:00 CET, taking over from <@"+h.carol+">")
	h.expectDM(h.carol, "*Your on-call shift in primary ends* at Thu 5 Mar 12:00 CET; <@"+h.bob+"> takes over")
	h.settle()
	for _, u := range []string{h.bob, h.admin} {
		if n := h.countDMs(u, "has not confirmed"); n != 0 {
			t.Errorf("%s was told of a handoff whose turn is over", u)
		}
	}
}

func TestOncall_OnCallNow(t *testing.T) {
	h := newOncallHarness(t)
	got, err := h.app.OnCallNow([]string{"primary", "secondary", "primary"})
	if err != nil || strings.Join(got, " ") != h.bob+" "+h.carol {
		t.Errorf("OnCallNow = %v, %v", got, err)
	}
	if _, err := h.app.OnCallNow([]string{"nope"}); incident.ErrorCode(err) != incident.ENOTFOUND {
		t.Errorf("unknown rotation: %v", err)
	}
}

func TestOncall_CalendarFeed(t *testing.T) {
	h := newOncallHarness(t)
	h.slash(h.bob, h.general, "oncall override primary <@"+h.carol+"> 2026-03-05T10:00 2026-03-05T12:00")
	h.waitFor("the override", func() bool { return len(h.overrides()) == 1 })
	h.expectDM(h.carol, "<@"+h.bob+"> put you on call in *primary* from Thu 5 Mar 10:00 CET to Thu 5 Mar 12:00 CET")
	const token = "feed-token-0123456789abcdef"
	srv := httptest.NewServer(web.Handler(web.Options{OncallFeed: h.app.CalendarFeed(token), OncallAdmin: h.app.CalendarAdmin(), AdminToken: "admin-token"}))
	defer srv.Close()
	get := func(path string, header ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if len(header) == 2 {
			req.Header.Set(header[0], header[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	for _, tt := range []struct {
		path   string
		status int
		want   string
	}{
		{"/oncall/calendar.ics", http.StatusUnauthorized, "needs its token"},
		{"/oncall/calendar.ics?token=wrong", http.StatusUnauthorized, "needs its token"},
		{"/oncall/calendar.ics?token=" + token + "&rotation=nope", http.StatusNotFound, `There is no rotation called "nope"`},
		{"/oncall/calendar.ics?token=" + token + "&days=0", http.StatusBadRequest, "days must be"},
	} {
		if resp, body := get(tt.path); resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s: %d %q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	resp, body := get("/oncall/calendar.ics?token=" + token + "&rotation=primary&days=21")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("GET the feed: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the feed: %v\n%s", err, body)
	}
	want := []struct{ start, end, who string }{
		{"20260302T080000Z", "20260305T090000Z", h.bob},
		{"20260305T090000Z", "20260305T110000Z", h.carol + " (override)"},
		{"20260305T110000Z", "20260309T080000Z", h.bob},
		{"20260309T080000Z", "20260316T080000Z", h.erin},
		{"20260316T080000Z", "20260323T080000Z", h.carol},
		// Berlin moves to summer time on 29 March: 09:00 is 07:00 UTC.
		{"20260323T080000Z", "20260330T070000Z", h.bob},
	}
	events := cal.Events()
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d:\n%s", len(events), len(want), body)
	}
	for i, e := range events {
		w := want[i]
		start, end := e.GetProperty(ics.ComponentPropertyDtStart).Value, e.GetProperty(ics.ComponentPropertyDtEnd).Value
		summary := ics.FromText(e.GetProperty(ics.ComponentPropertySummary).Value)
		name := h.sb.Names[strings.TrimSuffix(w.who, " (override)")]
		wantSummary := "On call: primary — " + name
		if strings.HasSuffix(w.who, " (override)") {
			wantSummary += " (override)"
		}
		if start != w.start || end != w.end || summary != wantSummary {
			t.Errorf("event %d: %s → %s %q, want %s → %s %q", i, start, end, summary, w.start, w.end, wantSummary)
		}
	}
	// The admin route serves the same, behind the admin token.
	if resp, _ := get("/admin/oncall.ics"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("admin route without the token: %d", resp.StatusCode)
	}
	if resp, b := get("/admin/oncall.ics?rotation=primary&days=21", "Authorization", "Bearer admin-token"); resp.StatusCode != http.StatusOK || len(b) == 0 {
		t.Errorf("admin route: %d", resp.StatusCode)
	}
	// Without a token the feed is off.
	off := httptest.NewServer(web.Handler(web.Options{OncallFeed: h.app.CalendarFeed("")}))
	defer off.Close()
	if r, err := http.Get(off.URL + "/oncall/calendar.ics?token="); err != nil || r.StatusCode != http.StatusNotFound {
		t.Errorf("feed without a token: %v %v", r, err)
	}
}

// backendPlaybook invites whoever is on call in secondary to every
// incident.
const backendPlaybook = `name: backend
title: Backend incident
checklist:
  - Check the backend dashboards
invite:
  rotations: [secondary]
`

func TestOncall_PlaybookInvitesTheRotation(t *testing.T) {
	h := newOncallHarness(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "backend.yaml"), []byte(backendPlaybook), 0o600); err != nil {
		t.Fatal(err)
	}
	pbs, err := playbooks.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := playbooks.Validate(pbs, playbooks.Known{
		Roles: []string{"operator", "spokesperson"}, Severities: []string{"critical", "major", "minor"},
		Rotations: []string{"primary", "secondary"},
	}); err != nil {
		t.Fatal(err)
	}
	// Playbooks.OnCall is left nil: the bot answers it from its roster.
	h.restartWith(func(o *bot.Options) { o.Playbooks.Playbooks = pbs })

	invited := func(room, user string) func() bool {
		return func() bool {
			c, _ := h.fake.Channel(room)
			return slices.Contains(c.Members, user)
		}
	}
	inc, ch := h.declare(h.alice, "Orders are stuck")
	if !slices.Contains(inc.Playbooks, "backend") {
		t.Fatalf("playbooks %v", inc.Playbooks)
	}
	h.waitFor("carol, on call in secondary, invited", invited(ch.ID, h.carol))

	// Erin covers secondary for two hours: the next incident invites her,
	// read from the roster as it is now, and not carol.
	s := ackText(t, h.slash(h.carol, h.general, "oncall override secondary <@"+h.erin+"> now +2h"))
	if !strings.Contains(s, "<@"+h.erin+">") {
		t.Fatalf("override ack:\n%s", s)
	}
	h.expectDM(h.erin, "<@"+h.carol+"> put you on call in *secondary* from Wed 4 Mar 10:00 CET to Wed 4 Mar 12:00 CET")
	h.settle()
	_, ch2 := h.declare(h.alice, "Invoices are late")
	h.waitFor("erin, covering secondary, invited", invited(ch2.ID, h.erin))
	h.settle()
	if invited(ch2.ID, h.carol)() {
		t.Error("carol was invited while erin covers secondary")
	}
}

func TestOncall_DrillPagesNobody(t *testing.T) {
	h := newOncallHarness(t)
	drills, err := h.fake.CreateChannel(h.alice, "drills", false, h.alice, h.bob, h.carol, h.admin)
	if err != nil {
		t.Fatal(err)
	}
	h.restartWith(func(o *bot.Options) { o.Playbooks.DrillChannel = drills })
	if ack := ackText(t, h.slash(h.alice, h.general, "drill Checkout practice")); !strings.Contains(ack, "Declaring a drill") || strings.Contains(ack, "on call") {
		t.Fatalf("drill ack: %s", ack)
	}
	h.settle()
	incs, err := h.db.FindIncidents(h.ctx(), incident.Filter{})
	if err != nil || len(incs) != 1 || !incs[0].Drill {
		t.Fatalf("incidents %v, %v", incs, err)
	}
	inc := incs[0]
	if inc.Operator == h.bob || inc.Page != nil {
		t.Fatalf("a drill made the on-call person operator (%s) or paged (%+v)", inc.Operator, inc.Page)
	}
	h.ignoreLateUpdates()
	h.tickAt(h.clock.Now().Add(time.Hour))
	h.settle()
	for _, u := range []string{h.bob, h.carol, h.admin, h.erin} {
		if n := h.countDMs(u, "You are paged"); n != 0 {
			t.Errorf("%s was paged for a drill", u)
		}
	}
}
