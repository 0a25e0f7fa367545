package bot

import (
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// observeReminder counts a reminder posted for inc; drills are left out.
func (a *App) observeReminder(inc *incident.Incident, stage incident.ReminderStage) {
	if inc.Drill {
		return
	}
	switch stage {
	case incident.StageHeadsUp:
		a.opt.Metrics.Reminder("heads_up")
	case incident.StageDue:
		a.opt.Metrics.Reminder("due")
	case incident.StageEscalated:
		a.opt.Metrics.Reminder("escalation")
	}
}

// observeAck records how long an envelope received at start waited for its
// ack. It measures the real time the process spent, whatever the clock.
func (a *App) observeAck(start time.Time) {
	a.opt.Metrics.Ack(time.Since(start))
}
