package incident_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDeclare_Drill(t *testing.T) {
	p := MustCrewPolicy(t)
	inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "Practice: payments down", DeclaredBy: op, Drill: true}, t0)
	MustOK(t, err)
	MustKinds(t, evs, incident.EventDeclared)
	if !inc.Drill || inc.Operator != "" || !inc.AcknowledgedAt.IsZero() || evs[0].Field("drill") != "true" {
		t.Fatalf("drill %+v", inc)
	}
	// The facilitator may name an operator.
	inc, evs, err = incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: op, Operator: bob, Drill: true}, t0)
	MustOK(t, err)
	MustKinds(t, evs, incident.EventDeclared, incident.EventRoleAssigned)
	if inc.Operator != bob {
		t.Errorf("operator %q", inc.Operator)
	}
}

// MustDrillEvents plays a drill: declared at t0, operator after 2m,
// spokesperson after 5m, an update on time at 10m and a late one at 50m,
// two of three steps ticked, resolved at 1h.
func MustDrillEvents(t *testing.T, p incident.Policy) (*incident.Incident, []incident.Event) {
	t.Helper()
	inc, all, err := incident.Declare(p, incident.DeclareRequest{Title: "Drill", DeclaredBy: admin, Drill: true}, t0)
	MustOK(t, err)
	inc.ID = 3
	add := func(evs []incident.Event, err error) {
		t.Helper()
		MustOK(t, err)
		all = append(all, evs...)
	}
	_, evs := inc.RunPlaybooks(p, admin, []incident.PlaybookRun{generalRun}, incident.TriggerDeclare, t0)
	all = append(all, evs...)
	add(inc.AssignRole(p, op, incident.RoleOperator, op, false, true, at(2*time.Minute)))
	add(inc.AssignRole(p, op, incident.RoleSpokesperson, sp, false, true, at(5*time.Minute)))
	add(inc.PostUpdate(p, sp, incident.Update{Text: "looking"}, at(10*time.Minute)))
	add(inc.PostUpdate(p, sp, incident.Update{Text: "still looking"}, at(50*time.Minute)))
	for _, id := range []string{"general/confirm-impact", "general/confirm-recovery"} {
		_, evs, err := inc.SetStep(p, op, id, true, at(55*time.Minute))
		add(evs, err)
	}
	add(inc.ResolveChecked(p, op, "done", false, at(time.Hour)))
	return inc, all
}

func TestScore(t *testing.T) {
	p := MustCrewPolicy(t)
	inc, evs := MustDrillEvents(t, p)
	got := incident.Score(inc, evs)
	want := incident.Scorecard{Incident: 3, Title: "Drill", DeclaredAt: t0, Playbooks: []string{"general"},
		TimeToOperator: 2 * time.Minute, TimeToSpokesperson: 5 * time.Minute, TimeToFirstUpdate: 10 * time.Minute, TimeToResolve: time.Hour,
		UpdatesOnTime: 1, UpdatesLate: 1, StepsDone: 2, Steps: 3, RequiredDone: 2, Required: 2}
	if !equalCards(got, want) {
		t.Errorf("Score =\n%+v\nwant\n%+v", got, want)
	}
	// A drill that reached nothing.
	idle, idleEvs, _ := incident.Declare(p, incident.DeclareRequest{Title: "Idle", DeclaredBy: admin, Drill: true}, t0)
	c := incident.Score(idle, idleEvs)
	if c.TimeToOperator != incident.NotReached || c.TimeToSpokesperson != incident.NotReached || c.TimeToFirstUpdate != incident.NotReached || c.TimeToResolve != incident.NotReached {
		t.Errorf("idle drill %+v", c)
	}
}

func TestScoreDrills(t *testing.T) {
	p := MustCrewPolicy(t)
	d1, e1 := MustDrillEvents(t, p)
	d2, e2 := MustDrillEvents(t, p)
	d2.ID, d2.DeclaredAt = 9, at(-24*time.Hour) // older, numbered higher
	real := MustDeclare(t, p)
	cancelled, _, _ := incident.Declare(p, incident.DeclareRequest{Title: "oops", DeclaredBy: op, Drill: true}, t0)
	cancelled.ID = 10
	_, err := cancelled.Cancel(p, admin, "", t0)
	MustOK(t, err)
	cards := incident.ScoreDrills([]*incident.Incident{d1, real, d2, cancelled}, map[int64][]incident.Event{3: e1, 9: e2})
	if len(cards) != 2 || cards[0].Incident != 9 || cards[1].Incident != 3 {
		t.Fatalf("cards %+v", cards)
	}
	if cards[0].TimeToOperator != 24*time.Hour+2*time.Minute {
		t.Errorf("times run from each drill's own declaration: %v", cards[0].TimeToOperator)
	}
	if got := incident.ScoreDrills(nil, nil); got != nil {
		t.Errorf("no incidents: %v", got)
	}
}

func equalCards(a, b incident.Scorecard) bool {
	return a.Incident == b.Incident && a.Title == b.Title && a.DeclaredAt.Equal(b.DeclaredAt) && len(a.Playbooks) == len(b.Playbooks) &&
		a.TimeToOperator == b.TimeToOperator && a.TimeToSpokesperson == b.TimeToSpokesperson && a.TimeToFirstUpdate == b.TimeToFirstUpdate &&
		a.TimeToResolve == b.TimeToResolve && a.UpdatesOnTime == b.UpdatesOnTime && a.UpdatesLate == b.UpdatesLate &&
		a.StepsDone == b.StepsDone && a.Steps == b.Steps && a.RequiredDone == b.RequiredDone && a.Required == b.Required
}
