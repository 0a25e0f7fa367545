package oncall

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Bounds of a level's acknowledgement timeout, and of Policy.Repeat.
const (
	MinAckTimeout = time.Minute
	MaxAckTimeout = 24 * time.Hour
	MaxRepeat     = 10
)

// Level is one step of an escalation policy: who is paged, and how long
// they have to acknowledge before the next level is paged. A level pages
// the union of what it names.
type Level struct {
	// Rotation pages whoever is on call in that rotation at the time.
	Rotation string
	// Users are Slack user IDs paged directly.
	Users []string
	// UserGroup is a Slack user group ID ("S0123ABCD"), mentioned.
	UserGroup  string
	AckTimeout time.Duration
}

// Policy is an escalation policy: levels paged one after the other until
// someone acknowledges.
//
// After the last level times out, the policy starts again from level 1,
// Repeat more times; then paging stops and the page is exhausted (the Slack
// surface says so in the war room). Stopping by default keeps a forgotten
// page from waking people for ever; Repeat is there for teams that want
// PagerDuty-style loops.
type Policy struct {
	Name   string
	Levels []Level
	Repeat int
}

// Validate reports every problem in p; rotations are the names of the
// configured rotations. Keys are relative to the policy, e.g.
// "levels[1].rotation".
func (p Policy) Validate(rotations []string) []Problem {
	var f findings
	switch {
	case p.Name == "":
		f.add("name", `missing (give the policy a short lowercase name such as "default")`)
	case !nameRe.MatchString(p.Name):
		f.add("name", `%q is not valid (use lowercase a-z, 0-9, "-" and "_", e.g. "default")`, p.Name)
	}
	if len(p.Levels) == 0 {
		f.add("levels", "no levels (list who is paged first, e.g. a level with rotation: primary and ack_timeout: 5m)")
	}
	if p.Repeat < 0 || p.Repeat > MaxRepeat {
		f.add("repeat", "%d is out of range (use 0 to stop after the last level, or up to %d passes more)", p.Repeat, MaxRepeat)
	}
	for i, l := range p.Levels {
		key := fmt.Sprintf("levels[%d].", i)
		if l.Rotation == "" && len(l.Users) == 0 && l.UserGroup == "" {
			f.add(key+"rotation", "the level pages nobody (name a rotation, users or a usergroup)")
		}
		if l.Rotation != "" && !slices.Contains(rotations, l.Rotation) {
			f.add(key+"rotation", "%q is not a rotation (use one of: %s)", l.Rotation, strings.Join(rotations, ", "))
		}
		for j, u := range l.Users {
			if !userIDRe.MatchString(u) {
				f.add(fmt.Sprintf("%susers[%d]", key, j), `%q is not a Slack user ID (use e.g. "U0123ABCD")`, u)
			}
		}
		if l.UserGroup != "" && !usergroupRe.MatchString(l.UserGroup) {
			f.add(key+"usergroup", `%q is not a user group ID (use the ID starting with S, e.g. "S0123ABCD", from the group's profile > Copy group ID)`, l.UserGroup)
		}
		if l.AckTimeout < MinAckTimeout || l.AckTimeout > MaxAckTimeout {
			f.add(key+"ack_timeout", "%s is out of range (use between %s and %s, e.g. 5m)", human(l.AckTimeout), human(MinAckTimeout), human(MaxAckTimeout))
		}
	}
	return f
}

// Target is who one level pages, resolved at the time of paging. It is the
// domain's incident.PageTarget: the incident stores the page.
type Target = incident.PageTarget

// resolve works out who a level pages at now.
func (l Level) resolve(r Roster, now time.Time) Target {
	t := Target{Rotation: l.Rotation, UserGroup: l.UserGroup}
	if l.Rotation != "" {
		if s, err := r.Find(l.Rotation); err == nil {
			if m, ok := s.WhoIsOn(now); ok && m.UserID != "" {
				t.Users = append(t.Users, m.UserID)
			}
		}
	}
	for _, u := range l.Users {
		if !slices.Contains(t.Users, u) {
			t.Users = append(t.Users, u)
		}
	}
	return t
}

// PageState is where a page stands.
type PageState = incident.PageState

// Page states.
const (
	Paging       = incident.PagePaging       // waiting for an acknowledgement
	Acknowledged = incident.PageAcknowledged // someone acknowledged
	Exhausted    = incident.PageExhausted    // every level timed out
	Stopped      = incident.PageStopped      // the incident ended first
)

// Page is the paging of one incident under one policy: a pure state machine
// that the scheduler drives with Tick and the Acknowledge button with
// Acknowledge. It is the incident's own record (incident.Page) seen with
// the methods that need the policy and the roster: convert with
// Page(*inc.Page) and back with incident.Page(pg). Due says when to look
// at it again; EscalateAt holds the same time for the store's due index.
type Page incident.Page

// NoticeKind says what a Notice asks the Slack surface to do.
type NoticeKind string

// Notice kinds.
const (
	// NoticePage: page Target (DMs with an Acknowledge button, a mention of
	// the user group).
	NoticePage NoticeKind = "page"
	// NoticeSkipped: Level paged nobody (no one on call), so paging moved on.
	NoticeSkipped NoticeKind = "skipped"
	// NoticeExhausted: every level timed out; tell the war room.
	NoticeExhausted NoticeKind = "exhausted"
)

// Notice is one thing to do after a step of the page.
type Notice struct {
	Kind   NoticeKind
	Level  int
	Pass   int
	Target Target
}

// Event is the timeline event that records the notice at now.
func (n Notice) Event(now time.Time) incident.Event {
	switch n.Kind {
	case NoticePage:
		return incident.PagedEvent(now, n.Level, n.Pass, n.Target)
	case NoticeSkipped:
		return incident.PageSkippedEvent(now, n.Level, n.Pass, n.Target.Rotation)
	}
	return incident.PageExhaustedEvent(now, n.Level)
}

// StartPage pages the first level of p for an incident at now. Levels that
// page nobody at now are skipped at once, with a notice.
func (p Policy) StartPage(r Roster, now time.Time) (Page, []Notice) {
	pg := Page{Policy: p.Name, State: Paging, StartedAt: now}
	return pg.advance(p, r, now)
}

// Due returns when the page next needs a Tick: when the current level's
// acknowledgement timeout runs out. False once it is no longer paging.
func (pg Page) Due(p Policy) (time.Time, bool) {
	if pg.State != Paging {
		return time.Time{}, false
	}
	if pg.Level < 1 || pg.Level > len(p.Levels) {
		return pg.PagedAt, true // the policy changed under the page: move on now
	}
	return pg.PagedAt.Add(p.Levels[pg.Level-1].AckTimeout), true
}

// Tick moves the page on at now: when the current level has not
// acknowledged in time, the next level is paged (one level per Tick, so each
// level gets its full timeout from when it was really paged, even after the
// bot was down).
func (pg Page) Tick(p Policy, r Roster, now time.Time) (Page, []Notice) {
	due, ok := pg.Due(p)
	if !ok || now.Before(due) {
		return pg, nil
	}
	return pg.advance(p, r, now)
}

// advance pages the level after the current one, skipping levels that page
// nobody, wrapping around for repeats, and exhausting at the end.
func (pg Page) advance(p Policy, r Roster, now time.Time) (Page, []Notice) {
	var out []Notice
	// One full pass more than the levels lets every level be tried once
	// even when the page wraps around; a pass of empty levels ends it.
	for range len(p.Levels) + 1 {
		pg.Level++
		if pg.Level > len(p.Levels) {
			if pg.Pass >= p.Repeat || len(p.Levels) == 0 {
				break
			}
			pg.Pass++
			pg.Level = 1
		}
		t := p.Levels[pg.Level-1].resolve(r, now)
		if t.Empty() {
			out = append(out, Notice{Kind: NoticeSkipped, Level: pg.Level, Pass: pg.Pass, Target: t})
			continue
		}
		pg.Target, pg.PagedAt = t, now
		pg.EscalateAt = now.Add(p.Levels[pg.Level-1].AckTimeout)
		return pg, append(out, Notice{Kind: NoticePage, Level: pg.Level, Pass: pg.Pass, Target: t})
	}
	pg.State, pg.EndedAt, pg.Level, pg.EscalateAt = Exhausted, now, min(pg.Level, len(p.Levels)), time.Time{}
	return pg, append(out, Notice{Kind: NoticeExhausted, Level: pg.Level, Pass: pg.Pass})
}

// Acknowledge records that by acknowledged the page at now: paging stops.
// Anyone may acknowledge, paged or not; an exhausted page can still be
// acknowledged, since someone has finally taken it.
func (pg Page) Acknowledge(incidentID int64, by string, now time.Time) (Page, error) {
	ip := incident.Page(pg)
	err := ip.Acknowledge(incidentID, by, now)
	return Page(ip), err
}

// Stop ends paging without an acknowledgement, e.g. when the incident is
// resolved first. Stopping an acknowledged or ended page changes nothing.
func (pg Page) Stop(now time.Time) Page {
	ip := incident.Page(pg)
	ip.Stop(now)
	return Page(ip)
}

// TimeToAcknowledge is from the first page to the acknowledgement; false
// until someone acknowledged.
func (pg Page) TimeToAcknowledge() (time.Duration, bool) {
	if pg.State != Acknowledged {
		return 0, false
	}
	return pg.AckedAt.Sub(pg.StartedAt), true
}
