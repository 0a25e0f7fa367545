package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// AddTask records an action item on incident id, owned by user (or the
// person called userName) when given, and shows it in the war room with a
// Done button.
func (a *App) AddTask(ctx context.Context, c *call, id int64, text, user, userName string) error {
	owner, err := a.person(ctx, c, user, userName)
	if err != nil {
		return err
	}
	_, err = a.change(ctx, c, id, func(inc *incident.Incident, inWarRoom bool) (incident.Change, error) {
		if err := a.policy.CheckCanWriteNotes(inc, c.Actor, inWarRoom); err != nil {
			return incident.Change{}, err
		}
		t, evs, err := inc.AddTask(a.policy, c.Actor, text, owner, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":ballot_box_with_check: Action item %d added to incident #%d.", t.ID, inc.ID)
		ch := incident.Change{Events: evs}
		if inc.ChannelID != "" || inc.WarRoomError == "" {
			ch.Effects = append(ch.Effects, roomPost(payload{Msg: msgTask, Task: t.ID}))
		}
		return ch, nil
	})
	return err
}

// SetTaskDone marks action item task of incident id done, or open again.
func (a *App) SetTaskDone(ctx context.Context, c *call, id int64, task int, done bool) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, inWarRoom bool) (incident.Change, error) {
		if err := a.policy.CheckCanWriteNotes(inc, c.Actor, inWarRoom); err != nil {
			return incident.Change{}, err
		}
		state := "done"
		if !done {
			state = "open again"
		}
		c.ack = fmt.Sprintf(":white_check_mark: Action item %d of incident #%d is %s.", task, inc.ID, state)
		return events(inc.SetTaskDone(a.policy, c.Actor, task, done, a.now()))
	})
	return err
}
