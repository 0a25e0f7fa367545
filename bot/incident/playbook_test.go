package incident_test

import (
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// generalRun is a playbook run with three steps, two of them required.
var generalRun = incident.PlaybookRun{Name: "general", Title: "General incident", Roles: []incident.Role{incident.RoleOperator, incident.RoleSpokesperson},
	Steps: []incident.Step{
		{ID: "general/confirm-impact", Text: "Confirm what users see", Owner: incident.RoleOperator, Required: true},
		{ID: "general/recent-changes", Text: "Check recent deploys"},
		{ID: "general/confirm-recovery", Text: "Confirm recovery", Required: true, Runbook: "https://example.com/r"},
	}}

var criticalRun = incident.PlaybookRun{Name: "critical", Title: "Critical incident", Roles: []incident.Role{"scribe"},
	Steps: []incident.Step{{ID: "critical/appoint-scribe", Text: "Appoint a scribe"}}}

func TestIncident_RunPlaybooks(t *testing.T) {
	p := MustCrewPolicy(t)
	inc := MustDeclare(t, p)
	ran, evs := inc.RunPlaybooks(p, op, []incident.PlaybookRun{generalRun}, incident.TriggerDeclare, t0)
	MustKinds(t, evs, incident.EventPlaybookRun)
	if len(ran) != 1 || evs[0].Field("playbook") != "general" || evs[0].Field("trigger") != "declare" || evs[0].Field("steps") != "3" {
		t.Fatalf("ran %v, event %+v", ran, evs[0])
	}
	// Running it again (the severity went back and forth) adds nothing;
	// another playbook adds its steps and its post.
	ran, evs = inc.RunPlaybooks(p, op, []incident.PlaybookRun{generalRun, criticalRun}, incident.TriggerSeverity, at(time.Minute))
	MustKinds(t, evs, incident.EventPlaybookRun)
	if len(ran) != 1 || ran[0].Name != "critical" {
		t.Errorf("ran %v", ran)
	}
	if !slices.Equal(inc.Playbooks, []string{"general", "critical"}) || len(inc.Checklist) != 4 || len(inc.ChecklistPosts) != 2 {
		t.Fatalf("playbooks %v, %d steps, %d posts", inc.Playbooks, len(inc.Checklist), len(inc.ChecklistPosts))
	}
	if !slices.Equal(inc.RolesNeeded, []incident.Role{incident.RoleOperator, incident.RoleSpokesperson, "scribe"}) {
		t.Errorf("roles needed %v", inc.RolesNeeded)
	}
	if got := inc.PlaybookSteps("critical"); len(got) != 1 || got[0].Playbook() != "critical" {
		t.Errorf("PlaybookSteps(critical) = %v", got)
	}
}

func TestIncident_SetStep(t *testing.T) {
	p := MustCrewPolicy(t)
	cases := []struct {
		name  string
		setup func(t *testing.T, inc *incident.Incident)
		id    string
		done  bool
		code  string
		msg   string
		kind  incident.EventKind
	}{
		{"Tick", nil, "general/recent-changes", true, "", "", incident.EventStepDone},
		{"Untick", func(t *testing.T, inc *incident.Incident) {
			_, _, err := inc.SetStep(p, sp, "general/recent-changes", true, t0)
			MustOK(t, err)
		}, "general/recent-changes", false, "", "", incident.EventStepUndone},
		{"AlreadyDone", func(t *testing.T, inc *incident.Incident) {
			_, _, err := inc.SetStep(p, sp, "general/recent-changes", true, t0)
			MustOK(t, err)
		}, "general/recent-changes", true, incident.EINVALID, "already done, by <@USP> at 00:00 UTC", ""},
		{"NotDone", nil, "general/recent-changes", false, incident.EINVALID, "is not done yet", ""},
		{"Unknown", nil, "general/nope", true, incident.ENOTFOUND, `no checklist step "general/nope"`, ""},
		{"ResolvedStillTicks", func(t *testing.T, inc *incident.Incident) {
			_, err := inc.ResolveChecked(p, op, "", true, t0)
			MustOK(t, err)
		}, "general/recent-changes", true, "", "", incident.EventStepDone},
		{"ClosedRefused", func(t *testing.T, inc *incident.Incident) {
			_, err := inc.ResolveChecked(p, op, "", true, t0)
			MustOK(t, err)
			_, err = inc.Close(p, op, t0)
			MustOK(t, err)
		}, "general/recent-changes", true, incident.ECONFLICT, "Incident #7 is closed; you cannot tick its checklist.", ""},
		{"CancelledRefused", func(t *testing.T, inc *incident.Incident) {
			_, err := inc.Cancel(p, op, "test", t0)
			MustOK(t, err)
		}, "general/recent-changes", true, incident.ECONFLICT, "cancelled", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inc := MustDeclare(t, p)
			inc.RunPlaybooks(p, op, []incident.PlaybookRun{generalRun}, incident.TriggerDeclare, t0)
			if c.setup != nil {
				c.setup(t, inc)
			}
			before := inc.Clone()
			s, evs, err := inc.SetStep(p, stranger, c.id, c.done, at(5*time.Minute))
			if c.code != "" {
				MustCode(t, err, c.code, c.msg)
				if !slices.Equal(inc.Checklist, before.Checklist) {
					t.Error("a refused tick changed the checklist")
				}
				return
			}
			MustOK(t, err)
			MustKinds(t, evs, c.kind)
			if evs[0].Actor != stranger || evs[0].Field("step") != c.id || evs[0].Field("n") != "2" || evs[0].Text != "Check recent deploys" {
				t.Errorf("event %+v", evs[0])
			}
			if s.Done != c.done || (c.done && (s.DoneBy != stranger || !s.DoneAt.Equal(at(5*time.Minute)))) || (!c.done && s.DoneBy != "") {
				t.Errorf("step %+v", s)
			}
		})
	}
}

func TestIncident_ResolveChecked(t *testing.T) {
	p := MustCrewPolicy(t)
	t.Run("RequiredOpenAsks", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.RunPlaybooks(p, op, []incident.PlaybookRun{generalRun}, incident.TriggerDeclare, t0)
		_, err := inc.ResolveChecked(p, op, "fixed", false, at(time.Minute))
		MustCode(t, err, incident.ECONFLICT, "2 steps required before resolve are still open: 1. Confirm what users see; 3. Confirm recovery.", "--anyway")
		if inc.Status != incident.StatusInvestigating {
			t.Fatalf("status %s after a refused resolve", inc.Status)
		}
		// A stranger hears that they may not resolve, not about the steps.
		_, err = inc.ResolveChecked(p, stranger, "", false, at(time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED)
		evs, err := inc.ResolveChecked(p, op, "fixed", true, at(time.Minute))
		MustOK(t, err)
		if got := evs[len(evs)-1].Field("skipped_steps"); got != "general/confirm-impact general/confirm-recovery" {
			t.Errorf("skipped_steps = %q", got)
		}
	})
	t.Run("AllDone", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.RunPlaybooks(p, op, []incident.PlaybookRun{generalRun}, incident.TriggerDeclare, t0)
		for _, id := range []string{"general/confirm-impact", "general/confirm-recovery"} {
			_, _, err := inc.SetStep(p, op, id, true, t0)
			MustOK(t, err)
		}
		evs, err := inc.ResolveChecked(p, op, "", false, at(time.Minute))
		MustOK(t, err)
		if evs[0].Field("skipped_steps") != "" {
			t.Errorf("skipped %q", evs[0].Field("skipped_steps"))
		}
	})
	t.Run("NoChecklist", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.ResolveChecked(p, op, "", false, at(time.Minute))
		MustOK(t, err)
		_, err = inc.ResolveChecked(p, op, "", true, at(time.Minute))
		MustCode(t, err, incident.ECONFLICT, "resolved")
	})
	t.Run("ManyOpenAreCut", func(t *testing.T) {
		inc := MustDeclare(t, p)
		run := incident.PlaybookRun{Name: "big"}
		for i := range 8 {
			run.Steps = append(run.Steps, incident.Step{ID: "big/s" + string(rune('a'+i)), Text: "step " + string(rune('a'+i)), Required: true})
		}
		inc.RunPlaybooks(p, op, []incident.PlaybookRun{run}, incident.TriggerDeclare, t0)
		_, err := inc.ResolveChecked(p, op, "", false, at(time.Minute))
		MustCode(t, err, incident.ECONFLICT, "8 steps required", "5. step e; …and 3 more.")
	})
}
