package incident

import (
	"slices"
	"strings"
	"time"
)

// Update is a status update from the spokesperson.
type Update struct {
	Status Status // optional: a new status
	Text   string // what we know
	Doing  string // what we are doing
	Impact string // impact now
	// Next is the time until the next update; zero means the severity's cadence.
	Next time.Duration
	// Publish puts the update on the public status page. It is ignored for
	// an incident that is not Public.
	Publish bool
}

// MaxNextUpdate bounds how far ahead an update may promise the next one.
const MaxNextUpdate = 7 * 24 * time.Hour

// PostUpdate records a status update and the promise of the next one.
func (inc *Incident) PostUpdate(p Policy, actor string, u Update, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("post updates (use a note instead)"); err != nil {
		return nil, err
	}
	if err := p.CheckCanUpdate(inc, actor); err != nil {
		return nil, err
	}
	u.Text = strings.TrimSpace(u.Text)
	if u.Text == "" && strings.TrimSpace(u.Doing) == "" {
		return nil, Errorf(EINVALID, "An update needs text: what we know and what we are doing.")
	}
	if u.Next != 0 && (u.Next < time.Minute || u.Next > MaxNextUpdate) {
		return nil, Errorf(EINVALID, "The next update must be due between 1 minute and 7 days from now.")
	}
	var evs []Event
	if u.Status != "" && u.Status != inc.Status {
		if !slices.Contains(Statuses, u.Status) {
			return nil, Errorf(EINVALID, "%q is not a status. Use one of: investigating, identified, monitoring.", u.Status)
		}
		if !u.Status.Open() {
			return nil, Errorf(EINVALID, "An update cannot resolve or close; use `/incident resolve` for that.")
		}
		from := inc.Status
		inc.Status = u.Status
		if u.Status == StatusMonitoring && inc.MitigatedAt.IsZero() {
			inc.MitigatedAt = now
		}
		evs = append(evs, newEvent(EventStatusChanged, actor, now, "", "from", string(from), "to", string(u.Status)))
	}
	// Late means after the promised time; an update at the minute is on time.
	late := !inc.NextUpdateDue.IsZero() && now.After(inc.NextUpdateDue)
	if late {
		inc.LateUpdates++
	}
	next := u.Next
	if next == 0 {
		next = p.Cadence(inc.Severity)
	}
	inc.Updates++
	inc.NextUpdateDue = now.Add(next)
	inc.Reminder = ReminderState{}
	if imp := strings.TrimSpace(u.Impact); imp != "" {
		inc.Impact = imp
	}
	inc.touch(p, now)
	return append(evs, newEvent(EventUpdatePosted, actor, now, u.Text,
		"doing", strings.TrimSpace(u.Doing), "impact", strings.TrimSpace(u.Impact), "status", string(inc.Status),
		"next_update", formatTime(inc.NextUpdateDue), "late", boolField(late),
		FieldPublic, boolField(u.Publish && inc.Public()))), nil
}

// CheckOpen returns an error explaining why an incident that is resolved
// or closed cannot take updates.
func (inc *Incident) CheckOpen() error { return inc.mustBeOpen("post updates") }
