package bot

import (
	"context"
	"fmt"
	"strconv"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
)

// effTriage posts the triage message of an alert group, or brings it up
// to date (payload Name: the group's key).
const effTriage = "triage"

// triageGroup reads alert group key for a decision: it must still wait
// for one.
func (a *App) triageGroup(ctx context.Context, key string) (AlertStore, *incident.AlertGroup, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, nil, err
	}
	g, err := st.FindAlertGroup(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	return st, g, checkUndecided(g)
}

// checkUndecided refuses a decision on a group that has one.
func checkUndecided(g *incident.AlertGroup) error {
	switch g.State {
	case incident.AlertTriage:
		return nil
	case incident.AlertDeclared:
		return incident.Errorf(incident.ECONFLICT, "This alert is already incident #%d.", g.IncidentID)
	case incident.AlertLinked:
		return incident.Errorf(incident.ECONFLICT, "This alert is already linked to incident #%d.", g.IncidentID)
	case incident.AlertDismissed:
		return incident.Errorf(incident.ECONFLICT, "This alert was dismissed.")
	}
	return incident.Errorf(incident.ECONFLICT, "This alert is not waiting for a decision.")
}

// decided records who decided on group g, now.
func (a *App) decided(g *incident.AlertGroup, c *call, state incident.AlertState) {
	g.State, g.DecidedBy, g.DecidedAt = state, c.Actor, a.now()
}

// TriageDeclare declares an incident from a triaged alert group, with the
// person who clicked Declare as declarer and operator, and the route's
// severity, type and playbook.
func (a *App) TriageDeclare(ctx context.Context, c *call, key string) error {
	st, g, err := a.triageGroup(ctx, key)
	if err != nil {
		return err
	}
	req := incident.DeclareRequest{Title: alertTitle(g), Severity: g.Route.Severity, DeclaredBy: c.Actor, Operator: c.Actor}
	if c.dry {
		if _, _, _, err := a.declareAlert(req, g); err != nil {
			return err
		}
		c.ack = ":hourglass_flowing_sand: Declaring the incident…"
		return nil
	}
	_, w, err := st.UpdateAlertGroup(ctx, key, 0, func(g *incident.AlertGroup, _ *incident.Incident) (incident.AlertWrite, error) {
		if err := checkUndecided(g); err != nil {
			return incident.AlertWrite{}, err
		}
		inc, evs, pbs, err := a.declareAlert(req, g)
		if err != nil {
			return incident.AlertWrite{}, err
		}
		a.decided(g, c, incident.AlertDeclared)
		return incident.AlertWrite{
			Declare: inc, Change: a.declaration(inc, evs, pbs, func() []incident.Effect { return a.alertSetup(inc, g, c) }),
			Global: incident.Change{Effects: []incident.Effect{triageEffect(key)}, Request: c.seq},
		}, nil
	})
	if err != nil {
		return err
	}
	a.alertWritten(c, w)
	a.log.Info("incident declared from a triaged alert", "incident_id", w.Declare.ID, "user_id", c.Actor)
	return nil
}

// alertWritten follows a decision on an alert group stored with w: the
// request is finished, the effects go to the outbox.
func (a *App) alertWritten(c *call, w incident.AlertWrite) {
	c.finished = true
	a.outbox.Add(w.Change.Effects...)
	a.outbox.Add(w.Global.Effects...)
}

// TriageLink attaches a triaged alert group to incident id: its alerts
// join that incident's timeline from now on.
func (a *App) TriageLink(ctx context.Context, c *call, key string, id int64) error {
	st, _, err := a.triageGroup(ctx, key)
	if err != nil {
		return err
	}
	inc, _, err := a.target(ctx, c, id)
	if err != nil {
		return err
	}
	if c.dry {
		if inc.Status.Ended() {
			return incident.Errorf(incident.ECONFLICT, "Incident #%d has ended; link the alert to an open incident.", id)
		}
		c.ack = fmt.Sprintf(":link: Linking the alert to incident #%d.", id)
		return nil
	}
	_, w, err := st.UpdateAlertGroup(ctx, key, id, func(g *incident.AlertGroup, inc *incident.Incident) (incident.AlertWrite, error) {
		if err := checkUndecided(g); err != nil {
			return incident.AlertWrite{}, err
		}
		evs, err := inc.LinkAlerts(a.policy, c.Actor, g, a.now())
		if err != nil {
			return incident.AlertWrite{}, err
		}
		a.decided(g, c, incident.AlertLinked)
		g.IncidentID = id
		notice := fmt.Sprintf(":link: %s linked the alert *%s* to this incident (%d firing).", views.User(c.Actor), g.Title, g.Firing())
		return incident.AlertWrite{
			Incident: inc,
			Change:   incident.Change{Events: evs, Effects: append(refresh(), roomNotice(notice))},
			Global:   incident.Change{Effects: []incident.Effect{triageEffect(key)}, Request: c.seq},
		}, nil
	})
	if err != nil {
		return err
	}
	a.alertWritten(c, w)
	return nil
}

// TriageDismiss marks a triaged alert group as not worth an incident. If
// it fires again after every alert resolved, it is triaged anew.
func (a *App) TriageDismiss(ctx context.Context, c *call, key string) error {
	st, _, err := a.triageGroup(ctx, key)
	if err != nil {
		return err
	}
	if c.dry {
		c.ack = ":no_bell: Alert dismissed."
		return nil
	}
	_, w, err := st.UpdateAlertGroup(ctx, key, 0, func(g *incident.AlertGroup, _ *incident.Incident) (incident.AlertWrite, error) {
		if err := checkUndecided(g); err != nil {
			return incident.AlertWrite{}, err
		}
		a.decided(g, c, incident.AlertDismissed)
		return incident.AlertWrite{Global: incident.Change{Effects: []incident.Effect{triageEffect(key)}, Request: c.seq}}, nil
	})
	if err != nil {
		return err
	}
	a.alertWritten(c, w)
	return nil
}

// onTriageAction routes the triage message's buttons, and reports whether
// act was one of them.
func (a *App) onTriageAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction, env string, ack func(any)) bool {
	o := op{Actor: cb.User.ID, Channel: cb.Channel.ID, ResponseURL: cb.ResponseURL, Via: viaButton, Alert: act.Value}
	if o.Channel == "" {
		o.Channel = cb.Container.ChannelID
	}
	keys := []string{env, "trigger:" + cb.TriggerID + ":" + act.ActionID}
	switch act.ActionID {
	case views.ActionTriageDeclare:
		o.Kind = opTriageDeclare
	case views.ActionTriageDismiss:
		o.Kind = opTriageDismiss
	case views.ActionTriageLink:
		_, g, err := a.triageGroup(ctx, o.Alert)
		if err != nil {
			a.fail("find the alert group of a button", err)
			a.ackByReply(o, false)(&call{op: o}, err)
			return true
		}
		incs, _, _, err := a.visibleOpen(ctx, o.Actor, "", 1)
		if err != nil {
			a.fail("list open incidents", err)
			a.ackByReply(o, false)(&call{op: o}, err)
			return true
		}
		meta := encodeMeta(formMeta{Channel: o.Channel, ResponseURL: o.ResponseURL, To: o.Alert})
		a.openForm(ctx, cb.TriggerID, a.env().TriageLinkModal(g, incs, meta), ack)
		return true
	default:
		return false
	}
	a.accept(ctx, o, keys, ack, a.ackByReply(o, true))
	return true
}

// onTriageLinkSubmit handles the "Link to incident" form.
func (a *App) onTriageLinkSubmit(ctx context.Context, cb slack.InteractionCallback, o op, keys []string, ack func(any)) {
	meta := decodeMeta(cb.View.PrivateMetadata)
	o.Kind, o.Alert = opTriageLink, meta.To
	id, err := strconv.ParseInt(input(cb, views.InputLinkIncident).SelectedOption.Value, 10, 64)
	if err != nil {
		// The form without a picker (no open incident) just closes.
		ack(nil)
		return
	}
	o.Incident = id
	a.accept(ctx, o, keys, ack, func(c *call, err error) any {
		if err == nil {
			return nil
		}
		if incident.ErrorCode(err) == incident.EINTERNAL {
			return a.ackByReply(o, false)(c, err)
		}
		return a.formError(views.InputLinkIncident, err)
	})
}

// triage posts or updates the triage message of an alert group, rendered
// from the group as it is now; the message's ts is recorded with the
// group. A group without a channel, or one Slack refuses for good, is
// reported in the log and left.
func (d delivery) triage(ctx context.Context) error {
	st, err := d.a.alertStore()
	if err != nil {
		return fmt.Errorf("%w: %v", errCorrupt, err)
	}
	g, err := st.FindAlertGroup(ctx, d.p.Name)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return fmt.Errorf("%w: alert group %s is gone", errCorrupt, d.p.Name)
	}
	if err != nil {
		return err
	}
	if g.Channel == "" || g.TriageError != "" {
		if g.Channel == "" {
			d.a.log.Warn("an alert group to triage has no channel; set intake.triage_channel", "route", g.Route.Name)
		}
		return d.done(ctx, nil)
	}
	private := false
	if g.IncidentID != 0 {
		inc, err := d.a.store.FindIncidentByID(ctx, g.IncidentID)
		if err != nil {
			return err
		}
		private = inc.Private
	}
	blocks, text := d.env().TriageMessage(g, private)
	if g.TS != "" {
		if err := d.a.slack.Update(ctx, g.Channel, g.TS, text, blocks); err != nil {
			return err
		}
		return d.doneTriage(ctx, g.Key, g.Episode, "", "")
	}
	ts, err := d.a.slack.PostOnce(ctx, outbound.Message{Channel: g.Channel, Text: text, Blocks: blocks, Key: d.key()}, d.recheck, d.e.CreatedAt)
	if class, _ := outbound.Classify(err); err != nil && class == outbound.Permanent {
		d.a.log.Error("Slack refused the triage message", "channel_id", g.Channel, "route", g.Route.Name, "err", err)
		return d.doneTriage(ctx, g.Key, g.Episode, "", outbound.Code(err))
	}
	if err != nil {
		return err
	}
	return d.doneTriage(ctx, g.Key, g.Episode, ts, "")
}

// doneTriage records the triage effect done, with the message's ts or the
// error Slack refused it with, unless the group started another episode
// meanwhile (its message is another one).
func (d delivery) doneTriage(ctx context.Context, key string, episode int, ts, errCode string) error {
	st, err := d.a.alertStore()
	if err != nil {
		return err
	}
	_, _, err = st.UpdateAlertGroup(context.WithoutCancel(ctx), key, 0, func(g *incident.AlertGroup, _ *incident.Incident) (incident.AlertWrite, error) {
		if g.Episode == episode {
			if ts != "" {
				g.TS = ts
			}
			if errCode != "" {
				g.TriageError = errCode
			}
		}
		return incident.AlertWrite{Global: incident.Change{Done: []uint64{d.e.Seq}}}, nil
	})
	return err
}
