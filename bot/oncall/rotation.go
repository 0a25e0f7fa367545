package oncall

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DefaultShift is the shift length of a rotation that names none: one week.
const DefaultShift = 7 * 24 * time.Hour

// Bounds of a shift length. A shift is a whole number of minutes.
const (
	MinShift = time.Hour
	MaxShift = 366 * 24 * time.Hour
)

var (
	userIDRe    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	usergroupRe = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	emailRe     = regexp.MustCompile(`^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$`)
	nameRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
)

// Member is one person in a rotation: a Slack user ID, an email, or both.
// Config may name people by email; the Slack surface resolves those with
// users.lookupByEmail and fills UserID before paging anyone.
type Member struct {
	// UserID is the Slack user ID, e.g. "U0123ABCD"; empty until resolved.
	UserID string
	// Email is the address the member was configured with, if any.
	Email string
}

// ParseMember reads one entry of a rotation's members: a Slack user ID
// ("U0123ABCD", also written "<@U0123ABCD>") or an email address.
func ParseMember(s string) (Member, error) {
	s = strings.TrimSpace(s)
	if id, ok := strings.CutPrefix(s, "<@"); ok {
		id, _, _ = strings.Cut(strings.TrimSuffix(id, ">"), "|")
		s = id
	}
	switch {
	case userIDRe.MatchString(s):
		return Member{UserID: s}, nil
	case emailRe.MatchString(s):
		return Member{Email: strings.ToLower(s)}, nil
	}
	return Member{}, fmt.Errorf(`%q is neither a Slack user ID nor an email (use the ID from the person's profile > Copy member ID, e.g. "U0123ABCD", or their work email)`, s)
}

// Same reports whether m and o are the same person: the same user ID when
// both have one, else the same email.
func (m Member) Same(o Member) bool {
	if m.UserID != "" && o.UserID != "" {
		return m.UserID == o.UserID
	}
	return m.Email != "" && strings.EqualFold(m.Email, o.Email)
}

// IsZero reports whether m names nobody.
func (m Member) IsZero() bool { return m.UserID == "" && m.Email == "" }

// String is the member as Slack shows it: a mention when the user ID is
// known, else the email.
func (m Member) String() string {
	if m.UserID != "" {
		return "<@" + m.UserID + ">"
	}
	return m.Email
}

// TimeOfDay is a local wall-clock time, such as a rotation's handoff time.
type TimeOfDay struct {
	Hour, Minute int
}

// ParseTimeOfDay reads "HH:MM" on a 24-hour clock, e.g. "09:00" or "21:30".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	var c TimeOfDay
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if ok && len(mm) == 2 && len(hh) >= 1 && len(hh) <= 2 &&
		atoi(hh, &c.Hour) && atoi(mm, &c.Minute) && c.Hour < 24 && c.Minute < 60 {
		return c, nil
	}
	return TimeOfDay{}, fmt.Errorf(`%q is not a time of day (use HH:MM on a 24-hour clock, e.g. "09:00")`, s)
}

// atoi parses a short run of ASCII digits into *n.
func atoi(s string, n *int) bool {
	v := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		v = v*10 + int(r-'0')
	}
	*n = v
	return s != ""
}

// String formats c as "HH:MM".
func (c TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// Rotation is one on-call rotation as configured: who takes turns, how long
// a turn lasts, and when the first one began. It is a value; the order in
// which Members take turns after a change of members is kept by a Layout
// (see Reconcile).
type Rotation struct {
	// Name identifies the rotation in commands, e.g. "primary".
	Name string
	// Members take turns in this order.
	Members []Member
	// Shift is the length of one turn; 0 means DefaultShift. See the
	// package documentation for how shifts of whole days, shorter than a
	// day and longer than a day are laid out.
	Shift time.Duration
	// Start is the date of the first shift in Location; its clock time is
	// ignored: the first shift begins at HandoffAt on that date.
	Start time.Time
	// HandoffAt is the local time at which shifts change hands.
	HandoffAt TimeOfDay
	// Location is the rotation's time zone; nil means UTC.
	Location *time.Location
}

// ShiftLength returns the length of one shift, with the default applied.
func (r Rotation) ShiftLength() time.Duration {
	if r.Shift == 0 {
		return DefaultShift
	}
	return r.Shift
}

// Loc returns the rotation's time zone, UTC when none is set.
func (r Rotation) Loc() *time.Location {
	if r.Location == nil {
		return time.UTC
	}
	return r.Location
}

// FirstHandoff returns the instant the first shift begins.
func (r Rotation) FirstHandoff() time.Time { return r.grid().start(0) }

// IsMember reports whether user (a Slack user ID) is one of the members.
func (r Rotation) IsMember(user string) bool {
	for _, m := range r.Members {
		if m.UserID == user {
			return true
		}
	}
	return false
}

// grid is a rotation's shift boundaries, independent of who is on call.
type grid struct {
	civil bool           // shifts measured on the local wall clock
	step  int64          // shift length in seconds
	civ0  int64          // wall-clock seconds of the first handoff (civil)
	first int64          // Unix seconds of the first handoff (real)
	loc   *time.Location // the rotation's zone
}

// grid computes the shift boundaries. Shifts of a day or longer are laid out
// on the local wall clock, so their handoffs keep their local time across
// DST; shorter shifts are real durations from the first handoff.
func (r Rotation) grid() grid {
	loc := r.Loc()
	y, m, d := r.Start.In(loc).Date()
	g := grid{
		step: int64(r.ShiftLength() / time.Second),
		loc:  loc,
		civ0: time.Date(y, m, d, r.HandoffAt.Hour, r.HandoffAt.Minute, 0, 0, time.UTC).Unix(),
	}
	g.civil = r.ShiftLength() >= 24*time.Hour
	g.first = g.fromCivil(g.civ0).Unix()
	if g.step <= 0 {
		g.step = int64(DefaultShift / time.Second) // unreachable for a valid rotation
	}
	return g
}

// fromCivil converts wall-clock seconds (as if the zone were UTC) into the
// first instant at which the zone's clock reads that time or later. So a
// time the clock skips on a spring-forward night (02:30 in Berlin) resolves
// to the jump (03:00 CEST), and a time the clock shows twice on a fall-back
// night resolves to its first occurrence. time.Date alone does not do this:
// its choice for such times depends on the sign of the zone's offset.
func (g grid) fromCivil(c int64) time.Time {
	w := time.Unix(c, 0).UTC()
	u := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, g.loc)
	start, end := u.ZoneBounds()
	// Whatever time.Date chose lies in the zone period next to the right
	// answer: try the offsets of that period and of its neighbours.
	probes := [3]time.Time{u, u, u}
	if !start.IsZero() {
		probes[1] = start.Add(-time.Second)
	}
	if !end.IsZero() {
		probes[2] = end
	}
	var best time.Time
	for _, p := range probes {
		_, off := p.In(g.loc).Zone()
		if x := time.Unix(c-int64(off), 0); g.toCivil(x) == c && (best.IsZero() || x.Before(best)) {
			best = x
		}
	}
	if !best.IsZero() {
		return best.In(g.loc)
	}
	// The clock skips c: the answer is the jump, at a bound of u's period.
	for _, jump := range [2]time.Time{start, end} {
		if !jump.IsZero() && g.toCivil(jump) > c && g.toCivil(jump.Add(-time.Second)) < c {
			return jump.In(g.loc)
		}
	}
	return u
}

// toCivil returns t's wall-clock reading in the zone, as seconds.
func (g grid) toCivil(t time.Time) int64 {
	_, off := t.In(g.loc).Zone()
	return t.Unix() + int64(off)
}

// start returns the instant shift k begins; shift 0 is the first.
func (g grid) start(k int64) time.Time {
	if g.civil {
		return g.fromCivil(g.civ0 + k*g.step)
	}
	return time.Unix(g.first+k*g.step, 0).In(g.loc)
}

// index returns the shift containing t and its bounds, or false before the
// first handoff (with the first handoff as end).
func (g grid) index(t time.Time) (k int64, start, end time.Time, ok bool) {
	if g.civil {
		k = floorDiv(g.toCivil(t)-g.civ0, g.step)
		start, end = g.start(k), g.start(k+1)
		for start.After(t) {
			k, end, start = k-1, start, g.start(k-1)
		}
		for !end.After(t) {
			k, start, end = k+1, end, g.start(k+2)
		}
	} else {
		k = floorDiv(t.Unix()-g.first, g.step)
		start, end = g.start(k), g.start(k+1)
	}
	if k < 0 {
		return k, time.Time{}, g.start(0), false
	}
	return k, start, end, true
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// fingerprint names the grid, so that Reconcile notices when a config change
// moved the shift boundaries.
func (r Rotation) fingerprint() string {
	return fmt.Sprintf("%s|%s|%s|%s", r.ShiftLength(), r.Start.In(r.Loc()).Format(time.DateOnly), r.HandoffAt, r.Loc())
}
