package incident_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestIncident_Public(t *testing.T) {
	p := MustPolicy(t)
	for _, tc := range []struct {
		name string
		set  func(inc *incident.Incident)
		want bool
	}{
		{"Plain", func(*incident.Incident) {}, true},
		{"Resolved", func(inc *incident.Incident) { inc.Status = incident.StatusResolved }, true},
		{"Private", func(inc *incident.Incident) { inc.Private = true }, false},
		{"Drill", func(inc *incident.Incident) { inc.Drill = true }, false},
		{"Cancelled", func(inc *incident.Incident) { inc.Status = incident.StatusCancelled }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := MustDeclare(t, p)
			tc.set(inc)
			if got := inc.Public(); got != tc.want {
				t.Errorf("Public() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIncident_PostUpdate_Publish(t *testing.T) {
	p := MustPolicy(t)
	for _, tc := range []struct {
		name    string
		private bool
		publish bool
		want    bool
	}{
		{"Published", false, true, true},
		{"Internal", false, false, false},
		{"PrivateNeverPublished", true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := MustDeclare(t, p)
			inc.Private = tc.private
			evs, err := inc.PostUpdate(p, sp, incident.Update{Text: "x", Publish: tc.publish}, at(time.Minute))
			MustOK(t, err)
			if got := evs[len(evs)-1].Published(); got != tc.want {
				t.Errorf("Published() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIncident_WriteCustomerSummary(t *testing.T) {
	p := MustPolicy(t)
	good := incident.CustomerSummary{WhatHappened: " Checkout failed. ", Impact: "EU", Apology: "Sorry.", Changes: "Alerts."}
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		evs, err := inc.WriteCustomerSummary(p, sp, good, at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventSummaryWritten)
		s := inc.CustomerSummary
		if s == nil || s.WhatHappened != "Checkout failed." || s.WrittenBy != sp || !s.WrittenAt.Equal(at(2*time.Minute)) {
			t.Errorf("summary = %+v", s)
		}
		if evs[0].Field("apology") != "Sorry." {
			t.Errorf("event fields = %v", evs[0].Fields)
		}
	})
	for _, tc := range []struct {
		name  string
		setup func(inc *incident.Incident)
		actor string
		s     incident.CustomerSummary
		code  string
		say   string
	}{
		{"ErrOpen", func(*incident.Incident) {}, sp, good, incident.ECONFLICT, "once it is resolved"},
		{"ErrPrivate", func(inc *incident.Incident) { MustResolve(t, p, inc, at(time.Minute)); inc.Private = true }, sp, good, incident.ECONFLICT, "private"},
		{"ErrDrill", func(inc *incident.Incident) { MustResolve(t, p, inc, at(time.Minute)); inc.Drill = true }, sp, good, incident.ECONFLICT, "drill"},
		{"ErrCancelled", func(inc *incident.Incident) { inc.Status = incident.StatusCancelled }, sp, good, incident.ECONFLICT, "cancelled"},
		{"ErrStranger", func(inc *incident.Incident) { MustResolve(t, p, inc, at(time.Minute)) }, stranger, good, incident.EUNAUTHORIZED, "customer summary"},
		{"ErrEmpty", func(inc *incident.Incident) { MustResolve(t, p, inc, at(time.Minute)) }, sp, incident.CustomerSummary{Apology: "x"}, incident.EINVALID, "what happened"},
		{"ErrTooLong", func(inc *incident.Incident) { MustResolve(t, p, inc, at(time.Minute)) }, sp,
			incident.CustomerSummary{WhatHappened: "x", Changes: strings.Repeat("y", incident.MaxSummaryField+1)}, incident.EINVALID, "what we change"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc := MustDeclare(t, p)
			tc.setup(inc)
			_, err := inc.WriteCustomerSummary(p, tc.actor, tc.s, at(2*time.Minute))
			MustCode(t, err, tc.code, tc.say)
			if inc.CustomerSummary != nil {
				t.Error("a refused summary was kept")
			}
		})
	}
}

func TestIncident_AddStakeholders(t *testing.T) {
	p := MustPolicy(t)
	inc := MustDeclare(t, p)
	evs := inc.AddStakeholders("", []string{"execs", " support ", "execs", ""}, "severity critical", at(time.Minute))
	MustKinds(t, evs, incident.EventStakeholdersAdded)
	if got := evs[0].Field("groups"); got != "execs,support" {
		t.Errorf("groups field = %q", got)
	}
	if got := strings.Join(inc.Stakeholders, ","); got != "execs,support" {
		t.Errorf("stakeholders = %q", got)
	}
	if evs := inc.AddStakeholders("", []string{"support"}, "playbook", at(2*time.Minute)); len(evs) != 0 {
		t.Errorf("adding a group again made %d events", len(evs))
	}
	c := inc.Clone()
	c.Stakeholders[0] = "changed"
	if inc.Stakeholders[0] != "execs" {
		t.Error("Clone shares Stakeholders")
	}
}
