package incident_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// TestPolicy_CanSee: who may know of an incident.
func TestPolicy_CanSee(t *testing.T) {
	p := MustPolicy(t)
	pub := MustDeclare(t, p)
	priv := MustDeclare(t, p)
	priv.Private = true
	priv.Handoff = &incident.Handoff{Role: incident.RoleOperator, From: op, To: bob}
	for _, c := range []struct {
		inc       *incident.Incident
		user      string
		inWarRoom bool
		want      bool
	}{
		{pub, stranger, false, true},
		{pub, "", false, true},
		{priv, stranger, false, false},
		{priv, stranger, true, true}, // a member of the war room
		{priv, op, false, true},
		{priv, sp, false, true},
		{priv, admin, false, true},
		{priv, bob, false, true}, // offered a role: they must be able to accept it
		{priv, "", false, false},
	} {
		if got := p.CanSee(c.inc, c.user, c.inWarRoom); got != c.want {
			t.Errorf("CanSee(private=%v, %q, inWarRoom=%v) = %v, want %v", c.inc.Private, c.user, c.inWarRoom, got, c.want)
		}
		err := p.CheckCanSee(c.inc, c.user, c.inWarRoom)
		if c.want != (err == nil) {
			t.Errorf("CheckCanSee(private=%v, %q) = %v", c.inc.Private, c.user, err)
		}
		if err != nil {
			// The existence of a private incident is itself private.
			MustCode(t, err, incident.ENOTFOUND, "Incident #7 does not exist.")
		}
	}
	// Declaring is not enough: someone removed from the war room loses it.
	priv.Operator, priv.DeclaredBy = admin, op
	if p.CanSee(priv, op, false) {
		t.Error("the declarer of a private incident sees it from outside its war room without a role")
	}
}

func TestPolicy_CheckCanTakeRole(t *testing.T) {
	p := MustPolicy(t)
	for _, c := range []struct {
		name       string
		setup      func(inc *incident.Incident)
		actor      string
		role       incident.Role
		user       string
		force, inW bool
		code       string
		msg        []string
	}{
		{"SelfInWarRoom", emptySpokesperson, stranger, incident.RoleSpokesperson, stranger, false, true, "", nil},
		{"SelfOutside", emptySpokesperson, stranger, incident.RoleSpokesperson, stranger, false, false, incident.EUNAUTHORIZED, []string{"join <#C7>", "run the command there"}},
		{"SelfOutsideNoRoom", func(inc *incident.Incident) { emptySpokesperson(inc); inc.ChannelID = "" }, stranger, incident.RoleSpokesperson, stranger, false, false, incident.EUNAUTHORIZED, []string{"ask the operator"}},
		{"ManagerFromOutside", emptySpokesperson, op, incident.RoleSpokesperson, bob, false, false, "", nil},
		{"AppointOthersNeedsManager", emptySpokesperson, stranger, incident.RoleSpokesperson, bob, false, true, incident.EUNAUTHORIZED, []string{"assign roles"}},
		{"HeldNeedsHandoff", nil, op, incident.RoleSpokesperson, bob, false, true, incident.ECONFLICT, []string{"<@USP> holds the spokesperson role", "handoff"}},
		{"ForceByOperator", nil, op, incident.RoleSpokesperson, bob, true, false, "", nil},
		{"ForceByAdmin", nil, admin, incident.RoleOperator, bob, true, false, "", nil},
		{"ForceBySpokesperson", nil, sp, incident.RoleOperator, bob, true, true, incident.EUNAUTHORIZED, []string{"Only the operator or an incidentbot admin can force"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			inc := MustDeclare(t, p)
			inc.ChannelID = "C7"
			if c.setup != nil {
				c.setup(inc)
			}
			err := p.CheckCanTakeRole(inc, c.actor, c.role, c.user, c.force, c.inW)
			if c.code == "" {
				MustOK(t, err)
				return
			}
			MustCode(t, err, c.code, c.msg...)
		})
	}
}

func emptySpokesperson(inc *incident.Incident) { inc.Spokesperson = "" }

func TestPolicy_CheckCanHandOffAndUpdate(t *testing.T) {
	p := MustPolicy(t)
	inc := MustDeclare(t, p)
	for _, actor := range []string{op, sp, admin} {
		MustOK(t, p.CheckCanHandOff(inc, actor, incident.RoleSpokesperson))
		MustOK(t, p.CheckCanUpdate(inc, actor))
	}
	for _, actor := range []string{stranger, ""} {
		MustCode(t, p.CheckCanHandOff(inc, actor, incident.RoleSpokesperson), incident.EUNAUTHORIZED, append(whoCanManage, "hand off the spokesperson role")...)
		MustCode(t, p.CheckCanUpdate(inc, actor), incident.EUNAUTHORIZED, append(whoCanManage, "post status updates")...)
	}
}

func TestPolicy_CheckCanWriteNotes(t *testing.T) {
	p := MustPolicy(t)
	inc := MustDeclare(t, p)
	MustOK(t, p.CheckCanWriteNotes(inc, stranger, false)) // a public incident's timeline is open to all
	MustCode(t, p.CheckCanWriteNotes(inc, "", true), incident.EUNAUTHORIZED, "need an author")
	inc.Private = true
	MustCode(t, p.CheckCanWriteNotes(inc, stranger, false), incident.ENOTFOUND, "does not exist")
	MustOK(t, p.CheckCanWriteNotes(inc, stranger, true))
}

func TestIncident_Cancel(t *testing.T) {
	p := MustPolicy(t)
	p.ArchiveAfter = time.Hour
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.ChannelID = "C7"
		evs, err := inc.Cancel(p, op, "  testing the bot  ", at(5*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventCancelled)
		if evs[0].Text != "testing the bot" || evs[0].Field("from") != "investigating" {
			t.Errorf("event %+v", evs[0])
		}
		if inc.Status != incident.StatusCancelled || inc.Status.Open() || !inc.Status.Ended() {
			t.Errorf("status %s", inc.Status)
		}
		if !inc.NextUpdateDue.IsZero() || !inc.ClosedAt.Equal(at(5*time.Minute)) {
			t.Errorf("due %v closed %v", inc.NextUpdateDue, inc.ClosedAt)
		}
		// The war room is archived after the usual delay, and nothing else
		// wakes the incident.
		MustTime(t, "WakeAt", inc.WakeAt, at(65*time.Minute))
		for _, cmd := range []func() error{
			func() error { _, err := inc.AddNote(p, op, "x", at(6*time.Minute)); return err },
			func() error { _, err := inc.Close(p, op, at(6*time.Minute)); return err },
			func() error { _, err := inc.Cancel(p, op, "", at(6*time.Minute)); return err },
			func() error { _, err := inc.SetSeverity(p, op, "critical", at(6*time.Minute)); return err },
		} {
			MustCode(t, cmd(), incident.ECONFLICT, "cancelled")
		}
	})
	t.Run("ResolvedMayBeCancelled", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		_, err := inc.Cancel(p, admin, "", at(2*time.Minute))
		MustOK(t, err)
	})
	t.Run("ErrClosed", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustClose(t, p, inc, at(time.Minute))
		_, err := inc.Cancel(p, op, "", at(2*time.Minute))
		MustCode(t, err, incident.ECONFLICT, "is closed")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		for _, actor := range []string{sp, stranger, ""} {
			_, err := inc.Cancel(p, actor, "", at(time.Minute))
			MustCode(t, err, incident.EUNAUTHORIZED, "Only the operator (<@UOP>) or an incidentbot admin can cancel")
		}
	})
	t.Run("ErrReasonTooLong", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.Cancel(p, op, string(make([]rune, incident.MaxReasonLen+1)), at(time.Minute))
		MustCode(t, err, incident.EINVALID, "keep it to 300")
	})
}
