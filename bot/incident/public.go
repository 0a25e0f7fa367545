package incident

import (
	"slices"
	"strings"
	"time"
)

// Event kinds of public communication.
const (
	// EventSummaryWritten records the customer-facing summary: Text is
	// what happened; fields "impact", "apology" and "changes".
	EventSummaryWritten EventKind = "customer_summary_written"
	// EventStakeholdersAdded records stakeholder groups starting to follow
	// the incident: field "groups" (comma-separated), "reason" (why: the
	// severity, a playbook).
	EventStakeholdersAdded EventKind = "stakeholders_added"
	// EventStakeholdersNotified records one notification to stakeholders:
	// field "about" (the event kind it tells of), "people", "emails" and
	// "channels" (how many of each were sent one), "groups" and
	// "subscribers" (who asked for it).
	EventStakeholdersNotified EventKind = "stakeholders_notified"
)

// FieldPublic is the field of an EventUpdatePosted that is "true" when the
// update was published to the status page.
const FieldPublic = "public"

// Published reports whether e is an update published to the status page.
func (e Event) Published() bool {
	return e.Kind == EventUpdatePosted && e.Field(FieldPublic) == "true"
}

// Public reports whether anything about inc may reach a public output
// (the status page, its feeds, the embedded status): not private, not a
// drill, not cancelled, not kept off by a playbook (public_status: false). Even then only published updates and the customer
// summary are shown, besides the title, severity, status and times.
func (inc *Incident) Public() bool {
	return !inc.Private && !inc.Drill && !inc.NoStatusPage && inc.Status != StatusCancelled
}

// CustomerSummary is the customer-facing account of an incident: what
// happened, its impact, an apology and what will change. Each text is
// plain (not Slack markup).
type CustomerSummary struct {
	WhatHappened string
	Impact       string
	Apology      string
	Changes      string
	WrittenBy    string
	WrittenAt    time.Time
}

// MaxSummaryField bounds each text of a customer summary: a status page
// paragraph, not a postmortem.
const MaxSummaryField = 2000

// WriteCustomerSummary records (or replaces) the customer-facing summary.
// It takes a resolved or closed public incident, and one of its managers.
func (inc *Incident) WriteCustomerSummary(p Policy, actor string, s CustomerSummary, now time.Time) ([]Event, error) {
	switch {
	case inc.Status == StatusCancelled:
		return nil, Errorf(ECONFLICT, "Incident #%d was cancelled: it needs no customer summary.", inc.ID)
	case inc.Status.Open():
		return nil, Errorf(ECONFLICT, "Incident #%d is still %s; write the customer summary once it is resolved.", inc.ID, inc.Status)
	case inc.Private:
		return nil, Errorf(ECONFLICT, "Incident #%d is private: it never reaches the status page, so it has no customer summary.", inc.ID)
	case inc.Drill:
		return nil, Errorf(ECONFLICT, "Incident #%d is a drill: it never reaches the status page, so it has no customer summary.", inc.ID)
	}
	if err := p.CheckCanManage(inc, actor, "write the customer summary"); err != nil {
		return nil, err
	}
	s.WhatHappened = strings.TrimSpace(s.WhatHappened)
	s.Impact = strings.TrimSpace(s.Impact)
	s.Apology = strings.TrimSpace(s.Apology)
	s.Changes = strings.TrimSpace(s.Changes)
	if s.WhatHappened == "" {
		return nil, Errorf(EINVALID, "Say what happened, in words a customer understands.")
	}
	for _, f := range []struct{ name, text string }{{"what happened", s.WhatHappened}, {"impact", s.Impact}, {"apology", s.Apology}, {"what we change", s.Changes}} {
		if n := len([]rune(f.text)); n > MaxSummaryField {
			return nil, Errorf(EINVALID, "The %s is %d characters long; keep it to %d.", f.name, n, MaxSummaryField)
		}
	}
	s.WrittenBy, s.WrittenAt = actor, now
	inc.CustomerSummary = &s
	inc.touch(p, now)
	return []Event{newEvent(EventSummaryWritten, actor, now, s.WhatHappened,
		"impact", s.Impact, "apology", s.Apology, "changes", s.Changes)}, nil
}

// AddStakeholders makes the stakeholder groups follow the incident, for
// reason (e.g. "severity critical", "playbook data-loss"); groups already
// following are skipped. It returns the timeline event, or nothing when
// every group already follows. Playbooks call it inside their change.
func (inc *Incident) AddStakeholders(actor string, groups []string, reason string, now time.Time) []Event {
	var added []string
	for _, g := range groups {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(inc.Stakeholders, g) && !slices.Contains(added, g) {
			added = append(added, g)
		}
	}
	if len(added) == 0 {
		return nil
	}
	inc.Stakeholders = append(inc.Stakeholders, added...)
	inc.UpdatedAt = now
	return []Event{newEvent(EventStakeholdersAdded, actor, now, "", "groups", strings.Join(added, ","), "reason", reason)}
}

// Subscription is someone following incidents in Slack by their own
// choice (/incident subscribe): one incident, or all of them.
type Subscription struct {
	User string
	// Incident is the incident followed; 0 follows every incident (the
	// public ones: a private incident or a drill is followed only by
	// number).
	Incident int64
	// Tier is how closely, as in stakeholders.groups: manage_closely,
	// keep_satisfied, keep_informed or monitor.
	Tier      string
	CreatedAt time.Time
}
