package bot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

func deployBody(id, service, version string, at time.Time) []byte {
	b, _ := json.Marshal(map[string]string{"id": id, "service": service, "version": version, "environment": "production",
		"time": at.UTC().Format(time.RFC3339), "link": "https://ci.example/runs/" + id})
	return b
}

// TestCause_Deploy records deploys through the hook, points an incident's
// cause at one of them by version and through the form's picker, and
// reads the change failure rate back from /incident stats.
func TestCause_Deploy(t *testing.T) {
	h := newHarness(t)
	k := newHooks(t, h)
	now := h.clock.Now()
	for i, v := range []string{"v1.41.0", "v1.42.0", "v1.43.0"} {
		k.expect(t, "deploy", deployBody(fmt.Sprint("run-", i), "payments", v, now.Add(time.Duration(i-3)*time.Hour)), intake.OutcomeRecorded)
	}
	// The same run sent again is one deploy.
	k.expect(t, "deploy", deployBody("run-0", "payments", "v1.41.0", now.Add(-3*time.Hour)), intake.OutcomeRecorded)
	k.expect(t, "deploy", deployBody("run-9", "checkout", "v7", now.Add(-time.Hour)), intake.OutcomeRecorded)

	inc, _ := h.declare(h.alice, "--service payments Payments fail")
	if inc.Service != "payments" {
		t.Fatalf("service %q", inc.Service)
	}
	ack := h.slash(h.alice, inc.ChannelID, "cause --deploy v1.42.0 a bad query plan")
	if !strings.Contains(string(ack), "payments v1.42.0 to production") {
		t.Errorf("ack %s", ack)
	}
	h.waitCard(inc, "Service: payments", "Cause: change")
	ev := h.waitEvent(inc.ID, incident.EventCauseRecorded)
	if ev.Field("category") != "change" || ev.Text != "a bad query plan" || ev.Field("deploy") == "" {
		t.Errorf("event %+v", ev)
	}

	// A version the service never deployed.
	ack = h.slash(h.alice, inc.ChannelID, "cause --deploy v9.9.9")
	if !strings.Contains(string(ack), "No recent deploy of payments has the ID or version v9.9.9") {
		t.Errorf("ack %s", ack)
	}

	// The form offers the service's recent deploys, newest first.
	h.slash(h.alice, inc.ChannelID, "cause")
	v := h.topView(h.alice)
	if v.CallbackID != views.CallbackCause {
		t.Fatalf("opened %s", v.CallbackID)
	}
	raw, _ := json.Marshal(v.Blocks)
	form := string(raw)
	for _, want := range []string{"v1.43.0 to production", "v1.42.0 to production", "v1.41.0 to production", "None of these"} {
		if !strings.Contains(form, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	if strings.Contains(form, "v7") {
		t.Error("the form offers another service's deploy")
	}
	recent, err := h.db.RecentDeploys(h.ctx(), "payments", 10)
	if err != nil || len(recent) != 3 || recent[2].Version != "v1.41.0" {
		t.Fatalf("recent deploys %+v, %v", recent, err)
	}
	d := recent[2].Key
	h.submit(h.alice, v, map[string]string{views.InputCauseCategory: "change", views.InputCauseDeploy: d})
	h.waitFor("the cause to point at v1.41.0", func() bool { return h.incident(inc.ID).CauseDeploy == d })
	if c := h.incident(inc.ID).Cause; c != "a bad query plan" {
		t.Errorf("the form without text changed the cause to %q", c)
	}

	// Another incident of checkout, caused by nothing deployed.
	other, _ := h.declare(h.bob, "--sev minor Checkout slow")
	h.slash(h.bob, other.ChannelID, "service checkout")
	h.slash(h.bob, other.ChannelID, "cause --category capacity traffic doubled")
	h.waitFor("checkout's cause", func() bool { return h.incident(other.ID).CauseCategory == incident.CauseCapacity })

	ack = h.slash(h.carol, h.general, "stats --since 7d")
	for _, want := range []string{"Incidents since", "Change failure rate", "25% (1 of 4 deploys)", "payments: 33% (1 of 3)", "checkout: 0% (0 of 1)", "major 1", "minor 1"} {
		if !strings.Contains(string(ack), want) {
			t.Errorf("stats lack %q:\n%s", want, ack)
		}
	}
	ack = h.slash(h.carol, h.general, "stats --service PAYMENTS")
	if !strings.Contains(string(ack), "33% (1 of 3 deploys)") || !strings.Contains(string(ack), "payments (private incidents left out)") {
		t.Errorf("stats of payments:\n%s", ack)
	}
	ack = h.slash(h.carol, h.general, "stats --since forever")
	if !strings.Contains(string(ack), "--since takes a number of days") {
		t.Errorf("bad --since: %s", ack)
	}
}

// TestService_DeclareFormAndCommand sets the service through the declare
// form and /incident service, with the form refusing markup.
func TestService_DeclareFormAndCommand(t *testing.T) {
	h := newHarness(t)
	h.slash(h.alice, h.general, "declare --service checkout")
	v := h.topView(h.alice)
	raw, _ := json.Marshal(v.Blocks)
	if !strings.Contains(string(raw), `"initial_value":"checkout"`) {
		t.Errorf("the form does not carry the service: %s", raw)
	}
	ack := h.submit(h.alice, v, map[string]string{views.InputTitle: "Cart empty", views.InputOperator: h.alice, views.InputService: "<@U1>"})
	if !strings.Contains(string(ack), "plain name") {
		t.Fatalf("ack %s", ack)
	}
	h.submit(h.alice, v, map[string]string{views.InputTitle: "Cart empty", views.InputOperator: h.alice, views.InputService: "cart"})
	inc, _ := h.declare(h.alice, "")
	if inc.Service != "cart" {
		t.Errorf("service %q", inc.Service)
	}
	h.slash(h.alice, inc.ChannelID, "service cart-api")
	h.waitCard(inc, "Service: cart-api")
	ev := h.waitEvent(inc.ID, incident.EventServiceSet)
	if ev.Field("from") != "cart" || ev.Field("to") != "cart-api" {
		t.Errorf("event %+v", ev)
	}
	ack = h.slash(h.alice, inc.ChannelID, "timeline")
	if !strings.Contains(string(ack), "set the service to cart-api") {
		t.Errorf("timeline %s", ack)
	}
}

// TestStats_Chart asks for the figures with --chart: the ack carries the
// figures at once, and a PNG of incidents per week lands in the person's
// DM, once.
func TestStats_Chart(t *testing.T) {
	h := newHarness(t)
	h.declare(h.alice, "--sev critical Checkout down")
	h.declare(h.alice, "--sev minor Search slow")
	ack := h.slash(h.carol, h.general, "stats --since 3w --chart")
	if !strings.Contains(string(ack), "on its way to your DM") || !strings.Contains(string(ack), "critical 1") {
		t.Fatalf("ack %s", ack)
	}
	var file slackfake.File
	h.waitFor("the chart in Carol's DM", func() bool {
		for _, f := range h.fake.Files() {
			if strings.HasPrefix(f.Title, "Incidents per week") {
				file = f
				return true
			}
		}
		return false
	})
	img, err := png.Decode(bytes.NewReader(file.Content))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	// Three weeks and a bit: four bars.
	if w := img.Bounds().Dx(); w != 2*12+4*(24+8)-8 {
		t.Errorf("chart width %d", w)
	}
	h.expectDM(h.carol, "Incidents declared per week", "red critical")
	h.settle()
	n := 0
	for _, f := range h.fake.Files() {
		if strings.HasPrefix(f.Title, "Incidents per week") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d charts uploaded", n)
	}
	// Without incidents in the window there is nothing to draw.
	ack = h.slash(h.carol, h.general, "stats --since 2026-01-01 --service nothing --chart")
	if !strings.Contains(string(ack), "no chart") {
		t.Errorf("ack %s", ack)
	}
}
