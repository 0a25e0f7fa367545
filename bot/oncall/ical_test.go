package oncall

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

var update = flag.Bool("update", false, "rewrite golden files")

// names are display names for the feed tests.
var names = map[string]string{
	alice: "Alice Archer", bob: "Bob Baker", carol: "Carol Cole", dan: "Dan Drake", xavi: "Xavi Xu",
}

func displayName(m Member) string { return names[m.UserID] }

// feed is the primary rotation with one override, over two and a half
// weeks.
func feed(tb testing.TB) Calendar {
	tb.Helper()
	r := weekly(tb)
	o := cover(tb, 12, xavi, "2026-03-17 09:00", "2026-03-17 21:00")
	return Calendar{
		Schedules:   []Schedule{{Rotation: r, Overrides: []Override{o}}},
		From:        MustTime(tb, r.Location, "2026-03-14 00:00"),
		To:          MustTime(tb, r.Location, "2026-03-31 00:00"),
		Now:         time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC),
		UIDDomain:   "T0TEAM",
		DisplayName: displayName,
	}
}

// MustParseICal writes cal and parses it back with golang-ical.
func MustParseICal(tb testing.TB, cal Calendar) (string, *ics.Calendar) {
	tb.Helper()
	var buf bytes.Buffer
	if err := WriteICal(&buf, cal); err != nil {
		tb.Fatalf("WriteICal: %v", err)
	}
	parsed, err := ics.ParseCalendar(bytes.NewReader(buf.Bytes()))
	if err != nil {
		tb.Fatalf("parse our own feed: %v\n%s", err, buf.String())
	}
	return buf.String(), parsed
}

// prop returns the unescaped value of a property, "" when absent.
func prop(e *ics.VEvent, p ics.ComponentProperty) string {
	if v := e.GetProperty(p); v != nil {
		return ics.FromText(v.Value)
	}
	return ""
}

func TestWriteICal_EventByEvent(t *testing.T) {
	cal := feed(t)
	raw, parsed := MustParseICal(t, cal)
	shifts := cal.Schedules[0].Shifts(cal.From, cal.To)
	events := parsed.Events()
	if len(events) != len(shifts) || len(shifts) != 6 {
		t.Fatalf("%d events for %d shifts, want 6", len(events), len(shifts))
	}
	want := []struct {
		uid, start, end, summary string
		override                 bool
	}{
		{"primary-1-1773043200@T0TEAM", "20260309T080000Z", "20260316T080000Z", "On call: primary — Bob Baker", false},
		{"primary-2-1773648000@T0TEAM", "20260316T080000Z", "20260317T080000Z", "On call: primary — Carol Cole", false},
		{"primary-override-12-1773734400@T0TEAM", "20260317T080000Z", "20260317T200000Z", "On call: primary — Xavi Xu (override)", true},
		{"primary-2-1773777600@T0TEAM", "20260317T200000Z", "20260323T080000Z", "On call: primary — Carol Cole", false},
		{"primary-3-1774252800@T0TEAM", "20260323T080000Z", "20260330T070000Z", "On call: primary — Dan Drake", false},
		{"primary-4-1774854000@T0TEAM", "20260330T070000Z", "20260406T070000Z", "On call: primary — Alice Archer", false},
	}
	for i, e := range events {
		w, sh := want[i], shifts[i]
		if got := e.Id(); got != w.uid || got != ShiftUID(sh, "T0TEAM") {
			t.Errorf("event %d UID %q, want %q", i, got, w.uid)
		}
		if got := prop(e, ics.ComponentPropertyDtStart); got != w.start {
			t.Errorf("event %d DTSTART %s, want %s", i, got, w.start)
		}
		if got := prop(e, ics.ComponentPropertyDtEnd); got != w.end {
			t.Errorf("event %d DTEND %s, want %s", i, got, w.end)
		}
		start, err1 := e.GetStartAt()
		end, err2 := e.GetEndAt()
		if err1 != nil || err2 != nil || !start.Equal(sh.Start) || !end.Equal(sh.End) {
			t.Errorf("event %d parses to %s–%s (%v %v), shift is %s", i, start, end, err1, err2, fmtShift(sh))
		}
		if got := prop(e, ics.ComponentPropertySummary); got != w.summary {
			t.Errorf("event %d SUMMARY %q, want %q", i, got, w.summary)
		}
		var cats []string
		for _, c := range e.GetProperties(ics.ComponentPropertyCategories) {
			cats = append(cats, c.Value)
		}
		wantCats := "On call"
		if w.override {
			wantCats = "On call,Override"
		}
		if got := strings.Join(cats, ","); got != wantCats {
			t.Errorf("event %d CATEGORIES %q, want %q", i, got, wantCats)
		}
		if got, want := prop(e, icalOverrideProp) != "", w.override; got != want {
			t.Errorf("event %d marked as override: %v, want %v", i, got, want)
		}
		desc := prop(e, ics.ComponentPropertyDescription)
		if w.override != strings.Contains(desc, "Override #12, set by Carol Cole") {
			t.Errorf("event %d DESCRIPTION %q", i, desc)
		}
		if got := prop(e, icalRotationProp); got != "primary" {
			t.Errorf("event %d rotation %q", i, got)
		}
		if got := prop(e, ics.ComponentPropertyTransp); got != "TRANSPARENT" {
			t.Errorf("event %d TRANSP %q: on call must not show as busy", i, got)
		}
		if got, err := e.GetDtStampTime(); err != nil || !got.Equal(cal.Now) {
			t.Errorf("event %d DTSTAMP %s, %v", i, got, err)
		}
	}

	for _, p := range parsed.CalendarProperties {
		switch p.IANAToken {
		case "X-WR-CALNAME":
			if p.Value != "On call: primary" {
				t.Errorf("calendar name %q", p.Value)
			}
		case "X-WR-TIMEZONE":
			if p.Value != "Europe/Berlin" {
				t.Errorf("calendar zone %q", p.Value)
			}
		}
	}
	for i, line := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets, over RFC 5545's 75: %q", i, len(line), line)
		}
		if strings.Contains(line, "\n") {
			t.Errorf("line %d ends in a bare LF; RFC 5545 wants CRLF", i)
		}
	}

	golden := filepath.Join("testdata", "primary.golden.ics")
	if *update {
		if err := os.WriteFile(golden, []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want2, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if raw != string(want2) {
		t.Errorf("feed differs from %s (run with -update after checking):\n%s", golden, raw)
	}
}

func TestWriteICal_UIDsAreStable(t *testing.T) {
	// Tomorrow's feed, generated later, over a window moved by a day,
	// names every shift the two share with the same UID, start and end.
	a := feed(t)
	b := feed(t)
	b.From, b.To, b.Now = b.From.AddDate(0, 0, 1), b.To.AddDate(0, 0, 1), b.Now.Add(25*time.Hour)
	_, pa := MustParseICal(t, a)
	_, pb := MustParseICal(t, b)
	byUID := make(map[string]*ics.VEvent)
	for _, e := range pa.Events() {
		if byUID[e.Id()] != nil {
			t.Errorf("UID %s used twice", e.Id())
		}
		byUID[e.Id()] = e
	}
	shared := 0
	for _, e := range pb.Events() {
		old := byUID[e.Id()]
		if old == nil {
			continue
		}
		shared++
		for _, p := range []ics.ComponentProperty{ics.ComponentPropertyDtStart, ics.ComponentPropertyDtEnd, ics.ComponentPropertySummary} {
			if prop(old, p) != prop(e, p) {
				t.Errorf("%s: %s changed from %q to %q", e.Id(), p, prop(old, p), prop(e, p))
			}
		}
	}
	if shared < 5 {
		t.Errorf("only %d events shared between the two feeds, want at least 5", shared)
	}

	// A change of who is on call updates the event in place: dan leaves,
	// erin takes his turn under the same UID.
	c := feed(t)
	r := c.Schedules[0].Rotation
	r.Members = users(alice, bob, carol, erin)
	l, _ := Reconcile(r, NewLayout(c.Schedules[0].Rotation), MustTime(t, r.Location, "2026-03-14 00:00"))
	c.Schedules[0].Rotation, c.Schedules[0].Layout = r, l
	_, pc := MustParseICal(t, c)
	const dansTurn = "primary-3-1774252800@T0TEAM"
	found := false
	for _, e := range pc.Events() {
		if e.Id() == dansTurn {
			found = true
			// Erin has no display name: the feed falls back to her user ID.
			if got := prop(e, ics.ComponentPropertySummary); got != "On call: primary — UERIN" {
				t.Errorf("the turn dan left is %q, want erin's", got)
			}
		}
	}
	if !found || byUID[dansTurn] == nil {
		t.Errorf("the turn dan left is not under its old UID %s", dansTurn)
	}
}

func TestWriteICal_SeveralRotationsAndAwkwardNames(t *testing.T) {
	p := weekly(t)
	night := Rotation{
		Name: "follow-the-sun", Members: users(erin, xavi), Shift: 12 * time.Hour,
		Start: MustTime(t, p.Location, "2026-03-16 00:00"), HandoffAt: TimeOfDay{8, 0}, Location: MustLoc(t, "Asia/Tokyo"),
	}
	long := "Erin Élodie Ørsted-Ñúñez; on call, \"always\" \\ reachable — " + strings.Repeat("ü", 40)
	cal := Calendar{
		Schedules: []Schedule{{Rotation: p}, {Rotation: night}},
		From:      MustTime(t, p.Location, "2026-03-17 00:00"),
		To:        MustTime(t, p.Location, "2026-03-18 00:00"),
		Now:       time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC),
		DisplayName: func(m Member) string {
			if m.UserID == erin {
				return long
			}
			return m.UserID
		},
	}
	raw, parsed := MustParseICal(t, cal)
	var got []string
	erins := 0
	for _, e := range parsed.Events() {
		start, _ := e.GetStartAt()
		got = append(got, start.UTC().Format("02 15:04")+" "+prop(e, icalRotationProp))
		if strings.HasPrefix(e.Id(), "follow-the-sun") && !strings.HasSuffix(e.Id(), "@incidentbot") {
			t.Errorf("default UID domain missing: %s", e.Id())
		}
		if s := prop(e, ics.ComponentPropertySummary); strings.Contains(s, "Erin") {
			erins++
			if s == "On call: follow-the-sun — "+long {
				continue
			}
			t.Errorf("awkward name did not survive folding and escaping:\n got %q\nwant %q", s, "On call: follow-the-sun — "+long)
		}
	}
	// The window is the 17th in Berlin: 16 23:00 to 17 23:00 UTC. Tokyo's
	// 08:00 and 20:00 are 23:00 and 11:00 UTC; Berlin's week began on the
	// 16th at 08:00 UTC. Sorted by start, then rotation.
	equalLines(t, got, []string{
		"16 08:00 primary",
		"16 23:00 follow-the-sun",
		"17 11:00 follow-the-sun",
	})
	if erins != 1 {
		t.Errorf("%d events name Erin, want 1", erins)
	}
	if !strings.Contains(raw, "X-WR-CALNAME:On call\r\n") || strings.Contains(raw, "X-WR-TIMEZONE") {
		t.Errorf("a feed of several rotations should be named \"On call\" without a zone:\n%s", raw)
	}
}

func TestWriteICal_EmptyWindow(t *testing.T) {
	cal := feed(t)
	cal.To = cal.From
	var buf bytes.Buffer
	if err := WriteICal(&buf, cal); err == nil || !strings.Contains(err.Error(), "From must be before To") {
		t.Errorf("WriteICal with an empty window: %v", err)
	}
	if buf.Len() != 0 {
		t.Error("WriteICal wrote something for an empty window")
	}
}

func TestWriteICal_NoShifts(t *testing.T) {
	cal := feed(t)
	cal.From, cal.To = cal.From.AddDate(-1, 0, 0), cal.From.AddDate(-1, 0, 7) // before the start
	cal.DisplayName = nil
	_, parsed := MustParseICal(t, cal)
	if n := len(parsed.Events()); n != 0 {
		t.Errorf("%d events before the rotation starts, want none", n)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteICal_WriteError(t *testing.T) {
	if err := WriteICal(failingWriter{}, feed(t)); err == nil {
		t.Error("WriteICal hid a write error")
	}
}
