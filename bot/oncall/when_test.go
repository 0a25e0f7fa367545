package oncall

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestParseWhen(t *testing.T) {
	loc := MustLoc(t, "Europe/Berlin")
	ref := MustTime(t, loc, "2026-03-04 10:00")
	tests := []struct {
		in   string
		ref  time.Time
		want string
	}{
		{"now", ref, "2026-03-04 10:00 CET"},
		{" NOW ", ref, "2026-03-04 10:00 CET"},
		{"+8h", ref, "2026-03-04 18:00 CET"},
		{"90m", ref, "2026-03-04 11:30 CET"},
		{"+1h30m", ref, "2026-03-04 11:30 CET"},
		{"+3d", ref, "2026-03-07 10:00 CET"},
		{"2w", ref, "2026-03-18 10:00 CET"},
		{"+1d", MustTime(t, loc, "2026-03-28 10:00"), "2026-03-29 10:00 CEST"},  // a day on the clock: 23 hours
		{"+24h", MustTime(t, loc, "2026-03-28 10:00"), "2026-03-29 11:00 CEST"}, // 24 real hours
		{"18:00", ref, "2026-03-04 18:00 CET"},
		{"09:00", ref, "2026-03-05 09:00 CET"}, // already past today
		{"10:00", ref, "2026-03-04 10:00 CET"},
		{"2026-03-10", ref, "2026-03-10 00:00 CET"},
		{"2026-03-10T09:00", ref, "2026-03-10 09:00 CET"},
		{"2026-03-10 09:00", ref, "2026-03-10 09:00 CET"},
		{"2026-07-10t09:00", ref, "2026-07-10 09:00 CEST"},
	}
	for _, tt := range tests {
		got, err := ParseWhen(tt.in, tt.ref, loc)
		if err != nil || got.Format("2006-01-02 15:04 MST") != tt.want {
			t.Errorf("ParseWhen(%q) = %s, %v; want %s", tt.in, got.Format("2006-01-02 15:04 MST"), err, tt.want)
		}
	}
	if got, err := ParseWhen("12:00", time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), nil); err != nil || got.Location() != time.UTC || got.Hour() != 12 {
		t.Errorf("ParseWhen without a zone = %s, %v; want UTC", got, err)
	}
}

func TestParseWhen_Malformed(t *testing.T) {
	loc := MustLoc(t, "Europe/Berlin")
	ref := MustTime(t, loc, "2026-03-04 10:00")
	for _, in := range []string{
		"", "tomorrow", "+0h", "-2h", "+-2h", "0d", "25:00", "9am", "2026-02-30", "2026-03-10T25:00",
		"+99999d", "+9999999999999999999w", "1x", "+", "3dd", "d", "2026/03/10", "10-03-2026", "+1000000h",
	} {
		_, err := ParseWhen(in, ref, loc)
		MustErrorMessage(t, err, incident.EINVALID, "is not a time I understand", "+8h", "Europe/Berlin")
		if err != nil && !strings.Contains(incident.ErrorMessage(err), `"`+strings.TrimSpace(in)+`"`) {
			t.Errorf("error for %q does not quote it: %s", in, incident.ErrorMessage(err))
		}
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"now", "+8h", "90m", "3d", "2w", "18:00", "2026-03-10", "2026-03-10T09:00", "2026-03-10 09:00", "+9999d", "-1h", "24:00", "x"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	ref := time.Date(2026, 3, 7, 22, 30, 0, 0, loc)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseWhen(s, ref, loc)
		if err != nil {
			if incident.ErrorCode(err) != incident.EINVALID {
				t.Fatalf("ParseWhen(%q): %v is not a user error", s, err)
			}
			return
		}
		if got.Location() != loc {
			t.Fatalf("ParseWhen(%q) = %s, not in the rotation's zone", s, got)
		}
		// Everything but a date is at or after ref, and not far after.
		if strings.Contains(s, "-") {
			return
		}
		if got.Before(ref) {
			t.Fatalf("ParseWhen(%q) = %s, before ref %s", s, got, ref)
		}
		if got.Sub(ref) > maxRelative+time.Hour {
			t.Fatalf("ParseWhen(%q) = %s, too far after ref", s, got)
		}
	})
}
