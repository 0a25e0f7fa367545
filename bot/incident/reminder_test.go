package incident_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// tick is one call of NextReminder in a schedule.
type tick struct {
	at    time.Duration          // since t0
	stage incident.ReminderStage // the reminder sent; StageWaiting means none
	wake  time.Duration          // WakeAt afterwards since t0; -1 means zero
}

// MustRunSchedule calls NextReminder at each tick and checks what it sends
// and when the incident wakes next.
func MustRunSchedule(tb testing.TB, p incident.Policy, inc *incident.Incident, ticks []tick) {
	tb.Helper()
	kinds := map[incident.ReminderStage]incident.EventKind{
		incident.StageHeadsUp: incident.EventReminderHeadsUp, incident.StageDue: incident.EventReminderDue,
		incident.StageEscalated: incident.EventEscalated,
	}
	for _, tk := range ticks {
		r, evs, ok := inc.NextReminder(p, at(tk.at))
		if ok != (tk.stage != incident.StageWaiting) || r.Stage != tk.stage {
			tb.Fatalf("at +%v: reminder %+v (ok %v), want stage %d", tk.at, r, ok, tk.stage)
		}
		if ok {
			if !r.Due.Equal(inc.NextUpdateDue) || r.To != inc.Communicator() || inc.Reminder.Stage != tk.stage {
				tb.Errorf("at +%v: reminder %+v, incident stage %d", tk.at, r, inc.Reminder.Stage)
			}
			MustKinds(tb, evs, kinds[tk.stage])
			if e := evs[0]; e.Actor != "" || e.Field("to") != r.To || e.Field("due") != r.Due.Format(time.RFC3339) || !e.At.Equal(at(tk.at)) {
				tb.Errorf("at +%v: event %+v", tk.at, e)
			}
			if inc.Stale(r) || len(inc.Pending) != 0 {
				tb.Errorf("at +%v: fresh reminder %+v is stale, or queued in the incident: %+v", tk.at, r, inc.Pending)
			}
		} else if len(evs) != 0 {
			tb.Errorf("at +%v: events without a reminder: %v", tk.at, evs)
		}
		want := time.Time{}
		if tk.wake >= 0 {
			want = at(tk.wake)
		}
		if !inc.WakeAt.Equal(want) {
			tb.Errorf("at +%v: WakeAt = %v, want %v", tk.at, inc.WakeAt, want)
		}
	}
}

func TestIncident_NextReminder(t *testing.T) {
	const m = time.Minute
	p := MustPolicy(t)
	// MustDeclare: major, due at +30m, heads-up 5m before, escalation 10m after.
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{
			{0, incident.StageWaiting, 25 * m},
			{24*m + 59*time.Second, incident.StageWaiting, 25 * m},
			{25 * m, incident.StageHeadsUp, 30 * m},
			{26 * m, incident.StageWaiting, 30 * m},
			{30 * m, incident.StageDue, 40 * m},
			{39 * m, incident.StageWaiting, 40 * m},
			{40 * m, incident.StageEscalated, -1},
			{50 * m, incident.StageWaiting, -1},
			{10 * time.Hour, incident.StageWaiting, -1},
		})
	})
	t.Run("LongOutageSendsLatestOnce", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{
			{3 * time.Hour, incident.StageEscalated, -1},
			{3*time.Hour + m, incident.StageWaiting, -1},
		})
	})
	t.Run("MissedHeadsUpSendsDue", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{
			{32 * m, incident.StageDue, 40 * m},
			{40 * m, incident.StageEscalated, -1},
		})
	})
	t.Run("ToOperatorWithoutSpokesperson", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Spokesperson = ""
		r, _, ok := inc.NextReminder(p, at(30*m))
		if !ok || r.To != op {
			t.Errorf("reminder = %+v, %v", r, ok)
		}
	})
	t.Run("PerSeverityOverride", func(t *testing.T) {
		p := MustPolicy(t)
		p.Severities[1].RemindBefore = 2 * m  // major
		p.Severities[1].EscalateAfter = 3 * m // major
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{
			{0, incident.StageWaiting, 28 * m},
			{28 * m, incident.StageHeadsUp, 30 * m},
			{30 * m, incident.StageDue, 33 * m},
			{33 * m, incident.StageEscalated, -1},
		})
	})
	t.Run("NoHeadsUp", func(t *testing.T) {
		p := MustPolicy(t)
		p.RemindBefore = 0
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{
			{0, incident.StageWaiting, 30 * m},
			{29 * m, incident.StageWaiting, 30 * m},
			{30 * m, incident.StageDue, 40 * m},
		})
	})
	t.Run("UpdateResetsCycle", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{{45 * m, incident.StageEscalated, -1}})
		_, err := inc.PostUpdate(p, sp, incident.Update{Text: "x", Next: 20 * m}, at(50*m))
		MustOK(t, err)
		if inc.Reminder.Stage != incident.StageWaiting {
			t.Fatalf("stage = %d", inc.Reminder.Stage)
		}
		MustRunSchedule(t, p, inc, []tick{
			{50 * m, incident.StageWaiting, 65 * m},
			{65 * m, incident.StageHeadsUp, 70 * m},
			{70 * m, incident.StageDue, 80 * m},
			{80 * m, incident.StageEscalated, -1},
		})
	})
	t.Run("SeverityPullsScheduleForward", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{{0, incident.StageWaiting, 25 * m}})
		_, err := inc.SetSeverity(p, op, "critical", at(m))
		MustOK(t, err)
		MustRunSchedule(t, p, inc, []tick{
			{11 * m, incident.StageHeadsUp, 16 * m},
			{16 * m, incident.StageDue, 26 * m},
		})
	})
	t.Run("ResolveClearsWakeAt", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{{25 * m, incident.StageHeadsUp, 30 * m}})
		MustResolve(t, p, inc, at(26*m))
		MustRunSchedule(t, p, inc, []tick{
			{26 * m, incident.StageWaiting, -1},
			{5 * time.Hour, incident.StageWaiting, -1},
		})
	})
	t.Run("ReopenRestartsCycle", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(m))
		_, err := inc.SetStatus(p, op, incident.StatusIdentified, at(2*m))
		MustOK(t, err)
		MustRunSchedule(t, p, inc, []tick{{27 * m, incident.StageHeadsUp, 32 * m}})
	})
	t.Run("UnknownSeverityUsesPolicy", func(t *testing.T) {
		inc := MustDeclare(t, p)
		inc.Severity = "retired"
		inc.Replan(p)
		MustRunSchedule(t, p, inc, []tick{
			{25 * m, incident.StageHeadsUp, 30 * m},
			{30 * m, incident.StageDue, 40 * m},
			{40 * m, incident.StageEscalated, -1},
		})
	})
}

func TestIncident_Snooze(t *testing.T) {
	const m = time.Minute
	p := MustPolicy(t)
	t.Run("OK", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{{31 * m, incident.StageDue, 40 * m}})
		evs, err := inc.Snooze(p, sp, at(32*m))
		MustOK(t, err)
		MustKinds(t, evs, incident.EventSnoozed)
		if evs[0].Field("next_update") != "2000-01-01T00:42:00Z" || evs[0].Actor != sp {
			t.Errorf("event = %+v", evs[0])
		}
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(42*m))
		// The snoozed promise skips the heads-up.
		MustRunSchedule(t, p, inc, []tick{
			{32 * m, incident.StageWaiting, 42 * m},
			{37 * m, incident.StageWaiting, 42 * m},
			{42 * m, incident.StageDue, 52 * m},
			{52 * m, incident.StageEscalated, -1},
		})
	})
	t.Run("AtDue", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.Snooze(p, op, at(30*m))
		MustOK(t, err)
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(40*m))
	})
	t.Run("DefaultSnooze", func(t *testing.T) {
		p := MustPolicy(t)
		p.Snooze = 0
		inc := MustDeclare(t, p)
		_, err := inc.Snooze(p, op, at(35*m))
		MustOK(t, err)
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(45*m))
	})
	t.Run("ErrNotDue", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustRunSchedule(t, p, inc, []tick{{25 * m, incident.StageHeadsUp, 30 * m}})
		_, err := inc.Snooze(p, sp, at(29*m))
		MustCode(t, err, incident.ECONFLICT, "not due yet")
		MustTime(t, "NextUpdateDue", inc.NextUpdateDue, at(30*m))
	})
	t.Run("ErrResolved", func(t *testing.T) {
		inc := MustDeclare(t, p)
		MustResolve(t, p, inc, at(m))
		_, err := inc.Snooze(p, sp, at(40*m))
		MustCode(t, err, incident.ECONFLICT, "resolved")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		inc := MustDeclare(t, p)
		_, err := inc.Snooze(p, stranger, at(40*m))
		MustCode(t, err, incident.EUNAUTHORIZED, append(whoCanManage, "snooze")...)
	})
}

func TestIncident_Stale(t *testing.T) {
	const m = time.Minute
	p := MustPolicy(t)
	t.Run("AfterUpdate", func(t *testing.T) {
		inc := MustDeclare(t, p)
		r, _, _ := inc.NextReminder(p, at(30*m))
		_, err := inc.PostUpdate(p, sp, incident.Update{Text: "x"}, at(31*m))
		MustOK(t, err)
		if !inc.Stale(r) {
			t.Error("a reminder for a kept promise is not stale")
		}
		MustTime(t, "WakeAt", inc.WakeAt, at(56*m))
	})
	t.Run("AfterResolve", func(t *testing.T) {
		inc := MustDeclare(t, p)
		r, _, _ := inc.NextReminder(p, at(30*m))
		MustResolve(t, p, inc, at(31*m))
		if !inc.Stale(r) {
			t.Error("a reminder for a resolved incident is not stale")
		}
		MustTime(t, "WakeAt", inc.WakeAt, time.Time{})
	})
}

// TestIncident_TakeLegacyPending: reminders queued in the incident by a
// schema-1 incidentbot wake it at once and move to the outbox, stale ones
// dropped.
func TestIncident_TakeLegacyPending(t *testing.T) {
	const m = time.Minute
	p := MustPolicy(t)
	inc := MustDeclare(t, p)
	due := inc.NextUpdateDue
	inc.Pending = []incident.Reminder{
		{Stage: incident.StageDue, Due: due, To: sp, Attempts: 3, NextAttempt: at(31 * m)},
		{Stage: incident.StageHeadsUp, Due: due.Add(-time.Hour), To: sp, NextAttempt: at(20 * m)},
	}
	inc.Replan(p)
	MustTime(t, "WakeAt", inc.WakeAt, at(20*m))
	got := inc.TakeLegacyPending(p)
	if len(got) != 1 || got[0] != (incident.Reminder{Stage: incident.StageDue, Due: due, To: sp}) {
		t.Fatalf("taken %+v", got)
	}
	if len(inc.Pending) != 0 {
		t.Fatalf("pending %+v", inc.Pending)
	}
	MustTime(t, "WakeAt", inc.WakeAt, due.Add(-5*m))
}

// TestIncident_TakeArchive: the archive of an ended incident is taken once,
// when due.
func TestIncident_TakeArchive(t *testing.T) {
	const m = time.Minute
	p := MustPolicy(t)
	p.ArchiveAfter = time.Hour
	inc := MustDeclare(t, p)
	inc.ChannelID = "C1"
	if inc.TakeArchive(p, at(10*time.Hour)) {
		t.Fatal("an open incident's war room is archived")
	}
	MustResolve(t, p, inc, at(10*m))
	_, err := inc.Close(p, op, at(20*m))
	MustOK(t, err)
	MustTime(t, "WakeAt", inc.WakeAt, at(80*m))
	if inc.TakeArchive(p, at(79*m)) {
		t.Fatal("archived early")
	}
	if !inc.TakeArchive(p, at(80*m)) || inc.TakeArchive(p, at(81*m)) {
		t.Fatal("the archive is not taken exactly once")
	}
	MustTime(t, "WakeAt", inc.WakeAt, time.Time{})
	MustKinds(t, inc.Archived(p, at(81*m)), incident.EventArchived)
}
