package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// mustBeOpen refuses what unless the incident is being worked on.
func (inc *Incident) mustBeOpen(what string) error {
	switch inc.Status {
	case StatusClosed, StatusCancelled:
		return inc.mustBeActive(what)
	case StatusResolved:
		return Errorf(ECONFLICT, "Incident #%d is resolved; you cannot %s. Reopen it with `/incident status investigating` first.", inc.ID, what)
	}
	return nil
}

// mustBeActive refuses what once the incident has ended (closed or
// cancelled); a resolved incident still takes notes, causes and tasks.
func (inc *Incident) mustBeActive(what string) error {
	switch inc.Status {
	case StatusClosed:
		return Errorf(ECONFLICT, "Incident #%d is closed; you cannot %s.", inc.ID, what)
	case StatusCancelled:
		return Errorf(ECONFLICT, "Incident #%d was cancelled; you cannot %s.", inc.ID, what)
	}
	return nil
}

// SetSeverity changes the severity. A faster cadence pulls the next update
// forward; a slower one never pushes a promise back.
func (inc *Incident) SetSeverity(p Policy, actor, name string, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("change its severity"); err != nil {
		return nil, err
	}
	if err := p.CheckCanManage(inc, actor, "change the severity"); err != nil {
		return nil, err
	}
	sev, err := p.Severity(name)
	if err != nil {
		return nil, err
	}
	if sev.Name == inc.Severity {
		return nil, Errorf(EINVALID, "Incident #%d is already %s.", inc.ID, sev.Name)
	}
	from := inc.Severity
	inc.Severity = sev.Name
	if due := now.Add(p.Cadence(sev.Name)); inc.NextUpdateDue.IsZero() || due.Before(inc.NextUpdateDue) {
		inc.NextUpdateDue = due
		inc.Reminder = ReminderState{}
	}
	inc.touch(p, now)
	return []Event{newEvent(EventSeverityChanged, actor, now, "", "from", from, "to", sev.Name,
		"next_update", formatTime(inc.NextUpdateDue))}, nil
}

// SetStatus moves the incident to status s. Resolving and closing have
// their own commands; moving a resolved incident back to an open status
// reopens it.
func (inc *Incident) SetStatus(p Policy, actor string, s Status, now time.Time) ([]Event, error) {
	switch s {
	case StatusResolved:
		return inc.Resolve(p, actor, "", now)
	case StatusClosed:
		return inc.Close(p, actor, now)
	case StatusCancelled:
		return inc.Cancel(p, actor, "", now)
	}
	if !slices.Contains(Statuses, s) {
		return nil, Errorf(EINVALID, "%q is not a status. Use one of: investigating, identified, monitoring, resolved.", s)
	}
	if err := inc.mustBeActive("change its status"); err != nil {
		return nil, err
	}
	if err := p.CheckCanManage(inc, actor, "change the status"); err != nil {
		return nil, err
	}
	if s == inc.Status {
		return nil, Errorf(EINVALID, "Incident #%d is already %s.", inc.ID, s)
	}
	from := inc.Status
	var evs []Event
	if from == StatusResolved {
		inc.ResolvedAt = time.Time{}
		inc.NextUpdateDue = now.Add(p.Cadence(inc.Severity))
		inc.Reminder = ReminderState{}
		evs = append(evs, newEvent(EventReopened, actor, now, ""))
	}
	inc.Status = s
	if s == StatusMonitoring && inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = now
	}
	inc.touch(p, now)
	return append(evs, newEvent(EventStatusChanged, actor, now, "", "from", string(from), "to", string(s))), nil
}

// Resolve marks the incident resolved and stops the update reminders.
func (inc *Incident) Resolve(p Policy, actor, text string, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("resolve it again"); err != nil {
		return nil, err
	}
	if err := p.CheckCanManage(inc, actor, "resolve the incident"); err != nil {
		return nil, err
	}
	from := inc.Status
	inc.Status = StatusResolved
	inc.ResolvedAt = now
	if inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = now
	}
	if text = strings.TrimSpace(text); text != "" {
		inc.Resolution = text
	}
	inc.NextUpdateDue = time.Time{}
	inc.Reminder = ReminderState{}
	inc.stopPage(now)
	inc.touch(p, now)
	return []Event{newEvent(EventResolved, actor, now, text, "from", string(from))}, nil
}

// Close ends a resolved incident for good.
func (inc *Incident) Close(p Policy, actor string, now time.Time) ([]Event, error) {
	switch inc.Status {
	case StatusClosed:
		return nil, Errorf(ECONFLICT, "Incident #%d is already closed.", inc.ID)
	case StatusCancelled:
		return nil, Errorf(ECONFLICT, "Incident #%d was cancelled; there is nothing to close.", inc.ID)
	case StatusResolved:
	default:
		return nil, Errorf(ECONFLICT, "Incident #%d is still %s; resolve it first with `/incident resolve`.", inc.ID, inc.Status)
	}
	if err := p.CheckCanManage(inc, actor, "close the incident"); err != nil {
		return nil, err
	}
	inc.Status = StatusClosed
	inc.ClosedAt = now
	inc.Handoff = nil
	if p.ArchiveAfter > 0 && inc.ChannelID != "" {
		inc.ArchiveAt = now.Add(p.ArchiveAfter)
	}
	inc.touch(p, now)
	return []Event{newEvent(EventClosed, actor, now, "")}, nil
}

// MaxReasonLen bounds a cancellation reason: it is repeated in
// announcements.
const MaxReasonLen = 300

// Cancel ends an incident declared by mistake (a test, a false alarm): it
// never happened, so it is left out of metrics, digests and exports. Only
// the operator or an admin may cancel, and only before it is closed: a
// closed incident had its postmortem. The war room is archived after the
// usual delay.
func (inc *Incident) Cancel(p Policy, actor, reason string, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("cancel it"); err != nil {
		return nil, err
	}
	if actor == "" || (actor != inc.Operator && !p.IsAdmin(actor)) {
		return nil, Errorf(EUNAUTHORIZED, "Only the operator (%s) or an incidentbot admin can cancel an incident.", mention(inc.Operator))
	}
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n > MaxReasonLen {
		return nil, Errorf(EINVALID, "The reason is %d characters long; keep it to %d.", n, MaxReasonLen)
	}
	from := inc.Status
	inc.Status = StatusCancelled
	inc.ClosedAt = now
	inc.NextUpdateDue = time.Time{}
	inc.Reminder = ReminderState{}
	inc.Handoff = nil
	inc.stopPage(now)
	if p.ArchiveAfter > 0 && inc.ChannelID != "" {
		inc.ArchiveAt = now.Add(p.ArchiveAfter)
	}
	inc.touch(p, now)
	return []Event{newEvent(EventCancelled, actor, now, reason, "from", string(from))}, nil
}

// mention renders a user for a refusal, or "nobody yet".
func mention(user string) string {
	if user == "" {
		return "nobody yet"
	}
	return "<@" + user + ">"
}

// SetCause records the root cause.
func (inc *Incident) SetCause(p Policy, actor, text string, now time.Time) ([]Event, error) {
	return inc.setText(p, actor, text, now, &inc.Cause, EventCauseRecorded, "root cause", "cause")
}

// SetImpact records the impact on users, in words (see ReviseImpact for
// an estimate too).
func (inc *Incident) SetImpact(p Policy, actor, text string, now time.Time) ([]Event, error) {
	return inc.ReviseImpact(p, actor, ImpactRevision{Text: text}, now)
}

func (inc *Incident) setText(p Policy, actor, text string, now time.Time, dst *string, kind EventKind, what, cmd string) ([]Event, error) {
	if err := inc.mustBeActive("change its " + what); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Errorf(EINVALID, "Say what the %s is, e.g. `/incident %s ...`.", what, cmd)
	}
	*dst = text
	inc.touch(p, now)
	return []Event{newEvent(kind, actor, now, text)}, nil
}

func (inc *Incident) touch(p Policy, now time.Time) {
	inc.UpdatedAt = now
	inc.Replan(p)
}

// String identifies the incident in logs and messages.
func (inc *Incident) String() string { return fmt.Sprintf("#%d %s", inc.ID, inc.Title) }
