package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// SetStep ticks step n (from 1) of incident id's checklist, or unticks it.
// Anyone who may write to the timeline may; each tick is a timeline event
// with who did it. The checklist message and the card show it.
func (a *App) SetStep(ctx context.Context, c *call, id int64, n int, done bool) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, inWarRoom bool) (incident.Change, error) {
		if err := a.policy.CheckCanWriteNotes(inc, c.Actor, inWarRoom); err != nil {
			return incident.Change{}, err
		}
		if n < 1 || n > len(inc.Checklist) {
			if len(inc.Checklist) == 0 {
				return incident.Change{}, incident.Errorf(incident.ENOTFOUND, "Incident #%d has no checklist: no playbook with one ran on it.", inc.ID)
			}
			return incident.Change{}, incident.Errorf(incident.ENOTFOUND, "Incident #%d has no step %d; its checklist has %d. `/incident checklist` lists them.", inc.ID, n, len(inc.Checklist))
		}
		s, evs, err := inc.SetStep(a.policy, c.Actor, inc.Checklist[n-1].ID, done, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		state := "done"
		if !done {
			state = "open again"
		}
		c.ack = fmt.Sprintf(":white_check_mark: Step %d of incident #%d (%s) is %s.", n, inc.ID, views.Escape(s.Text), state)
		ch := incident.Change{Events: evs, Effects: refresh()}
		ch.Effects = append(ch.Effects, effect(effChecklist, laneRoom, payload{Name: s.Playbook()}))
		return ch, nil
	})
	return err
}

// checklistReply answers /incident checklist.
func (a *App) checklistReply(inc *incident.Incident) map[string]any {
	return ackBlocks(fmt.Sprintf("Checklist of incident #%d", inc.ID), a.env().ChecklistReply(inc))
}
