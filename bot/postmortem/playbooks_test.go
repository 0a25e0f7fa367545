package postmortem_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

// drillStory is a drill with two playbooks, a shadow handed over, two
// subject-matter leads (one leaving), impact estimates revised twice, and a
// resolution with a required step skipped.
func drillStory(tb testing.TB) *story {
	tb.Helper()
	p := incident.DefaultPolicy()
	p.Roles = []incident.RoleSpec{
		{Name: "scribe", Description: "Keeps the log."},
		{Name: "subject-matter-lead", Description: "Knows the system.", Multi: true},
		{Name: "shadow", Description: "Learns."},
	}
	p.Triage = incident.DefaultTriage()
	s := &story{tb: tb, p: p, now: start}
	inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "Drill: payments provider down", DeclaredBy: dave, Drill: true, Type: "third-party",
		Estimate: incident.Estimate{Experience: incident.ExperienceDegraded, LossPerHour: 4000}}, start)
	if err != nil {
		tb.Fatal(err)
	}
	inc.ID = 42
	s.inc = inc
	s.append(evs)
	run := func(trigger string, runs ...incident.PlaybookRun) func(*incident.Incident, incident.Policy, time.Time) ([]incident.Event, error) {
		return func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			_, evs := inc.RunPlaybooks(p, dave, runs, trigger, now)
			return evs, nil
		}
	}
	s.do(run(incident.TriggerDeclare,
		incident.PlaybookRun{Name: "third-party", Title: "Third-party outage", Roles: []incident.Role{"operator"}, Steps: []incident.Step{
			{ID: "third-party/confirm-provider", Text: "Confirm it is the provider", Owner: incident.RoleOperator, Required: true},
			{ID: "third-party/open-case", Text: "Open a case with the provider *now*", Owner: incident.RoleOperator, Required: true},
			{ID: "third-party/tell-users", Text: "Tell users what does not work", Owner: incident.RoleSpokesperson},
		}},
		incident.PlaybookRun{Name: "drill", Title: "Drill", Roles: []incident.Role{"shadow"}, Steps: []incident.Step{
			{ID: "drill/stop-word", Text: "Agree a stop word", Required: true},
		}}))
	role := func(actor string, r incident.Role, user string) func(*incident.Incident, incident.Policy, time.Time) ([]incident.Event, error) {
		return func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.AssignRole(p, actor, r, user, false, true, now)
		}
	}
	step := func(actor, id string) func(*incident.Incident, incident.Policy, time.Time) ([]incident.Event, error) {
		return func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			_, evs, err := inc.SetStep(p, actor, id, true, now)
			return evs, err
		}
	}
	s.at(3 * time.Minute).do(role(alice, incident.RoleOperator, alice))
	s.at(4 * time.Minute).do(role(carol, "shadow", carol))
	s.at(6 * time.Minute).do(role(alice, incident.RoleSpokesperson, bob))
	s.at(7 * time.Minute).do(role(alice, "subject-matter-lead", carol))
	s.at(8 * time.Minute).do(role(alice, "subject-matter-lead", eve))
	s.at(9*time.Minute).update(bob, incident.Update{Text: "Provider returns 502s."})
	s.at(10 * time.Minute).do(step(alice, "third-party/confirm-provider"))
	s.at(12 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		blocked, loss := incident.ExperienceBlocked, int64(12000)
		return inc.ReviseImpact(p, bob, incident.ImpactRevision{Text: "No card payments at all", Experience: &blocked, LossPerHour: &loss}, now)
	}))
	s.at(15 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		if _, err := inc.OfferHandoff(p, carol, "shadow", dave, incident.Brief{State: "following Alice"}, now); err != nil {
			return nil, err
		}
		return inc.AcceptHandoff(p, dave, now)
	}))
	s.at(20 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		return inc.RemoveRole(p, carol, "subject-matter-lead", carol, now)
	}))
	s.at(25 * time.Minute).do(step(bob, "drill/stop-word"))
	s.at(50*time.Minute).update(bob, incident.Update{Text: "Failed over to the second provider."})
	s.at(72 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		return inc.ResolveChecked(p, alice, "Second provider took over.", true, now)
	}))
	s.at(80 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		return inc.Close(p, alice, now)
	}))
	return s
}

func TestDraft_Drill(t *testing.T) {
	s := drillStory(t)
	md, err := postmortem.Draft(s.inc, s.events, s.options(time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	MustMatchGolden(t, "drill.golden.md", []byte(md))
	for _, want := range []string{
		"> **Drill.**", "- **Type:** third-party",
		"- **Shadow:** Carol 09:04–09:15, Dave 09:15–end",
		"- **Subject-matter lead:** Carol 09:07–09:20 (left), Eve \\*the\\* \\<admin\\> 09:08–end",
		"Estimated total loss: 12,800 USD (4,000/h for 12m, 12,000/h for 1h 00m), until the resolution.",
		"- [ ] 2. Open a case with the provider \\*now\\* _(Operator, required before resolve)_ — **skipped at resolution**",
		"- [x] 4. Agree a stop word _(required before resolve)_ — Bob, 09:25",
		"| Time to an operator | 3m |", "| Updates | 1 on time, 1 late |", "| Checklist steps done | 2 of 4 (2 of 3 required before resolve) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
}

func TestExport_Drill(t *testing.T) {
	s := drillStory(t)
	x := postmortem.Export(s.inc, s.events, s.options(time.UTC))
	if x.Type != "third-party" || !x.Drill || len(x.Playbooks) != 2 || len(x.Checklist) != 4 {
		t.Fatalf("export %+v", x)
	}
	if c := x.Checklist[0]; c.ID != "third-party/confirm-provider" || !c.Done || c.DoneBy != alice || c.DoneAt != "2026-03-04T09:10:00Z" || !c.Required || c.Owner != "operator" {
		t.Errorf("step %+v", c)
	}
	if e := x.Estimate; e == nil || e.Experience != "blocked" || e.LossPerHour != 12000 || e.By != bob {
		t.Errorf("estimate %+v", e)
	}
	if got := x.Roles.Others; len(got["shadow"]) != 1 || got["shadow"][0] != dave || len(got["subject-matter-lead"]) != 1 || got["subject-matter-lead"][0] != eve {
		t.Errorf("other roles %v", got)
	}
	if x.People[eve] == "" || x.People[dave] == "" {
		t.Errorf("people %v", x.People)
	}
}
