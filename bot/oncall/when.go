package oncall

import (
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// maxRelative bounds "+Nd" and friends: far beyond any override, short of
// overflowing time arithmetic.
const maxRelative = 10 * 366 * 24 * time.Hour

// ParseWhen reads the FROM or TO of an override, in the rotation's zone:
//
//	now                 ref itself
//	+8h, 90m, +1h30m    a duration after ref
//	+3d, 2w             days or weeks after ref, on the local clock
//	18:00               the first 18:00 at or after ref
//	2026-03-02          midnight at the start of that day
//	2026-03-02T09:00    that local time (also "2026-03-02 09:00")
//
// Pass now as ref for FROM, and FROM for TO, so that "+8h" as TO means
// eight hours of cover. The error is an *incident.Error for the user.
func ParseWhen(s string, ref time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	in := strings.TrimSpace(s)
	l := strings.ToLower(in)
	ref = ref.In(loc)
	switch {
	case l == "now":
		return ref, nil
	case len(l) == 10 && strings.Count(l, "-") == 2:
		if t, err := time.ParseInLocation(time.DateOnly, l, loc); err == nil {
			return t, nil
		}
	case len(l) == 16 && (l[10] == 't' || l[10] == ' '):
		if t, err := time.ParseInLocation("2006-01-02T15:04", l[:10]+"T"+l[11:], loc); err == nil {
			return t, nil
		}
	case strings.Contains(l, ":"):
		if c, err := ParseTimeOfDay(l); err == nil {
			y, m, d := ref.Date()
			t := time.Date(y, m, d, c.Hour, c.Minute, 0, 0, loc)
			if t.Before(ref) {
				t = time.Date(y, m, d+1, c.Hour, c.Minute, 0, 0, loc)
			}
			return t, nil
		}
	default:
		if t, ok := relative(strings.TrimPrefix(l, "+"), ref); ok {
			return t, nil
		}
	}
	return time.Time{}, incident.Errorf(incident.EINVALID,
		"%q is not a time I understand. Use now, +8h, +3d, 18:00, 2026-03-02 or 2026-03-02T09:00 (times are in %s).", in, loc)
}

// relative adds "3d", "2w" (on the local clock) or a Go duration to ref.
func relative(s string, ref time.Time) (time.Time, bool) {
	if n, unit := strings.TrimRight(s, "dw"), strings.TrimLeft(s, "0123456789"); n != "" && (unit == "d" || unit == "w") {
		maxDays := int(maxRelative / (24 * time.Hour))
		v, err := strconv.Atoi(n)
		if err != nil || v <= 0 || v > maxDays {
			return time.Time{}, false
		}
		if unit == "w" {
			v *= 7
		}
		if v > maxDays {
			return time.Time{}, false
		}
		return ref.AddDate(0, 0, v), true
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > maxRelative {
		return time.Time{}, false
	}
	return ref.Add(d), true
}
