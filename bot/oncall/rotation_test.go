package oncall

import (
	"testing"
	"time"
)

func TestRotation_Shifts(t *testing.T) {
	abc := users(alice, bob, carol)
	abcd := users(alice, bob, carol, dan)
	tests := []struct {
		name     string
		zone     string
		start    string // date of the first shift
		handoff  TimeOfDay
		shift    time.Duration
		members  []Member
		from, to string // window, in the zone
		want     []string
	}{
		{
			name: "Berlin weekly into summer time is 167h", zone: "Europe/Berlin",
			start: "2026-03-23", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-03-23 09:00", to: "2026-04-06 09:00",
			want: []string{
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UALICE 167h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UBOB 168h",
			},
		},
		{
			name: "Berlin weekly out of summer time is 169h", zone: "Europe/Berlin",
			start: "2026-10-19", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-10-19 09:00", to: "2026-11-02 09:00",
			want: []string{
				"2026-10-19 09:00 CEST → 2026-10-26 09:00 CET UALICE 169h",
				"2026-10-26 09:00 CET → 2026-11-02 09:00 CET UBOB 168h",
			},
		},
		{
			name: "New York weekly, both changes", zone: "America/New_York",
			start: "2026-03-02", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-03-02 09:00", to: "2026-03-16 09:00",
			want: []string{
				"2026-03-02 09:00 EST → 2026-03-09 09:00 EDT UALICE 167h",
				"2026-03-09 09:00 EDT → 2026-03-16 09:00 EDT UBOB 168h",
			},
		},
		{
			name: "New York weekly in November", zone: "America/New_York",
			start: "2026-10-26", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-10-26 09:00", to: "2026-11-02 09:00",
			want: []string{"2026-10-26 09:00 EDT → 2026-11-02 09:00 EST UALICE 169h"},
		},
		{
			name: "Tokyo has no DST: always 168h", zone: "Asia/Tokyo",
			start: "2026-03-23", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-03-23 09:00", to: "2026-04-06 09:00",
			want: []string{
				"2026-03-23 09:00 JST → 2026-03-30 09:00 JST UALICE 168h",
				"2026-03-30 09:00 JST → 2026-04-06 09:00 JST UBOB 168h",
			},
		},
		{
			name: "Lord Howe ends its half hour of DST: 168.5h", zone: "Australia/Lord_Howe",
			start: "2026-03-30", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-03-30 09:00", to: "2026-04-06 09:00",
			want: []string{"2026-03-30 09:00 +11 → 2026-04-06 09:00 +1030 UALICE 168.5h"},
		},
		{
			name: "Lord Howe starts its half hour of DST: 167.5h", zone: "Australia/Lord_Howe",
			start: "2026-09-28", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-09-28 09:00", to: "2026-10-05 09:00",
			want: []string{"2026-09-28 09:00 +1030 → 2026-10-05 09:00 +11 UALICE 167.5h"},
		},
		{
			name: "a handoff time the clock skips happens at the jump (Berlin)", zone: "Europe/Berlin",
			start: "2026-03-27", handoff: TimeOfDay{2, 30}, shift: 24 * time.Hour, members: abc,
			from: "2026-03-27 02:30", to: "2026-03-31 02:30",
			want: []string{
				"2026-03-27 02:30 CET → 2026-03-28 02:30 CET UALICE 24h",
				"2026-03-28 02:30 CET → 2026-03-29 03:00 CEST UBOB 23.5h",
				"2026-03-29 03:00 CEST → 2026-03-30 02:30 CEST UCAROL 23.5h",
				"2026-03-30 02:30 CEST → 2026-03-31 02:30 CEST UALICE 24h",
			},
		},
		{
			name: "a handoff time the clock skips happens at the jump (New York)", zone: "America/New_York",
			start: "2026-03-07", handoff: TimeOfDay{2, 30}, shift: 24 * time.Hour, members: abc,
			from: "2026-03-07 02:30", to: "2026-03-09 02:30",
			want: []string{
				"2026-03-07 02:30 EST → 2026-03-08 03:00 EDT UALICE 23.5h",
				"2026-03-08 03:00 EDT → 2026-03-09 02:30 EDT UBOB 23.5h",
			},
		},
		{
			name: "a handoff time the clock skips happens at the jump (Lord Howe)", zone: "Australia/Lord_Howe",
			start: "2026-10-03", handoff: TimeOfDay{2, 15}, shift: 24 * time.Hour, members: abc,
			from: "2026-10-03 02:15", to: "2026-10-05 02:15",
			want: []string{
				"2026-10-03 02:15 +1030 → 2026-10-04 02:30 +11 UALICE 23.75h",
				"2026-10-04 02:30 +11 → 2026-10-05 02:15 +11 UBOB 23.75h",
			},
		},
		{
			name: "a handoff time the clock shows twice happens the first time (Berlin)", zone: "Europe/Berlin",
			start: "2026-10-24", handoff: TimeOfDay{2, 30}, shift: 24 * time.Hour, members: abc,
			from: "2026-10-24 02:30", to: "2026-10-26 02:30",
			want: []string{
				"2026-10-24 02:30 CEST → 2026-10-25 02:30 CEST UALICE 24h",
				"2026-10-25 02:30 CEST → 2026-10-26 02:30 CET UBOB 25h",
			},
		},
		{
			name: "a handoff time the clock shows twice happens the first time (New York)", zone: "America/New_York",
			start: "2026-10-31", handoff: TimeOfDay{1, 30}, shift: 24 * time.Hour, members: abc,
			from: "2026-10-31 01:30", to: "2026-11-02 01:30",
			want: []string{
				"2026-10-31 01:30 EDT → 2026-11-01 01:30 EDT UALICE 24h",
				"2026-11-01 01:30 EDT → 2026-11-02 01:30 EST UBOB 25h",
			},
		},
		{
			name: "8h shifts are real hours across DST", zone: "Europe/Berlin",
			start: "2026-03-28", handoff: TimeOfDay{6, 0}, shift: 8 * time.Hour, members: abc,
			from: "2026-03-28 06:00", to: "2026-03-29 15:00",
			want: []string{
				"2026-03-28 06:00 CET → 2026-03-28 14:00 CET UALICE 8h",
				"2026-03-28 14:00 CET → 2026-03-28 22:00 CET UBOB 8h",
				"2026-03-28 22:00 CET → 2026-03-29 07:00 CEST UCAROL 8h",
				"2026-03-29 07:00 CEST → 2026-03-29 15:00 CEST UALICE 8h",
			},
		},
		{
			name: "12h follow-the-sun in New York in November", zone: "America/New_York",
			start: "2026-10-31", handoff: TimeOfDay{8, 0}, shift: 12 * time.Hour, members: users(alice, bob),
			from: "2026-10-31 20:00", to: "2026-11-01 19:00",
			want: []string{
				"2026-10-31 20:00 EDT → 2026-11-01 07:00 EST UBOB 12h",
				"2026-11-01 07:00 EST → 2026-11-01 19:00 EST UALICE 12h",
			},
		},
		{
			name: "36h shifts keep their local handoff times: one is 35h", zone: "Europe/Berlin",
			start: "2026-03-27", handoff: TimeOfDay{9, 0}, shift: 36 * time.Hour, members: abc,
			from: "2026-03-27 09:00", to: "2026-03-31 21:00",
			want: []string{
				"2026-03-27 09:00 CET → 2026-03-28 21:00 CET UALICE 36h",
				"2026-03-28 21:00 CET → 2026-03-30 09:00 CEST UBOB 35h",
				"2026-03-30 09:00 CEST → 2026-03-31 21:00 CEST UCAROL 36h",
			},
		},
		{
			name: "daily across a leap day", zone: "UTC",
			start: "2028-02-27", shift: 24 * time.Hour, members: abcd,
			from: "2028-02-27 00:00", to: "2028-03-03 00:00",
			want: []string{
				"2028-02-27 00:00 UTC → 2028-02-28 00:00 UTC UALICE 24h",
				"2028-02-28 00:00 UTC → 2028-02-29 00:00 UTC UBOB 24h",
				"2028-02-29 00:00 UTC → 2028-03-01 00:00 UTC UCAROL 24h",
				"2028-03-01 00:00 UTC → 2028-03-02 00:00 UTC UDAN 24h",
				"2028-03-02 00:00 UTC → 2028-03-03 00:00 UTC UALICE 24h",
			},
		},
		{
			name: "weekly from a leap day", zone: "Europe/Berlin",
			start: "2028-02-29", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2028-02-29 09:00", to: "2028-03-14 09:00",
			want: []string{
				"2028-02-29 09:00 CET → 2028-03-07 09:00 CET UALICE 168h",
				"2028-03-07 09:00 CET → 2028-03-14 09:00 CET UBOB 168h",
			},
		},
		{
			name: "four weeks over a leap day", zone: "UTC",
			start: "2028-02-15", handoff: TimeOfDay{9, 0}, shift: 28 * 24 * time.Hour, members: abc,
			from: "2028-02-15 09:00", to: "2028-04-11 09:00",
			want: []string{
				"2028-02-15 09:00 UTC → 2028-03-14 09:00 UTC UALICE 672h",
				"2028-03-14 09:00 UTC → 2028-04-11 09:00 UTC UBOB 672h",
			},
		},
		{
			name: "a zone that skips a whole day: that day's turn runs from the jump", zone: "Pacific/Apia",
			start: "2011-12-28", handoff: TimeOfDay{9, 0}, shift: 24 * time.Hour, members: abcd,
			from: "2011-12-28 09:00", to: "2012-01-01 09:00",
			want: []string{
				"2011-12-28 09:00 -10 → 2011-12-29 09:00 -10 UALICE 24h",
				"2011-12-29 09:00 -10 → 2011-12-31 00:00 +14 UBOB 15h",
				"2011-12-31 00:00 +14 → 2011-12-31 09:00 +14 UCAROL 9h",
				"2011-12-31 09:00 +14 → 2012-01-01 09:00 +14 UDAN 24h",
			},
		},
		{
			name: "a window inside one shift returns it whole", zone: "Europe/Berlin",
			start: "2026-03-23", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-03-25 12:00", to: "2026-03-25 13:00",
			want: []string{"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UALICE 167h"},
		},
		{
			name: "before the start nobody is on call", zone: "Europe/Berlin",
			start: "2026-03-23", handoff: TimeOfDay{9, 0}, members: abc,
			from: "2026-03-01 00:00", to: "2026-03-24 00:00",
			want: []string{"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UALICE 167h"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := MustLoc(t, tt.zone)
			r := Rotation{
				Name: "primary", Members: tt.members, Shift: tt.shift, HandoffAt: tt.handoff, Location: loc,
				Start: MustTime(t, loc, tt.start+" 00:00"),
			}
			if errs := Errors(r.Validate()); len(errs) > 0 {
				t.Fatalf("invalid rotation: %v", errs)
			}
			s := Schedule{Rotation: r}
			got := s.Shifts(MustTime(t, loc, tt.from), MustTime(t, loc, tt.to))
			equalLines(t, fmtShifts(got), tt.want)
			// Every instant of every shift agrees with WhoIsOn and ShiftAt.
			for _, sh := range got {
				for _, at := range []time.Time{sh.Start, sh.Start.Add(sh.End.Sub(sh.Start) / 2), sh.End.Add(-time.Nanosecond)} {
					if m, ok := s.WhoIsOn(at); !ok || m != sh.Member {
						t.Errorf("WhoIsOn(%s) = %v, %v; want %v", at, m, ok, sh.Member)
					}
					if got, ok := s.ShiftAt(at); !ok || fmtShift(got) != fmtShift(sh) {
						t.Errorf("ShiftAt(%s) = %s, %v; want %s", at, fmtShift(got), ok, fmtShift(sh))
					}
				}
			}
		})
	}
}

func TestRotation_BeforeStart(t *testing.T) {
	r := weekly(t)
	s := Schedule{Rotation: r}
	first := r.FirstHandoff()
	if want := MustTime(t, r.Location, "2026-03-02 09:00"); !first.Equal(want) {
		t.Fatalf("FirstHandoff = %s, want %s", first, want)
	}
	if m, ok := s.WhoIsOn(first.Add(-time.Second)); ok {
		t.Errorf("WhoIsOn before the start = %v, want nobody", m)
	}
	if _, ok := s.ShiftAt(first.Add(-time.Hour)); ok {
		t.Error("ShiftAt before the start found a shift")
	}
	if m, ok := s.WhoIsOn(first); !ok || m.UserID != alice {
		t.Errorf("WhoIsOn at the start = %v, %v; want alice", m, ok)
	}
	// The next person after a time before the start is the first one.
	if n, ok := s.Next(first.Add(-48 * time.Hour)); !ok || n.Member.UserID != alice || !n.Start.Equal(first) {
		t.Errorf("Next before the start = %s, %v; want alice at the start", fmtShift(n), ok)
	}
}

func TestRotation_StartClockIsIgnored(t *testing.T) {
	r := weekly(t)
	r.Start = r.Start.Add(17*time.Hour + 45*time.Minute) // 17:45 on the start date
	if got, want := r.FirstHandoff(), MustTime(t, r.Location, "2026-03-02 09:00"); !got.Equal(want) {
		t.Errorf("FirstHandoff = %s, want %s", got, want)
	}
	r.Start = r.Start.UTC() // same instant in another zone: still the Berlin date
	if got, want := r.FirstHandoff(), MustTime(t, r.Location, "2026-03-02 09:00"); !got.Equal(want) {
		t.Errorf("FirstHandoff from a UTC start = %s, want %s", got, want)
	}
}

func TestRotation_FarFuture(t *testing.T) {
	// Thousands of turns after the start the arithmetic still lands on
	// the local handoff time, without walking the turns one by one.
	r := weekly(t)
	s := Schedule{Rotation: r}
	at := MustTime(t, r.Location, "2126-07-15 12:00")
	sh, ok := s.ShiftAt(at)
	if !ok {
		t.Fatal("no shift in 2126")
	}
	if got := sh.Start.Format("Mon 15:04"); got != "Mon 09:00" {
		t.Errorf("shift in 2126 starts %s, want Mon 09:00", got)
	}
	if want := users(alice, bob, carol, dan)[sh.Slot%4]; sh.Member != want {
		t.Errorf("slot %d held by %v, want %v", sh.Slot, sh.Member, want)
	}
}
