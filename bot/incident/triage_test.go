package incident_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func MustTriagePolicy(tb testing.TB) incident.Policy {
	tb.Helper()
	p := MustCrewPolicy(tb)
	p.Triage = incident.DefaultTriage()
	return p
}

func TestPolicy_Propose(t *testing.T) {
	p := MustTriagePolicy(t)
	cases := []struct {
		name     string
		e        incident.Estimate
		sev      string
		response string
		ok       bool
	}{
		{"Blocked", incident.Estimate{Experience: incident.ExperienceBlocked}, "critical", "restore immediately, around the clock", true},
		{"Degraded", incident.Estimate{Experience: incident.ExperienceDegraded}, "major", "restore by the next working day", true},
		{"Partial", incident.Estimate{Experience: incident.ExperiencePartial}, "minor", "restore when possible, in working hours", true},
		{"SecurityWins", incident.Estimate{Experience: incident.ExperiencePartial, Security: true}, "critical", "contain immediately, around the clock, need-to-know only", true},
		{"LossAloneProposesNothing", incident.Estimate{LossPerHour: 5000}, "", "", false},
		{"Nothing", incident.Estimate{}, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, ok := p.Propose(c.e)
			if ok != c.ok || l.Severity != c.sev || l.Response != c.response {
				t.Errorf("Propose = %+v, %v", l, ok)
			}
		})
	}
	if got := p.Response("major"); got != "restore by the next working day" {
		t.Errorf("Response(major) = %q", got)
	}
	if got := p.Response("nope"); got != "" {
		t.Errorf("Response(nope) = %q", got)
	}
	if MustPolicy(t).Triage.Enabled() || !p.Triage.Enabled() {
		t.Error("Enabled")
	}
}

func TestParseExperience(t *testing.T) {
	for in, want := range map[string]incident.Experience{
		"blocked": incident.ExperienceBlocked, " Cannot ": incident.ExperienceBlocked, "down": incident.ExperienceBlocked,
		"degraded": incident.ExperienceDegraded, "slow": incident.ExperienceDegraded,
		"partial": incident.ExperiencePartial, "some": incident.ExperiencePartial,
	} {
		got, err := incident.ParseExperience(in)
		if err != nil || got != want {
			t.Errorf("ParseExperience(%q) = %q, %v", in, got, err)
		}
	}
	_, err := incident.ParseExperience("meh")
	MustCode(t, err, incident.EINVALID, `"meh" is not what users experience`, "blocked", "degraded", "partial")
}

func TestCheckLoss(t *testing.T) {
	MustOK(t, incident.CheckLoss(0))
	MustOK(t, incident.CheckLoss(incident.MaxLossPerHour))
	MustCode(t, incident.CheckLoss(-5), incident.EINVALID, "negative")
	MustCode(t, incident.CheckLoss(incident.MaxLossPerHour+1), incident.EINVALID, "beyond any real estimate", "1,000,000,001")
}

func TestFormatMoney(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1500: "-1,500"} {
		if got := incident.FormatMoney(n); got != want {
			t.Errorf("FormatMoney(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDeclare_Triage(t *testing.T) {
	p := MustTriagePolicy(t)
	t.Run("ProposedSeverity", func(t *testing.T) {
		inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: "Checkout down", DeclaredBy: op, Type: "general",
			Estimate: incident.Estimate{Experience: incident.ExperienceBlocked, LossPerHour: 12000}}, t0)
		MustOK(t, err)
		if inc.Severity != "critical" || inc.Type != "general" || inc.Estimate.LossPerHour != 12000 || inc.Estimate.By != op {
			t.Fatalf("incident %+v", inc)
		}
		if f := evs[0].Fields; f["experience"] != "blocked" || f["loss_per_hour"] != "12000" || f["proposed"] != "critical" || f["type"] != "general" {
			t.Errorf("declared fields %v", f)
		}
	})
	t.Run("ChosenSeverityWins", func(t *testing.T) {
		inc, _, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: op, Severity: "minor",
			Estimate: incident.Estimate{Security: true}}, t0)
		MustOK(t, err)
		if inc.Severity != "minor" {
			t.Errorf("severity %s", inc.Severity)
		}
	})
	t.Run("AbsurdLoss", func(t *testing.T) {
		_, _, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: op, Estimate: incident.Estimate{LossPerHour: -1}}, t0)
		MustCode(t, err, incident.EINVALID, "negative")
	})
}

func TestIncident_ReviseImpact(t *testing.T) {
	p := MustTriagePolicy(t)
	inc := MustDeclare(t, p)
	deg, loss := incident.ExperienceDegraded, int64(2000)
	evs, err := inc.ReviseImpact(p, sp, incident.ImpactRevision{Experience: &deg, LossPerHour: &loss}, at(10*time.Minute))
	MustOK(t, err)
	MustKinds(t, evs, incident.EventImpactRecorded)
	if f := evs[0].Fields; f["experience"] != "degraded" || f["loss_per_hour"] != "2000" || f["proposed"] != "major" || f["security"] != "" {
		t.Errorf("fields %v", f)
	}
	if inc.Impact != "" || inc.Severity != "major" {
		t.Errorf("impact %q severity %s", inc.Impact, inc.Severity)
	}
	sec := true
	evs, err = inc.ReviseImpact(p, op, incident.ImpactRevision{Text: "admin panel exposed", Security: &sec}, at(40*time.Minute))
	MustOK(t, err)
	if f := evs[0].Fields; f["experience"] != "degraded" || f["security"] != "true" || f["loss_per_hour"] != "2000" || f["proposed"] != "critical" {
		t.Errorf("second revision keeps the rest: %v", f)
	}
	if inc.Impact != "admin panel exposed" || inc.Estimate.By != op {
		t.Errorf("incident %+v", inc.Estimate)
	}
	bad := int64(-3)
	_, err = inc.ReviseImpact(p, op, incident.ImpactRevision{LossPerHour: &bad}, at(41*time.Minute))
	MustCode(t, err, incident.EINVALID, "negative")
	_, err = inc.ReviseImpact(p, op, incident.ImpactRevision{}, at(41*time.Minute))
	MustCode(t, err, incident.EINVALID, "Say what the impact is")
	MustClose(t, p, inc, at(70*time.Minute))
	_, err = inc.ReviseImpact(p, op, incident.ImpactRevision{Text: "late"}, at(71*time.Minute))
	MustCode(t, err, incident.ECONFLICT, "closed")
}

func TestLossOverTime(t *testing.T) {
	ev := func(kind incident.EventKind, d time.Duration, loss string) incident.Event {
		return incident.Event{Kind: kind, At: at(d), Actor: op, Fields: map[string]string{"loss_per_hour": loss}}
	}
	cases := []struct {
		name    string
		events  []incident.Event
		end     time.Time
		periods int
		total   int64
	}{
		{"None", []incident.Event{{Kind: incident.EventDeclared, At: t0}}, at(time.Hour), 0, 0},
		{"OneEstimate", []incident.Event{ev(incident.EventDeclared, 0, "1000")}, at(90 * time.Minute), 1, 1500},
		{"Revised", []incident.Event{ev(incident.EventDeclared, 0, "1000"), ev(incident.EventImpactRecorded, 30*time.Minute, "4000"),
			ev(incident.EventImpactRecorded, 60*time.Minute, "0")}, at(2 * time.Hour), 3, 500 + 2000},
		{"BadValuesSkipped", []incident.Event{ev(incident.EventDeclared, 0, "x"), ev(incident.EventNote, 0, "99"), ev(incident.EventImpactRecorded, 0, "-1")}, at(time.Hour), 0, 0},
		{"AfterTheEnd", []incident.Event{ev(incident.EventImpactRecorded, 2*time.Hour, "1000")}, at(time.Hour), 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, total := incident.LossOverTime(c.events, c.end)
			if len(ps) != c.periods || total != c.total {
				t.Errorf("periods %+v total %d; want %d periods, total %d", ps, total, c.periods, c.total)
			}
		})
	}
}
