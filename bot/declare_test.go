package bot_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

func TestDeclare_OneLine(t *testing.T) {
	h := newHarness(t)
	ack := h.slash(h.alice, h.general, "declare --sev critical Checkout is down")
	if !strings.Contains(string(ack), "Declaring") {
		t.Errorf("ack = %s, want an immediate 'declaring' reply", ack)
	}
	inc, ch := h.declare(h.alice, "") // waits for the first incident's war room
	if inc.ID != 1 || inc.Severity != "critical" || inc.Operator != h.alice {
		t.Fatalf("incident = %+v", inc)
	}
	if ch.Name != "inc-1-checkout-is-down" || ch.Private {
		t.Errorf("war room = %q private=%v", ch.Name, ch.Private)
	}
	if !slices.Contains(ch.Members, h.alice) {
		t.Errorf("declarer not invited: members %v", ch.Members)
	}
	h.waitFor("topic", func() bool {
		c, _ := h.fake.Channel(ch.ID)
		return strings.Contains(c.Topic, "CRITICAL") && strings.Contains(c.Topic, "next update due 09:15")
	})
	card := h.card(inc)
	if !card.Pinned {
		t.Error("card is not pinned")
	}
	assertShows(t, "card", card, "#1 Checkout is down", views.ActionPostUpdate, views.ActionSeverity, views.ActionAssignRole, views.ActionResolve)
	ann := h.expectMessage(h.announce, "Incident #1 declared", "Checkout is down", "<#"+ch.ID+">")
	if ann.TS != inc.Announcements[0].TS {
		t.Errorf("announcement ts %s, stored %s", ann.TS, inc.Announcements[0].TS)
	}
	h.expectMessage(ch.ID, "choose a *spokesperson*")
	h.expectDM(h.alice, "operator", "incident #1")
	h.expectEphemeral(h.general, h.alice, "Incident #1 declared", "<#"+ch.ID+">")
	evs := h.events(1)
	if evs[0].Kind != incident.EventDeclared || evs[0].Actor != h.alice {
		t.Errorf("first event = %+v", evs[0])
	}
}

func TestDeclare_Private(t *testing.T) {
	h := newHarness(t)
	h.slash(h.alice, h.general, "declare --private Leaked credentials in logs")
	inc, ch := h.declare(h.alice, "")
	if !ch.Private || !inc.Private {
		t.Fatalf("private incident got a public channel")
	}
	m := h.expectMessage(h.announce, "private incident was declared")
	if strings.Contains(render(m), "Leaked") || strings.Contains(render(m), ch.ID) {
		t.Errorf("private announcement leaks details: %s", render(m))
	}
	// Someone outside cannot see it in the list.
	h.slash(h.carol, h.general, "list")
	l := h.expectEphemeral(h.general, h.carol, "No open incidents")
	if strings.Contains(render(l), "Leaked") {
		t.Errorf("list leaks the private title to a stranger: %s", render(l))
	}
}

func TestDeclare_Modal(t *testing.T) {
	h := newHarness(t)
	h.slash(h.alice, h.general, "")
	v := h.topView(h.alice)
	if v.CallbackID != views.CallbackDeclare {
		t.Fatalf("opened %q", v.CallbackID)
	}
	// A submission sent twice at once, as a double click does, declares once.
	values := map[string]string{views.InputTitle: "Search is slow <!channel>", views.InputSeverity: "minor", views.InputOperator: h.bob, views.InputImpact: "Results take 10s"}
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d, err := h.fake.SubmitView(h.alice, v.ID, values); err == nil {
				d.Wait(h.ctx())
			}
		}()
	}
	wg.Wait()
	inc, ch := h.declare(h.alice, "")
	if inc.Title != "Search is slow &lt;!channel&gt;" || inc.Operator != h.bob || inc.Severity != "minor" || inc.Impact != "Results take 10s" {
		t.Fatalf("incident = %+v", inc)
	}
	if !slices.Contains(ch.Members, h.bob) {
		t.Errorf("operator not invited: %v", ch.Members)
	}
	h.expectDM(h.bob, "operator")
	if incs, _ := h.db.FindIncidents(h.ctx(), incident.Filter{}); len(incs) != 1 {
		t.Errorf("a double submission declared %d incidents", len(incs))
	}
	if n := len(h.fake.OpenViews(h.alice)); n != 0 {
		t.Errorf("%d modals still open: %+v", n, h.fake.OpenViews(h.alice))
	}
}

func TestDeclare_BadInput(t *testing.T) {
	h := newHarness(t)
	cases := []struct{ text, want string }{
		{"declare " + strings.Repeat("a", 81), "keep it to 80"},
		{"declare --sev apocalyptic DB down", "not a severity"},
		{"declare <!channel> is down", "@channel"},
		{"sevv major", "Unknown subcommand"},
		{"declare --sev", "sev"},
	}
	for _, c := range cases {
		ack := h.slash(h.alice, h.general, c.text)
		if !strings.Contains(string(ack), c.want) && !strings.Contains(string(ack), strings.ToLower(c.want)) {
			// Some errors come later through the response_url.
			h.expectEphemeral(h.general, h.alice, c.want)
		}
	}
	if incs, _ := h.db.FindIncidents(h.ctx(), incident.Filter{}); len(incs) != 0 {
		t.Errorf("bad input declared %d incidents", len(incs))
	}
}

func TestDeclare_ModalKeepsFlags(t *testing.T) {
	h := newHarness(t)
	h.slash(h.alice, h.general, "declare --private --sev critical")
	v := h.topView(h.alice)
	raw := string(v.Raw)
	if !strings.Contains(raw, `"initial_options"`) {
		t.Fatalf("the form lost the flags: %s", raw)
	}
	// Submitting without touching the checkbox keeps the incident private.
	h.submit(h.alice, v, map[string]string{views.InputTitle: "Leaked keys", views.InputOperator: h.alice})
	inc, ch := h.declare(h.alice, "")
	if !inc.Private || !ch.Private || inc.Severity != "critical" {
		t.Errorf("incident private=%v severity=%s channel private=%v", inc.Private, inc.Severity, ch.Private)
	}
	for _, m := range h.fake.Messages(h.announce) {
		if strings.Contains(render(m), "Leaked") {
			t.Errorf("announced a private title: %s", m.Text)
		}
	}
}

func TestDeclare_ModalRefusesBotOperator(t *testing.T) {
	h := newHarness(t)
	robot := h.fake.AddUser(slackfake.User{Name: "deploybot", IsBot: true})
	h.slash(h.alice, h.general, "declare")
	v := h.topView(h.alice)
	// The form is acknowledged (closed) at once, before Slack is asked who
	// the operator is; the refusal follows, with what was typed.
	ack := h.submit(h.alice, v, map[string]string{views.InputTitle: "Deploys stuck", views.InputOperator: robot})
	if len(ack) > 0 && string(ack) != "null" {
		t.Fatalf("ack = %s, want the form closed first", ack)
	}
	h.expectEphemeral(h.general, h.alice, "is a bot", "Deploys stuck")
	h.settle()
	if incs, _ := h.db.FindIncidents(h.ctx(), incident.Filter{}); len(incs) != 0 {
		t.Fatalf("a bot was made operator of %d incidents", len(incs))
	}
	// The person declares again with a person as operator.
	h.slash(h.alice, h.general, "declare")
	v = h.topView(h.alice)
	h.submit(h.alice, v, map[string]string{views.InputTitle: "Deploys stuck", views.InputOperator: h.bob})
	inc, _ := h.declare(h.alice, "")
	if inc.Operator != h.bob {
		t.Errorf("operator %s", inc.Operator)
	}
}

func TestDeclare_TakenChannelName(t *testing.T) {
	h := newHarness(t)
	if _, err := h.fake.CreateChannel(h.bob, "inc-1-name-taken", false, h.bob); err != nil {
		t.Fatal(err)
	}
	_, ch := h.declare(h.alice, "Name taken")
	if ch.Name != "inc-1-name-taken-2" {
		t.Errorf("war room %q, want the suffixed name", ch.Name)
	}
	// An empty slug still makes a valid name.
	_, ch = h.declare(h.alice, "!!! ???")
	if ch.Name != "inc-2" {
		t.Errorf("war room %q, want inc-2", ch.Name)
	}
}
