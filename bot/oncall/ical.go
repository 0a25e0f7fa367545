package oncall

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	ics "github.com/arran4/golang-ical"
)

// Extension properties on each event, for tools that read the feed.
const (
	icalRotationProp = ics.ComponentProperty("X-INCIDENTBOT-ROTATION")
	icalOverrideProp = ics.ComponentProperty("X-INCIDENTBOT-OVERRIDE")
)

// Calendar is what WriteICal writes: the effective schedules of one or more
// rotations over a window.
type Calendar struct {
	// Name is shown by calendar apps; empty gives "On call: <rotation>"
	// for one rotation and "On call" for several.
	Name      string
	Schedules []Schedule
	// From and To bound the window; shifts overlapping it are written whole.
	From, To time.Time
	// Now stamps the events (DTSTAMP): when the feed was generated.
	Now time.Time
	// UIDDomain ends every UID, so that two installations do not clash in
	// one calendar app (use e.g. the Slack team ID); empty: "incidentbot".
	UIDDomain string
	// DisplayName names a member in titles; when it is nil or returns "",
	// the email is used, else the Slack user ID.
	DisplayName func(Member) string
}

// WriteICal writes cal as an iCalendar (RFC 5545) feed: one VEVENT per
// shift.
//
// Times are written in UTC ("20260302T080000Z") rather than with a TZID:
// RFC 5545 requires every TZID to be defined by a VTIMEZONE in the same
// file, which Go's zone data cannot produce faithfully for every zone's
// history, and clients (Outlook above all) misplace events whose TZID they
// do not know. UTC is read the same way by every client and shown in the
// viewer's own zone; nothing is lost, because each shift is its own event
// (no recurrence rule), already placed correctly across DST changes.
//
// UIDs are stable: a turn is named by rotation, turn number and start, an
// override by rotation, override ID and start, so a refreshed feed updates
// the events a calendar already has instead of duplicating them. Events are
// transparent (on call is not busy) and overrides are marked in the title,
// the description and the categories.
func WriteICal(w io.Writer, cal Calendar) error {
	if !cal.From.Before(cal.To) {
		return errors.New("write ical: the window is empty (From must be before To)")
	}
	domain := cmp.Or(cal.UIDDomain, "incidentbot")
	name := cal.DisplayName
	if name == nil {
		name = defaultName
	}
	c := ics.NewCalendarFor("incidentbot")
	c.SetProductId("-//incidentbot//On call//EN")
	c.SetCalscale("GREGORIAN")
	c.SetMethod(ics.MethodPublish)
	c.SetXWRCalName(cmp.Or(cal.Name, calendarName(cal.Schedules)))
	if len(cal.Schedules) == 1 {
		c.SetXWRTimezone(cal.Schedules[0].Rotation.Loc().String())
	}
	c.SetRefreshInterval("PT1H")
	c.SetXPublishedTTL("PT1H")

	var shifts []Shift
	for _, s := range cal.Schedules {
		shifts = append(shifts, s.Shifts(cal.From, cal.To)...)
	}
	slices.SortStableFunc(shifts, func(a, b Shift) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Rotation, b.Rotation))
	})
	for _, sh := range shifts {
		e := c.AddEvent(ShiftUID(sh, domain))
		e.SetDtStampTime(cal.Now)
		e.SetStartAt(sh.Start)
		e.SetEndAt(sh.End)
		who := cmp.Or(name(sh.Member), defaultName(sh.Member))
		title := fmt.Sprintf("On call: %s — %s", sh.Rotation, who)
		desc := fmt.Sprintf("%s is on call in %s from %s to %s.", who, sh.Rotation, stamp(sh.Start), stamp(sh.End))
		if o := sh.Override; o != nil {
			title += " (override)"
			desc += fmt.Sprintf(" Override #%d, set by %s on %s.", o.ID, cmp.Or(name(Member{UserID: o.CreatedBy}), o.CreatedBy), stamp(o.CreatedAt.In(sh.Start.Location())))
			if o.Swap != "" {
				desc += " Part of a swap."
			}
		}
		e.SetSummary(title)
		e.SetDescription(desc)
		e.AddProperty(ics.ComponentPropertyCategories, "On call")
		if sh.Override != nil {
			e.AddProperty(ics.ComponentPropertyCategories, "Override")
			e.SetProperty(icalOverrideProp, strconv.FormatInt(sh.Override.ID, 10))
		}
		e.SetProperty(icalRotationProp, sh.Rotation)
		e.SetTimeTransparency(ics.TransparencyTransparent)
		e.SetStatus(ics.ObjectStatusConfirmed)
	}
	if err := c.SerializeTo(w, ics.WithNewLineWindows); err != nil {
		return fmt.Errorf("write ical: %w", err)
	}
	return nil
}

// ShiftUID is the stable iCalendar UID of a shift.
func ShiftUID(sh Shift, domain string) string {
	if sh.Override != nil {
		return fmt.Sprintf("%s-override-%d-%d@%s", sh.Rotation, sh.Override.ID, sh.Start.Unix(), domain)
	}
	return fmt.Sprintf("%s-%d-%d@%s", sh.Rotation, sh.Slot, sh.Start.Unix(), domain)
}

func calendarName(ss []Schedule) string {
	if len(ss) == 1 {
		return "On call: " + ss[0].Rotation.Name
	}
	return "On call"
}

func defaultName(m Member) string {
	return cmp.Or(m.Email, m.UserID, "nobody")
}

// stamp formats a time for an event description, in the shift's zone.
func stamp(t time.Time) string { return t.Format("Mon 2 Jan 2006 15:04 MST") }
