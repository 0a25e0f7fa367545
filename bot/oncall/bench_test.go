package oncall

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// loop runs body b.N times (through b.Loop) and reports the CPU time per
// operation as cpu-ns/op.
func loop(b *testing.B, body func(i int)) {
	b.Helper()
	b.ReportAllocs()
	cpu, i := processCPU(), 0
	for b.Loop() {
		body(i)
		i++
	}
	if used := processCPU() - cpu; used > 0 && i > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(i), "cpu-ns/op")
	}
}

// benchSchedule is a rotation of six with two member changes behind it and
// twenty overrides in the benchmarked year, as a busy team would have.
func benchSchedule(tb testing.TB, shift time.Duration) Schedule {
	tb.Helper()
	loc := MustLoc(tb, "Europe/Berlin")
	r := Rotation{
		Name: "primary", Members: users("U0", "U1", "U2", "U3", "U4", "U5"), Shift: shift,
		Start: MustTime(tb, loc, "2024-01-01 00:00"), HandoffAt: TimeOfDay{9, 0}, Location: loc,
	}
	l := NewLayout(r)
	r.Members = users("U0", "U1", "U2", "U3", "U4")
	l, _ = Reconcile(r, l, MustTime(tb, loc, "2025-03-12 12:00"))
	r.Members = users("U0", "U1", "U2", "U3", "U4", "U6")
	l, _ = Reconcile(r, l, MustTime(tb, loc, "2025-11-03 12:00"))
	s := Schedule{Rotation: r, Layout: l}
	at := MustTime(tb, loc, "2026-01-05 10:00")
	for i := range 20 {
		s.Overrides = append(s.Overrides, Override{
			ID: int64(i + 1), Rotation: "primary", User: fmt.Sprintf("UX%d", i),
			From: at, To: at.Add(10 * time.Hour), CreatedBy: "U0", CreatedAt: at,
		})
		at = at.Add(17*24*time.Hour + 5*time.Hour)
	}
	return s
}

func BenchmarkWhoIsOn(b *testing.B) {
	for _, shift := range []time.Duration{8 * time.Hour, 7 * 24 * time.Hour} {
		b.Run(shift.String(), func(b *testing.B) {
			s := benchSchedule(b, shift)
			t0 := MustTime(b, s.Rotation.Location, "2026-01-01 00:00")
			// Walk the year in 7h07m steps: every part of the day and every
			// override gets its turn.
			loop(b, func(i int) {
				if _, ok := s.WhoIsOn(t0.Add(time.Duration(i%1230) * (7*time.Hour + 7*time.Minute))); !ok {
					b.Fatal("nobody on call")
				}
			})
		})
	}
}

func BenchmarkShiftsYear(b *testing.B) {
	for _, shift := range []time.Duration{8 * time.Hour, 7 * 24 * time.Hour} {
		b.Run(shift.String(), func(b *testing.B) {
			s := benchSchedule(b, shift)
			from := MustTime(b, s.Rotation.Location, "2026-01-01 00:00")
			to := from.AddDate(1, 0, 0)
			n := 0
			loop(b, func(int) { n = len(s.Shifts(from, to)) })
			b.ReportMetric(float64(n), "shifts")
		})
	}
}

func BenchmarkHandoffsYear(b *testing.B) {
	s := benchSchedule(b, 7*24*time.Hour)
	from := MustTime(b, s.Rotation.Location, "2026-01-01 00:00")
	to := from.AddDate(1, 0, 0)
	loop(b, func(int) {
		if len(s.Handoffs(from, to)) < 52 {
			b.Fatal("too few handoffs")
		}
	})
}

func BenchmarkWriteICalYear(b *testing.B) {
	cal := Calendar{
		Schedules: []Schedule{benchSchedule(b, 7*24*time.Hour), benchSchedule(b, 12*time.Hour)},
		Now:       time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	cal.Schedules[1].Rotation.Name = "follow-the-sun"
	for i := range cal.Schedules[1].Overrides {
		cal.Schedules[1].Overrides[i].Rotation = "follow-the-sun"
	}
	cal.From = MustTime(b, cal.Schedules[0].Rotation.Location, "2026-01-01 00:00")
	cal.To = cal.From.AddDate(1, 0, 0)
	loop(b, func(int) {
		if err := WriteICal(io.Discard, cal); err != nil {
			b.Fatal(err)
		}
	})
}
