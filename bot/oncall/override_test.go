package oncall

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// cover is an override of the weekly rotation by user, in Berlin time.
func cover(tb testing.TB, id int64, user, from, to string) Override {
	tb.Helper()
	loc := MustLoc(tb, "Europe/Berlin")
	return Override{
		ID: id, Rotation: "primary", User: user,
		From: MustTime(tb, loc, from), To: MustTime(tb, loc, to),
		CreatedBy: carol, CreatedAt: MustTime(tb, loc, "2026-03-01 12:00").Add(time.Duration(id) * time.Minute),
	}
}

func TestSchedule_Overrides(t *testing.T) {
	r := weekly(t) // alice 03-02, bob 03-09, carol 03-16, dan 03-23
	tests := []struct {
		name      string
		overrides []Override
		from, to  string
		want      []string
	}{
		{
			name:      "across a shift boundary",
			overrides: []Override{cover(t, 1, xavi, "2026-03-06 18:00", "2026-03-10 09:00")},
			from:      "2026-03-02 09:00", to: "2026-03-23 09:00",
			want: []string{
				"2026-03-02 09:00 CET → 2026-03-06 18:00 CET UALICE 105h",
				"2026-03-06 18:00 CET → 2026-03-10 09:00 CET UXAVI* 87h",
				"2026-03-10 09:00 CET → 2026-03-16 09:00 CET UBOB 144h",
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UCAROL 168h",
			},
		},
		{
			name:      "inside a shift splits it",
			overrides: []Override{cover(t, 1, xavi, "2026-03-17 09:00", "2026-03-17 21:00")},
			from:      "2026-03-16 09:00", to: "2026-03-23 09:00",
			want: []string{
				"2026-03-16 09:00 CET → 2026-03-17 09:00 CET UCAROL 24h",
				"2026-03-17 09:00 CET → 2026-03-17 21:00 CET UXAVI* 12h",
				"2026-03-17 21:00 CET → 2026-03-23 09:00 CET UCAROL 132h",
			},
		},
		{
			name:      "over several shifts and a DST change",
			overrides: []Override{cover(t, 1, xavi, "2026-03-12 09:00", "2026-03-29 09:00")},
			from:      "2026-03-09 09:00", to: "2026-04-06 09:00",
			want: []string{
				"2026-03-09 09:00 CET → 2026-03-12 09:00 CET UBOB 72h",
				"2026-03-12 09:00 CET → 2026-03-29 09:00 CEST UXAVI* 407h",
				"2026-03-29 09:00 CEST → 2026-03-30 09:00 CEST UDAN 24h",
				"2026-03-30 09:00 CEST → 2026-04-06 09:00 CEST UALICE 168h",
			},
		},
		{
			name:      "exactly one shift",
			overrides: []Override{cover(t, 1, xavi, "2026-03-16 09:00", "2026-03-23 09:00")},
			from:      "2026-03-16 09:00", to: "2026-03-30 09:00",
			want: []string{
				"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UXAVI* 168h",
				"2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UDAN 167h",
			},
		},
		{
			name: "two overrides that touch",
			overrides: []Override{
				cover(t, 1, xavi, "2026-03-17 09:00", "2026-03-18 09:00"),
				cover(t, 2, erin, "2026-03-18 09:00", "2026-03-19 09:00"),
			},
			from: "2026-03-17 12:00", to: "2026-03-19 12:00",
			want: []string{
				"2026-03-17 09:00 CET → 2026-03-18 09:00 CET UXAVI* 24h",
				"2026-03-18 09:00 CET → 2026-03-19 09:00 CET UERIN* 24h",
				"2026-03-19 09:00 CET → 2026-03-23 09:00 CET UCAROL 96h",
			},
		},
		{
			name:      "before the first turn",
			overrides: []Override{cover(t, 1, xavi, "2026-02-27 09:00", "2026-03-02 09:00")},
			from:      "2026-02-20 00:00", to: "2026-03-03 00:00",
			want: []string{
				"2026-02-27 09:00 CET → 2026-03-02 09:00 CET UXAVI* 72h",
				"2026-03-02 09:00 CET → 2026-03-09 09:00 CET UALICE 168h",
			},
		},
		{
			name: "stored overlapping overrides: the one created last wins",
			overrides: []Override{
				cover(t, 2, erin, "2026-03-18 09:00", "2026-03-19 09:00"),
				cover(t, 1, xavi, "2026-03-17 09:00", "2026-03-20 09:00"),
			},
			from: "2026-03-17 12:00", to: "2026-03-20 12:00",
			want: []string{
				"2026-03-17 09:00 CET → 2026-03-18 09:00 CET UXAVI* 24h",
				"2026-03-18 09:00 CET → 2026-03-19 09:00 CET UERIN* 24h",
				"2026-03-19 09:00 CET → 2026-03-20 09:00 CET UXAVI* 24h",
				"2026-03-20 09:00 CET → 2026-03-23 09:00 CET UCAROL 72h",
			},
		},
		{
			name: "overrides of other rotations and empty ones are ignored",
			overrides: []Override{
				func() Override {
					o := cover(t, 1, xavi, "2026-03-17 09:00", "2026-03-18 09:00")
					o.Rotation = "secondary"
					return o
				}(),
				cover(t, 2, erin, "2026-03-18 09:00", "2026-03-18 09:00"),
			},
			from: "2026-03-17 12:00", to: "2026-03-19 12:00",
			want: []string{"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UCAROL 168h"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{Rotation: r, Overrides: tt.overrides}
			from, to := MustTime(t, r.Location, tt.from), MustTime(t, r.Location, tt.to)
			got := s.Shifts(from, to)
			equalLines(t, fmtShifts(got), tt.want)
			for _, sh := range got {
				for _, at := range []time.Time{sh.Start, sh.End.Add(-time.Second)} {
					if m, ok := s.WhoIsOn(at); !ok || m != sh.Member {
						t.Errorf("WhoIsOn(%s) = %v, want %v", at, m, sh.Member)
					}
				}
				if sh.FromOverride() && sh.Override.User != sh.Member.UserID {
					t.Errorf("%s names override of %s", fmtShift(sh), sh.Override.User)
				}
			}
		})
	}
}

func TestSchedule_OverrideKeepsMemberDetails(t *testing.T) {
	r := weekly(t)
	r.Members[1] = Member{UserID: bob, Email: "bob@example.com"}
	s := Schedule{Rotation: r, Overrides: []Override{cover(t, 1, bob, "2026-03-04 09:00", "2026-03-05 09:00")}}
	if m, _ := s.WhoIsOn(MustTime(t, r.Location, "2026-03-04 12:00")); m.Email != "bob@example.com" {
		t.Errorf("a member covering is %+v, want their configured details", m)
	}
}

func TestSchedule_CheckOverride(t *testing.T) {
	r := weekly(t)
	loc := r.Location
	now := MustTime(t, loc, "2026-03-04 10:00")
	existing := cover(t, 7, xavi, "2026-03-05 09:00", "2026-03-07 09:00")
	other := cover(t, 8, xavi, "2026-03-12 09:00", "2026-03-13 09:00")
	other.Rotation = "secondary"
	s := Schedule{Rotation: r, Overrides: []Override{existing, other}}
	req := func(user, from, to string) Override {
		return Override{Rotation: "primary", User: user, From: MustTime(t, loc, from), To: MustTime(t, loc, to), CreatedBy: alice, CreatedAt: now}
	}
	tests := []struct {
		name string
		o    Override
		code string // "" for no error
		want []string
	}{
		{name: "OK", o: req(dan, "2026-03-10 09:00", "2026-03-11 09:00")},
		{name: "OK by someone outside the rotation", o: req(erin, "2026-03-10 09:00", "2026-03-11 09:00")},
		{name: "OK from a moment ago", o: req(dan, "2026-03-04 09:56", "2026-03-04 18:00")},
		{name: "OK touching another override", o: req(dan, "2026-03-07 09:00", "2026-03-08 09:00")},
		{name: "OK overlapping another rotation's override", o: req(dan, "2026-03-12 09:00", "2026-03-13 09:00")},
		{name: "ErrUserNotAnID", o: req("bob", "2026-03-10 09:00", "2026-03-11 09:00"), code: incident.EINVALID,
			want: []string{`"bob" is not a Slack user`, "type @"}},
		{name: "ErrNoUser", o: req("", "2026-03-10 09:00", "2026-03-11 09:00"), code: incident.EINVALID, want: []string{"Say who covers"}},
		{name: "ErrEndBeforeStart", o: req(dan, "2026-03-11 09:00", "2026-03-10 09:00"), code: incident.EINVALID,
			want: []string{"end Tue 10 Mar 09:00 CET", "not after it starts (Wed 11 Mar 09:00 CET)"}},
		{name: "ErrEndEqualsStart", o: req(dan, "2026-03-11 09:00", "2026-03-11 09:00"), code: incident.EINVALID, want: []string{"not after it starts"}},
		{name: "ErrPast", o: req(dan, "2026-03-04 09:00", "2026-03-04 18:00"), code: incident.EINVALID,
			want: []string{"start Wed 4 Mar 09:00 CET", "in the past", "`now`"}},
		{name: "ErrTooLong", o: req(dan, "2026-03-10 09:00", "2026-06-10 09:00"), code: incident.EINVALID,
			want: []string{"91 days 23h", "limit of 90 days", "members"}},
		{name: "ErrNoTimes", o: Override{Rotation: "primary", User: dan, CreatedBy: alice}, code: incident.EINVALID, want: []string{"starts and when it ends"}},
		{name: "ErrOverlap", o: req(dan, "2026-03-06 09:00", "2026-03-08 09:00"), code: incident.ECONFLICT,
			want: []string{"override #7", "<@UXAVI> covers from Thu 5 Mar 09:00 CET to Sat 7 Mar 09:00 CET", "set by <@UCAROL>", "Remove it first"}},
		{name: "ErrOverlapInside", o: req(dan, "2026-03-05 12:00", "2026-03-05 13:00"), code: incident.ECONFLICT, want: []string{"#7"}},
		{name: "ErrOverlapAround", o: req(dan, "2026-03-05 00:00", "2026-03-08 00:00"), code: incident.ECONFLICT, want: []string{"#7"}},
		{name: "ErrOtherRotation", o: func() Override {
			o := req(dan, "2026-03-10 09:00", "2026-03-11 09:00")
			o.Rotation = "secondary"
			return o
		}(),
			code: incident.EINVALID, want: []string{`"secondary", not "primary"`}},
		{name: "ErrNoCreator", o: func() Override { o := req(dan, "2026-03-10 09:00", "2026-03-11 09:00"); o.CreatedBy = ""; return o }(),
			code: incident.EINTERNAL},
		{name: "the same override, checked again, does not overlap itself", o: func() Override { o := existing; o.From = now; return o }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CheckOverride(tt.o, now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("CheckOverride: %v", err)
				}
				return
			}
			MustErrorMessage(t, err, tt.code, tt.want...)
		})
	}
}

func TestOverride_Withdraw(t *testing.T) {
	o := cover(t, 3, xavi, "2026-03-10 09:00", "2026-03-12 09:00")
	loc := o.From.Location()

	if _, keep, err := o.Withdraw(MustTime(t, loc, "2026-03-09 12:00")); err != nil || keep {
		t.Errorf("withdrawing before the start: keep=%v err=%v; want it deleted", keep, err)
	}
	now := MustTime(t, loc, "2026-03-11 12:00")
	rest, keep, err := o.Withdraw(now)
	if err != nil || !keep || !rest.To.Equal(now) || !rest.From.Equal(o.From) {
		t.Errorf("withdrawing while in progress = %+v keep=%v err=%v; want it cut short at now", rest, keep, err)
	}
	_, _, err = o.Withdraw(MustTime(t, loc, "2026-03-12 09:00"))
	MustErrorMessage(t, err, incident.ECONFLICT, "#3 already ended", "history")
}

func TestSchedule_PlanSwap(t *testing.T) {
	r := weekly(t) // alice 03-02, bob 03-09, carol 03-16, dan 03-23
	loc := r.Location
	now := MustTime(t, loc, "2026-03-04 10:00") // alice's turn
	s := Schedule{Rotation: r}

	pair, err := s.PlanSwap(SwapRequest{
		Rotation: "primary", A: alice, AAt: now, B: carol, BAt: MustTime(t, loc, "2026-03-17 12:00"), CreatedBy: alice,
	}, now)
	if err != nil {
		t.Fatalf("PlanSwap: %v", err)
	}
	if pair[0].Swap == "" || pair[0].Swap != pair[1].Swap {
		t.Errorf("the two halves do not share a swap key: %q, %q", pair[0].Swap, pair[1].Swap)
	}
	s.Overrides = []Override{pair[0], pair[1]}
	got := s.Shifts(MustTime(t, loc, "2026-03-02 09:00"), MustTime(t, loc, "2026-03-23 09:00"))
	equalLines(t, fmtShifts(got), []string{
		"2026-03-02 09:00 CET → 2026-03-04 10:00 CET UALICE 49h",
		"2026-03-04 10:00 CET → 2026-03-09 09:00 CET UCAROL* 119h",
		"2026-03-09 09:00 CET → 2026-03-16 09:00 CET UBOB 168h",
		"2026-03-16 09:00 CET → 2026-03-23 09:00 CET UALICE* 168h",
	})

	// A second swap over the same turns is refused: it would overlap.
	_, err = s.PlanSwap(SwapRequest{Rotation: "primary", A: alice, AAt: now, B: bob, BAt: MustTime(t, loc, "2026-03-10 12:00"), CreatedBy: bob}, now)
	MustErrorMessage(t, err, incident.ECONFLICT, "half of a swap")

	errs := []struct {
		name string
		req  SwapRequest
		code string
		want []string
	}{
		{"ErrSelf", SwapRequest{A: alice, B: alice, AAt: now, BAt: now}, incident.EINVALID, []string{"two people"}},
		{"ErrNotIDs", SwapRequest{A: "alice", B: bob, AAt: now, BAt: now}, incident.EINVALID, []string{"Mention both"}},
		{"ErrNotTheirTurn", SwapRequest{A: alice, B: carol, AAt: now, BAt: MustTime(t, loc, "2026-03-10 12:00")}, incident.EINVALID,
			[]string{"<@UCAROL> is not on call in primary at Tue 10 Mar 12:00 CET (<@UBOB> is)"}},
		{"OK with a turn in progress", SwapRequest{A: alice, B: carol, AAt: MustTime(t, loc, "2026-03-02 10:00"), BAt: MustTime(t, loc, "2026-03-17 12:00")}, "", nil},
		{"ErrNotStarted", SwapRequest{A: dan, B: carol, AAt: MustTime(t, loc, "2026-02-24 10:00"), BAt: MustTime(t, loc, "2026-03-17 12:00")}, incident.EINVALID,
			[]string{"primary has not started at Tue 24 Feb 10:00 CET", "Mon 2 Mar 09:00 CET"}},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Rotation, tt.req.CreatedBy = "primary", alice
			_, err := Schedule{Rotation: r}.PlanSwap(tt.req, now)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("PlanSwap: %v", err)
				}
				return
			}
			MustErrorMessage(t, err, tt.code, tt.want...)
		})
	}

	// A turn that has ended cannot be traded.
	_, err = Schedule{Rotation: r}.PlanSwap(SwapRequest{Rotation: "primary", A: alice, B: bob,
		AAt: MustTime(t, loc, "2026-03-03 10:00"), BAt: MustTime(t, loc, "2026-03-10 10:00"), CreatedBy: alice},
		MustTime(t, loc, "2026-03-09 10:00"))
	MustErrorMessage(t, err, incident.EINVALID, "<@UALICE>", "that ended Mon 9 Mar 09:00 CET is over")
}

func TestSchedule_NextTurn(t *testing.T) {
	r := weekly(t)
	s := Schedule{Rotation: r}
	now := MustTime(t, r.Location, "2026-03-04 10:00")
	sh, ok := s.NextTurn(carol, now)
	if !ok || fmtShift(sh) != "2026-03-16 09:00 CET → 2026-03-23 09:00 CET UCAROL 168h" {
		t.Errorf("NextTurn(carol) = %s, %v", fmtShift(sh), ok)
	}
	if sh, ok := s.NextTurn(alice, now); !ok || !sh.Contains(now) {
		t.Errorf("NextTurn(alice) during her turn = %s, %v; want the current turn", fmtShift(sh), ok)
	}
	if _, ok := s.NextTurn(xavi, now); ok {
		t.Error("NextTurn found a turn for someone outside the rotation")
	}
}

func TestRoster_Find(t *testing.T) {
	p := weekly(t)
	sec := p
	sec.Name = "secondary"
	r := Roster{{Rotation: p}, {Rotation: sec}}
	if s, err := r.Find(" Secondary "); err != nil || s.Rotation.Name != "secondary" {
		t.Errorf("Find(Secondary) = %v, %v", s.Rotation.Name, err)
	}
	_, err := r.Find("tertiary")
	MustErrorMessage(t, err, incident.ENOTFOUND, `no rotation called "tertiary"`, "primary, secondary")
	_, err = Roster{}.Find("primary")
	MustErrorMessage(t, err, incident.ENOTFOUND, "No on-call rotations are configured", "oncall.rotations")

	o := cover(t, 0, dan, "2026-03-10 09:00", "2026-03-11 09:00")
	o.Rotation = "tertiary"
	MustErrorMessage(t, r.CheckOverride(o, MustTime(t, p.Location, "2026-03-04 10:00")), incident.ENOTFOUND, "tertiary")
	o.Rotation = "secondary"
	if err := r.CheckOverride(o, MustTime(t, p.Location, "2026-03-04 10:00")); err != nil {
		t.Errorf("CheckOverride on secondary: %v", err)
	}
}

func TestRoster_Status(t *testing.T) {
	p := weekly(t)
	later := p
	later.Name, later.Start = "later", p.Start.AddDate(0, 1, 0)
	solo := p
	solo.Name, solo.Members = "solo", users(erin)
	r := Roster{
		{Rotation: p, Overrides: []Override{cover(t, 1, alice, "2026-03-09 09:00", "2026-03-10 09:00")}},
		{Rotation: later},
		{Rotation: solo},
	}
	var got []string
	for _, st := range r.Status(MustTime(t, p.Location, "2026-03-04 10:00")) {
		got = append(got, st.Rotation+": "+fmtShift(st.Current)+" | next "+fmtShift(st.Next))
	}
	// Alice covers the first day of bob's turn, so she is on until the
	// 10th; the later rotation has nobody yet; erin is alone.
	equalLines(t, got, []string{
		"primary: 2026-03-02 09:00 CET → 2026-03-10 09:00 CET UALICE 192h | next 2026-03-10 09:00 CET → 2026-03-16 09:00 CET UBOB 144h",
		"later: 0001-01-01 00:00 UTC → 0001-01-01 00:00 UTC  0h | next 2026-04-02 09:00 CEST → 2026-04-09 09:00 CEST UALICE 168h",
		"solo: 2026-03-02 09:00 CET → 2026-03-09 09:00 CET UERIN 168h | next 0001-01-01 00:00 UTC → 0001-01-01 00:00 UTC  0h",
	})
	if !p.IsMember(bob) || p.IsMember(xavi) {
		t.Error("IsMember: bob is a member of primary, xavi is not")
	}
}
