package oncall

import (
	"cmp"
	"slices"
	"time"
)

// Shift is a stretch of time one person is on call in one rotation: a turn
// of the rotation, the part of a turn left by overrides and member changes,
// or an override. Start and End are in the rotation's zone.
type Shift struct {
	Rotation string
	Start    time.Time
	End      time.Time // exclusive
	Member   Member
	// Slot numbers the rotation's turn this shift lies in (0 is the first
	// turn), or -1 before the first handoff.
	Slot int64
	// Override is what put Member on call; nil for the rotation's own turn.
	Override *Override
}

// FromOverride reports whether an override put this person on call.
func (s Shift) FromOverride() bool { return s.Override != nil }

// Contains reports whether t falls within the shift.
func (s Shift) Contains(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }

// Schedule is one rotation with its layout and overrides: everything needed
// to say who is on call when. It is a value; build one per query from the
// config, the stored layout and the stored overrides.
type Schedule struct {
	Rotation Rotation
	// Layout is the stored layout after Reconcile; the zero Layout means
	// the configured members since the first shift.
	Layout Layout
	// Overrides of this rotation; overrides of other rotations are ignored.
	// Where stored overrides overlap (validation prevents it), the one
	// created last wins.
	Overrides []Override
}

// epochs returns the layout in force.
func (s *Schedule) epochs() []Epoch {
	if len(s.Layout.Epochs) > 0 {
		return s.Layout.Epochs
	}
	return []Epoch{{Members: s.Rotation.Members}}
}

// basePiece returns the piece of the rotation's own turns containing t, and
// whether anyone holds it. Before the first handoff the piece is the gap
// that ends there.
func (s *Schedule) basePiece(g grid, es []Epoch, t time.Time) (Shift, bool) {
	k, start, end, ok := g.index(t)
	if !ok {
		return Shift{Rotation: s.Rotation.Name, End: end, Slot: -1}, false
	}
	i := 0
	for i < len(es) && !es[i].From.After(t) {
		i++
	}
	if i == 0 {
		i = 1 // before the first epoch: it applies
	}
	e := &es[i-1]
	if e.From.After(start) && i > 1 {
		start = e.From
	}
	if i < len(es) && es[i].From.Before(end) {
		end = es[i].From
	}
	m, ok := e.member(k)
	return Shift{Rotation: s.Rotation.Name, Start: start.In(g.loc), End: end.In(g.loc), Member: m, Slot: k}, ok
}

// baseShifts returns the rotation's own turns overlapping [from, to), whole.
func (s *Schedule) baseShifts(from, to time.Time) []Shift {
	g, es := s.Rotation.grid(), s.epochs()
	out := make([]Shift, 0, min(to.Sub(from)/s.Rotation.ShiftLength()+2, 4096))
	for t := from; t.Before(to); {
		p, ok := s.basePiece(g, es, t)
		if ok {
			out = append(out, p)
		}
		if !p.End.After(t) {
			break // cannot happen; guards against a zone that loops
		}
		t = p.End
	}
	return out
}

// BaseShifts returns the rotation's own turns overlapping [from, to),
// ignoring overrides. Shifts are whole: the first may start before from and
// the last end after to.
func (s Schedule) BaseShifts(from, to time.Time) []Shift {
	return s.baseShifts(from, to)
}

// overrides returns the rotation's overrides in order of precedence: the
// last wins.
func (s *Schedule) overrides() []Override {
	var out []Override
	for _, o := range s.Overrides {
		if o.Rotation == s.Rotation.Name && o.To.After(o.From) {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b Override) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// wins reports whether o takes precedence over p.
func (o *Override) wins(p *Override) bool {
	if c := o.CreatedAt.Compare(p.CreatedAt); c != 0 {
		return c > 0
	}
	return o.ID > p.ID
}

// WhoIsOn returns who is on call at t, overrides included; false when
// nobody is (before the rotation's first shift, with no override).
func (s Schedule) WhoIsOn(t time.Time) (Member, bool) {
	var best *Override
	for i := range s.Overrides {
		o := &s.Overrides[i]
		if o.Rotation == s.Rotation.Name && !t.Before(o.From) && t.Before(o.To) && (best == nil || o.wins(best)) {
			best = o
		}
	}
	if best != nil {
		return s.memberFor(best.User), true
	}
	p, ok := s.basePiece(s.Rotation.grid(), s.epochs(), t)
	return p.Member, ok
}

// memberFor returns the rotation's member with this user ID, or a Member
// naming just the ID for someone covering from outside the rotation.
func (s *Schedule) memberFor(user string) Member {
	for _, m := range s.Rotation.Members {
		if m.UserID == user {
			return m
		}
	}
	return Member{UserID: user}
}

// ShiftAt returns the shift containing t, overrides included.
func (s Schedule) ShiftAt(t time.Time) (Shift, bool) {
	sh := s.Shifts(t, t.Add(time.Nanosecond))
	if len(sh) == 0 {
		return Shift{}, false
	}
	return sh[0], true
}

// Shifts returns the shifts overlapping [from, to), overrides included, in
// order. Each shift is whole (the first may start before from, the last
// end after to), so the same shift looks the same whatever the window.
// Consecutive shifts meet without gap or overlap, except before the first
// handoff where only overrides put anyone on call.
func (s Schedule) Shifts(from, to time.Time) []Shift {
	if !from.Before(to) {
		return nil
	}
	ovs := s.overrides()
	lo, hi := from, to
	for _, o := range ovs {
		if o.From.Before(to) && o.To.After(from) {
			lo, hi = minTime(lo, o.From), maxTime(hi, o.To)
		}
	}
	base := s.baseShifts(lo, hi)
	if len(base) > 0 {
		lo, hi = minTime(lo, base[0].Start), maxTime(hi, base[len(base)-1].End)
	}
	var rel []Override
	for _, o := range ovs {
		if o.From.Before(hi) && o.To.After(lo) {
			rel = append(rel, o)
		}
	}
	var out []Shift
	for _, sh := range s.overlay(base, rel) {
		if sh.Start.Before(to) && sh.End.After(from) {
			out = append(out, sh)
		}
	}
	return out
}

// overlay lays the overrides (in order of precedence) over the base shifts.
func (s *Schedule) overlay(base []Shift, ovs []Override) []Shift {
	if len(ovs) == 0 {
		return base
	}
	cuts := make([]time.Time, 0, 2*(len(base)+len(ovs)))
	for _, b := range base {
		cuts = append(cuts, b.Start, b.End)
	}
	for _, o := range ovs {
		cuts = append(cuts, o.From, o.To)
	}
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)

	g := s.Rotation.grid()
	out := make([]Shift, 0, len(base)+2*len(ovs))
	const none = -1 << 31
	prevSrc, bi := none, 0
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		src := none // >= 0: base[src]; < -1: ovs[-2-src]
		for j := len(ovs) - 1; j >= 0; j-- {
			if !ovs[j].From.After(a) && !ovs[j].To.Before(b) {
				src = -2 - j
				break
			}
		}
		for bi < len(base) && !base[bi].End.After(a) {
			bi++
		}
		if src == none && bi < len(base) && !base[bi].Start.After(a) {
			src = bi
		}
		switch {
		case src == none:
		case src == prevSrc && out[len(out)-1].End.Equal(a):
			out[len(out)-1].End = b.In(g.loc)
		case src >= 0:
			sh := base[src]
			sh.Start, sh.End = a.In(g.loc), b.In(g.loc)
			out = append(out, sh)
		default:
			o := ovs[-2-src]
			slot := int64(-1)
			if k, _, _, ok := g.index(a); ok {
				slot = k
			}
			out = append(out, Shift{
				Rotation: s.Rotation.Name,
				Start:    a.In(g.loc),
				End:      b.In(g.loc),
				Member:   s.memberFor(o.User),
				Slot:     slot,
				Override: &o,
			})
		}
		prevSrc = src
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
