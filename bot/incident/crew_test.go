package incident_test

import (
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// MustCrewPolicy is MustPolicy with the default config's extra roles: a
// scribe and a shadow (one person each) and subject-matter leads (several).
func MustCrewPolicy(tb testing.TB) incident.Policy {
	tb.Helper()
	p := MustPolicy(tb)
	p.Roles = []incident.RoleSpec{
		{Name: "scribe", Description: "Keep the log."},
		{Name: "subject-matter-lead", Description: "Know the failing system.", Multi: true},
		{Name: "shadow", Description: "Follow the operator and learn."},
	}
	return p
}

func TestPolicy_ParseRole(t *testing.T) {
	p := MustCrewPolicy(t)
	cases := []struct {
		in   string
		want incident.Role
		err  string
	}{
		{"operator", incident.RoleOperator, ""},
		{" IC ", incident.RoleOperator, ""},
		{"comms", incident.RoleSpokesperson, ""},
		// A configured role wins over the alias it shadows.
		{"scribe", "scribe", ""},
		{"Shadow", "shadow", ""},
		{"subject-matter-lead", "subject-matter-lead", ""},
		{"boss", "", `"boss" is not a role. Use one of: operator, spokesperson, scribe, subject-matter-lead, shadow.`},
	}
	for _, c := range cases {
		got, err := p.ParseRole(c.in)
		if c.err != "" {
			MustCode(t, err, incident.EINVALID, c.err)
			continue
		}
		MustOK(t, err)
		if got != c.want {
			t.Errorf("ParseRole(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Without a scribe role, "scribe" still means the spokesperson.
	if r, err := MustPolicy(t).ParseRole("scribe"); err != nil || r != incident.RoleSpokesperson {
		t.Errorf("default policy: scribe = %q, %v", r, err)
	}
}

func TestIncident_ExtraRoles(t *testing.T) {
	p := MustCrewPolicy(t)
	t.Run("SingleHolderHandsOff", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.AssignRole(p, stranger, "shadow", stranger, false, true, at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventRoleAssigned)
		if inc.Holder("shadow") != stranger || !inc.Holds("shadow", stranger) {
			t.Fatalf("shadow = %q", inc.Holder("shadow"))
		}
		// Held: someone else takes it through a handoff, not by force.
		_, err = inc.AssignRole(p, op, "shadow", bob, false, true, at(2*time.Minute))
		MustCode(t, err, incident.ECONFLICT, "handoff")
		_, err = inc.OfferHandoff(p, stranger, "shadow", bob, incident.Brief{State: "following Alice"}, at(2*time.Minute))
		MustOK(t, err)
		evs, err = inc.AcceptHandoff(p, bob, at(3*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventHandoffAccepted)
		if got := inc.Holders("shadow"); !slices.Equal(got, []string{bob}) {
			t.Errorf("shadow after handoff = %v", got)
		}
		if evs[0].Field("from") != stranger {
			t.Errorf("handoff from = %q", evs[0].Field("from"))
		}
	})
	t.Run("MultiHolderJoinsAndLeaves", func(t *testing.T) {
		inc := MustDeclare(t, p)
		const sme = incident.Role("subject-matter-lead")
		_, err := inc.AssignRole(p, op, sme, bob, false, true, at(time.Minute))
		MustOK(t, err)
		evs, err := inc.AssignRole(p, op, sme, stranger, false, true, at(2*time.Minute))
		MustOK(t, err)
		if evs[0].Field("from") != "" {
			t.Errorf("joining a multi role replaced %q", evs[0].Field("from"))
		}
		if got := inc.Holders(sme); !slices.Equal(got, []string{bob, stranger}) {
			t.Fatalf("holders = %v", got)
		}
		_, err = inc.AssignRole(p, op, sme, bob, false, true, at(2*time.Minute))
		MustCode(t, err, incident.EINVALID, "already")
		// Bob steps down himself; a stranger may not remove others.
		_, err = inc.RemoveRole(p, stranger, sme, bob, at(3*time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, "take the subject-matter-lead role away")
		evs, err = inc.RemoveRole(p, bob, sme, bob, at(3*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventRoleRemoved)
		if got := inc.Holders(sme); !slices.Equal(got, []string{stranger}) {
			t.Errorf("holders after removal = %v", got)
		}
		_, err = inc.RemoveRole(p, op, sme, bob, at(4*time.Minute))
		MustCode(t, err, incident.EINVALID, "is not a subject-matter-lead")
	})
	t.Run("Refusals", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.AssignRole(p, op, "boss", bob, false, true, at(time.Minute))
		MustCode(t, err, incident.EINVALID, `"boss" is not a role`)
		_, err = inc.RemoveRole(p, op, incident.RoleOperator, op, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "cannot be left empty")
		MustClose(t, p, inc, at(time.Hour))
		_, err = inc.AssignRole(p, op, "scribe", bob, false, true, at(2*time.Hour))
		MustCode(t, err, incident.ECONFLICT, "closed")
	})
	t.Run("RolesOf", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.AssignRole(p, op, "scribe", sp, false, true, at(time.Minute))
		MustOK(t, err)
		if got := inc.RolesOf(p, sp); !slices.Equal(got, []incident.Role{incident.RoleSpokesperson, "scribe"}) {
			t.Errorf("RolesOf(sp) = %v", got)
		}
		clone := inc.Clone()
		clone.Crew[0].User = bob
		if inc.Holder("scribe") != sp {
			t.Error("Clone shares the crew with the original")
		}
	})
}
