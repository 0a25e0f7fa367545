package oncall

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone tests must not depend on the host's zoneinfo

	"github.com/incidentbot/incidentbot/bot/incident"
)

// People in the tests.
const (
	alice = "UALICE"
	bob   = "UBOB"
	carol = "UCAROL"
	dan   = "UDAN"
	erin  = "UERIN"
	xavi  = "UXAVI" // covers from outside the rotations
)

// MustLoc loads a zone from the system's zone data.
func MustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

// MustTime parses "2006-01-02 15:04" in loc.
func MustTime(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return t
}

// users turns user IDs into members.
func users(ids ...string) []Member {
	ms := make([]Member, len(ids))
	for i, id := range ids {
		ms[i] = Member{UserID: id}
	}
	return ms
}

// weekly is a Monday 09:00 weekly rotation of alice, bob, carol and dan in
// Europe/Berlin, starting 2026-03-02.
func weekly(tb testing.TB) Rotation {
	tb.Helper()
	loc := MustLoc(tb, "Europe/Berlin")
	return Rotation{
		Name:      "primary",
		Members:   users(alice, bob, carol, dan),
		Start:     MustTime(tb, loc, "2026-03-02 00:00"),
		HandoffAt: TimeOfDay{9, 0},
		Location:  loc,
	}
}

// fmtShift is a shift on one line, in its zone:
// "2026-03-23 09:00 CET → 2026-03-30 09:00 CEST UALICE 167h".
func fmtShift(s Shift) string {
	const f = "2006-01-02 15:04 MST"
	who := s.Member.UserID
	if who == "" {
		who = s.Member.Email
	}
	if s.Override != nil {
		who += "*"
	}
	return fmt.Sprintf("%s → %s %s %s", s.Start.Format(f), s.End.Format(f), who, hours(s.End.Sub(s.Start)))
}

func fmtShifts(ss []Shift) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmtShift(s)
	}
	return out
}

// hours formats a duration as hours: "167h", "167.5h".
func hours(d time.Duration) string {
	return strconv.FormatFloat(d.Hours(), 'f', -1, 64) + "h"
}

// equalLines fails with both lists when they differ.
func equalLines(tb testing.TB, got, want []string) {
	tb.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		tb.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// MustErrorMessage checks err is an *incident.Error with code whose message
// contains every fragment.
func MustErrorMessage(tb testing.TB, err error, code string, fragments ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("no error; want %s containing %q", code, fragments)
	}
	if got := incident.ErrorCode(err); got != code {
		tb.Errorf("code %q, want %q (%v)", got, code, err)
	}
	msg := incident.ErrorMessage(err)
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			tb.Errorf("message %q does not contain %q", msg, f)
		}
	}
}
