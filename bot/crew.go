package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// RemoveRole takes a configured role (issue 12) away from user (or the
// person called userName): someone leaving a role several people hold, or
// one nobody needs any more.
func (a *App) RemoveRole(ctx context.Context, c *call, id int64, role incident.Role, user, userName string) error {
	user, err := a.roleHolder(ctx, c, user, userName)
	if err != nil || user == "" {
		return err
	}
	_, err = a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.RemoveRole(a.policy, c.Actor, role, user, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":bust_in_silhouette: %s is no longer a *%s* of incident #%d.", views.User(user), role, inc.ID)
		ch := incident.Change{Events: evs, Effects: refresh()}
		ch.Effects = append(ch.Effects, roomNotice(fmt.Sprintf(":bust_in_silhouette: %s is no longer a *%s* (set by %s).", views.User(user), role, views.User(c.Actor))))
		return ch, nil
	})
	return err
}
