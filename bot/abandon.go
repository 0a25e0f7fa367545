package bot

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Abandon records an effect done without performing it, after a permanent
// failure or too many attempts, and tells the people concerned once. It
// implements outbound.Deliverer.
func (a *App) Abandon(ctx context.Context, e incident.Effect, cause error) error {
	var p payload
	_ = json.Unmarshal(e.Payload, &p)
	code := outbound.Code(cause)
	if code == "" {
		code = cause.Error()
	}
	a.log.Error("gave up on a Slack effect", "effect", e.Seq, "kind", e.Kind, "incident_id", e.IncidentID, "err", cause)
	if e.IncidentID == 0 {
		_, err := a.store.Apply(ctx, incident.Change{Done: []uint64{e.Seq}})
		return err
	}
	_, ch, err := a.store.UpdateIncident(ctx, e.IncidentID, func(inc *incident.Incident) (incident.Change, error) {
		ch := incident.Change{Done: []uint64{e.Seq}}
		what := describeEffect(e.Kind, p)
		ch.Events = append(ch.Events, incident.Event{At: a.now(), Kind: incident.EventDeliveryFailed, Text: what,
			Fields: map[string]string{"effect": e.Kind, "error": code}})
		switch {
		case e.Kind == effCreateChannel:
			inc.WarRoomError = code
		case e.Kind == effPost && p.To == toAnnounce:
			inc.SetAnnouncement(p.Channel, "", code)
			ch.Effects = append(ch.Effects, roomNotice(fmt.Sprintf(":warning: I could not announce this incident in <#%s> (%s). Invite me there, or remove it from `slack.announce_channels`.", p.Channel, code)))
		case e.Kind == effReminder && inc.Operator != "":
			// The war room refused the reminder: tell the operator where
			// Slack still listens.
			ch.Effects = append(ch.Effects, dm(inc.Operator, payload{Msg: msgNotice, Text: fmt.Sprintf(
				":warning: I could not post the update reminder for incident #%d in its war room (%s). The update is due; please check the war room.", inc.ID, code)}))
		case p.To == toRoom || p.To == toThread:
			// Reported once in the log and the timeline; posting about a
			// room that refuses posts would fail the same way.
		}
		return ch, nil
	})
	if err == nil {
		a.outbox.Add(ch.Effects...)
	}
	return err
}

// describeEffect says in words what an effect was, for the timeline.
func describeEffect(kind string, p payload) string {
	switch kind {
	case effCreateChannel:
		return "create the war room"
	case effPost:
		switch p.To {
		case toAnnounce:
			return "announce the incident in <#" + p.Channel + ">"
		case toThread:
			return "post in the announcement thread in <#" + p.Channel + ">"
		case toDM:
			return "send a direct message to " + views.User(p.User)
		}
		return "post " + p.Msg + " in the war room"
	case effReminder:
		return "post the update reminder"
	case effUpload:
		return "upload the postmortem draft"
	}
	return kind
}
