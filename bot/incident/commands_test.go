package incident_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// whoCanManage is what a refusal says about who may manage MustDeclare's incident.
var whoCanManage = []string{"the operator (<@UOP>)", "the spokesperson (<@USP>)", "an incidentbot admin"}

// TestIncident_Permissions runs every managing command as each kind of actor.
func TestIncident_Permissions(t *testing.T) {
	p := MustPolicy(t)
	cmds := []struct {
		name string
		// setup prepares a fresh incident; run runs the command as actor.
		setup func(t *testing.T, inc *incident.Incident)
		run   func(inc *incident.Incident, actor string) error
		// allowed and denied override {op, sp, admin} and {stranger, ""}.
		allowed, denied []string
	}{
		{"SetSeverity", nil, func(inc *incident.Incident, a string) error {
			_, err := inc.SetSeverity(p, a, "critical", at(time.Minute))
			return err
		}, nil, nil},
		{"SetStatus", nil, func(inc *incident.Incident, a string) error {
			_, err := inc.SetStatus(p, a, incident.StatusIdentified, at(time.Minute))
			return err
		}, nil, nil},
		{"Reopen", func(t *testing.T, inc *incident.Incident) { MustResolve(t, p, inc, at(time.Minute)) },
			func(inc *incident.Incident, a string) error {
				_, err := inc.SetStatus(p, a, incident.StatusInvestigating, at(2*time.Minute))
				return err
			}, nil, nil},
		{"Resolve", nil, func(inc *incident.Incident, a string) error {
			_, err := inc.Resolve(p, a, "", at(time.Minute))
			return err
		}, nil, nil},
		{"Close", func(t *testing.T, inc *incident.Incident) { MustResolve(t, p, inc, at(time.Minute)) },
			func(inc *incident.Incident, a string) error {
				_, err := inc.Close(p, a, at(2*time.Minute))
				return err
			}, nil, nil},
		{"PostUpdate", nil, func(inc *incident.Incident, a string) error {
			_, err := inc.PostUpdate(p, a, incident.Update{Text: "x"}, at(time.Minute))
			return err
		}, nil, nil},
		{"Snooze", nil, func(inc *incident.Incident, a string) error {
			_, err := inc.Snooze(p, a, at(31*time.Minute))
			return err
		}, nil, nil},
		{"AppointToEmptyRole", func(t *testing.T, inc *incident.Incident) { inc.Spokesperson = "" },
			func(inc *incident.Incident, a string) error {
				_, err := inc.AssignRole(p, a, incident.RoleSpokesperson, bob, false, true, at(time.Minute))
				return err
			}, []string{op, admin}, []string{sp, stranger, ""}},
		{"OfferHandoff", nil, func(inc *incident.Incident, a string) error {
			_, err := inc.OfferHandoff(p, a, incident.RoleSpokesperson, bob, incident.Brief{State: "s"}, at(time.Minute))
			return err
		}, nil, nil},
	}
	for _, c := range cmds {
		t.Run(c.name, func(t *testing.T) {
			allowed, denied := []string{op, sp, admin}, []string{stranger, ""}
			if c.allowed != nil {
				allowed, denied = c.allowed, c.denied
			}
			for _, actor := range allowed {
				inc := MustDeclare(t, p)
				if c.setup != nil {
					c.setup(t, inc)
				}
				if err := c.run(inc, actor); err != nil {
					t.Errorf("as %s: %v", actor, err)
				}
			}
			for _, actor := range denied {
				inc := MustDeclare(t, p)
				if c.setup != nil {
					c.setup(t, inc)
				}
				before := *inc.Clone()
				MustCode(t, c.run(inc, actor), incident.EUNAUTHORIZED, "Only")
				if !inc.UpdatedAt.Equal(before.UpdatedAt) || inc.Status != before.Status || inc.Severity != before.Severity {
					t.Errorf("a refused command changed the incident")
				}
			}
		})
	}
}

// TestIncident_Closed checks that a closed incident refuses every change.
func TestIncident_Closed(t *testing.T) {
	p := MustPolicy(t)
	now := at(time.Hour)
	for name, run := range map[string]func(inc *incident.Incident) error{
		"SetSeverity": func(inc *incident.Incident) error { _, err := inc.SetSeverity(p, op, "critical", now); return err },
		"SetStatus": func(inc *incident.Incident) error {
			_, err := inc.SetStatus(p, op, incident.StatusInvestigating, now)
			return err
		},
		"AssignRole": func(inc *incident.Incident) error {
			_, err := inc.AssignRole(p, op, incident.RoleOperator, bob, true, true, now)
			return err
		},
		"OfferHandoff": func(inc *incident.Incident) error {
			_, err := inc.OfferHandoff(p, op, incident.RoleOperator, bob, incident.Brief{State: "s"}, now)
			return err
		},
		"AcceptHandoff": func(inc *incident.Incident) error { _, err := inc.AcceptHandoff(p, bob, now); return err },
		"PostUpdate": func(inc *incident.Incident) error {
			_, err := inc.PostUpdate(p, op, incident.Update{Text: "x"}, now)
			return err
		},
		"AddNote": func(inc *incident.Incident) error { _, err := inc.AddNote(p, op, "x", now); return err },
		"PinMessage": func(inc *incident.Incident) error {
			_, err := inc.PinMessage(p, op, incident.PinnedMessage{TS: "9"}, now)
			return err
		},
		"SetCause":  func(inc *incident.Incident) error { _, err := inc.SetCause(p, op, "x", now); return err },
		"SetImpact": func(inc *incident.Incident) error { _, err := inc.SetImpact(p, op, "x", now); return err },
		"Resolve":   func(inc *incident.Incident) error { _, err := inc.Resolve(p, op, "x", now); return err },
		"Close":     func(inc *incident.Incident) error { _, err := inc.Close(p, op, now); return err },
		"Snooze":    func(inc *incident.Incident) error { _, err := inc.Snooze(p, op, now); return err },
	} {
		t.Run(name, func(t *testing.T) {
			inc := MustDeclare(t, p)
			MustClose(t, p, inc, at(time.Minute))
			MustCode(t, run(inc), incident.ECONFLICT, "#7", "closed")
		})
	}
}

func TestIncident_SetSeverity(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Reminder.Stage = incident.StageHeadsUp
		evs, err := inc.SetSeverity(p, sp, "Critical", at(time.Minute))
		MustOK(t, err)
		if inc.Severity != "critical" || inc.Reminder.Stage != incident.StageWaiting {
			t.Errorf("incident = %+v", inc)
		}
		// Pulled forward from 00:30 to 00:16; the heads-up is due again.
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(16*time.Minute))
		MustTime(t, "WakeAt", inc.WakeAt, at(11*time.Minute))
		MustTime(t, "UpdatedAt", inc.UpdatedAt, at(time.Minute))
		MustKinds(t, evs, incident.EventSeverityChanged)
		if e := evs[0]; e.Actor != sp || e.Field("from") != "major" || e.Field("to") != "critical" || e.Field("next_update") != "2000-01-01T00:16:00Z" {
			t.Errorf("event = %+v", e)
		}
	})
	t.Run("SlowerNeverPushesBack", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetSeverity(p, op, "minor", at(time.Minute))
		MustOK(t, err)
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(30*time.Minute))
	})
	t.Run("FasterButLaterKeepsPromise", func(t *testing.T) {
		inc := MustDeclare(t, p)
		// At 00:20 a 15-minute cadence would mean 00:35, later than 00:30.
		_, err := inc.SetSeverity(p, op, "critical", at(20*time.Minute))
		MustOK(t, err)
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(30*time.Minute))
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetSeverity(p, stranger, "critical", at(time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, append(whoCanManage, "change the severity")...)
	})
	t.Run("ErrUnauthorizedNoSpokesperson", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Spokesperson = ""
		_, err := inc.SetSeverity(p, stranger, "critical", at(time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, "Only the operator (<@UOP>), the spokesperson or an incidentbot admin can change the severity.")
	})
	t.Run("ErrSame", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetSeverity(p, op, "major", at(time.Minute))
		MustCode(t, err, incident.EINVALID, "already major")
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetSeverity(p, op, "sev0", at(time.Minute))
		MustCode(t, err, incident.EINVALID, "not a severity")
	})
	t.Run("ErrResolved", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		_, err := inc.SetSeverity(p, op, "critical", at(2*time.Minute))
		MustCode(t, err, incident.ECONFLICT, "resolved", "/incident status investigating")
	})
}

func TestIncident_SetStatus(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.SetStatus(p, op, incident.StatusIdentified, at(time.Minute))
		MustOK(t, err)
		if inc.Status != incident.StatusIdentified || !inc.MitigatedAt.IsZero() {
			t.Errorf("incident = %+v", inc)
		}
		MustKinds(t, evs, incident.EventStatusChanged)
		if evs[0].Field("from") != "investigating" || evs[0].Field("to") != "identified" {
			t.Errorf("event = %+v", evs[0])
		}
	})
	t.Run("MonitoringSetsMitigatedAtOnce", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetStatus(p, op, incident.StatusMonitoring, at(10*time.Minute))
		MustOK(t, err)
		_, err = inc.SetStatus(p, op, incident.StatusIdentified, at(11*time.Minute))
		MustOK(t, err)
		_, err = inc.SetStatus(p, op, incident.StatusMonitoring, at(12*time.Minute))
		MustOK(t, err)
		MustTime(t, "MitigatedAt", inc.MitigatedAt, at(10*time.Minute))
	})
	t.Run("Reopen", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(10*time.Minute))
		evs, err := inc.SetStatus(p, sp, incident.StatusInvestigating, at(20*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventReopened, incident.EventStatusChanged)
		if inc.Status != incident.StatusInvestigating || !inc.ResolvedAt.IsZero() || inc.Reminder.Stage != incident.StageWaiting {
			t.Errorf("incident = %+v", inc)
		}
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(50*time.Minute))
		MustTime(t, "WakeAt", inc.WakeAt, at(45*time.Minute))
		if evs[1].Field("from") != "resolved" {
			t.Errorf("event = %+v", evs[1])
		}
	})
	t.Run("ResolvedResolves", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.SetStatus(p, op, incident.StatusResolved, at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventResolved)
	})
	t.Run("ClosedCloses", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		evs, err := inc.SetStatus(p, op, incident.StatusClosed, at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventClosed)
	})
	t.Run("ErrSame", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetStatus(p, op, incident.StatusInvestigating, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "already investigating")
	})
	t.Run("ErrUnknownStatus", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetStatus(p, op, incident.Status("bored"), at(time.Minute))
		MustCode(t, err, incident.EINVALID, `"bored" is not a status`)
		if inc.Status != incident.StatusInvestigating {
			t.Errorf("status = %q", inc.Status)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetStatus(p, stranger, incident.StatusMonitoring, at(time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, append(whoCanManage, "change the status")...)
	})
}

func TestIncident_Resolve(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetStatus(p, op, incident.StatusIdentified, at(time.Minute))
		MustOK(t, err)
		evs, err := inc.Resolve(p, sp, "  rolled back ", at(40*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventResolved)
		if evs[0].Text != "rolled back" || evs[0].Field("from") != "identified" {
			t.Errorf("event = %+v", evs[0])
		}
		if inc.Status != incident.StatusResolved || inc.Resolution != "rolled back" || inc.Status.Open() {
			t.Errorf("incident = %+v", inc)
		}
		MustTime(t, "ResolvedAt", inc.ResolvedAt, at(40*time.Minute))
		MustTime(t, "MitigatedAt", inc.MitigatedAt, at(40*time.Minute))
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, time.Time{})
		MustTime(t, "WakeAt", inc.WakeAt, time.Time{})
		if inc.Overdue(at(5 * time.Hour)) {
			t.Error("a resolved incident is overdue")
		}
	})
	t.Run("WithoutText", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Resolution = "kept"
		_, err := inc.Resolve(p, op, " ", at(time.Minute))
		MustOK(t, err)
		if inc.Resolution != "kept" {
			t.Errorf("Resolution = %q", inc.Resolution)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.Resolve(p, stranger, "", at(time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, append(whoCanManage, "resolve the incident")...)
	})
	t.Run("ErrAlreadyResolved", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		_, err := inc.Resolve(p, op, "", at(2*time.Minute))
		MustCode(t, err, incident.ECONFLICT, "#7 is resolved")
	})
}

func TestIncident_Close(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, op, incident.RoleOperator, bob, incident.Brief{State: "s"}, at(time.Minute))
		MustOK(t, err)
		MustResolve(t, p, inc, at(2*time.Minute))
		evs, err := inc.Close(p, admin, at(3*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventClosed)
		if inc.Status != incident.StatusClosed || inc.Handoff != nil {
			t.Errorf("incident = %+v", inc)
		}
		MustTime(t, "ClosedAt", inc.ClosedAt, at(3*time.Minute))
		MustTime(t, "WakeAt", inc.WakeAt, time.Time{})
	})
	t.Run("ErrNotResolved", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.Close(p, op, at(time.Minute))
		MustCode(t, err, incident.ECONFLICT, "still investigating", "/incident resolve")
	})
	t.Run("ErrAlreadyClosed", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustClose(t, p, inc, at(time.Minute))
		_, err := inc.Close(p, op, at(2*time.Minute))
		MustCode(t, err, incident.ECONFLICT, "already closed")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		_, err := inc.Close(p, stranger, at(2*time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, append(whoCanManage, "close the incident")...)
	})
}

func TestIncident_AssignRole(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		// Anyone may take an empty role for themselves.
		inc := MustDeclare(t, p)
		inc.Spokesperson = ""
		evs, err := inc.AssignRole(p, stranger, incident.RoleSpokesperson, stranger, false, true, at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventRoleAssigned)
		if inc.Spokesperson != stranger || inc.Communicator() != stranger {
			t.Errorf("incident = %+v", inc)
		}
		if e := evs[0]; e.Actor != stranger || e.Field("role") != "spokesperson" || e.Field("to") != stranger || e.Field("from") != "" {
			t.Errorf("event = %+v", e)
		}
	})
	t.Run("ManagerAppoints", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Spokesperson = ""
		_, err := inc.AssignRole(p, op, incident.RoleSpokesperson, bob, false, true, at(time.Minute))
		MustOK(t, err)
		if inc.Spokesperson != bob {
			t.Errorf("Spokesperson = %q", inc.Spokesperson)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Spokesperson = ""
		_, err := inc.AssignRole(p, stranger, incident.RoleSpokesperson, bob, false, true, at(time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, "assign roles")
	})
	t.Run("ErrHeld", func(t *testing.T) {
		for _, actor := range []string{op, sp, admin, stranger} {
			inc := MustDeclare(t, p)
			_, err := inc.AssignRole(p, actor, incident.RoleSpokesperson, bob, false, true, at(time.Minute))
			MustCode(t, err, incident.ECONFLICT, "<@USP> holds the spokesperson role", "handoff")
		}
	})
	t.Run("ForceByOperator", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.AssignRole(p, op, incident.RoleSpokesperson, bob, true, true, at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventRoleAssigned)
		if inc.Spokesperson != bob || evs[0].Field("from") != sp {
			t.Errorf("incident = %+v, event = %+v", inc, evs[0])
		}
	})
	t.Run("ForceByAdmin", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.AssignRole(p, admin, incident.RoleOperator, bob, true, true, at(time.Minute))
		MustOK(t, err)
		if inc.Operator != bob {
			t.Errorf("Operator = %q", inc.Operator)
		}
	})
	t.Run("ErrForceUnauthorized", func(t *testing.T) {
		for _, actor := range []string{sp, stranger} {
			inc := MustDeclare(t, p)
			_, err := inc.AssignRole(p, actor, incident.RoleOperator, bob, true, true, at(time.Minute))
			MustCode(t, err, incident.EUNAUTHORIZED, "Only the operator or an incidentbot admin can force", "<@UOP>")
		}
	})
	t.Run("ForceCancelsHandoff", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, op, incident.RoleOperator, bob, incident.Brief{State: "s"}, at(time.Minute))
		MustOK(t, err)
		evs, err := inc.AssignRole(p, admin, incident.RoleOperator, stranger, true, true, at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventHandoffCancelled, incident.EventRoleAssigned)
		if inc.Handoff != nil || evs[0].Field("to") != bob {
			t.Errorf("handoff = %+v, events = %+v", inc.Handoff, evs)
		}
	})
	t.Run("OtherRoleKeepsHandoff", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, op, incident.RoleOperator, bob, incident.Brief{State: "s"}, at(time.Minute))
		MustOK(t, err)
		_, err = inc.AssignRole(p, op, incident.RoleSpokesperson, stranger, true, true, at(2*time.Minute))
		MustOK(t, err)
		if inc.Handoff == nil {
			t.Error("handoff of the other role was dropped")
		}
	})
	t.Run("AcknowledgedAt", func(t *testing.T) {
		inc := &incident.Incident{ID: 1, Status: incident.StatusInvestigating, Severity: "major"}
		_, err := inc.AssignRole(p, bob, incident.RoleOperator, bob, false, true, at(3*time.Minute))
		MustOK(t, err)
		MustTime(t, "AcknowledgedAt", inc.AcknowledgedAt, at(3*time.Minute))
		_, err = inc.AssignRole(p, bob, incident.RoleOperator, op, true, true, at(4*time.Minute))
		MustOK(t, err)
		MustTime(t, "AcknowledgedAt", inc.AcknowledgedAt, at(3*time.Minute))
	})
	t.Run("ErrNoUser", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.AssignRole(p, op, incident.RoleSpokesperson, "", false, true, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "/incident role spokesperson @alice")
	})
	t.Run("ErrAlreadyHolds", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.AssignRole(p, op, incident.RoleOperator, op, true, true, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "<@UOP> is already the operator")
	})
	t.Run("ResolvedAllowed", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		_, err := inc.AssignRole(p, op, incident.RoleSpokesperson, bob, true, true, at(2*time.Minute))
		MustOK(t, err)
	})
}

func TestIncident_OfferHandoff(t *testing.T) {
	p := MustPolicy(t)
	brief := incident.Brief{State: "db failing over", InFlight: "replica rebuild", Watch: "p99 latency"}
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.OfferHandoff(p, op, incident.RoleOperator, bob, brief, at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventHandoffOffered)
		want := incident.Handoff{Role: incident.RoleOperator, From: op, To: bob, Brief: brief, OfferedAt: at(time.Minute)}
		if inc.Handoff == nil || *inc.Handoff != want {
			t.Errorf("Handoff = %+v, want %+v", inc.Handoff, want)
		}
		if inc.Operator != op {
			t.Errorf("the role moved before it was accepted")
		}
		if e := evs[0]; e.Text != "State: db failing over\nIn flight: replica rebuild\nWatch: p99 latency" ||
			e.Field("from") != op || e.Field("to") != bob || e.Field("role") != "operator" {
			t.Errorf("event = %+v", e)
		}
	})
	t.Run("PartialBrief", func(t *testing.T) {
		if got := (incident.Brief{Watch: "w"}).Text(); got != "Watch: w" {
			t.Errorf("Text = %q", got)
		}
	})
	t.Run("ErrBriefRequired", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, op, incident.RoleOperator, bob, incident.Brief{}, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "brief", "<@UBOB>")
		if inc.Handoff != nil {
			t.Error("handoff recorded without a brief")
		}
	})
	t.Run("ErrNoRecipient", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, op, incident.RoleOperator, "", brief, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "take over as operator")
	})
	t.Run("ErrToHolder", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, op, incident.RoleOperator, op, brief, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "already the operator")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, stranger, incident.RoleOperator, bob, brief, at(time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, "hand off the operator role")
	})
}

func TestIncident_AcceptHandoff(t *testing.T) {
	p := MustPolicy(t)
	offer := func(t *testing.T) *incident.Incident {
		inc := MustDeclare(t, p)
		_, err := inc.OfferHandoff(p, sp, incident.RoleSpokesperson, bob, incident.Brief{State: "s"}, at(time.Minute))
		MustOK(t, err)
		return inc
	}
	t.Run("OK", func(t *testing.T) {
		inc := offer(t)
		evs, err := inc.AcceptHandoff(p, bob, at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventHandoffAccepted)
		if e := evs[0]; e.Actor != bob || e.Field("from") != sp || e.Field("to") != bob || e.Field("role") != "spokesperson" {
			t.Errorf("event = %+v", e)
		}
		if inc.Spokesperson != bob || inc.Handoff != nil {
			t.Errorf("incident = %+v", inc)
		}
		// The outgoing spokesperson no longer manages the incident.
		_, err = inc.SetSeverity(p, sp, "critical", at(3*time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, "<@UBOB>")
	})
	t.Run("ErrNotRecipient", func(t *testing.T) {
		for _, actor := range []string{op, sp, admin, stranger} {
			inc := offer(t)
			_, err := inc.AcceptHandoff(p, actor, at(2*time.Minute))
			MustCode(t, err, incident.EUNAUTHORIZED, "offered to <@UBOB>")
		}
	})
	t.Run("ErrNoHandoff", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.AcceptHandoff(p, bob, at(2*time.Minute))
		MustCode(t, err, incident.ECONFLICT, "no handoff waiting on incident #7")
	})
	t.Run("ErrTwice", func(t *testing.T) {
		inc := offer(t)
		_, err := inc.AcceptHandoff(p, bob, at(2*time.Minute))
		MustOK(t, err)
		_, err = inc.AcceptHandoff(p, bob, at(3*time.Minute))
		MustCode(t, err, incident.ECONFLICT)
	})
}

func TestIncident_PostUpdate(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Reminder.Stage = incident.StageHeadsUp
		evs, err := inc.PostUpdate(p, sp, incident.Update{Text: " DB back ", Doing: " watching "}, at(26*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventUpdatePosted)
		if inc.Updates != 1 || inc.LateUpdates != 0 || inc.Reminder.Stage != incident.StageWaiting {
			t.Errorf("incident = %+v", inc)
		}
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(56*time.Minute))
		MustTime(t, "WakeAt", inc.WakeAt, at(51*time.Minute))
		if e := evs[0]; e.Text != "DB back" || e.Field("doing") != "watching" || e.Field("status") != "investigating" ||
			e.Field("next_update") != "2000-01-01T00:56:00Z" || e.Field("late") != "" {
			t.Errorf("event = %+v", e)
		}
	})
	t.Run("OnTimeAtDue", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.PostUpdate(p, sp, incident.Update{Text: "x"}, at(30*time.Minute))
		MustOK(t, err)
		if inc.LateUpdates != 0 {
			t.Errorf("LateUpdates = %d", inc.LateUpdates)
		}
	})
	t.Run("Late", func(t *testing.T) {
		inc := MustDeclare(t, p)
		if !inc.Overdue(at(31 * time.Minute)) {
			t.Fatal("not overdue")
		}
		evs, err := inc.PostUpdate(p, sp, incident.Update{Text: "x"}, at(31*time.Minute))
		MustOK(t, err)
		if inc.Updates != 1 || inc.LateUpdates != 1 || evs[0].Field("late") != "true" {
			t.Errorf("incident = %+v, event = %+v", inc, evs[0])
		}
	})
	t.Run("DoingOnly", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.PostUpdate(p, sp, incident.Update{Doing: "restarting"}, at(time.Minute))
		MustOK(t, err)
	})
	t.Run("Next", func(t *testing.T) {
		for _, next := range []time.Duration{time.Minute, 2 * time.Hour, incident.MaxNextUpdate} {
			inc := MustDeclare(t, p)
			_, err := inc.PostUpdate(p, sp, incident.Update{Text: "x", Next: next}, at(time.Minute))
			MustOK(t, err)
			MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(time.Minute+next))
		}
	})
	t.Run("ErrNext", func(t *testing.T) {
		for _, next := range []time.Duration{-time.Minute, time.Nanosecond, 30 * time.Second, incident.MaxNextUpdate + time.Second} {
			inc := MustDeclare(t, p)
			_, err := inc.PostUpdate(p, sp, incident.Update{Text: "x", Next: next}, at(time.Minute))
			MustCode(t, err, incident.EINVALID, "between 1 minute and 7 days")
			if inc.Updates != 0 {
				t.Errorf("Next %v: update recorded", next)
			}
		}
	})
	t.Run("StatusChange", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.PostUpdate(p, sp, incident.Update{Status: incident.StatusMonitoring, Text: "x", Impact: " none now "}, at(5*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventStatusChanged, incident.EventUpdatePosted)
		if inc.Status != incident.StatusMonitoring || inc.Impact != "none now" || evs[1].Field("status") != "monitoring" || evs[1].Field("impact") != "none now" {
			t.Errorf("incident = %+v, events = %+v", inc, evs)
		}
		MustTime(t, "MitigatedAt", inc.MitigatedAt, at(5*time.Minute))
	})
	t.Run("SameStatus", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.PostUpdate(p, sp, incident.Update{Status: incident.StatusInvestigating, Text: "x"}, at(5*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventUpdatePosted)
	})
	t.Run("ErrCannotResolve", func(t *testing.T) {
		for _, s := range []incident.Status{incident.StatusResolved, incident.StatusClosed} {
			inc := MustDeclare(t, p)
			_, err := inc.PostUpdate(p, sp, incident.Update{Status: s, Text: "x"}, at(5*time.Minute))
			MustCode(t, err, incident.EINVALID, "/incident resolve")
			if inc.Status != incident.StatusInvestigating {
				t.Errorf("status = %q", inc.Status)
			}
		}
	})
	t.Run("ErrUnknownStatus", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.PostUpdate(p, sp, incident.Update{Status: "bored", Text: "x"}, at(5*time.Minute))
		MustCode(t, err, incident.EINVALID, `"bored" is not a status`)
	})
	t.Run("ErrText", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.PostUpdate(p, sp, incident.Update{Text: "  ", Doing: " "}, at(5*time.Minute))
		MustCode(t, err, incident.EINVALID, "needs text")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.PostUpdate(p, stranger, incident.Update{Text: "x"}, at(5*time.Minute))
		MustCode(t, err, incident.EUNAUTHORIZED, append(whoCanManage, "post status updates")...)
	})
	t.Run("ErrResolved", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		_, err := inc.PostUpdate(p, sp, incident.Update{Text: "x"}, at(5*time.Minute))
		MustCode(t, err, incident.ECONFLICT, "use a note instead")
	})
}

func TestIncident_AddNote(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.AddNote(p, stranger, " restarted pods ", at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventNote)
		if evs[0].Text != "restarted pods" || evs[0].Actor != stranger {
			t.Errorf("event = %+v", evs[0])
		}
	})
	t.Run("Resolved", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(time.Minute))
		_, err := inc.AddNote(p, stranger, "x", at(2*time.Minute))
		MustOK(t, err)
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.AddNote(p, op, " ", at(time.Minute))
		MustCode(t, err, incident.EINVALID, "/incident note")
	})
}

func TestIncident_SetCauseAndImpact(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.SetCause(p, stranger, " expired cert ", at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventCauseRecorded)
		evs, err = inc.SetImpact(p, stranger, " EU logins ", at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventImpactRecorded)
		if inc.Cause != "expired cert" || inc.Impact != "EU logins" {
			t.Errorf("incident = %+v", inc)
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetCause(p, op, "", at(time.Minute))
		MustCode(t, err, incident.EINVALID, "root cause", "/incident cause")
		_, err = inc.SetImpact(p, op, "", at(time.Minute))
		MustCode(t, err, incident.EINVALID, "impact", "/incident impact")
	})
}

func TestIncident_PinMessage(t *testing.T) {
	p := MustPolicy(t)
	m := incident.PinnedMessage{TS: "100.1", Author: bob, Text: "error rate 40%", Permalink: "https://x/p1", Files: []string{"https://f/1", "https://f/2"}}
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.PinMessage(p, stranger, m, at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventMessagePinned)
		if e := evs[0]; e.Text != m.Text || e.Field("ts") != "100.1" || e.Field("author") != bob ||
			e.Field("permalink") != "https://x/p1" || e.Field("files") != "https://f/1 https://f/2" {
			t.Errorf("event = %+v", e)
		}
		if !inc.IsPinned("100.1") || inc.IsPinned("100.2") {
			t.Errorf("Pinned = %v", inc.Pinned)
		}
	})
	t.Run("DedupeByTS", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.PinMessage(p, stranger, m, at(time.Minute))
		MustOK(t, err)
		evs, err := inc.PinMessage(p, op, m, at(2*time.Minute))
		MustOK(t, err)
		if len(evs) != 0 || len(inc.Pinned) != 1 {
			t.Errorf("events = %v, pinned = %v", evs, inc.Pinned)
		}
		evs, err = inc.PinMessage(p, op, incident.PinnedMessage{TS: "100.2"}, at(2*time.Minute))
		MustOK(t, err)
		if len(evs) != 1 || len(inc.Pinned) != 2 {
			t.Errorf("events = %v, pinned = %v", evs, inc.Pinned)
		}
	})
	t.Run("EditAndDeletePinned", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.PinMessage(p, stranger, m, at(time.Minute))
		MustOK(t, err)
		evs, err := inc.EditPinned(p, bob, "100.1", "error rate 45%", at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventMessageEdited)
		if evs[0].Text != "error rate 45%" || evs[0].Field("ts") != "100.1" {
			t.Errorf("event = %+v", evs[0])
		}
		evs, err = inc.DeletePinned(p, bob, "100.1", at(3*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventMessageDeleted)
	})
	t.Run("EditAndDeleteUnpinned", func(t *testing.T) {
		inc := MustDeclare(t, p)
		evs, err := inc.EditPinned(p, bob, "999.9", "x", at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs)
		evs, err = inc.DeletePinned(p, bob, "999.9", at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs)
		MustTime(t, "UpdatedAt", inc.UpdatedAt, t0)
	})
}

func TestIncident_Tasks(t *testing.T) {
	p := MustPolicy(t)
	t.Run("AddTask", func(t *testing.T) {
		inc := MustDeclare(t, p)
		a, evs, err := inc.AddTask(p, stranger, " alert on queue depth ", bob, at(time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventTaskAdded)
		want := incident.ActionItem{ID: 1, Text: "alert on queue depth", Owner: bob, CreatedBy: stranger, CreatedAt: at(time.Minute)}
		if a != want || inc.ActionItems[0] != want {
			t.Errorf("item = %+v, want %+v", a, want)
		}
		if evs[0].Field("task") != "1" || evs[0].Field("owner") != bob {
			t.Errorf("event = %+v", evs[0])
		}
		b, _, err := inc.AddTask(p, op, "b", "", at(2*time.Minute))
		MustOK(t, err)
		if b.ID != 2 || inc.OpenTasks() != 2 {
			t.Errorf("second item = %+v, open = %d", b, inc.OpenTasks())
		}
	})
	t.Run("AfterClose", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustClose(t, p, inc, at(time.Minute))
		_, _, err := inc.AddTask(p, op, "follow-up", "", at(2*time.Minute))
		MustOK(t, err)
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, _, err := inc.AddTask(p, op, " ", bob, at(time.Minute))
		MustCode(t, err, incident.EINVALID, "needs text")
	})
	t.Run("DoneAndReopen", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, _, err := inc.AddTask(p, op, "a", "", at(time.Minute))
		MustOK(t, err)
		evs, err := inc.SetTaskDone(p, bob, 1, true, at(2*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventTaskDone)
		if it := inc.ActionItems[0]; !it.Done || it.DoneBy != bob || !it.DoneAt.Equal(at(2*time.Minute)) || inc.OpenTasks() != 0 {
			t.Errorf("item = %+v", it)
		}
		_, err = inc.SetTaskDone(p, bob, 1, true, at(3*time.Minute))
		MustCode(t, err, incident.EINVALID, "already done")

		evs, err = inc.SetTaskDone(p, op, 1, false, at(4*time.Minute))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventTaskReopened)
		if it := inc.ActionItems[0]; it.Done || it.DoneBy != "" || !it.DoneAt.IsZero() {
			t.Errorf("item = %+v", it)
		}
		_, err = inc.SetTaskDone(p, op, 1, false, at(5*time.Minute))
		MustCode(t, err, incident.EINVALID, "already open")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.SetTaskDone(p, op, 3, true, at(time.Minute))
		MustCode(t, err, incident.ENOTFOUND, "no action item 3", "/incident tasks")
	})
	t.Run("IDsFollowTheHighest", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.ActionItems = []incident.ActionItem{{ID: 5, Text: "x"}, {ID: 2, Text: "y"}}
		a, _, err := inc.AddTask(p, op, "z", "", at(time.Minute))
		MustOK(t, err)
		if a.ID != 6 {
			t.Errorf("ID = %d, want 6", a.ID)
		}
	})
}

// TestIncident_Metrics follows one incident through its life.
func TestIncident_Metrics(t *testing.T) {
	p := MustPolicy(t)
	inc := MustDeclare(t, p)
	MustTime(t, "AcknowledgedAt", inc.AcknowledgedAt, t0)
	_, err := inc.SetStatus(p, op, incident.StatusIdentified, at(10*time.Minute))
	MustOK(t, err)
	MustTime(t, "MitigatedAt", inc.MitigatedAt, time.Time{})
	_, err = inc.PostUpdate(p, sp, incident.Update{Status: incident.StatusMonitoring, Text: "x"}, at(20*time.Minute))
	MustOK(t, err)
	MustTime(t, "MitigatedAt", inc.MitigatedAt, at(20*time.Minute))
	_, err = inc.SetStatus(p, op, incident.StatusIdentified, at(25*time.Minute))
	MustOK(t, err)
	_, err = inc.SetStatus(p, op, incident.StatusMonitoring, at(30*time.Minute))
	MustOK(t, err)
	MustTime(t, "MitigatedAt", inc.MitigatedAt, at(20*time.Minute))
	if got := inc.Duration(at(35 * time.Minute)); got != 35*time.Minute {
		t.Errorf("Duration while open = %v", got)
	}
	MustResolve(t, p, inc, at(40*time.Minute))
	MustTime(t, "ResolvedAt", inc.ResolvedAt, at(40*time.Minute))
	MustTime(t, "MitigatedAt", inc.MitigatedAt, at(20*time.Minute))
	_, err = inc.Close(p, op, at(2*time.Hour))
	MustOK(t, err)
	MustTime(t, "ClosedAt", inc.ClosedAt, at(2*time.Hour))
	if got := inc.Duration(at(5 * time.Hour)); got != 40*time.Minute {
		t.Errorf("Duration = %v, want 40m", got)
	}
	if inc.Updates != 1 || inc.LateUpdates != 0 {
		t.Errorf("Updates = %d, LateUpdates = %d", inc.Updates, inc.LateUpdates)
	}
	if got := inc.String(); got != "#7 Checkout returns 500" {
		t.Errorf("String = %q", got)
	}
}
