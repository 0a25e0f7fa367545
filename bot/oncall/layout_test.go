package oncall

import (
	"testing"
	"time"
)

func TestReconcile_MemberChanges(t *testing.T) {
	base := weekly(t) // alice, bob, carol, dan; Mondays 09:00 Berlin from 2026-03-02
	loc := base.Location
	now := MustTime(t, loc, "2026-03-11 12:00") // bob's turn (the second)
	tests := []struct {
		name    string
		members []Member
		want    []string // shifts from 2026-03-02 to 2026-04-06
	}{
		{
			name:    "removing someone not on call keeps the current turn; the rest move up",
			members: users(alice, bob, carol),
			want: []string{
				"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
				"2026-03-09 09:00 CET → 2026-03-16 09:00 CET UBOB 168h",
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UCAROL 168h",
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UALICE 167h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UBOB 168h",
			},
		},
		{
			name:    "removing the person on call hands the rest of the turn to the next in line",
			members: users(alice, carol, dan),
			want: []string{
				"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
				"2026-03-09 09:00 CET → 2026-03-11 12:00 CET UBOB 51h",
				"2026-03-11 12:00 CET → 2026-03-16 09:00 CET UCAROL 117h",
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UDAN 168h",
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UALICE 167h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UCAROL 168h",
			},
		},
		{
			name:    "adding someone at the end puts them before the wrap",
			members: users(alice, bob, carol, dan, erin),
			want: []string{
				"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
				"2026-03-09 09:00 CET → 2026-03-16 09:00 CET UBOB 168h",
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UCAROL 168h",
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UDAN 167h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UERIN 168h",
			},
		},
		{
			name:    "adding someone right after the person on call makes them next",
			members: users(alice, bob, erin, carol, dan),
			want: []string{
				"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
				"2026-03-09 09:00 CET → 2026-03-16 09:00 CET UBOB 168h",
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UERIN 168h",
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UCAROL 167h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UDAN 168h",
			},
		},
		{
			name:    "reordering continues the new order after the person on call",
			members: users(dan, carol, bob, alice),
			want: []string{
				"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
				"2026-03-09 09:00 CET → 2026-03-16 09:00 CET UBOB 168h",
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UALICE 168h",
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UDAN 167h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UCAROL 168h",
			},
		},
		{
			name:    "replacing everyone starts the new list now",
			members: users(erin, xavi),
			want: []string{
				"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
				"2026-03-09 09:00 CET → 2026-03-11 12:00 CET UBOB 51h",
				"2026-03-11 12:00 CET → 2026-03-16 09:00 CET UERIN 117h",
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UXAVI 168h",
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UERIN 167h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UXAVI 168h",
			},
		},
	}
	from, to := MustTime(t, loc, "2026-03-02 09:00"), MustTime(t, loc, "2026-04-06 09:00")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := NewLayout(base)
			before := Schedule{Rotation: base, Layout: prev}
			r := base
			r.Members = tt.members
			next, changed := Reconcile(r, prev, now)
			if !changed {
				t.Fatal("Reconcile reported no change")
			}
			after := Schedule{Rotation: r, Layout: next}
			equalLines(t, fmtShifts(after.Shifts(from, to)), tt.want)
			// The past is never rewritten.
			for _, sh := range before.Shifts(from, now) {
				for _, at := range []time.Time{sh.Start, minTime(sh.End, now).Add(-time.Second)} {
					b, _ := before.WhoIsOn(at)
					a, _ := after.WhoIsOn(at)
					if a != b {
						t.Errorf("at %s (before the change) %v is on call now, was %v", at, a, b)
					}
				}
			}
			// Reconciling again with the same config changes nothing.
			if again, changed := Reconcile(r, next, now.Add(time.Hour)); changed || !epochsEqual(again.Epochs, next.Epochs) {
				t.Errorf("second Reconcile changed the layout: %+v", again)
			}
		})
	}
}

func TestReconcile_TwoChangesInOneTurn(t *testing.T) {
	r := weekly(t)
	loc := r.Location
	l := NewLayout(r)
	r.Members = users(alice, bob, carol)
	l, _ = Reconcile(r, l, MustTime(t, loc, "2026-03-11 12:00"))
	r.Members = users(alice, carol)
	l, _ = Reconcile(r, l, MustTime(t, loc, "2026-03-12 12:00"))
	got := Schedule{Rotation: r, Layout: l}.Shifts(MustTime(t, loc, "2026-03-02 09:00"), MustTime(t, loc, "2026-03-30 09:00"))
	equalLines(t, fmtShifts(got), []string{
		"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
		"2026-03-09 09:00 CET → 2026-03-12 12:00 CET UBOB 75h",
		"2026-03-12 12:00 CET → 2026-03-16 09:00 CET UCAROL 93h",
		"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UALICE 168h",
		"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UCAROL 167h",
	})
	if len(l.Epochs) != 3 {
		t.Errorf("%d epochs, want 3 (the original and one per change)", len(l.Epochs))
	}
}

func TestReconcile_NoChange(t *testing.T) {
	r := weekly(t)
	l := NewLayout(r)
	got, changed := Reconcile(r, l, MustTime(t, r.Location, "2026-05-01 00:00"))
	if changed || !epochsEqual(got.Epochs, l.Epochs) || got.Grid != l.Grid {
		t.Errorf("Reconcile of an unchanged rotation: changed=%v %+v", changed, got)
	}
}

func TestReconcile_ZeroLayout(t *testing.T) {
	r := weekly(t)
	got, changed := Reconcile(r, Layout{}, MustTime(t, r.Location, "2026-05-01 00:00"))
	if !changed || len(got.Epochs) != 1 || got.Grid == "" {
		t.Fatalf("Reconcile of the zero layout = %+v, %v; want a fresh layout", got, changed)
	}
	// The fresh layout means what the zero layout means.
	from, to := MustTime(t, r.Location, "2026-03-01 00:00"), MustTime(t, r.Location, "2026-06-01 00:00")
	equalLines(t, fmtShifts(Schedule{Rotation: r, Layout: got}.Shifts(from, to)), fmtShifts(Schedule{Rotation: r}.Shifts(from, to)))
}

func TestReconcile_EmailResolved(t *testing.T) {
	r := weekly(t)
	r.Members[2] = Member{Email: "carol@example.com"}
	l := NewLayout(r)
	r.Members[2] = Member{UserID: carol, Email: "carol@example.com"}
	got, changed := Reconcile(r, l, MustTime(t, r.Location, "2026-03-11 12:00"))
	if !changed {
		t.Error("a resolved email did not update the layout")
	}
	if len(got.Epochs) != 1 {
		t.Errorf("%d epochs, want 1: resolving an email is not a change of members", len(got.Epochs))
	}
	s := Schedule{Rotation: r, Layout: got}
	if m, _ := s.WhoIsOn(MustTime(t, r.Location, "2026-03-17 12:00")); m.UserID != carol {
		t.Errorf("carol's turn pages %+v, want her user ID", m)
	}
}

func TestReconcile_GridChangeRelays(t *testing.T) {
	r := weekly(t)
	l := NewLayout(r)
	r.Members = users(alice, bob, carol)
	l, _ = Reconcile(r, l, MustTime(t, r.Location, "2026-03-11 12:00"))
	r.HandoffAt = TimeOfDay{10, 0}
	got, changed := Reconcile(r, l, MustTime(t, r.Location, "2026-03-20 12:00"))
	if !changed || len(got.Epochs) != 1 {
		t.Fatalf("a new handoff time did not lay the rotation out again: %+v", got)
	}
	s := Schedule{Rotation: r, Layout: got}
	if sh, _ := s.ShiftAt(MustTime(t, r.Location, "2026-03-20 12:00")); sh.Member.UserID != carol || sh.Start.Hour() != 10 {
		t.Errorf("after the change %s, want carol's third turn from 10:00", fmtShift(sh))
	}
}

func TestReconcile_BeforeStart(t *testing.T) {
	r := weekly(t)
	l := NewLayout(r)
	r.Members = users(carol, dan)
	got, _ := Reconcile(r, l, MustTime(t, r.Location, "2026-02-20 12:00"))
	if len(got.Epochs) != 1 {
		t.Fatalf("%d epochs, want 1: nothing has happened before the start", len(got.Epochs))
	}
	if m, _ := (Schedule{Rotation: r, Layout: got}).WhoIsOn(r.FirstHandoff()); m.UserID != carol {
		t.Errorf("first turn is %v, want carol", m)
	}
}

func TestReconcile_ClockBack(t *testing.T) {
	// A reconcile at a time before the last change must not reorder the
	// history written by that change.
	r := weekly(t)
	l := NewLayout(r)
	r.Members = users(alice, carol, dan) // bob on call, removed
	l, _ = Reconcile(r, l, MustTime(t, r.Location, "2026-03-11 12:00"))
	r.Members = users(alice, carol)
	got, _ := Reconcile(r, l, MustTime(t, r.Location, "2026-03-10 12:00"))
	s := Schedule{Rotation: r, Layout: got}
	if m, _ := s.WhoIsOn(MustTime(t, r.Location, "2026-03-11 11:00")); m.UserID != bob {
		t.Errorf("on call before the first change: %v, want bob", m)
	}
	for i := 1; i < len(got.Epochs); i++ {
		if got.Epochs[i].From.Before(got.Epochs[i-1].From) {
			t.Errorf("epochs out of order: %v", got.Epochs)
		}
	}
}

func TestReconcile_UnresolvedEmailKeepsStoredID(t *testing.T) {
	r := weekly(t)
	r.Members[2] = Member{UserID: carol, Email: "carol@example.com"}
	l := NewLayout(r)
	r.Members[2] = Member{Email: "carol@example.com"} // the lookup failed this time
	got, _ := Reconcile(r, l, MustTime(t, r.Location, "2026-03-11 12:00"))
	if m := got.Epochs[0].Members[2]; m.UserID != carol {
		t.Errorf("stored member became %+v, want carol's user ID kept", m)
	}
	if len(got.Epochs) != 1 {
		t.Errorf("%d epochs: an unresolved email is not a change of members", len(got.Epochs))
	}
}
