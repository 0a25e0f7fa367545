package oncall

import (
	"slices"
	"time"
)

// Epoch is a stretch of a rotation's history during which one list of
// members took turns. Shift k of the rotation's grid (shift 0 being the first)
// belongs, from From on, to Members[(k+Offset) mod len(Members)].
type Epoch struct {
	// From is the instant this member list took effect.
	From time.Time
	// Members in the order they take turns.
	Members []Member
	// Offset aligns the list with the shift numbers.
	Offset int
}

// Layout is who takes which turn in a rotation over its whole history. The
// Slack surface stores one per rotation and passes it back to Reconcile
// each time the config is loaded; the zero Layout means "the configured
// members, in order, since the first shift".
type Layout struct {
	// Grid records the shift boundaries the epochs were laid on (shift,
	// start, handoff time, zone), so that a change to them is noticed.
	Grid string
	// Epochs in order of From.
	Epochs []Epoch
}

// NewLayout lays r out from its first shift with its configured members.
func NewLayout(r Rotation) Layout {
	return Layout{
		Grid:   r.fingerprint(),
		Epochs: []Epoch{{From: r.FirstHandoff(), Members: slices.Clone(r.Members)}},
	}
}

// Reconcile brings a stored layout in line with the rotation as configured
// now, and reports whether it changed (and so must be stored again).
//
// The rule, explained in the package documentation: a change of members
// never rewrites the past, and keeps the person on call now until their
// shift ends. If that person was removed, the next remaining person in the
// old order takes over at now. Later shifts follow the new list, continuing
// after whoever holds the current shift. A change of shift, start, handoff
// time or zone is a new rotation: it is laid out again from its start.
func Reconcile(r Rotation, prev Layout, now time.Time) (Layout, bool) {
	g := r.grid()
	if prev.Grid != r.fingerprint() || len(prev.Epochs) == 0 {
		return NewLayout(r), true
	}
	next := Layout{Grid: prev.Grid, Epochs: refresh(prev.Epochs, r.Members)}
	changed := !epochsEqual(next.Epochs, prev.Epochs)

	last := next.Epochs[len(next.Epochs)-1]
	if slices.EqualFunc(last.Members, r.Members, Member.Same) {
		return next, changed
	}
	k, _, _, started := g.index(now)
	if !started || len(last.Members) == 0 || len(r.Members) == 0 {
		// Nothing has happened yet (or there is nobody to continue
		// from): the new list simply starts from the first shift.
		if !started {
			return NewLayout(r), true
		}
		e := Epoch{From: maxTime(now, last.From), Members: slices.Clone(r.Members)}
		if n := int64(len(r.Members)); n > 0 {
			e.Offset = int(mod(-k, n)) // the first member takes over now
		}
		next.Epochs = appendEpoch(next.Epochs, e)
		return next, true
	}
	if now.Before(last.From) {
		now = last.From // a clock that went back must not reorder history
	}
	// Who holds shift k under the old list, and where they are in the new.
	cur := int(mod(k+int64(last.Offset), int64(len(last.Members))))
	from := maxTime(g.start(k), last.From)
	j := indexOf(r.Members, last.Members[cur])
	if j < 0 {
		// The person on call was removed: the rest of their shift goes
		// to the next remaining person in the old order.
		from = now
		j = 0
		for step := 1; step < len(last.Members); step++ {
			if i := indexOf(r.Members, last.Members[(cur+step)%len(last.Members)]); i >= 0 {
				j = i
				break
			}
		}
	}
	n := int64(len(r.Members))
	next.Epochs = appendEpoch(next.Epochs, Epoch{
		From:    from,
		Members: slices.Clone(r.Members),
		Offset:  int(mod(int64(j)-k, n)),
	})
	return next, true
}

// appendEpoch adds e, replacing epochs that begin at or after it.
func appendEpoch(es []Epoch, e Epoch) []Epoch {
	i := len(es)
	for i > 0 && !es[i-1].From.Before(e.From) {
		i--
	}
	return append(es[:i:i], e)
}

// refresh copies current member details (a user ID resolved from an email)
// into the stored epochs, so that history pages the right account. A user
// ID already stored is kept when the config's member has none yet.
func refresh(es []Epoch, current []Member) []Epoch {
	out := make([]Epoch, len(es))
	for i, e := range es {
		e.Members = slices.Clone(e.Members)
		for mi, m := range e.Members {
			if j := indexOf(current, m); j >= 0 {
				c := current[j]
				if c.UserID == "" {
					c.UserID = m.UserID
				}
				e.Members[mi] = c
			}
		}
		out[i] = e
	}
	return out
}

// member returns who holds shift k in e; false when e has no members.
func (e *Epoch) member(k int64) (Member, bool) {
	if len(e.Members) == 0 {
		return Member{}, false
	}
	return e.Members[mod(k+int64(e.Offset), int64(len(e.Members)))], true
}

func indexOf(ms []Member, m Member) int {
	return slices.IndexFunc(ms, m.Same)
}

func membersEqual(a, b []Member) bool {
	return slices.Equal(a, b)
}

func epochsEqual(a, b []Epoch) bool {
	return slices.EqualFunc(a, b, func(x, y Epoch) bool {
		return x.From.Equal(y.From) && x.Offset == y.Offset && membersEqual(x.Members, y.Members)
	})
}

// mod is the non-negative remainder.
func mod(a, n int64) int64 {
	r := a % n
	if r < 0 {
		r += n
	}
	return r
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
