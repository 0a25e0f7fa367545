package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/incidentbot/incidentbot/playbooks"
)

// Declare records a new incident and, in the same transaction, every step
// of its war room as an effect: the channel, the invites, the topic, the
// card (then its pin), the spokesperson picker, the operator's DM, the
// announcements and the answer to the declarer. Each step is recorded as
// it lands and the outbox resumes what a crash or a Slack outage left,
// whatever the incident's status by then.
func (a *App) Declare(ctx context.Context, c *call, req incident.DeclareRequest) error {
	onCall := a.defaultOperator(ctx, c, &req)
	if req.Operator != "" && req.Operator != req.DeclaredBy && !onCall {
		if err := a.checkPerson(ctx, c, req.Operator); err != nil {
			return err
		}
	}
	inc, evs, pbs, err := a.declareWithPlaybooks(c, req)
	if err != nil {
		return err
	}
	if c.dry {
		c.ack = a.declaringAck(inc)
		if onCall {
			c.ack += fmt.Sprintf(" %s is on call in *%s*: they lead it and are being paged.", views.User(req.Operator), a.oc.opt.OperatorRotation)
		}
		return nil
	}
	change := a.declaration(inc, evs, pbs, func() []incident.Effect { return a.setup(inc, c) })
	change.Request = c.seq
	ch, err := a.store.CreateIncident(ctx, inc, change)
	if err != nil {
		return err
	}
	c.finished = true
	a.outbox.Add(ch.Effects...)
	a.log.Info("incident declared", "incident_id", inc.ID, "severity", inc.Severity, "private", inc.Private)
	return nil
}

// declaration runs pbs on the new incident inc and returns the change that
// records it: its declaration events evs, the effects that build its war
// room (listed by effs once the playbooks ran, so that what they render
// includes them), the page of an on-call operator, a drill's introduction
// and the stakeholders' notices.
func (a *App) declaration(inc *incident.Incident, evs []incident.Event, pbs []playbooks.Playbook, effs func() []incident.Effect) incident.Change {
	// Issue 13: the operator is paged; first, so that the setup knows not
	// to send a paged operator the role DM as well.
	page := a.startPage(inc, inc.DeclaredAt)
	ran := a.runPlaybooks(inc, inc.DeclaredBy, pbs, incident.TriggerDeclare)
	change := incident.Change{Events: evs, Effects: effs()}.With(a.declareNotes(inc)).With(ran).With(page)
	return a.stakeholderChange(inc, change)
}

// setup plans the announcements of a new incident and lists the effects
// that build its war room. The store gives them the incident's ID.
func (a *App) setup(inc *incident.Incident, c *call) []incident.Effect {
	for _, ch := range a.announceChannels(inc) {
		inc.Announcements = append(inc.Announcements, incident.Announcement{ChannelID: ch})
	}
	var people []string
	for _, u := range slices.Compact([]string{inc.DeclaredBy, inc.Operator}) {
		if u != "" && u != a.botUserID {
			people = append(people, u)
		}
	}
	effs := []incident.Effect{
		effect(effCreateChannel, laneRoom, payload{}),
		// The answer to the declarer waits in the room's lane for the
		// channel it names.
		effect(effReply, laneRoom, payload{Msg: msgReady, ResponseURL: c.ResponseURL, Channel: c.Channel, User: c.Actor}),
		effect(effInvite, laneAux, payload{Users: people}),
		effect(effTopic, laneAux, payload{}),
		effect(effCard, laneRoom, payload{}),
		roomPost(payload{Msg: msgPicker}),
	}
	if inc.Operator != "" && inc.Operator != a.botUserID && !inc.Page.Paged(inc.Operator) {
		// A paged operator's page says it all, with its Acknowledge button.
		effs = append(effs, dm(inc.Operator, payload{Msg: msgRoleDM, Role: string(incident.RoleOperator)}))
	}
	for _, ann := range inc.Announcements {
		effs = append(effs, effect(effPost, laneAnnounce(ann.ChannelID), payload{To: toAnnounce, Channel: ann.ChannelID, Msg: msgAnnouncement}))
	}
	return effs
}

// checkPerson checks that user can hold a role: a person of the
// workspace, active, not a bot. The dry run before the ack reads only the
// directory's cache; the real run asks Slack when the cache does not know.
func (a *App) checkPerson(ctx context.Context, c *call, user string) error {
	if user == a.botUserID && user != "" {
		return incident.Errorf(incident.EINVALID, "<@%s> is a bot; incident roles need a person.", user)
	}
	u, err := a.users.lookup(ctx, user, !c.dry)
	if err != nil || u == nil {
		return err
	}
	switch {
	case u.Deleted:
		return incident.Errorf(incident.EINVALID, "<@%s> is deactivated; choose someone else.", user)
	case u.IsBot:
		return incident.Errorf(incident.EINVALID, "<@%s> is a bot; incident roles need a person.", user)
	}
	return nil
}
