package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/intake/intaketest"
	"github.com/incidentbot/incidentbot/bot/views"
)

const (
	amToken      = "am-token-0123456789abcdef"
	grafanaToken = "grafana-token-0123456789"
	genericToken = "generic-token-012345678"
	deployToken  = "deploy-token-0123456789"
)

// appSink hands what the hooks accept to the harness's bot of the moment,
// so that a restart keeps the hooks' server.
type appSink struct{ h *harness }

func (s appSink) Alerts(ctx context.Context, b intake.Batch) (intake.Result, error) {
	return s.h.app.Alerts(ctx, b)
}

func (s appSink) Deploy(ctx context.Context, d intake.Deploy) error { return s.h.app.Deploy(ctx, d) }

// hooks is the intake of a harness's bot, served on 127.0.0.1.
type hooks struct {
	h      *harness
	url    string
	triage string // the triage channel
}

// newHooks serves the alert and deploy hooks of h's bot with one route,
// "page" (severity critical: declare), and
// everything else triaged in #alerts-triage.
func newHooks(t *testing.T, h *harness, mod ...func(*intake.Config)) *hooks {
	t.Helper()
	triage, err := h.fake.CreateChannel(h.alice, "alerts-triage", false, h.alice, h.bob, h.carol, h.admin)
	if err != nil {
		t.Fatal(err)
	}
	c := intake.Default()
	c.Hooks = intake.HooksConfig{
		Alertmanager: intake.BearerHookConfig{Token: amToken},
		Grafana:      intake.BearerHookConfig{Token: grafanaToken},
		Generic:      intake.HookConfig{Token: genericToken},
		Deploy:       intake.HookConfig{Token: deployToken},
	}
	c.TriageChannel = triage
	c.Routes = []intake.RouteConfig{{Name: "page", Matchers: []string{`severity="critical"`}, Action: intake.ActionDeclare}}
	for _, m := range mod {
		m(&c)
	}
	handler, err := intake.New(intake.Options{Config: c, Sink: appSink{h}, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &hooks{h: h, url: srv.URL, triage: triage}
}

// post sends body to hook and returns the status and the JSON answer.
func (k *hooks) post(t *testing.T, hook string, body []byte) (int, map[string]string) {
	t.Helper()
	token := map[string]string{"alertmanager": amToken, "grafana": grafanaToken, "generic": genericToken, "deploy": deployToken}[hook]
	code, body, err := intaketest.Post(http.DefaultClient, k.url+"/hooks/"+hook, token, body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return code, out
}

// expect posts body and checks the outcome.
func (k *hooks) expect(t *testing.T, hook string, body []byte, outcome intake.Outcome) map[string]string {
	t.Helper()
	code, out := k.post(t, hook, body)
	if code != http.StatusOK || out["outcome"] != string(outcome) {
		t.Fatalf("POST /hooks/%s: %d %v, want 200 %s", hook, code, out, outcome)
	}
	return out
}

// fixture reads a payload captured from the real Alertmanager (or written
// from Grafana's documentation, for the SYNTHETIC ones).
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("intake", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// onlyIncident returns the one incident of the store.
func (h *harness) onlyIncident() *incident.Incident {
	h.t.Helper()
	incs, err := h.db.FindIncidents(context.Background(), incident.Filter{})
	if err != nil || len(incs) != 1 {
		h.t.Fatalf("incidents: %d, %v; want 1", len(incs), err)
	}
	return incs[0]
}

func kinds(evs []incident.Event) []incident.EventKind {
	var out []incident.EventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func count(evs []incident.Event, kind incident.EventKind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// TestIntake_AlertmanagerDeclare posts the payloads captured from the real
// Alertmanager to a declare route: the first opens an incident with the
// alert on its card and timeline, a repeat is counted on the card, the
// resolution goes on the timeline with a suggestion to resolve, and the
// incident stays open.
func TestIntake_AlertmanagerDeclare(t *testing.T) {
	h := newHarness(t, withPlaybooks(t, nil))
	// The route names the incident's type and a playbook to run besides
	// those the type and severity call for.
	k := newHooks(t, h, func(c *intake.Config) { c.Routes[0].Type, c.Routes[0].Playbook = "data-loss", "third-party" })
	out := k.expect(t, "alertmanager", fixture(t, "alertmanager_firing.json"), intake.OutcomeDeclared)
	if out["ref"] != "incident 1" || !strings.HasPrefix(out["key"], "alertmanager:") {
		t.Errorf("answer %v", out)
	}
	h.waitFor("the war room of the alert's incident", func() bool {
		inc, err := h.db.FindIncidentByID(context.Background(), 1)
		return err == nil && inc.CardTS != ""
	})
	inc := h.onlyIncident()
	if inc.Operator != "" || inc.DeclaredBy != "" || inc.Severity != "critical" || inc.Type != "data-loss" || !slices.Contains(inc.Playbooks, "third-party") || !slices.Contains(inc.Playbooks, "data-loss") {
		t.Errorf("incident: operator %q declarer %q severity %s type %q playbooks %q", inc.Operator, inc.DeclaredBy, inc.Severity, inc.Type, inc.Playbooks)
	}
	if !strings.HasPrefix(inc.Title, "HighErrorRate (service=payments)") {
		t.Errorf("title %q", inc.Title)
	}
	h.waitCard(inc, "Alert", "alertmanager", "Error rate above 5%", "1 firing", "Type: data-loss", "Playbooks:", "third-party")
	room := h.expectMessage(inc.ChannelID, "Declared from an alert", "HighErrorRate", "take the *operator* role")
	if strings.Contains(room.Text, "#0") {
		t.Errorf("the alert message names an incident the store had not numbered yet: %q", room.Text)
	}
	assertShows(t, "the alert message", room, views.ActionAssignRole)
	h.expectMessage(h.announce, "Incident #1 declared", "HighErrorRate")
	if got := kinds(h.events(1)); len(got) < 2 || got[0] != incident.EventDeclared || got[1] != incident.EventAlertFired {
		t.Errorf("timeline %v", got)
	}

	// Alertmanager sends the group again (a repeat, or a retry).
	k.expect(t, "alertmanager", fixture(t, "alertmanager_firing.json"), intake.OutcomeRepeat)
	h.waitCard(inc, "notified 2 times")
	if n := count(h.events(1), incident.EventAlertFired); n != 1 {
		t.Errorf("%d alert_fired events after a repeat", n)
	}

	k.expect(t, "alertmanager", fixture(t, "alertmanager_resolved.json"), intake.OutcomeResolved)
	h.expectMessage(inc.ChannelID, "Every alert of", "HighErrorRate", "resolve the incident")
	h.waitCard(inc, "0 firing, 1 resolved")
	k.expect(t, "alertmanager", fixture(t, "alertmanager_resolved.json"), intake.OutcomeRepeat)
	h.settle()
	evs := h.events(1)
	if count(evs, incident.EventAlertResolved) != 1 {
		t.Errorf("timeline %v: want one alert_resolved", kinds(evs))
	}
	if inc := h.incident(1); inc.Status != incident.StatusInvestigating {
		t.Errorf("status %s: an alert never resolves an incident", inc.Status)
	}
	if incs, _ := h.db.FindIncidents(context.Background(), incident.Filter{}); len(incs) != 1 {
		t.Errorf("%d incidents for one group", len(incs))
	}

	// Someone takes the lead: time to acknowledge ends there.
	h.slash(h.bob, inc.ChannelID, "role operator <@"+h.bob+"|bob>")
	h.waitFor("bob to be operator", func() bool { return h.incident(1).Operator == h.bob })
	h.expectMessage(inc.ChannelID, "Incident #1 needs roles filled")
	h.expectMessage(inc.ChannelID, "<@"+h.bob+"> is now the *operator*")
	if inc := h.incident(1); inc.AcknowledgedAt.IsZero() {
		t.Error("taking the operator role did not acknowledge the incident")
	}
}

// TestIntake_Triage posts a group that no route declares: a triage message
// with Declare, Link to incident and Dismiss, counted on in place; Declare
// opens the incident once.
func TestIntake_Triage(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h)
	k.expect(t, "alertmanager", fixture(t, "alertmanager_group_mixed.json"), intake.OutcomeTriaged)
	msg := h.expectMessage(k.triage, "DiskFull (service=db)", "disk 95% on db-2", "1 firing, 1 resolved", "notified once")
	assertShows(t, "the triage message", msg, views.ActionTriageDeclare, views.ActionTriageLink, views.ActionTriageDismiss)

	k.expect(t, "alertmanager", fixture(t, "alertmanager_group_mixed.json"), intake.OutcomeRepeat)
	h.expectEdited(k.triage, "DiskFull", "notified 2 times")
	if n := len(h.fake.Messages(k.triage)); n != 1 {
		t.Errorf("%d messages in the triage channel, want the one updated", n)
	}

	// Carol and Bob click Declare at once: one incident, and the second
	// is told.
	carol, err := h.fake.ClickButton(h.carol, k.triage, msg.TS, views.ActionTriageDeclare)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := h.fake.ClickButton(h.bob, k.triage, msg.TS, views.ActionTriageDeclare)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []interface {
		Wait(context.Context) (json.RawMessage, error)
	}{carol, bob} {
		if _, err := d.Wait(h.ctx()); err != nil {
			t.Fatal(err)
		}
	}
	h.waitFor("the incident declared from the triage message", func() bool {
		inc, err := h.db.FindIncidentByID(context.Background(), 1)
		return err == nil && inc.CardTS != ""
	})
	inc := h.onlyIncident()
	first, second := h.carol, h.bob
	if inc.DeclaredBy == h.bob {
		first, second = h.bob, h.carol
	}
	h.expectEphemeral(k.triage, second, "This alert is already incident #1.")
	if inc.Operator != first || inc.DeclaredBy != first || inc.Alert == nil || inc.Severity != "major" {
		t.Errorf("incident: operator %s declarer %s severity %s alert %+v", inc.Operator, inc.DeclaredBy, inc.Severity, inc.Alert)
	}
	h.expectEdited(k.triage, "declared incident #1")
	h.expectEphemeral(k.triage, first, "Declaring the incident")
	// The second click is told "Declaring…" only when its check ran before
	// the first declaration was stored; either way it then hears that the
	// alert is already incident #1 (expected above).
	h.ignore(k.triage, "Declaring the incident")
	h.expectMessage(inc.ChannelID, "Declared from an alert", "DiskFull")
	// The message has no buttons left; a click on an old copy is refused.
	if m, _ := h.messageWith(k.triage, "declared incident #1"); strings.Contains(render(m), views.ActionTriageDeclare) {
		t.Error("the decided triage message still offers Declare")
	}

	// The group goes on: its alerts join the incident's timeline.
	k.expect(t, "alertmanager", fixture(t, "alertmanager_group_mixed.json"), intake.OutcomeRepeat)
	h.settle()
	if incs, _ := h.db.FindIncidents(context.Background(), incident.Filter{}); len(incs) != 1 {
		t.Errorf("%d incidents", len(incs))
	}
}

func genericAlert(fingerprint, status, severity string) []byte {
	b, _ := json.Marshal(map[string]any{"source": "uptime-kuma", "fingerprint": fingerprint, "status": status, "title": "Health check " + fingerprint,
		"severity": severity, "labels": map[string]string{"service": "api"}})
	return b
}

// TestIntake_TriageDismissAndLink dismisses one group and links another
// to an open incident through the form.
func TestIntake_TriageDismissAndLink(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h)
	k.expect(t, "generic", genericAlert("one", "firing", "warning"), intake.OutcomeTriaged)
	one := h.expectMessage(k.triage, "Health check one")
	h.click(h.bob, k.triage, one.TS, views.ActionTriageDismiss)
	h.expectEdited(k.triage, "Health check one", "dismissed it")
	h.expectEphemeral(k.triage, h.bob, "Alert dismissed")
	k.expect(t, "generic", genericAlert("one", "firing", "warning"), intake.OutcomeIgnored)
	// Resolved, then firing again: a new episode, triaged anew.
	k.expect(t, "generic", genericAlert("one", "resolved", "warning"), intake.OutcomeIgnored)
	k.expect(t, "generic", genericAlert("one", "firing", "warning"), intake.OutcomeTriaged)
	h.expectMessage(k.triage, "Health check one", "notified once")

	inc, _ := h.declare(h.alice, "--sev minor API slow")
	k.expect(t, "generic", genericAlert("two", "firing", "warning"), intake.OutcomeTriaged)
	two := h.expectMessage(k.triage, "Health check two")
	h.click(h.carol, k.triage, two.TS, views.ActionTriageLink)
	v := h.topView(h.carol)
	if v.CallbackID != views.CallbackTriageLink {
		t.Fatalf("opened %s", v.CallbackID)
	}
	h.submit(h.carol, v, map[string]string{views.InputLinkIncident: views.Value(inc.ID)})
	h.expectEdited(k.triage, "Health check two", "linked it to incident #1")
	h.expectMessage(inc.ChannelID, "linked the alert", "Health check two")
	h.waitEvent(inc.ID, incident.EventAlertLinked)
	k.expect(t, "generic", genericAlert("two", "resolved", "warning"), intake.OutcomeResolved)
	h.waitEvent(inc.ID, incident.EventAlertResolved)
	h.expectMessage(inc.ChannelID, "Every alert of", "Health check two")
	h.waitCard(inc, "Alert", "Health check two")
}

// TestIntake_Grafana routes Grafana's webhook (payloads written from its
// documentation) by its labels.
func TestIntake_Grafana(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h, func(c *intake.Config) {
		c.Routes = []intake.RouteConfig{{Name: "grafana-page", Sources: []string{"grafana"}, Action: intake.ActionDeclare, Severity: "minor"}}
	})
	k.expect(t, "grafana", fixture(t, "grafana_firing.SYNTHETIC.json"), intake.OutcomeDeclared)
	h.waitFor("the war room", func() bool {
		inc, err := h.db.FindIncidentByID(context.Background(), 1)
		return err == nil && inc.CardTS != ""
	})
	inc := h.onlyIncident()
	if inc.Severity != "minor" || inc.Alert == nil || inc.Alert.Source != "grafana" {
		t.Errorf("incident %+v alert %+v", inc, inc.Alert)
	}
	h.expectMessage(inc.ChannelID, "Declared from an alert", "grafana")
	k.expect(t, "grafana", fixture(t, "grafana_resolved.SYNTHETIC.json"), intake.OutcomeResolved)
	h.waitEvent(1, incident.EventAlertResolved)
	h.expectMessage(inc.ChannelID, "Every alert of")
}

// TestIntake_RouteSeverityUnknown answers 422 when a route names a
// severity the policy does not have, and stores nothing.
func TestIntake_RouteSeverityUnknown(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h, func(c *intake.Config) { c.Routes[0].Severity = "sev0" })
	code, out := k.post(t, "alertmanager", fixture(t, "alertmanager_firing.json"))
	if code != http.StatusUnprocessableEntity || !strings.Contains(out["error"], "sev0") {
		t.Fatalf("%d %v", code, out)
	}
	if incs, _ := h.db.FindIncidents(context.Background(), incident.Filter{}); len(incs) != 0 {
		t.Errorf("%d incidents", len(incs))
	}
}

// TestIntake_Fixtures posts every payload captured from the real
// Alertmanager (and Grafana's, from its documentation), in the order
// Alertmanager sent them, and checks what each became.
func TestIntake_Fixtures(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h)
	for _, step := range []struct {
		hook, file string
		want       intake.Outcome
	}{
		// A real Prometheus rule: warning, triaged, then resolved.
		{"alertmanager", "alertmanager_prometheus_firing.json", intake.OutcomeTriaged},
		{"alertmanager", "alertmanager_prometheus_resolved.json", intake.OutcomeResolved},
		// Critical: declared; resolved.
		{"alertmanager", "alertmanager_firing.json", intake.OutcomeDeclared},
		{"alertmanager", "alertmanager_resolved.json", intake.OutcomeResolved},
		// A group with one alert resolved and one firing, then the firing
		// one resolved by Alertmanager's resolve_timeout.
		{"alertmanager", "alertmanager_group_mixed.json", intake.OutcomeTriaged},
		{"alertmanager", "alertmanager_resolved_by_timeout.json", intake.OutcomeResolved},
		// Grafana's: critical, declared.
		{"grafana", "grafana_firing.SYNTHETIC.json", intake.OutcomeDeclared},
		{"grafana", "grafana_resolved.SYNTHETIC.json", intake.OutcomeResolved},
	} {
		k.expect(t, step.hook, fixture(t, step.file), step.want)
	}
	h.settle()
	msgs := h.fake.Messages(k.triage)
	if len(msgs) != 2 {
		t.Fatalf("%d triage messages, want 2", len(msgs))
	}
	for _, m := range msgs {
		if !strings.Contains(render(m), "0 firing") {
			t.Errorf("triage message not updated to resolved:\n%s", render(m))
		}
	}
	h.markConsumed("the check above", msgs...)
	incs, _ := h.db.FindIncidents(context.Background(), incident.Filter{})
	if len(incs) != 2 {
		t.Errorf("%d incidents, want 2", len(incs))
	}
	for _, inc := range incs {
		h.expectMessage(inc.ChannelID, "Declared from an alert")
		h.expectMessage(inc.ChannelID, "Every alert of")
	}
}

// TestIntake_LinkToPrivate links a triaged group to a private incident:
// the triage channel is not told which.
func TestIntake_LinkToPrivate(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h)
	inc, _ := h.declare(h.alice, "--private Suspicious logins")
	k.expect(t, "generic", genericAlert("logins", "firing", "warning"), intake.OutcomeTriaged)
	msg := h.expectMessage(k.triage, "Health check logins")
	h.click(h.alice, k.triage, msg.TS, views.ActionTriageLink)
	v := h.topView(h.alice)
	h.submit(h.alice, v, map[string]string{views.InputLinkIncident: views.Value(inc.ID)})
	h.expectEdited(k.triage, "Health check logins", "linked it to a private incident")
	h.waitEvent(inc.ID, incident.EventAlertLinked)
	h.expectMessage(inc.ChannelID, "linked the alert", "Health check logins")
	for _, m := range h.fake.Messages(k.triage) {
		if strings.Contains(render(m), "#1") {
			t.Errorf("the triage channel names the private incident: %s", render(m))
		}
	}
	// Someone who cannot see it is not offered it, and cannot link to it.
	k.expect(t, "generic", genericAlert("other", "firing", "warning"), intake.OutcomeTriaged)
	other := h.expectMessage(k.triage, "Health check other")
	h.click(h.carol, k.triage, other.TS, views.ActionTriageLink)
	v = h.topView(h.carol)
	raw, _ := json.Marshal(v.Blocks)
	if strings.Contains(string(raw), "Suspicious") {
		t.Errorf("the link form offers a private incident to an outsider: %s", raw)
	}
}
