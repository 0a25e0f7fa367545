package incident_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// day is 2026-03-02, a Monday.
var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func facts(id int64, sev string, mod func(*incident.Facts)) incident.Facts {
	f := incident.Facts{ID: id, Severity: sev, Status: incident.StatusClosed, Service: "payments",
		DeclaredAt: day.Add(time.Duration(id) * time.Hour)}
	if mod != nil {
		mod(&f)
	}
	return f
}

func deploy(key, svc string, at time.Time) incident.Deploy {
	return incident.Deploy{Key: key, Service: svc, Version: "v" + key, Environment: "production", Time: at}
}

// memStats is a StatsReader over slices, in time order.
type memStats struct {
	facts   []incident.Facts
	deploys []incident.Deploy
	err     error
}

func within(t, since, until time.Time) bool {
	return !t.Before(since) && (until.IsZero() || t.Before(until))
}

func (m memStats) EachFacts(_ context.Context, since, until time.Time, fn func(incident.Facts) error) error {
	for _, f := range m.facts {
		if within(f.DeclaredAt, since, until) {
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	return m.err
}

func (m memStats) EachDeploy(_ context.Context, since, until time.Time, fn func(incident.Deploy) error) error {
	for _, d := range m.deploys {
		if within(d.Time, since, until) {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestComputeStats(t *testing.T) {
	sevs := []string{"critical", "major", "minor"}
	src := memStats{
		facts: []incident.Facts{
			facts(1, "critical", func(f *incident.Facts) {
				f.AcknowledgedAt, f.ResolvedAt = f.DeclaredAt.Add(2*time.Minute), f.DeclaredAt.Add(time.Hour)
				f.Updates, f.LateUpdates = 4, 1
				f.CauseCategory, f.CauseDeploy = incident.CauseChange, "d1"
			}),
			facts(2, "major", func(f *incident.Facts) {
				f.AcknowledgedAt, f.ResolvedAt = f.DeclaredAt.Add(4*time.Minute), f.DeclaredAt.Add(3*time.Hour)
				f.Updates = 6
				f.Service = "checkout"
				// A checkout incident caused by a payments deploy.
				f.CauseCategory, f.CauseDeploy = incident.CauseChange, "d2"
			}),
			facts(3, "major", func(f *incident.Facts) { f.Drill = true; f.CauseDeploy = "d3" }),
			facts(4, "minor", func(f *incident.Facts) { f.Status = incident.StatusCancelled; f.CauseDeploy = "d3" }),
			facts(5, "sev9", func(f *incident.Facts) {
				f.Private, f.Service, f.CauseDeploy = true, "secret", "d4"
				f.Status = incident.StatusInvestigating
			}),
			// Declared before the window, caused by a deploy in it: not counted.
			facts(-200, "minor", func(f *incident.Facts) { f.CauseDeploy = "d5" }),
		},
		deploys: []incident.Deploy{
			deploy("d0", "payments", day.Add(-time.Hour)), // before the window
			deploy("d1", "payments", day),
			deploy("d2", "Payments", day.Add(time.Minute)),
			deploy("d3", "payments", day.Add(2*time.Minute)),
			deploy("d4", "secret", day.Add(3*time.Minute)),
			deploy("d5", "checkout", day.Add(4*time.Minute)),
			deploy("d6", "checkout", day.Add(5*time.Minute)),
		},
	}
	q := incident.StatsQuery{Since: day, Until: day.AddDate(0, 0, 14)}
	s, err := incident.ComputeStats(context.Background(), src, q, sevs)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Counts", func(t *testing.T) {
		want := []incident.SeverityCount{{"critical", 1}, {"major", 1}, {"minor", 0}, {"sev9", 1}}
		if s.Incidents != 3 || !slices.Equal(s.BySeverity, want) || s.Drills != 1 || s.Cancelled != 1 {
			t.Errorf("incidents %d by severity %v drills %d cancelled %d", s.Incidents, s.BySeverity, s.Drills, s.Cancelled)
		}
		if s.ByCause[incident.CauseChange] != 2 || s.ByCause[""] != 1 {
			t.Errorf("by cause %v", s.ByCause)
		}
	})
	t.Run("Means", func(t *testing.T) {
		if s.Acknowledged != 2 || s.MTTA != 3*time.Minute || s.Resolved != 2 || s.MTTR != 2*time.Hour {
			t.Errorf("MTTA %v over %d, MTTR %v over %d", s.MTTA, s.Acknowledged, s.MTTR, s.Resolved)
		}
		if r, ok := s.OnTimeRate(); !ok || r != 0.9 || s.LateUpdates != 1 {
			t.Errorf("on-time rate %v %v, late %d", r, ok, s.LateUpdates)
		}
	})
	t.Run("ChangeFailureRate", func(t *testing.T) {
		// payments: d1, d2, d3 (service names match in any case); d1 and
		// d2 failed (d3 only by a drill and a cancelled incident).
		// checkout: d5, d6; d5's incident was declared before the window.
		// secret: d4, pointed at by a private incident only.
		want := []incident.ServiceCFR{{"checkout", 2, 0}, {"payments", 3, 2}, {"secret", 1, 0}}
		if !slices.Equal(s.Changes, want) || s.Total != (incident.ServiceCFR{Deploys: 6, Failed: 2}) {
			t.Errorf("changes %v total %v; want %v", s.Changes, s.Total, want)
		}
		if r, ok := s.Total.Rate(); !ok || r != 2.0/6 {
			t.Errorf("rate %v", r)
		}
	})
	t.Run("Weeks", func(t *testing.T) {
		if len(s.Weeks) != 2 || !s.Weeks[0].Start.Equal(day) || !slices.Equal(s.Weeks[0].Count, []int{1, 1, 0, 1}) || !slices.Equal(s.Weeks[1].Count, []int{0, 0, 0, 0}) {
			t.Errorf("weeks %+v", s.Weeks)
		}
	})
	t.Run("Service", func(t *testing.T) {
		q := q
		q.Service = " PAYMENTS "
		s, err := incident.ComputeStats(context.Background(), src, q, sevs)
		if err != nil {
			t.Fatal(err)
		}
		// Incident 1 only (2 is checkout's, 5 private); payments' deploys
		// fail by incident 2 too.
		if s.Incidents != 1 || s.Query.Service != "payments" || len(s.Changes) != 1 || s.Changes[0] != (incident.ServiceCFR{"payments", 3, 2}) {
			t.Errorf("incidents %d changes %v", s.Incidents, s.Changes)
		}
		q.Service = "secret"
		s, _ = incident.ComputeStats(context.Background(), src, q, sevs)
		if s.Incidents != 0 {
			t.Errorf("a service filter shows a private incident: %d", s.Incidents)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		s, err := incident.ComputeStats(context.Background(), memStats{}, q, sevs)
		if err != nil || s.Incidents != 0 || s.Weeks != nil || len(s.Changes) != 0 {
			t.Fatalf("%+v %v", s, err)
		}
		if _, ok := s.OnTimeRate(); ok {
			t.Error("an on-time rate without updates")
		}
		if _, ok := s.Total.Rate(); ok {
			t.Error("a change failure rate without deploys")
		}
	})
	t.Run("ReadError", func(t *testing.T) {
		boom := errors.New("disk on fire")
		if _, err := incident.ComputeStats(context.Background(), memStats{err: boom}, q, sevs); !errors.Is(err, boom) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestFactsOf(t *testing.T) {
	inc := &incident.Incident{ID: 3, Severity: "major", Status: incident.StatusResolved, Service: " Payments ", Type: "outage",
		Private: true, Drill: true, DeclaredAt: day, AcknowledgedAt: day.Add(time.Minute), Updates: 2, LateUpdates: 1,
		CauseCategory: incident.CauseChange, CauseDeploy: "d1"}
	f := incident.FactsOf(inc)
	want := incident.Facts{ID: 3, Severity: "major", Status: incident.StatusResolved, Type: "outage", Service: "payments",
		Private: true, Drill: true, DeclaredAt: day, AcknowledgedAt: day.Add(time.Minute), Updates: 2, LateUpdates: 1,
		CauseCategory: incident.CauseChange, CauseDeploy: "d1"}
	if f != want {
		t.Errorf("FactsOf = %+v, want %+v", f, want)
	}
	if f.Counted() {
		t.Error("a drill counts")
	}
}

func TestRecordCause(t *testing.T) {
	p := incident.DefaultPolicy()
	for _, tc := range []struct {
		name     string
		c        incident.Cause
		wantCat  string
		wantDep  string
		wantText string
		wantErr  string
	}{
		{"Text", incident.Cause{Text: " bad plan "}, "", "", "bad plan", ""},
		{"Category", incident.Cause{Category: "Load"}, incident.CauseCapacity, "", "", ""},
		{"DeployImpliesChange", incident.Cause{Deploy: "d1"}, incident.CauseChange, "d1", "", ""},
		{"ErrNothing", incident.Cause{Text: "  "}, "", "", "", incident.EINVALID},
		{"ErrUnknownCategory", incident.Cause{Category: "weather"}, "", "", "", incident.EINVALID},
		{"ErrDeployWithOtherCategory", incident.Cause{Category: "capacity", Deploy: "d1"}, "", "", "", incident.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inc, _, _ := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1"}, day)
			evs, err := inc.RecordCause(p, "U1", tc.c, day)
			if tc.wantErr != "" {
				if incident.ErrorCode(err) != tc.wantErr {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(evs) != 1 || evs[0].Kind != incident.EventCauseRecorded {
				t.Fatalf("events %+v err %v", evs, err)
			}
			if inc.CauseCategory != tc.wantCat || inc.CauseDeploy != tc.wantDep || inc.Cause != tc.wantText {
				t.Errorf("cause %q category %q deploy %q", inc.Cause, inc.CauseCategory, inc.CauseDeploy)
			}
		})
	}
	t.Run("OtherCategoryDropsTheDeploy", func(t *testing.T) {
		inc, _, _ := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1"}, day)
		_, _ = inc.RecordCause(p, "U1", incident.Cause{Deploy: "d1", Text: "bad deploy"}, day)
		_, _ = inc.RecordCause(p, "U1", incident.Cause{Category: "dependency"}, day)
		if inc.CauseDeploy != "" || inc.CauseCategory != incident.CauseDependency || inc.Cause != "bad deploy" {
			t.Errorf("cause %q category %q deploy %q", inc.Cause, inc.CauseCategory, inc.CauseDeploy)
		}
	})
}

func TestSetService(t *testing.T) {
	p := incident.DefaultPolicy()
	inc, _, _ := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1", Service: " checkout "}, day)
	if inc.Service != "checkout" {
		t.Fatalf("declared service %q", inc.Service)
	}
	evs, err := inc.SetService(p, "U1", "payments", day)
	if err != nil || len(evs) != 1 || evs[0].Field("from") != "checkout" || inc.Service != "payments" {
		t.Fatalf("events %+v err %v", evs, err)
	}
	if evs, err := inc.SetService(p, "U1", "payments", day); err != nil || evs != nil {
		t.Errorf("same service again: %+v %v", evs, err)
	}
	for _, bad := range []string{"<@U1>", "a\nb", "`x`"} {
		if _, err := inc.SetService(p, "U1", bad, day); incident.ErrorCode(err) != incident.EINVALID {
			t.Errorf("SetService(%q) = %v", bad, err)
		}
	}
	if _, _, err := incident.Declare(p, incident.DeclareRequest{Title: "x", DeclaredBy: "U1", Service: "<!here>"}, day); incident.ErrorCode(err) != incident.EINVALID {
		t.Errorf("declare with a bad service: %v", err)
	}
}
