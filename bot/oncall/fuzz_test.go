package oncall

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// fuzzZones are zones with every kind of transition: none, whole hours
// both ways of UTC, half hours (Lord Howe), 45 minutes (Chatham), odd base
// offsets (Kolkata, St John's) and a skipped day (Apia).
var fuzzZones = []string{
	"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
	"Pacific/Apia", "America/Sao_Paulo", "Asia/Tokyo", "Pacific/Chatham", "America/St_Johns",
}

var fuzzShifts = []time.Duration{
	8 * time.Hour, 12 * time.Hour, 24 * time.Hour, 36 * time.Hour, 7 * 24 * time.Hour,
	84 * time.Hour, 14 * 24 * time.Hour, 90 * time.Minute, 23*time.Hour + 59*time.Minute, 25 * time.Hour,
}

// fuzzCase is a random rotation with member changes and overrides, and a
// window to look at.
type fuzzCase struct {
	s        Schedule
	from, to time.Time
	history  []Schedule // the schedule before each member change, and when
	changes  []time.Time
	allowed  map[string]bool // every user who may ever be on call
}

func newFuzzCase(tb testing.TB, zone uint8, shift uint32, startDay uint16, handoff uint16, seed uint64, fromOff uint32, span uint32) fuzzCase {
	loc := MustLoc(tb, fuzzZones[int(zone)%len(fuzzZones)])
	var sh time.Duration
	if shift&1 == 0 {
		sh = fuzzShifts[int(shift>>1)%len(fuzzShifts)]
	} else {
		sh = time.Duration(60+(shift>>1)%(60*24*60)) * time.Minute // 1h to 60 days
	}
	rng := rand.New(rand.NewPCG(seed, uint64(zone)))
	pool := users("U0", "U1", "U2", "U3", "U4", "U5", "U6", "U7")
	pick := func() []Member {
		ms := slices.Clone(pool)
		rng.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		return ms[:1+rng.IntN(5)]
	}
	r := Rotation{
		Name:      "fuzz",
		Members:   pick(),
		Shift:     sh,
		Start:     time.Date(2000, 1, 1+int(startDay)%20000, 0, 0, 0, 0, loc),
		HandoffAt: TimeOfDay{int(handoff) % 1440 / 60, int(handoff) % 60},
		Location:  loc,
	}
	fc := fuzzCase{allowed: make(map[string]bool)}
	for _, m := range r.Members {
		fc.allowed[m.UserID] = true
	}
	first := r.FirstHandoff()
	l := NewLayout(r)
	// Up to three changes of members, at increasing times.
	at := first.Add(-sh)
	for range rng.IntN(4) {
		at = at.Add(time.Duration(rng.Int64N(int64(4*sh + time.Hour))))
		fc.history = append(fc.history, Schedule{Rotation: r, Layout: l})
		fc.changes = append(fc.changes, at)
		r.Members = pick()
		for _, m := range r.Members {
			fc.allowed[m.UserID] = true
		}
		l, _ = Reconcile(r, l, at)
	}
	fc.s = Schedule{Rotation: r, Layout: l}
	// Up to four overrides, kept when they pass validation.
	oat := first.Add(-2 * sh)
	for i := range rng.IntN(5) {
		oat = oat.Add(time.Duration(rng.Int64N(int64(3 * sh))))
		o := Override{
			ID: int64(i + 1), Rotation: "fuzz", User: fmt.Sprintf("UX%d", i),
			From: oat, To: oat.Add(time.Minute + time.Duration(rng.Int64N(int64(2*sh)))),
			CreatedBy: "UADMIN", CreatedAt: oat,
		}
		if fc.s.CheckOverride(o, o.From) == nil {
			fc.s.Overrides = append(fc.s.Overrides, o)
			fc.allowed[o.User] = true
		}
	}
	fc.from = first.Add(-sh).Add(time.Duration(fromOff%(60*24*400)) * time.Minute)
	fc.to = fc.from.Add(time.Minute + time.Duration(span%(60*24*60))*time.Minute)
	return fc
}

func FuzzSchedule(f *testing.F) {
	f.Add(uint8(1), uint32(8), uint16(9583), uint16(540), uint64(1), uint32(0), uint32(60*24*30))    // Berlin weekly
	f.Add(uint8(3), uint32(4), uint16(9400), uint16(135), uint64(2), uint32(5000), uint32(60*24*20)) // Lord Howe daily 02:15
	f.Add(uint8(5), uint32(4), uint16(4378), uint16(540), uint64(3), uint32(0), uint32(60*24*10))    // Apia's skipped day
	f.Add(uint8(2), uint32(0), uint16(9500), uint16(150), uint64(4), uint32(9999), uint32(60*24*5))  // New York 8h
	f.Add(uint8(8), uint32(6), uint16(100), uint16(1439), uint64(5), uint32(77), uint32(60*24*59))   // Chatham 36h
	f.Add(uint8(0), uint32(1001), uint16(0), uint16(0), uint64(6), uint32(1), uint32(1))             // odd minutes
	f.Fuzz(func(t *testing.T, zone uint8, shift uint32, startDay uint16, handoff uint16, seed uint64, fromOff uint32, span uint32) {
		fc := newFuzzCase(t, zone, shift, startDay, handoff, seed, fromOff, span)
		checkSchedule(t, fc)
	})
}

// checkSchedule checks every invariant of the schedule arithmetic on one
// case.
func checkSchedule(t *testing.T, fc fuzzCase) {
	s, from, to := fc.s, fc.from, fc.to
	first := s.Rotation.FirstHandoff()
	pieces := s.Shifts(from, to)
	if !from.Before(first) && len(pieces) == 0 {
		t.Fatalf("no shifts in [%s, %s) after the start %s", from, to, first)
	}
	for i, p := range pieces {
		if !p.Start.Before(p.End) {
			t.Fatalf("empty shift %s", fmtShift(p))
		}
		if !p.Start.Before(to) || !p.End.After(from) {
			t.Fatalf("shift %s outside [%s, %s)", fmtShift(p), from, to)
		}
		if !fc.allowed[p.Member.UserID] {
			t.Fatalf("shift %s: %v is neither a member nor covering", fmtShift(p), p.Member)
		}
		if p.FromOverride() && p.Override.User != p.Member.UserID {
			t.Fatalf("shift %s names the wrong override", fmtShift(p))
		}
		if i > 0 {
			prev := pieces[i-1]
			if prev.End.After(p.Start) {
				t.Fatalf("shifts overlap: %s and %s", fmtShift(prev), fmtShift(p))
			}
			if prev.End.Before(p.Start) && p.Start.After(first) {
				t.Fatalf("gap after the start between %s and %s", fmtShift(prev), fmtShift(p))
			}
		}
	}
	if len(pieces) > 0 && !from.Before(first) {
		if pieces[0].Start.After(from) || pieces[len(pieces)-1].End.Before(to) {
			t.Fatalf("shifts %s … %s do not cover [%s, %s)", fmtShift(pieces[0]), fmtShift(pieces[len(pieces)-1]), from, to)
		}
	}
	// WhoIsOn and ShiftAt agree with the list, at the edges and inside.
	step := max(1, len(pieces)/40)
	for i := 0; i < len(pieces); i += step {
		p := pieces[i]
		for _, at := range []time.Time{p.Start, p.Start.Add(p.End.Sub(p.Start) / 2), p.End.Add(-time.Nanosecond)} {
			if m, ok := s.WhoIsOn(at); !ok || m != p.Member {
				t.Fatalf("WhoIsOn(%s) = %v, %v; the list says %s", at, m, ok, fmtShift(p))
			}
		}
		if got, ok := s.ShiftAt(p.Start); !ok || fmtShift(got) != fmtShift(p) {
			t.Fatalf("ShiftAt(%s) = %s; the list says %s", p.Start, fmtShift(got), fmtShift(p))
		}
	}
	// The same shifts whatever the window: split it in two and compare.
	mid := from.Add(to.Sub(from) / 3)
	if mid.After(from) {
		both := append(s.Shifts(from, mid), s.Shifts(mid, to)...)
		both = slices.CompactFunc(both, func(a, b Shift) bool { return fmtShift(a) == fmtShift(b) })
		if got, want := fmtShifts(both), fmtShifts(pieces); !slices.Equal(got, want) {
			t.Fatalf("split window gives other shifts:\n%v\nwant\n%v", got, want)
		}
	}
	checkGrid(t, s, from, to)
	checkHandoffs(t, s, pieces, from, to)
	checkHistory(t, fc)
}

// checkGrid checks the rotation's own turns begin where the rules say.
func checkGrid(t *testing.T, s Schedule, from, to time.Time) {
	r := s.Rotation
	g := r.grid()
	base := s.BaseShifts(from, to)
	for i, b := range base {
		if i > 0 && !base[i-1].End.Equal(b.Start) && base[i-1].Slot == b.Slot {
			t.Fatalf("a turn is split with a gap: %s, %s", fmtShift(base[i-1]), fmtShift(b))
		}
		if !b.Start.Equal(g.start(b.Slot)) {
			continue // a piece that begins at a member change
		}
		if !g.civil {
			if d := b.Start.Sub(r.FirstHandoff()); d%r.ShiftLength() != 0 {
				t.Fatalf("turn %s is not a whole number of shifts from the first", fmtShift(b))
			}
			continue
		}
		// The turn begins when the local clock reads its handoff time
		// (for whole days, HandoffAt), or, where the clock skips that
		// time, at the jump: later than it now, earlier a second before.
		want := g.civ0 + b.Slot*g.step
		got := g.toCivil(b.Start)
		if got == want {
			// The first time the clock reads it, when it reads it twice.
			for _, back := range []time.Duration{30 * time.Minute, 45 * time.Minute, time.Hour, 2 * time.Hour} {
				if g.toCivil(b.Start.Add(-back)) == want {
					t.Fatalf("turn %s begins at the second time the clock reads %s", fmtShift(b), r.HandoffAt)
				}
			}
			if r.ShiftLength()%(24*time.Hour) == 0 {
				if l := b.Start.In(r.Loc()); l.Hour() != r.HandoffAt.Hour || l.Minute() != r.HandoffAt.Minute {
					t.Fatalf("turn %s does not begin at %s", fmtShift(b), r.HandoffAt)
				}
			}
			continue
		}
		if !(got > want && g.toCivil(b.Start.Add(-time.Second)) < want) {
			t.Fatalf("turn %s does not begin at its local handoff time %s", fmtShift(b), time.Unix(want, 0).UTC().Format("2006-01-02 15:04"))
		}
	}
}

// checkHandoffs checks handoffs are the changes of person in the list.
func checkHandoffs(t *testing.T, s Schedule, pieces []Shift, from, to time.Time) {
	starts := make(map[int64]Shift)
	for _, p := range pieces {
		starts[p.Start.UnixNano()] = p
	}
	for _, h := range s.Handoffs(from, to) {
		if h.At.Before(from) || !h.At.Before(to) {
			t.Fatalf("handoff at %s outside [%s, %s)", h.At, from, to)
		}
		p, ok := starts[h.At.UnixNano()]
		if !ok || p.Member != h.Incoming.Member {
			t.Fatalf("handoff at %s to %v is not where a shift starts", h.At, h.Incoming.Member)
		}
		if h.Outgoing.Member.Same(h.Incoming.Member) {
			t.Fatalf("handoff at %s from %v to themselves", h.At, h.Incoming.Member)
		}
		if !h.Incoming.Start.Equal(h.At) || !h.Outgoing.End.Equal(h.At) || !h.Incoming.End.After(h.At) {
			t.Fatalf("handoff at %s: stretches %s and %s do not meet there", h.At, fmtShift(h.Outgoing), fmtShift(h.Incoming))
		}
	}
}

// checkHistory checks member changes never rewrote what came before them.
func checkHistory(t *testing.T, fc fuzzCase) {
	for i, before := range fc.history {
		change := fc.changes[i]
		after := Schedule{Rotation: fc.s.Rotation, Layout: fc.s.Layout}
		first := before.Rotation.FirstHandoff()
		if !change.After(first) {
			continue // nothing had happened yet
		}
		for _, p := range before.BaseShifts(maxTime(first, change.Add(-2*before.Rotation.ShiftLength())), change) {
			at := minTime(p.End, change).Add(-time.Nanosecond)
			b, _ := before.WhoIsOn(at)
			a, _ := after.WhoIsOn(at)
			if a != b {
				t.Fatalf("change %d at %s rewrote %s: %v is on call there now", i, change, fmtShift(p), a)
			}
		}
	}
}

// TestSchedule_RandomCases runs the fuzz invariants over a fixed set of
// random cases, so that every test run covers them without -fuzz.
func TestSchedule_RandomCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 3))
	n := 400
	if testing.Short() {
		n = 50
	}
	for i := range n {
		fc := newFuzzCase(t, uint8(rng.Uint32()), rng.Uint32(), uint16(rng.Uint32()), uint16(rng.Uint32()), rng.Uint64(), rng.Uint32(), rng.Uint32())
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkSchedule(t, fc) })
	}
}
