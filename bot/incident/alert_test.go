package incident_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func firing(fp string) incident.AlertStatus {
	return incident.AlertStatus{Fingerprint: fp, Name: "CheckoutDown", Summary: "instance " + fp, Firing: true, Since: t0}
}

func resolved(fp string) incident.AlertStatus {
	a := firing(fp)
	a.Firing = false
	return a
}

func notice(alerts ...incident.AlertStatus) incident.AlertNotice {
	return incident.AlertNotice{Source: "alertmanager", Title: "CheckoutDown (service=checkout)", Summary: "Checkout is down",
		Route: incident.AlertRoute{Name: "page", Action: incident.AlertActionDeclare, Severity: "critical"}, Alerts: alerts}
}

func fingerprints(as []incident.AlertStatus) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Fingerprint)
	}
	return out
}

// TestAlertGroup_Receive follows one group through the notifications
// Alertmanager sends: each step's delta names exactly the alerts that
// changed, so retries and repeats add nothing to the timeline.
func TestAlertGroup_Receive(t *testing.T) {
	g := &incident.AlertGroup{Key: "alertmanager:k"}
	steps := []struct {
		name                  string
		n                     incident.AlertNotice
		ended                 bool
		state                 incident.AlertState // set by the caller after a New delta
		wantNew               bool
		wantFired, wantResolv []string
		wantAll               bool
		wantFiring, wantCount int
	}{
		{"first", notice(firing("a")), false, incident.AlertDeclared, true, []string{"a"}, nil, false, 1, 1},
		{"retry", notice(firing("a")), false, "", false, nil, nil, false, 1, 2},
		{"joins", notice(firing("a"), firing("b")), false, "", false, []string{"b"}, nil, false, 2, 3},
		{"one resolves", notice(resolved("a"), firing("b")), false, "", false, nil, []string{"a"}, false, 1, 4},
		{"resolution again", notice(resolved("a"), firing("b")), false, "", false, nil, nil, false, 1, 5},
		{"last resolves", notice(resolved("a"), resolved("b")), false, "", false, nil, []string{"b"}, true, 0, 6},
		{"fires again, incident open", notice(firing("a")), false, "", false, []string{"a"}, nil, false, 1, 7},
		{"all resolved again", notice(resolved("a")), false, "", false, nil, []string{"a"}, true, 0, 8},
		{"repeat after the incident ended", notice(resolved("a")), true, "", false, nil, nil, false, 0, 9},
		{"fires after the incident ended: a new episode", notice(firing("c")), true, incident.AlertTriage, true, []string{"c"}, nil, false, 1, 1},
	}
	for _, s := range steps {
		d := g.Receive(s.n, s.ended, t0.Add(time.Duration(g.Notifications)*time.Minute))
		if d.New != s.wantNew || !slices.Equal(fingerprints(d.Fired), s.wantFired) || !slices.Equal(fingerprints(d.Resolved), s.wantResolv) || d.AllResolved != s.wantAll {
			t.Errorf("%s: delta new=%v fired=%v resolved=%v all=%v; want %v %v %v %v", s.name,
				d.New, fingerprints(d.Fired), fingerprints(d.Resolved), d.AllResolved, s.wantNew, s.wantFired, s.wantResolv, s.wantAll)
		}
		if g.Firing() != s.wantFiring || g.Notifications != s.wantCount {
			t.Errorf("%s: firing %d, notifications %d; want %d, %d", s.name, g.Firing(), g.Notifications, s.wantFiring, s.wantCount)
		}
		if s.state != "" {
			g.State = s.state
		}
		if s.name == "first" {
			g.IncidentID = 7
		}
	}
	if g.Episode != 2 || g.Previous != 7 || g.IncidentID != 0 || len(g.Alerts) != 1 {
		t.Errorf("second episode: %+v", g)
	}
}

func TestAlertGroup_Settled(t *testing.T) {
	for _, tc := range []struct {
		state  incident.AlertState
		alerts []incident.AlertStatus
		ended  bool
		want   bool
	}{
		{incident.AlertDismissed, []incident.AlertStatus{resolved("a")}, false, true},
		{incident.AlertDismissed, []incident.AlertStatus{firing("a")}, false, false},
		{incident.AlertDeclared, []incident.AlertStatus{resolved("a")}, false, false},
		{incident.AlertDeclared, []incident.AlertStatus{resolved("a")}, true, true},
		{incident.AlertLinked, []incident.AlertStatus{resolved("a")}, true, true},
		{incident.AlertTriage, []incident.AlertStatus{resolved("a")}, true, false},
		{incident.AlertDismissed, nil, false, false},
	} {
		g := &incident.AlertGroup{State: tc.state, Alerts: tc.alerts}
		if got := g.Settled(tc.ended); got != tc.want {
			t.Errorf("%s with %v, ended %v: Settled = %v", tc.state, fingerprints(tc.alerts), tc.ended, got)
		}
	}
}

func TestAlertGroup_ReceiveBounds(t *testing.T) {
	t.Run("ResolvedNeverSeenFiring", func(t *testing.T) {
		g := &incident.AlertGroup{}
		g.Receive(notice(firing("a")), false, t0)
		g.State = incident.AlertTriage
		d := g.Receive(notice(firing("a"), resolved("b")), false, t0)
		if !d.Quiet() || len(g.Alerts) != 2 || g.Resolved() != 1 {
			t.Errorf("delta %+v, alerts %v", d, g.Alerts)
		}
	})
	t.Run("MaxGroupAlerts", func(t *testing.T) {
		var as []incident.AlertStatus
		for i := range incident.MaxGroupAlerts + 3 {
			as = append(as, firing(fmt.Sprint(i)))
		}
		g := &incident.AlertGroup{}
		d := g.Receive(notice(as...), false, t0)
		if len(g.Alerts) != incident.MaxGroupAlerts || g.Omitted != 3 || len(d.Fired) != incident.MaxGroupAlerts {
			t.Errorf("alerts %d omitted %d fired %d", len(g.Alerts), g.Omitted, len(d.Fired))
		}
		n := notice(firing("0"))
		n.Truncated = 40
		g.State = incident.AlertTriage
		g.Receive(n, false, t0)
		if g.Omitted != 40 {
			t.Errorf("omitted %d after a notice that left out 40", g.Omitted)
		}
	})
}

func TestDeclareFromAlert(t *testing.T) {
	p := incident.DefaultPolicy()
	g := &incident.AlertGroup{Key: "alertmanager:k"}
	g.Receive(notice(firing("a"), firing("b")), false, t0)
	g.Route.Type, g.Route.Playbook = "outage", "checkout-down"

	t.Run("ByIncidentbot", func(t *testing.T) {
		inc, evs, err := incident.DeclareFromAlert(p, incident.DeclareRequest{Title: g.Title, Severity: "critical"}, g, t0)
		if err != nil {
			t.Fatal(err)
		}
		if inc.DeclaredBy != "" || inc.Operator != "" || !inc.AcknowledgedAt.IsZero() {
			t.Errorf("declared by %q, operator %q, acknowledged %v: nobody has acknowledged an alert yet", inc.DeclaredBy, inc.Operator, inc.AcknowledgedAt)
		}
		if inc.Alert == nil || inc.Alert.Key != g.Key || inc.Alert.Firing != 2 || inc.Type != "outage" {
			t.Errorf("incident %+v alert %+v", inc, inc.Alert)
		}
		var kinds []incident.EventKind
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
			if e.Actor != "" {
				t.Errorf("event %s by %q, want incidentbot", e.Kind, e.Actor)
			}
		}
		want := []incident.EventKind{incident.EventDeclared, incident.EventAlertFired, incident.EventAlertFired}
		if !slices.Equal(kinds, want) {
			t.Errorf("events %v, want %v", kinds, want)
		}
		if f := evs[0].Fields; f["alert_source"] != "alertmanager" || f["type"] != "outage" {
			t.Errorf("declared fields %v", f)
		}
	})
	t.Run("ByIncidentbotWithOnCall", func(t *testing.T) {
		inc, evs, err := incident.DeclareFromAlert(p, incident.DeclareRequest{Title: g.Title, Operator: "UONCALL"}, g, t0)
		if err != nil {
			t.Fatal(err)
		}
		if inc.DeclaredBy != "" || inc.Operator != "UONCALL" || !inc.AcknowledgedAt.IsZero() {
			t.Errorf("declared by %q, operator %q, acknowledged %v: the on-call person leads, acknowledged when they answer", inc.DeclaredBy, inc.Operator, inc.AcknowledgedAt)
		}
		if evs[1].Kind != incident.EventRoleAssigned || evs[1].Field("to") != "UONCALL" || evs[1].Actor != "" {
			t.Errorf("events %+v", evs)
		}
	})
	t.Run("ByPerson", func(t *testing.T) {
		inc, evs, err := incident.DeclareFromAlert(p, incident.DeclareRequest{Title: g.Title, DeclaredBy: "U1", Operator: "U1"}, g, t0)
		if err != nil {
			t.Fatal(err)
		}
		if inc.Operator != "U1" || !inc.AcknowledgedAt.Equal(t0) || inc.Severity != p.DefaultSeverity {
			t.Errorf("incident %+v", inc)
		}
		if evs[1].Kind != incident.EventRoleAssigned || evs[1].Field("to") != "U1" {
			t.Errorf("events %+v", evs)
		}
	})
	t.Run("ErrSeverity", func(t *testing.T) {
		_, _, err := incident.DeclareFromAlert(p, incident.DeclareRequest{Title: g.Title, Severity: "sev9"}, g, t0)
		if incident.ErrorCode(err) != incident.EINVALID {
			t.Errorf("err = %v", err)
		}
	})
}

func TestIncident_ReceiveAlerts(t *testing.T) {
	p := incident.DefaultPolicy()
	g := &incident.AlertGroup{Key: "k"}
	g.Receive(notice(firing("a")), false, t0)
	inc, _, err := incident.DeclareFromAlert(p, incident.DeclareRequest{Title: "x"}, g, t0)
	if err != nil {
		t.Fatal(err)
	}
	g.State = incident.AlertDeclared
	d := g.Receive(notice(resolved("a")), false, t0.Add(time.Hour))
	evs := inc.ReceiveAlerts(p, g, d, t0.Add(time.Hour))
	if len(evs) != 1 || evs[0].Kind != incident.EventAlertResolved || evs[0].Field("all_resolved") != "true" {
		t.Errorf("events %+v", evs)
	}
	if inc.Status != incident.StatusInvestigating || !inc.ResolvedAt.IsZero() {
		t.Errorf("status %s: an alert resolving must never resolve the incident", inc.Status)
	}
	if inc.Alert.Firing != 0 || inc.Alert.Resolved != 1 || inc.Alert.Notifications != 2 {
		t.Errorf("alert ref %+v", inc.Alert)
	}
	// Another group's notification leaves the card's group in place.
	other := &incident.AlertGroup{Key: "other"}
	other.Receive(notice(firing("z")), false, t0)
	inc.ReceiveAlerts(p, other, incident.AlertDelta{}, t0)
	if inc.Alert.Key != "k" {
		t.Errorf("card shows group %s", inc.Alert.Key)
	}
}

func TestIncident_LinkAlerts(t *testing.T) {
	p := incident.DefaultPolicy()
	inc, _, _ := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1"}, t0)
	g := &incident.AlertGroup{Key: "k", Title: "DiskFull"}
	g.Receive(notice(firing("a")), false, t0)
	evs, err := inc.LinkAlerts(p, "U2", g, t0)
	if err != nil || len(evs) != 1 || evs[0].Kind != incident.EventAlertLinked || evs[0].Actor != "U2" || inc.Alert == nil {
		t.Fatalf("events %+v, err %v", evs, err)
	}
	inc.Status = incident.StatusClosed
	if _, err := inc.LinkAlerts(p, "U2", g, t0); incident.ErrorCode(err) != incident.ECONFLICT {
		t.Errorf("linking to a closed incident: %v", err)
	}
}
