package intake_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/intake/intaketest"
)

// waitBatch returns the next batch the sink stores, failing after 30s.
func waitBatch(t *testing.T, ts *testServer, what string) intake.Batch {
	t.Helper()
	select {
	case b := <-ts.sink.got:
		return b
	case <-time.After(30 * time.Second):
		t.Fatalf("no webhook from alertmanager within 30s: %s", what)
	}
	return intake.Batch{}
}

// TestAlertmanager_EndToEnd fires and resolves alerts in a real
// Alertmanager whose webhook points at the handler, and checks that the
// sink sees each alert fire once and resolve once, in one group.
func TestAlertmanager_EndToEnd(t *testing.T) {
	ts := MustServe(t, testConfig())
	am := intaketest.StartAlertmanager(t, ts.URL+"/hooks/alertmanager", amToken)

	labelsA := []string{"E2ECheckoutDown", "service=checkout", "severity=critical", "instance=a"}
	labelsB := []string{"E2ECheckoutDown", "service=checkout", "severity=critical", "instance=b"}
	summary := "summary=Checkout is down"

	am.Fire(t, labelsA, summary)
	first := waitBatch(t, ts, "the first firing alert")
	if len(first.Alerts) != 1 || !first.Alerts[0].Firing() || first.Alerts[0].Labels["instance"] != "a" {
		t.Fatalf("first batch = %+v", first.Alerts)
	}
	a := first.Alerts[0]
	if a.Summary != "Checkout is down" || a.Severity != "critical" || !a.EndsAt.IsZero() || a.Fingerprint == "" {
		t.Errorf("alert = %+v", a)
	}
	if first.Route.Name != "page" || first.Receiver != "incidentbot" ||
		first.GroupKey != `{}:{alertname="E2ECheckoutDown", service="checkout"}` {
		t.Errorf("batch: route %q receiver %q groupKey %q", first.Route.Name, first.Receiver, first.GroupKey)
	}

	// The same alert again changes nothing; a second alert joins the group.
	am.Fire(t, labelsA, summary)
	am.Fire(t, labelsB, summary)
	second := waitBatch(t, ts, "the group with its second alert")
	if second.Key != first.Key || len(second.Firing()) != 2 {
		t.Fatalf("second batch: key %s (first %s), %d firing", second.Key, first.Key, len(second.Firing()))
	}

	end := time.Now() // Alertmanager's clock: the real one
	am.Resolve(t, labelsA, end, summary)
	am.Resolve(t, labelsB, end, summary)
	for b := waitBatch(t, ts, "the resolution"); !b.AllResolved(); b = waitBatch(t, ts, "the resolution of both alerts") {
		if b.Key != first.Key {
			t.Fatalf("a batch of another group: %s", b.Key)
		}
	}

	batches, groups, transitions := ts.sink.snapshot()
	if groups != 1 {
		t.Errorf("groups = %d, want 1", groups)
	}
	fpB := second.Alerts[slices.IndexFunc(second.Alerts, func(x intake.Alert) bool { return x.Labels["instance"] == "b" })].Fingerprint
	if len(transitions) != 4 || transitions[0] != a.Fingerprint+" firing" || transitions[1] != fpB+" firing" ||
		!slices.Contains(transitions[2:], a.Fingerprint+" resolved") || !slices.Contains(transitions[2:], fpB+" resolved") {
		t.Errorf("transitions = %v; want a and b (%s, %s) to fire once and then resolve once", transitions, a.Fingerprint, fpB)
	}
	ts.waitObserved(t, len(batches))
	var outcomes []string
	for _, o := range ts.observations() {
		outcomes = append(outcomes, fmt.Sprintf("%d %s", o.Code, o.Outcome))
	}
	if len(outcomes) != len(batches) || outcomes[0] != "200 declared" || outcomes[1] != "200 repeat" || outcomes[len(outcomes)-1] != "200 resolved" {
		t.Errorf("outcomes = %v for %d batches", outcomes, len(batches))
	}
	last := batches[len(batches)-1]
	for _, x := range last.Alerts {
		if x.EndsAt.IsZero() || x.EndsAt.Before(x.StartsAt) {
			t.Errorf("resolved alert %s: starts %v ends %v", x.Fingerprint, x.StartsAt, x.EndsAt)
		}
	}
}
