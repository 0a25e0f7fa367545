package oncall

import (
	"slices"
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

// BuildRoster assembles every rotation's schedule at now from what is
// configured (rotations, in config order), what is stored per rotation
// (states by name; a missing one is a rotation never seen before) and the
// stored overrides (removed ones are left out as Effective says). A stored
// layout is brought in line with the configuration first (see Reconcile),
// so that a change of members or shifts shows before it is stored.
func BuildRoster(rotations []Rotation, states map[string]RotationState, overrides []Override, now time.Time) Roster {
	eff := Effective(overrides)
	out := make(Roster, 0, len(rotations))
	for _, r := range rotations {
		layout, _ := Reconcile(r, states[r.Name].Layout, now)
		var own []Override
		for _, o := range eff {
			if o.Rotation == r.Name {
				own = append(own, o)
			}
		}
		out = append(out, Schedule{Rotation: r, Layout: layout, Overrides: own})
	}
	return out
}

// OnCall returns who is on call at now in each of the named rotations
// (user IDs, each once, in the order of names), for the Slack surface to
// invite or notify; a playbook's invite.rotations is read this way. A
// rotation nobody is on call in (not started yet, or its person's email
// not resolved) adds nobody; an unknown name is an error naming it.
func (r Roster) OnCall(names []string, now time.Time) ([]string, error) {
	var out []string
	for _, n := range names {
		s, err := r.Find(n)
		if err != nil {
			return nil, err
		}
		if m, ok := s.WhoIsOn(now); ok && m.UserID != "" && !slices.Contains(out, m.UserID) {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}
