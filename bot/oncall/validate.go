package oncall

import (
	"fmt"
	"strings"
	"time"
)

// Problem is one finding of config validation. Key is the config key below
// the rotation or policy (e.g. "members[2]" or "levels[0].ack_timeout"), so
// that the config layer can prefix it with where the entry sits, e.g.
// "oncall.rotations[0].". Message says what is wrong and how to fix it.
type Problem struct {
	Key     string
	Message string
	// Warning marks a problem that is accepted: the config still loads.
	Warning bool
}

// String formats the problem as "key: message".
func (p Problem) String() string { return p.Key + ": " + p.Message }

// Errors returns the problems that are not warnings.
func Errors(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// findings collects problems.
type findings []Problem

func (f *findings) add(key, format string, args ...any) {
	*f = append(*f, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

func (f *findings) warn(key, format string, args ...any) {
	*f = append(*f, Problem{Key: key, Message: fmt.Sprintf(format, args...), Warning: true})
}

// RotationSpec is a rotation as written in config, before parsing. The keys
// named in problems are the snake_case names given here.
type RotationSpec struct {
	Name        string        // name
	Members     []string      // members: user IDs or emails
	Shift       time.Duration // shift; 0 means DefaultShift
	Start       string        // start: "2026-01-05"
	HandoffTime string        // handoff_time: "09:00"
	TimeZone    string        // time_zone: IANA name; "" means UTC
}

// ParseRotation turns a config entry into a Rotation and reports every
// problem, naming its key. The rotation is usable when Errors(problems) is
// empty.
func ParseRotation(spec RotationSpec) (Rotation, []Problem) {
	var f findings
	r := Rotation{Name: spec.Name, Shift: spec.Shift, Location: time.UTC}
	if spec.TimeZone != "" {
		loc, err := time.LoadLocation(spec.TimeZone)
		if err != nil || spec.TimeZone == "Local" {
			f.add("time_zone", `unknown time zone %q (use an IANA zone name such as "Europe/Berlin", "America/New_York" or "UTC")`, spec.TimeZone)
		} else {
			r.Location = loc
		}
	}
	if spec.HandoffTime == "" {
		f.add("handoff_time", `missing (the local time shifts change hands, e.g. "09:00")`)
	} else if c, err := ParseTimeOfDay(spec.HandoffTime); err != nil {
		f.add("handoff_time", "%v", err)
	} else {
		r.HandoffAt = c
	}
	if spec.Start == "" {
		f.add("start", `missing (the date of the first shift, e.g. "2026-01-05"; the order of members counts from it)`)
	} else if d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(spec.Start), r.Loc()); err != nil {
		f.add("start", `%q is not a date (use YYYY-MM-DD, e.g. "2026-01-05")`, spec.Start)
	} else {
		r.Start = d
	}
	for i, s := range spec.Members {
		m, err := ParseMember(s)
		if err != nil {
			f.add(fmt.Sprintf("members[%d]", i), "%v", err)
			continue
		}
		r.Members = append(r.Members, m)
	}
	// Add what Validate finds, except for keys that failed to parse: a
	// start that is not a date is not also "missing".
	reported := make(map[string]bool)
	for _, p := range f {
		reported[p.Key] = true
	}
	badMember := len(r.Members) < len(spec.Members)
	for _, p := range r.Validate() {
		if reported[p.Key] || (badMember && strings.HasPrefix(p.Key, "members")) {
			continue
		}
		f = append(f, p)
	}
	return r, f
}

// Validate reports every problem in r. Fewer than three members is a
// warning: accepted, but each person is on call very often.
func (r Rotation) Validate() []Problem {
	var f findings
	r.validate(&f)
	return f
}

func (r Rotation) validate(f *findings) {
	switch {
	case r.Name == "":
		f.add("name", `missing (give the rotation a short lowercase name such as "primary")`)
	case !nameRe.MatchString(r.Name):
		f.add("name", `%q is not valid (use lowercase a-z, 0-9, "-" and "_", at most 40 characters, e.g. "primary")`, r.Name)
	}
	switch s := r.ShiftLength(); {
	case s < MinShift:
		f.add("shift", "%s is shorter than %s (use e.g. 12h, 24h or 168h for a week)", human(s), human(MinShift))
	case s > MaxShift:
		f.add("shift", "%s is longer than a year (use e.g. 168h for a week)", human(s))
	case s%time.Minute != 0:
		f.add("shift", "%s is not a whole number of minutes (use e.g. 8h or 168h)", human(s))
	}
	if r.Start.IsZero() {
		f.add("start", `missing (the date of the first shift, e.g. "2026-01-05")`)
	}
	if r.HandoffAt.Hour < 0 || r.HandoffAt.Hour > 23 || r.HandoffAt.Minute < 0 || r.HandoffAt.Minute > 59 {
		f.add("handoff_time", "%s is not a time of day (use HH:MM, e.g. 09:00)", r.HandoffAt)
	}
	switch n := len(r.Members); {
	case n == 0:
		f.add("members", "no members (list at least one Slack user ID or email; three or more spread the load)")
	case n < 3:
		f.warn("members", "only %d member(s): each is on call every %s or more often (three or more spread the load)", n, human(time.Duration(n)*r.ShiftLength()))
	}
	for i, m := range r.Members {
		key := fmt.Sprintf("members[%d]", i)
		if m.IsZero() {
			f.add(key, "empty (use a Slack user ID or an email)")
			continue
		}
		if m.UserID != "" && !userIDRe.MatchString(m.UserID) {
			f.add(key, `%q is not a Slack user ID (use the ID from the person's profile, e.g. "U0123ABCD")`, m.UserID)
		}
		for j := range i {
			if r.Members[j].Same(m) {
				f.add(key, "%s is already members[%d] (list each person once; the order is the order of turns)", m, j)
				break
			}
		}
	}
}

// ValidateRotations checks a whole list: each rotation, and that names are
// unique. Keys are prefixed with "rotations[i].".
func ValidateRotations(rs []Rotation) []Problem {
	var f findings
	seen := make(map[string]int)
	for i, r := range rs {
		prefix := fmt.Sprintf("rotations[%d].", i)
		for _, p := range r.Validate() {
			p.Key = prefix + p.Key
			f = append(f, p)
		}
		if j, dup := seen[r.Name]; dup && r.Name != "" {
			f.add(prefix+"name", "%q is already the name of rotations[%d] (give each rotation its own name)", r.Name, j)
		} else {
			seen[r.Name] = i
		}
	}
	return f
}

// human formats a duration for a message: "2 weeks", "3 days", "8h",
// "1h30m", "45s".
func human(d time.Duration) string {
	const day = 24 * time.Hour
	count := func(n time.Duration, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d > 0 && d%(7*day) == 0:
		return count(d/(7*day), "week")
	case d > 0 && d%day == 0:
		return count(d/day, "day")
	case d <= 0 || d%time.Second != 0:
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}
