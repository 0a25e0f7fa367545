package incident_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// t0 is the fixed clock every test starts from.
var t0 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// The people in the tests.
const (
	op       = "UOP"  // operator (and declarer)
	sp       = "USP"  // spokesperson
	admin    = "UADM" // incidentbot admin
	stranger = "USTR" // someone in the war room with no role
	bob      = "UBOB" // someone else
)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// MustPolicy returns the default policy with admin as the only admin.
func MustPolicy(tb testing.TB) incident.Policy {
	tb.Helper()
	p := incident.DefaultPolicy()
	p.Admins = []string{admin}
	return p
}

// MustDeclare declares a major incident #7 at t0 by op, with sp as its
// spokesperson (assigned at t0).
func MustDeclare(tb testing.TB, p incident.Policy) *incident.Incident {
	tb.Helper()
	inc, _, err := incident.Declare(p, incident.DeclareRequest{Title: "Checkout returns 500", DeclaredBy: op}, t0)
	if err != nil {
		tb.Fatalf("declare: %v", err)
	}
	inc.ID = 7
	if _, err := inc.AssignRole(p, op, incident.RoleSpokesperson, sp, false, true, t0); err != nil {
		tb.Fatalf("assign spokesperson: %v", err)
	}
	return inc
}

// MustResolve resolves inc as op at now.
func MustResolve(tb testing.TB, p incident.Policy, inc *incident.Incident, now time.Time) {
	tb.Helper()
	if _, err := inc.Resolve(p, op, "rolled back", now); err != nil {
		tb.Fatalf("resolve: %v", err)
	}
}

// MustClose resolves and closes inc as op at now.
func MustClose(tb testing.TB, p incident.Policy, inc *incident.Incident, now time.Time) {
	tb.Helper()
	MustResolve(tb, p, inc, now)
	if _, err := inc.Close(p, op, now); err != nil {
		tb.Fatalf("close: %v", err)
	}
}

// MustOK fails the test if err is not nil.
func MustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("unexpected error: %v", err)
	}
}

// MustCode fails the test unless err has code and its message contains
// every one of substrs.
func MustCode(tb testing.TB, err error, code string, substrs ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", code)
	}
	if got := incident.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	msg := incident.ErrorMessage(err)
	for _, s := range substrs {
		if !strings.Contains(msg, s) {
			tb.Errorf("message %q does not contain %q", msg, s)
		}
	}
}

// MustKinds fails the test unless evs have exactly these kinds, in order.
func MustKinds(tb testing.TB, evs []incident.Event, kinds ...incident.EventKind) {
	tb.Helper()
	var got []incident.EventKind
	for _, e := range evs {
		got = append(got, e.Kind)
	}
	if fmt.Sprint(got) != fmt.Sprint(kinds) {
		tb.Fatalf("event kinds = %v, want %v", got, kinds)
	}
}

// MustTime fails the test unless got equals want.
func MustTime(tb testing.TB, name string, got, want time.Time) {
	tb.Helper()
	if !got.Equal(want) {
		tb.Errorf("%s = %v, want %v", name, got, want)
	}
}

func TestDeclare(t *testing.T) {
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "  Checkout returns 500 ", Impact: " EU ", DeclaredBy: op}, t0)
		MustOK(t, err)
		if inc.Title != "Checkout returns 500" || inc.Severity != "major" || inc.Status != incident.StatusInvestigating ||
			inc.Operator != op || inc.DeclaredBy != op || inc.Spokesperson != "" || inc.Private || inc.Impact != "EU" {
			t.Errorf("incident = %+v", inc)
		}
		MustTime(t, "DeclaredAt", inc.DeclaredAt, t0)
		MustTime(t, "AcknowledgedAt", inc.AcknowledgedAt, t0)
		MustTime(t, "UpdatedAt", inc.UpdatedAt, t0)
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(30*time.Minute))
		MustTime(t, "WakeAt", inc.WakeAt, at(25*time.Minute))
		MustKinds(t, evs, incident.EventDeclared, incident.EventRoleAssigned)
		if e := evs[0]; e.Actor != op || e.Text != "Checkout returns 500" || e.Field("severity") != "major" ||
			e.Field("private") != "false" || e.Field("impact") != "EU" || e.Field("next_update") != "2000-01-01T00:30:00Z" {
			t.Errorf("declared event = %+v", e)
		}
		if e := evs[1]; e.Field("role") != "operator" || e.Field("to") != op {
			t.Errorf("role event = %+v", e)
		}
	})
	t.Run("OperatorGiven", func(t *testing.T) {
		inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: op, Operator: bob}, t0)
		MustOK(t, err)
		if inc.Operator != bob || inc.DeclaredBy != op || evs[1].Field("to") != bob || evs[1].Actor != op {
			t.Errorf("incident = %+v, events = %+v", inc, evs)
		}
	})
	t.Run("SeverityAndPrivate", func(t *testing.T) {
		inc, _, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: op, Severity: " Critical ", Private: true}, t0)
		MustOK(t, err)
		if inc.Severity != "critical" || !inc.Private {
			t.Errorf("incident = %+v", inc)
		}
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(15*time.Minute))
	})
	t.Run("TitleOf80Runes", func(t *testing.T) {
		_, _, err := incident.Declare(p, incident.DeclareRequest{Title: strings.Repeat("é", 80), DeclaredBy: op}, t0)
		MustOK(t, err)
	})
	t.Run("ZeroCadenceUsesDefault", func(t *testing.T) {
		p := MustPolicy(t)
		p.Severities = append(p.Severities, incident.SeverityLevel{Name: "info"})
		inc, _, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: op, Severity: "info"}, t0)
		MustOK(t, err)
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(30*time.Minute))
	})
	for name, title := range map[string]string{
		"ErrTitleRequired": "",
		"ErrTitleBlank":    " \t ",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := incident.Declare(p, incident.DeclareRequest{Title: title, DeclaredBy: op}, t0)
			MustCode(t, err, incident.EINVALID, "needs a title")
		})
	}
	t.Run("ErrTitleTooLong", func(t *testing.T) {
		_, _, err := incident.Declare(p, incident.DeclareRequest{Title: strings.Repeat("é", 81), DeclaredBy: op}, t0)
		MustCode(t, err, incident.EINVALID, "81 characters", "80")
	})
	for _, title := range []string{"<!channel> db down", "db <!here> down", "<!everyone>", "db down <!subteam^S1|@oncall>"} {
		t.Run("ErrTitleBroadcast", func(t *testing.T) {
			_, _, err := incident.Declare(p, incident.DeclareRequest{Title: title, DeclaredBy: op}, t0)
			MustCode(t, err, incident.EINVALID, "@channel")
		})
	}
	t.Run("ErrDeclarerRequired", func(t *testing.T) {
		_, _, err := incident.Declare(p, incident.DeclareRequest{Title: "x"}, t0)
		MustCode(t, err, incident.EINVALID, "declare")
	})
	t.Run("ErrUnknownSeverity", func(t *testing.T) {
		_, _, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: op, Severity: "sev0"}, t0)
		MustCode(t, err, incident.EINVALID, `"sev0" is not a severity`, "critical, major, minor")
	})
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]incident.Status{
		"investigating": incident.StatusInvestigating, "Investigate": incident.StatusInvestigating,
		"triage": incident.StatusInvestigating, "triaging": incident.StatusInvestigating,
		"identified": incident.StatusIdentified, "identify": incident.StatusIdentified, " found ": incident.StatusIdentified,
		"monitoring": incident.StatusMonitoring, "monitor": incident.StatusMonitoring,
		"MITIGATED": incident.StatusMonitoring, "fixed": incident.StatusMonitoring,
		"resolved": incident.StatusResolved, "resolve": incident.StatusResolved,
		"closed": incident.StatusClosed, "close": incident.StatusClosed,
	} {
		t.Run(in, func(t *testing.T) {
			got, err := incident.ParseStatus(in)
			MustOK(t, err)
			if got != want {
				t.Errorf("ParseStatus(%q) = %q, want %q", in, got, want)
			}
		})
	}
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := incident.ParseStatus("bored")
		MustCode(t, err, incident.EINVALID, `"bored" is not a status`)
	})
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]incident.Role{
		"operator": incident.RoleOperator, "op": incident.RoleOperator, "Commander": incident.RoleOperator,
		"ic": incident.RoleOperator, "lead": incident.RoleOperator, "incident-commander": incident.RoleOperator,
		"spokesperson": incident.RoleSpokesperson, "spokes": incident.RoleSpokesperson, "comms": incident.RoleSpokesperson,
		"communications": incident.RoleSpokesperson, " SCRIBE ": incident.RoleSpokesperson,
		"spokesman": incident.RoleSpokesperson, "spokeswoman": incident.RoleSpokesperson,
	} {
		t.Run(in, func(t *testing.T) {
			got, err := incident.ParseRole(in)
			MustOK(t, err)
			if got != want {
				t.Errorf("ParseRole(%q) = %q, want %q", in, got, want)
			}
			if got.Duty() == "" {
				t.Errorf("%q has no duty", got)
			}
		})
	}
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := incident.ParseRole("boss")
		MustCode(t, err, incident.EINVALID, `"boss" is not a role`)
	})
}

func TestPolicy_Severity(t *testing.T) {
	p := MustPolicy(t)
	p.Severities[0].RemindBefore = 2 * time.Minute
	t.Run("OK", func(t *testing.T) {
		s, err := p.Severity(" MAJOR ")
		MustOK(t, err)
		if s.Name != "major" || s.RemindBefore != p.RemindBefore || s.EscalateAfter != p.EscalateAfter {
			t.Errorf("Severity = %+v", s)
		}
	})
	t.Run("Override", func(t *testing.T) {
		s, err := p.Severity("critical")
		MustOK(t, err)
		if s.RemindBefore != 2*time.Minute || s.EscalateAfter != p.EscalateAfter {
			t.Errorf("Severity = %+v", s)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := p.Severity("sev1")
		MustCode(t, err, incident.EINVALID, "critical, major, minor")
	})
	t.Run("CadenceAndRank", func(t *testing.T) {
		if got := p.Cadence("minor"); got != time.Hour {
			t.Errorf("Cadence(minor) = %v", got)
		}
		if got := p.Cadence("nope"); got != 30*time.Minute {
			t.Errorf("Cadence(nope) = %v", got)
		}
		if p.Rank("critical") != 0 || p.Rank("minor") != 2 || p.Rank("nope") != -1 {
			t.Error("Rank is wrong")
		}
	})
}

func TestIncident_Clone(t *testing.T) {
	p := MustPolicy(t)
	inc := MustDeclare(t, p)
	inc.Announcements = []incident.Announcement{{ChannelID: "C1", TS: "1"}}
	_, _, err := inc.AddTask(p, op, "a", "", t0)
	MustOK(t, err)
	_, err = inc.PinMessage(p, op, incident.PinnedMessage{TS: "1.1"}, t0)
	MustOK(t, err)
	_, err = inc.OfferHandoff(p, op, incident.RoleOperator, bob, incident.Brief{State: "s"}, t0)
	MustOK(t, err)

	c := inc.Clone()
	c.Announcements[0].TS = "changed"
	c.ActionItems[0].Text = "changed"
	c.Pinned[0] = "changed"
	c.Handoff.To = "changed"
	if inc.Announcements[0].TS != "1" || inc.ActionItems[0].Text != "a" || inc.Pinned[0] != "1.1" || inc.Handoff.To != bob {
		t.Errorf("Clone shares state with the original: %+v", inc)
	}
}

func TestErrors(t *testing.T) {
	e := incident.Errorf(incident.ENOTFOUND, "No incident #%d.", 3)
	wrapped := fmt.Errorf("find incident 3: %w", e)
	for _, tt := range []struct {
		name      string
		err       error
		code, msg string
	}{
		{"Nil", nil, "", ""},
		{"Error", e, incident.ENOTFOUND, "No incident #3."},
		{"Wrapped", wrapped, incident.ENOTFOUND, "No incident #3."},
		{"Internal", errors.New("disk on fire"), incident.EINTERNAL, "Something went wrong on our side; the details are in incidentbot's log."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := incident.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := incident.ErrorMessage(tt.err); got != tt.msg {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.msg)
			}
		})
	}
	if got := e.Error(); !strings.Contains(got, "not_found") || !strings.Contains(got, "No incident #3.") {
		t.Errorf("Error() = %q", got)
	}
}
