package bot

import (
	"context"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// onOncallAction routes the buttons and checkboxes of on-call messages
// (pages and handoffs), which belong to no war room: it reports whether
// act was one of them.
func (a *App) onOncallAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction, env string, ack func(any)) bool {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	o := op{Actor: cb.User.ID, Channel: channel, ResponseURL: cb.ResponseURL, Via: viaButton}
	keys := []string{env, "trigger:" + cb.TriggerID + ":" + act.ActionID}
	switch act.ActionID {
	case views.ActionPageAck:
		id, err := strconv.ParseInt(act.Value, 10, 64)
		if err != nil || id <= 0 {
			a.ackByReply(o, false)(&call{op: o}, incident.Errorf(incident.EINVALID, "This button is broken (bad incident %q).", views.Escape(act.Value)))
			return true
		}
		o.Kind, o.Incident = opPageAck, id
		a.accept(ctx, o, keys, ack, a.ackByReply(o, true))
	case views.ActionHandoffConfirm, views.ActionHandoffCheck:
		value, group := act.Value, 0
		if act.ActionID == views.ActionHandoffCheck {
			group, value = views.ParseChecklistBlock(act.BlockID)
		}
		rot, at, ok := views.ParseHandoffValue(value)
		if !ok {
			a.ackByReply(o, false)(&call{op: o}, incident.Errorf(incident.EINVALID, "This button is broken (bad handoff %q).", views.Escape(value)))
			return true
		}
		o.Rotation, o.From = rot, at
		confirm := true
		if act.ActionID == views.ActionHandoffCheck {
			o.Kind, confirm = opHandoffCheck, false
			o.Steps = a.checklistGroup(rot, group)
			for _, opt := range act.SelectedOptions {
				o.Selected = append(o.Selected, opt.Value)
			}
		} else {
			o.Kind = opHandoffConfirm
		}
		a.accept(ctx, o, keys, ack, a.ackByReply(o, confirm))
	default:
		return false
	}
	return true
}

// checklistGroup returns the step IDs of checkbox group i of rotation's
// checklist.
func (a *App) checklistGroup(rotation string, i int) []string {
	steps := a.oc.checklist(rotation)
	var out []string
	for j := i * views.ChecklistGroup; j < len(steps) && j < (i+1)*views.ChecklistGroup; j++ {
		out = append(out, string(steps[j].ID))
	}
	return out
}
