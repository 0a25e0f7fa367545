package incident

import (
	"strconv"
	"strings"
	"time"
)

// PageState is where the paging of an incident stands.
type PageState string

// Page states.
const (
	PagePaging       PageState = "paging"       // waiting for an acknowledgement
	PageAcknowledged PageState = "acknowledged" // someone acknowledged
	PageExhausted    PageState = "exhausted"    // every level timed out
	PageStopped      PageState = "stopped"      // the incident ended first
)

// PageTarget is who one level of an escalation policy pages, resolved at
// the time of paging.
type PageTarget struct {
	// Users to page directly (direct message with an Acknowledge button),
	// without duplicates.
	Users []string
	// UserGroup to page: each member gets the direct message.
	UserGroup string
	// Rotation the on-call person came from, if any, for the message.
	Rotation string
}

// Empty reports whether the target pages nobody.
func (t PageTarget) Empty() bool { return len(t.Users) == 0 && t.UserGroup == "" }

// Page records the paging of an incident's responders: who was paged
// last, since when, and whether and when someone acknowledged. The on-call
// package (bot/oncall) moves it from level to level; the incident keeps it
// so that the acknowledgement, the escalation and the incident's own
// changes are stored together.
type Page struct {
	// Policy names the escalation policy paging follows.
	Policy string
	// Level is the level paged last, from 1; Pass counts the repeats of
	// the whole policy, from 0.
	Level int
	Pass  int
	// Target is who Level paged.
	Target PageTarget
	// StartedAt is when the first level was paged; PagedAt when the
	// current level was.
	StartedAt time.Time
	PagedAt   time.Time
	// AckedAt is the real time of the acknowledgement, by AckedBy.
	AckedAt time.Time
	AckedBy string
	// EndedAt is when paging stopped or was exhausted.
	EndedAt time.Time
	State   PageState
	// EscalateAt is when the current level's acknowledgement timeout runs
	// out while State is PagePaging, zero otherwise. It is derived from
	// the policy by whoever moves the page, and stored so that Replan can
	// wake the incident for it without knowing the policy.
	EscalateAt time.Time
}

// Paging reports whether the page waits for an acknowledgement.
func (pg *Page) Paging() bool { return pg != nil && pg.State == PagePaging }

// Paged reports whether user was paged by the current level (directly; a
// user group's members are not listed).
func (pg *Page) Paged(user string) bool {
	if pg == nil {
		return false
	}
	for _, u := range pg.Target.Users {
		if u == user {
			return true
		}
	}
	return false
}

// clone returns a deep copy.
func (pg *Page) clone() *Page {
	if pg == nil {
		return nil
	}
	c := *pg
	c.Target.Users = append([]string(nil), pg.Target.Users...)
	return &c
}

// Acknowledge records that by acknowledged the page at now: paging stops,
// and the incident is acknowledged at that real time. Anyone may
// acknowledge (a level may page a whole user group); an exhausted page
// can still be acknowledged, since someone has finally taken it.
func (pg *Page) Acknowledge(incidentID int64, by string, now time.Time) error {
	switch pg.State {
	case PageAcknowledged:
		return Errorf(ECONFLICT, "%s already acknowledged the page for incident #%d.", mention(pg.AckedBy), incidentID)
	case PageStopped:
		return Errorf(ECONFLICT, "Paging for incident #%d has stopped; the incident is over.", incidentID)
	}
	pg.State, pg.AckedAt, pg.AckedBy, pg.EscalateAt = PageAcknowledged, now, by, time.Time{}
	return nil
}

// Stop ends paging without an acknowledgement, e.g. when the incident is
// resolved first. Stopping an acknowledged or ended page changes nothing.
func (pg *Page) Stop(now time.Time) {
	if pg.State == PagePaging {
		pg.State, pg.EndedAt, pg.EscalateAt = PageStopped, now, time.Time{}
	}
}

// AcknowledgePage records that actor acknowledged the page of the incident
// at now, the real time of their click: the incident's AcknowledgedAt (and
// so its time to acknowledge) is that time, unless the operator had
// already acknowledged. Someone other than the operator who acknowledges
// takes over as operator while the operator has not acknowledged: paging
// went past the operator because they did not answer, and whoever answers
// leads.
func (inc *Incident) AcknowledgePage(p Policy, actor string, now time.Time) ([]Event, error) {
	if inc.Page == nil {
		return nil, Errorf(ENOTFOUND, "Nobody was paged for incident #%d.", inc.ID)
	}
	if err := inc.Page.Acknowledge(inc.ID, actor, now); err != nil {
		return nil, err
	}
	evs := []Event{newEvent(EventPageAcknowledged, actor, now, "",
		"level", strconv.Itoa(inc.Page.Level), "after", strconv.FormatInt(int64(now.Sub(inc.Page.StartedAt)/time.Second), 10))}
	takeOver := actor != inc.Operator && inc.AcknowledgedAt.IsZero() && inc.Status.Open()
	if inc.AcknowledgedAt.IsZero() {
		inc.AcknowledgedAt = now
	}
	if takeOver {
		evs = append(evs, inc.assign(p, actor, RoleOperator, actor, now, EventRoleAssigned)...)
	}
	inc.touch(p, now)
	return evs, nil
}

// stopPage ends paging when the incident ends.
func (inc *Incident) stopPage(now time.Time) {
	if inc.Page != nil {
		inc.Page.Stop(now)
	}
}

// PagedEvent is the timeline event of a level being paged.
func PagedEvent(now time.Time, level, pass int, t PageTarget) Event {
	return newEvent(EventPaged, "", now, "", "level", strconv.Itoa(level), "pass", passField(pass),
		"users", strings.Join(t.Users, " "), "usergroup", t.UserGroup, "rotation", t.Rotation)
}

// PageSkippedEvent is the timeline event of a level that paged nobody (no
// one on call in its rotation).
func PageSkippedEvent(now time.Time, level, pass int, rotation string) Event {
	return newEvent(EventPageSkipped, "", now, "", "level", strconv.Itoa(level), "pass", passField(pass), "rotation", rotation)
}

// PageExhaustedEvent is the timeline event of paging given up: every level
// timed out without an acknowledgement.
func PageExhaustedEvent(now time.Time, level int) Event {
	return newEvent(EventPageExhausted, "", now, "", "level", strconv.Itoa(level))
}

func passField(pass int) string {
	if pass == 0 {
		return ""
	}
	return strconv.Itoa(pass)
}
