package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// AssignRole puts user (or the person called userName) in role at once:
// an empty role, or force by the operator or an admin. A held role
// changes hands through OfferHandoff.
func (a *App) AssignRole(ctx context.Context, c *call, id int64, role incident.Role, user, userName string, force bool) error {
	user, err := a.roleHolder(ctx, c, user, userName)
	if err != nil || user == "" {
		return err
	}
	_, err = a.change(ctx, c, id, func(inc *incident.Incident, inWarRoom bool) (incident.Change, error) {
		evs, err := inc.AssignRole(a.policy, c.Actor, role, user, force, inWarRoom, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":bust_in_silhouette: %s is now the *%s* of incident #%d.", views.User(user), role, inc.ID)
		return a.roleTaken(inc, role, user, c.Actor, evs), nil
	})
	return err
}

// roleHolder is person for a role command: "" with the ack set when the
// person is to be looked up yet. Only a dry run gets there: a plain @name
// the directory's cache does not know yet is checked when the request
// runs.
func (a *App) roleHolder(ctx context.Context, c *call, user, userName string) (string, error) {
	user, err := a.person(ctx, c, user, userName)
	if err == nil && user == "" {
		c.ack = fmt.Sprintf(":bust_in_silhouette: Looking up @%s…", views.Escape(userName))
	}
	return user, err
}

// person resolves who a command names: a mentioned user ID, or a plain
// @name looked up in the directory, and checks they can hold a role. In a
// dry run an unknown plain name gives "" and no error.
func (a *App) person(ctx context.Context, c *call, user, userName string) (string, error) {
	if user == "" && userName != "" {
		id, err := a.users.byName(ctx, userName, !c.dry)
		if err != nil || id == "" {
			return "", err
		}
		user = id
	}
	if user == "" {
		return "", nil
	}
	return user, a.checkPerson(ctx, c, user)
}

// roleTaken is what follows a role changing hands: the new holder is
// invited to the war room and told their duty, the war room is told, the
// card and topic show it.
func (a *App) roleTaken(inc *incident.Incident, role incident.Role, user, actor string, evs []incident.Event) incident.Change {
	ch := incident.Change{Events: evs, Effects: refresh()}
	ch.Effects = append(ch.Effects,
		effect(effInvite, laneAux, payload{Users: []string{user}}),
		roomNotice(fmt.Sprintf(":bust_in_silhouette: %s is now the *%s* (set by %s).", views.User(user), role, views.User(actor))),
	)
	if user != a.botUserID {
		ch.Effects = append(ch.Effects, dm(user, payload{Msg: msgRoleDM, Role: string(role)}))
	}
	return ch
}

// OfferHandoff records the outgoing holder's brief and offers role to to,
// in the war room and by DM, with an Accept button.
func (a *App) OfferHandoff(ctx context.Context, c *call, id int64, role incident.Role, to string, b incident.Brief) error {
	if err := a.checkPerson(ctx, c, to); err != nil {
		return err
	}
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.OfferHandoff(a.policy, c.Actor, role, to, b, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":arrows_counterclockwise: The %s role of incident #%d is offered to %s; it changes hands when they accept.", role, inc.ID, views.User(to))
		ch := incident.Change{Events: evs, Effects: refresh()}
		ch.Effects = append(ch.Effects,
			effect(effInvite, laneAux, payload{Users: []string{to}}),
			roomPost(payload{Msg: msgHandoff}),
			dm(to, payload{Msg: msgHandoff}),
		)
		return ch, nil
	})
	return err
}

// AcceptHandoff completes the handoff offered to the actor.
func (a *App) AcceptHandoff(ctx context.Context, c *call, id int64) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		var role incident.Role
		if inc.Handoff != nil {
			role = inc.Handoff.Role
		}
		evs, err := inc.AcceptHandoff(a.policy, c.Actor, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":handshake: You are now the *%s* of incident #%d.", role, inc.ID)
		return a.roleTaken(inc, role, c.Actor, c.Actor, evs), nil
	})
	return err
}
