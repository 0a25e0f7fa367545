package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake/intaketest"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

// waitLong waits up to 30 s for what a real Alertmanager sends on its own
// schedule (group_wait 1 s, group_interval 2 s).
func (h *harness) waitLong(what string, cond func() bool) {
	h.t.Helper()
	h.waitWithin(30*time.Second, what, cond)
}

// TestAlertmanager_EndToEndBot runs Debian's prometheus-alertmanager with
// its webhook pointed at the bot's hooks and fires alerts with amtool: a
// critical one declares an incident (one, however often Alertmanager sends
// the group), a warning one posts a triage message, and resolving them is
// recorded, suggested and never acted on.
func TestAlertmanager_EndToEndBot(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h)
	am := intaketest.StartAlertmanager(t, k.url+"/hooks/alertmanager", amToken)
	defer func() {
		if t.Failed() {
			t.Logf("alertmanager's log:\n%s", am.Log())
		}
	}()

	critA := []string{"E2ECheckoutDown", "service=checkout", "severity=critical", "instance=a"}
	critB := []string{"E2ECheckoutDown", "service=checkout", "severity=critical", "instance=b"}
	warn := []string{"E2EDiskFull", "service=db", "severity=warning", "instance=db-1"}
	am.Fire(t, critA, "summary=Checkout is down")
	am.Fire(t, warn, "summary=disk 91% on db-1")

	var inc *incident.Incident
	h.waitLong("the incident declared from the critical alert", func() bool {
		got, err := h.db.FindIncidentByID(context.Background(), 1)
		inc = got
		return err == nil && got.CardTS != ""
	})
	if !strings.HasPrefix(inc.Title, "E2ECheckoutDown (service=checkout)") || inc.Severity != "critical" || inc.Operator != "" {
		t.Errorf("incident %q severity %s operator %q", inc.Title, inc.Severity, inc.Operator)
	}
	h.waitCard(inc, "Alert", "Checkout is down", "1 firing")
	h.expectMessage(inc.ChannelID, "Declared from an alert", "E2ECheckoutDown")
	var triage slackfake.Message
	h.waitLong("the triage message of the warning", func() bool {
		m, ok := h.messageWith(k.triage, "E2EDiskFull (service=db)", "disk 91% on db-1")
		triage = m
		return ok
	})
	assertShows(t, "the triage message", triage, views.ActionTriageDeclare, views.ActionTriageLink, views.ActionTriageDismiss)

	// A second alert joins the critical group: counted on the incident.
	am.Fire(t, critB, "summary=Checkout is down")
	h.waitLong("the second alert on the card", func() bool {
		m := h.card(h.incident(1))
		return strings.Contains(render(m), "2 firing")
	})

	end := time.Now() // Alertmanager's clock is the real one
	am.Resolve(t, critA, end, "summary=Checkout is down")
	am.Resolve(t, critB, end, "summary=Checkout is down")
	h.waitLong("the suggestion to resolve", func() bool {
		_, ok := h.messageWith(inc.ChannelID, "Every alert of", "E2ECheckoutDown", "resolve the incident")
		return ok
	})
	h.expectMessage(inc.ChannelID, "Every alert of", "E2ECheckoutDown", "resolve the incident")
	evs := h.events(1)
	if n := count(evs, incident.EventAlertFired); n != 2 {
		t.Errorf("%d alert_fired events, want 2: %v", n, kinds(evs))
	}
	if n := count(evs, incident.EventAlertResolved); n != 2 {
		t.Errorf("%d alert_resolved events, want 2: %v", n, kinds(evs))
	}
	if got := h.incident(1); got.Status != incident.StatusInvestigating {
		t.Errorf("status %s: resolved alerts resolved the incident", got.Status)
	}

	h.click(h.bob, k.triage, triage.TS, views.ActionTriageDismiss)
	h.expectEphemeral(k.triage, h.bob, "Alert dismissed")
	h.expectEdited(k.triage, "E2EDiskFull", "dismissed it")
	h.settle()
	if incs, _ := h.db.FindIncidents(context.Background(), incident.Filter{}); len(incs) != 1 {
		t.Errorf("%d incidents, want 1", len(incs))
	}
	if n := len(h.fake.Messages(k.triage)); n != 1 {
		t.Errorf("%d triage messages, want 1", n)
	}
}
