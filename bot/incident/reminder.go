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

// Reminder is a reminder the scheduler decided to send.
type Reminder struct {
	Stage ReminderStage // the stage this reminder moves the incident to
	Due   time.Time     // the promised update time it is about
	// To is who must post the update (spokesperson, else operator).
	To string
	// Attempts and NextAttempt are kept only for reminders of the legacy
	// Pending queue.
	Attempts    int
	NextAttempt time.Time
}

// Replan recomputes WakeAt, the next time the scheduler must look at the
// incident (a reminder stage, the archive, a legacy pending reminder). It
// runs after every change so the store can index the incident by it.
func (inc *Incident) Replan(p Policy) {
	inc.WakeAt = time.Time{}
	defer func() {
		for _, r := range inc.Pending {
			if inc.WakeAt.IsZero() || r.NextAttempt.Before(inc.WakeAt) {
				inc.WakeAt = r.NextAttempt
			}
		}
		// A page waiting for its acknowledgement wakes the incident when
		// the level's time is up, to page the next one.
		if pg := inc.Page; pg.Paging() && !pg.EscalateAt.IsZero() && (inc.WakeAt.IsZero() || pg.EscalateAt.Before(inc.WakeAt)) {
			inc.WakeAt = pg.EscalateAt
		}
	}()
	if inc.Status.Ended() && !inc.ArchiveAt.IsZero() {
		inc.WakeAt = inc.ArchiveAt
		return
	}
	if !inc.Status.Open() || inc.NextUpdateDue.IsZero() {
		return
	}
	sev := p.timings(inc.Severity)
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

// timings returns the reminder timings of a severity, the policy-wide ones
// for an unknown severity.
func (p Policy) timings(severity string) SeverityLevel {
	sev, err := p.Severity(severity)
	if err != nil {
		return SeverityLevel{RemindBefore: p.RemindBefore, EscalateAfter: p.EscalateAfter}
	}
	return sev
}

// NextReminder returns the reminder due at now, if any, and moves the
// incident to its stage, with the timeline event that records it. The
// caller delivers the reminder through the outbox in the same transaction.
// When the bot was down long enough to miss several stages, only the
// latest one is sent: a heads-up after the due time would only add noise.
func (inc *Incident) NextReminder(p Policy, now time.Time) (Reminder, []Event, bool) {
	sev := p.timings(inc.Severity)
	if !inc.Status.Open() || inc.NextUpdateDue.IsZero() || now.Before(inc.NextUpdateDue.Add(-sev.RemindBefore)) {
		return Reminder{}, nil, false
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
	r := Reminder{Stage: stage, Due: due, To: inc.Communicator()}
	inc.Replan(p)
	kind := map[ReminderStage]EventKind{StageHeadsUp: EventReminderHeadsUp, StageDue: EventReminderDue, StageEscalated: EventEscalated}[stage]
	return r, []Event{newEvent(kind, "", now, "", "due", formatTime(due), "to", r.To)}, true
}

// TakeLegacyPending empties the legacy Pending queue and returns the
// reminders in it that still apply, for the caller to deliver through the
// outbox.
func (inc *Incident) TakeLegacyPending(p Policy) []Reminder {
	var out []Reminder
	for _, r := range inc.Pending {
		if !inc.Stale(r) {
			out = append(out, Reminder{Stage: r.Stage, Due: r.Due, To: r.To})
		}
	}
	inc.Pending = nil
	inc.Replan(p)
	return out
}

// Snooze postpones the promised update by the policy's snooze time.
func (inc *Incident) Snooze(p Policy, actor string, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("snooze its reminders"); err != nil {
		return nil, err
	}
	if err := p.CheckCanManage(inc, actor, "snooze the update reminder"); err != nil {
		return nil, err
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

// Stale reports whether a reminder no longer applies: its promise was kept
// or replaced, or the incident is no longer open. Delivery checks it, so a
// reminder that waited in the outbox while the update came in is dropped.
func (inc *Incident) Stale(r Reminder) bool {
	return !inc.Status.Open() || !r.Due.Equal(inc.NextUpdateDue)
}

// TakeArchive reports whether the war room of an ended incident is due to
// be archived at now, and if so clears the plan: the caller enqueues the
// archive in the same transaction, and Archived records it once done.
func (inc *Incident) TakeArchive(p Policy, now time.Time) bool {
	if !inc.Status.Ended() || inc.ArchiveAt.IsZero() || now.Before(inc.ArchiveAt) {
		return false
	}
	inc.ArchiveAt = time.Time{}
	inc.Replan(p)
	return true
}

// Archived records that the war room was archived.
func (inc *Incident) Archived(p Policy, now time.Time) []Event {
	inc.touch(p, now)
	return []Event{newEvent(EventArchived, "", now, "", "channel", inc.ChannelID)}
}
