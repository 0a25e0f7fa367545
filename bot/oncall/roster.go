package oncall

import (
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Roster is every rotation's schedule: what commands look names up in.
type Roster []Schedule

// Find returns the schedule of the rotation called name (case-insensitive).
func (r Roster) Find(name string) (Schedule, error) {
	want := strings.ToLower(strings.TrimSpace(name))
	for _, s := range r {
		if s.Rotation.Name == want {
			return s, nil
		}
	}
	if len(r) == 0 {
		return Schedule{}, incident.Errorf(incident.ENOTFOUND, "No on-call rotations are configured; add them under oncall.rotations in the config.")
	}
	return Schedule{}, incident.Errorf(incident.ENOTFOUND, "There is no rotation called %q. The rotations are: %s.", name, strings.Join(r.Names(), ", "))
}

// Names lists the rotation names in config order.
func (r Roster) Names() []string {
	out := make([]string, len(r))
	for i, s := range r {
		out[i] = s.Rotation.Name
	}
	return out
}

// CheckOverride finds o's rotation and checks o against it.
func (r Roster) CheckOverride(o Override, now time.Time) error {
	s, err := r.Find(o.Rotation)
	if err != nil {
		return err
	}
	return s.CheckOverride(o, now)
}

// Status is one rotation's line in "/incident oncall": who is on call
// now, and who comes next and when.
type Status struct {
	Rotation string
	// Current is the stretch of whoever is on call now; its Member is
	// zero when nobody is (the rotation has not started).
	Current Shift
	// Next is the stretch of the next person, starting when Current ends.
	// Its Member is zero when nobody else comes (a rotation of one, no
	// overrides): then the same person carries on after Current.End.
	Next Shift
}

// Status returns every rotation's status at now, in config order.
func (r Roster) Status(now time.Time) []Status {
	out := make([]Status, len(r))
	for i, s := range r {
		st := Status{Rotation: s.Rotation.Name}
		if cur, ok := s.ShiftAt(now); ok {
			st.Current = s.stretchBack(cur)
		}
		if h, ok := s.NextHandoff(now); ok {
			st.Next = h.Incoming
			if !st.Current.Member.IsZero() {
				st.Current.End = h.At
			}
		}
		out[i] = st
	}
	return out
}
