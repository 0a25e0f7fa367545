package incident

import "time"

// ReminderStage is how far the reminders for the current promise have gone.
type ReminderStage int

// The stages, in order. Each reminder is sent once per promise: posting an
// update starts a new promise at StageWaiting.
const (
	StageWaiting   ReminderStage = iota // nothing sent yet
	StageHeadsUp                        // heads-up sent before the due time
	StageDue                            // nudge sent at the due time
	StageEscalated                      // escalation sent; nothing more to do
)

// ReminderState tracks the reminders sent for the current promise.
type ReminderState struct {
	Stage ReminderStage
}

// Reminder is an action the scheduler must take for an incident.
type Reminder struct {
	Stage ReminderStage // the stage this reminder moves the incident to
	Due   time.Time     // the promised update time it is about
	// To is who must post the update (spokesperson, else operator).
	To string
	// Attempts counts failed deliveries; NextAttempt is when to try again.
	Attempts    int
	NextAttempt time.Time
}

// maxReminderBackoff caps the wait between delivery attempts.
const maxReminderBackoff = 5 * time.Minute

// Replan recomputes WakeAt, the next time a reminder falls due. It runs after
// every change so the store can index the incident by it.
func (inc *Incident) Replan(p Policy) {
	inc.WakeAt = time.Time{}
	defer func() {
		for _, r := range inc.Pending {
			if inc.WakeAt.IsZero() || r.NextAttempt.Before(inc.WakeAt) {
				inc.WakeAt = r.NextAttempt
			}
		}
	}()
	if inc.Status == StatusClosed && !inc.ArchiveAt.IsZero() {
		inc.WakeAt = inc.ArchiveAt
		return
	}
	if !inc.Status.Open() || inc.NextUpdateDue.IsZero() {
		return
	}
	sev, err := p.Severity(inc.Severity)
	if err != nil {
		sev = SeverityLevel{RemindBefore: p.RemindBefore, EscalateAfter: p.EscalateAfter}
	}
	due := inc.NextUpdateDue
	switch inc.Reminder.Stage {
	case StageWaiting:
		if sev.RemindBefore > 0 {
			inc.WakeAt = due.Add(-sev.RemindBefore)
		} else {
			inc.WakeAt = due
		}
	case StageHeadsUp:
		inc.WakeAt = due
	case StageDue:
		inc.WakeAt = due.Add(sev.EscalateAfter)
	}
}

// NextReminder returns the reminder due at now, if any, and moves the
// incident to its stage, with the timeline event that records it. The
// reminder is also queued in Pending until Delivered is called. When the
// bot was down long enough to miss several stages, only the latest one is
// sent: a heads-up after the due time would only add noise.
func (inc *Incident) NextReminder(p Policy, now time.Time) (Reminder, []Event, bool) {
	if !inc.Status.Open() || inc.NextUpdateDue.IsZero() || now.Before(inc.NextUpdateDue.Add(-p.remindBefore(inc.Severity))) {
		return Reminder{}, nil, false
	}
	sev, err := p.Severity(inc.Severity)
	if err != nil {
		sev = SeverityLevel{EscalateAfter: p.EscalateAfter}
	}
	due := inc.NextUpdateDue
	var stage ReminderStage
	switch {
	case !now.Before(due.Add(sev.EscalateAfter)):
		stage = StageEscalated
	case !now.Before(due):
		stage = StageDue
	default:
		stage = StageHeadsUp
	}
	if stage <= inc.Reminder.Stage {
		inc.Replan(p)
		return Reminder{}, nil, false
	}
	inc.Reminder.Stage = stage
	r := Reminder{Stage: stage, Due: due, To: inc.Communicator(), NextAttempt: now}
	inc.Pending = append(inc.Pending, r)
	inc.Replan(p)
	kind := map[ReminderStage]EventKind{StageHeadsUp: EventReminderHeadsUp, StageDue: EventReminderDue, StageEscalated: EventEscalated}[stage]
	return r, []Event{newEvent(kind, "", now, "", "due", formatTime(due), "to", r.To)}, true
}

// Snooze postpones the promised update by the policy's snooze time.
func (inc *Incident) Snooze(p Policy, actor string, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("snooze its reminders"); err != nil {
		return nil, err
	}
	if !p.CanUpdate(inc, actor) {
		return nil, Errorf(EUNAUTHORIZED, "Only %s can snooze the update reminder.", p.whoCanManage(inc))
	}
	if inc.NextUpdateDue.IsZero() || now.Before(inc.NextUpdateDue) {
		return nil, Errorf(ECONFLICT, "The update for incident #%d is not due yet; nothing to snooze.", inc.ID)
	}
	snooze := p.Snooze
	if snooze <= 0 {
		snooze = 10 * time.Minute
	}
	inc.NextUpdateDue = now.Add(snooze)
	// A snoozed promise skips the heads-up: the nudge was just seen.
	inc.Reminder = ReminderState{Stage: StageHeadsUp}
	inc.touch(p, now)
	return []Event{newEvent(EventSnoozed, actor, now, "", "next_update", formatTime(inc.NextUpdateDue))}, nil
}

func (p Policy) remindBefore(severity string) time.Duration {
	if s, err := p.Severity(severity); err == nil {
		return s.RemindBefore
	}
	return p.RemindBefore
}

// Deliverable returns the pending reminders whose delivery is due at now.
// Reminders made stale (the update was posted, or the incident resolved)
// are dropped by Delivered instead of being sent.
func (inc *Incident) Deliverable(now time.Time) []Reminder {
	var out []Reminder
	for _, r := range inc.Pending {
		if !now.Before(r.NextAttempt) {
			out = append(out, r)
		}
	}
	return out
}

// ClaimDeliverable returns the reminders whose delivery is due at now and
// leases them until now+lease: a concurrent tick will not take them, and
// if the process dies before Delivered or DeliveryFailed, they are retried
// when the lease ends.
func (inc *Incident) ClaimDeliverable(p Policy, now time.Time, lease time.Duration) []Reminder {
	out := inc.Deliverable(now)
	for i := range inc.Pending {
		if !now.Before(inc.Pending[i].NextAttempt) {
			inc.Pending[i].NextAttempt = now.Add(lease)
		}
	}
	inc.Replan(p)
	return out
}

// Stale reports whether a pending reminder no longer applies: its promise
// was kept or replaced, or the incident is no longer open.
func (inc *Incident) Stale(r Reminder) bool {
	return !inc.Status.Open() || !r.Due.Equal(inc.NextUpdateDue)
}

// Delivered removes a pending reminder once it was sent (or found stale).
func (inc *Incident) Delivered(p Policy, r Reminder) {
	for i, x := range inc.Pending {
		if x.Stage == r.Stage && x.Due.Equal(r.Due) {
			inc.Pending = append(inc.Pending[:i], inc.Pending[i+1:]...)
			break
		}
	}
	inc.Replan(p)
}

// MaxDeliveryAttempts bounds the retries of one reminder: about two and a
// half hours at the backoff's five-minute cap. A reminder Slack refuses for
// that long (an archived war room, a revoked token) is given up.
const MaxDeliveryAttempts = 30

// DeliveryFailed schedules another attempt with exponential backoff. It
// reports whether the reminder was given up instead.
func (inc *Incident) DeliveryFailed(p Policy, r Reminder, now time.Time) (gaveUp bool) {
	defer inc.Replan(p)
	for i := range inc.Pending {
		x := &inc.Pending[i]
		if x.Stage == r.Stage && x.Due.Equal(r.Due) {
			x.Attempts++
			if x.Attempts >= MaxDeliveryAttempts {
				inc.Pending = append(inc.Pending[:i], inc.Pending[i+1:]...)
				return true
			}
			wait := time.Duration(1<<min(x.Attempts, 10)) * time.Second
			x.NextAttempt = now.Add(min(wait, maxReminderBackoff))
			return false
		}
	}
	return false
}

// ArchiveDue reports whether the war room of a closed incident is to be
// archived at now.
func (inc *Incident) ArchiveDue(now time.Time) bool {
	return inc.Status == StatusClosed && !inc.ArchiveAt.IsZero() && !now.Before(inc.ArchiveAt)
}

// Archived records that the war room was archived.
func (inc *Incident) Archived(p Policy, now time.Time) []Event {
	if inc.ArchiveAt.IsZero() {
		return nil
	}
	inc.ArchiveAt = time.Time{}
	inc.touch(p, now)
	return []Event{newEvent(EventArchived, "", now, "", "channel", inc.ChannelID)}
}

// ArchiveFailed tries the archive again after wait.
func (inc *Incident) ArchiveFailed(p Policy, now time.Time, wait time.Duration) {
	if inc.ArchiveAt.IsZero() {
		return
	}
	inc.ArchiveAt = now.Add(wait)
	inc.Replan(p)
}
