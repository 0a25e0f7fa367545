package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/views"
)

// TestOncall_AlertPagesTheOnCallOperator: an alert route declares an
// incident on its own, and whoever is on call leads it and is paged, as
// when a person declares; the time to acknowledge is their click, and the
// war room is not asked for an operator it has.
func TestOncall_AlertPagesTheOnCallOperator(t *testing.T) {
	h := newOncallHarness(t)
	k := newHooks(t, h.harness)
	declared := h.clock.Now()
	k.expect(t, "alertmanager", fixture(t, "alertmanager_firing.json"), intake.OutcomeDeclared)
	h.waitFor("the war room of the alert's incident", func() bool {
		inc, err := h.db.FindIncidentByID(context.Background(), 1)
		return err == nil && inc.CardTS != ""
	})
	inc := h.onlyIncident()
	if inc.Operator != h.bob || inc.DeclaredBy != "" || !inc.AcknowledgedAt.IsZero() {
		t.Fatalf("operator %q declarer %q acknowledged %v: want bob, on call in primary, not yet acknowledged", inc.Operator, inc.DeclaredBy, inc.AcknowledgedAt)
	}
	if ch, ok := h.fake.Channel(inc.ChannelID); !ok || !slices.Contains(ch.Members, h.bob) {
		t.Errorf("bob is not in the war room: %+v", ch.Members)
	}
	page := h.expectDM(h.bob, "You are paged", "HighErrorRate", "Acknowledge")
	h.expectMessage(inc.ChannelID, "Paging <@"+h.bob+">", "5m to acknowledge")
	room := h.expectMessage(inc.ChannelID, "Declared from an alert", "HighErrorRate")
	if strings.Contains(render(room), "Nobody leads this incident yet") {
		t.Errorf("the alert message asks for an operator the incident has: %s", render(room))
	}
	// Bob leads, so he is asked for a spokesperson as any operator is.
	h.expectMessage(inc.ChannelID, "<@"+h.bob+">, please choose a *spokesperson*")
	if n := h.countDMs(h.bob, "You are the operator"); n != 0 {
		t.Errorf("bob got the role DM as well as the page")
	}
	if got := kinds(h.events(inc.ID)); !slices.Contains(got, incident.EventRoleAssigned) {
		t.Errorf("the timeline does not say who leads: %v", got)
	}

	h.clock.Add(4 * time.Minute)
	h.click(h.bob, page.Channel, page.TS, views.ActionPageAck)
	h.waitEvent(inc.ID, incident.EventPageAcknowledged)
	h.expectMessage(inc.ChannelID, "<@"+h.bob+"> acknowledged the page after 4m")
	h.expectEphemeral(page.Channel, h.bob, "You acknowledged the page for incident #1")
	if got := h.incident(inc.ID); !got.AcknowledgedAt.Equal(declared.Add(4 * time.Minute)) {
		t.Errorf("acknowledged at %v, want the click, 4m after the alert", got.AcknowledgedAt)
	}
	// The announcement of the alert's incident and the alert lines are
	// what TestIntake_AlertmanagerDeclare checks.
	h.ignore("", "HighErrorRate")
}

// TestOncall_DeclareFormProposesTheOnCallOperator: the declare form
// proposes whoever is on call as operator, as a one-line declare makes
// them; submitted as proposed, they lead and are paged.
func TestOncall_DeclareFormProposesTheOnCallOperator(t *testing.T) {
	h := newOncallHarness(t)
	h.slash(h.alice, h.general, "declare")
	v := h.topView(h.alice)
	if raw := string(v.Raw); !strings.Contains(raw, `"initial_user":"`+h.bob+`"`) {
		t.Fatalf("the form does not propose bob, on call in primary: %s", raw)
	}
	h.submit(h.alice, v, map[string]string{views.InputTitle: "Search is down", views.InputOperator: h.bob})
	inc, _ := h.declare(h.alice, "")
	if inc.Operator != h.bob || !inc.AcknowledgedAt.IsZero() {
		t.Fatalf("operator %q acknowledged %v: want bob, paged, not yet acknowledged", inc.Operator, inc.AcknowledgedAt)
	}
	h.expectDM(h.bob, "You are paged", "Search is down", "Acknowledge")
}
