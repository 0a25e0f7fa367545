package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// SetSeverity changes the severity of incident id.
func (a *App) SetSeverity(ctx context.Context, c *call, id int64, sev string) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		before := factsOf(inc)
		evs, err := inc.SetSeverity(a.policy, c.Actor, sev, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":arrow_up_down: Incident #%d is now *%s*; next update %s.", inc.ID, inc.Severity, a.env().NextUpdate(inc))
		return a.announce(inc, evs).With(a.playbooksOnChange(inc, before, c.Actor, incident.TriggerSeverity)), nil
	})
	return err
}

// SetStatus moves incident id to status s; resolved, closed and cancelled
// go to their own use cases.
func (a *App) SetStatus(ctx context.Context, c *call, id int64, s incident.Status) error {
	switch s {
	case incident.StatusResolved:
		return a.Resolve(ctx, c, id, "")
	case incident.StatusClosed:
		return a.Close(ctx, c, id)
	case incident.StatusCancelled:
		return a.Cancel(ctx, c, id, "")
	}
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.SetStatus(a.policy, c.Actor, s, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":traffic_light: Incident #%d is now *%s*.", inc.ID, inc.Status)
		return a.announce(inc, evs), nil
	})
	return err
}

// Resolve resolves incident id, with how it was resolved.
func (a *App) Resolve(ctx context.Context, c *call, id int64, text string) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.ResolveChecked(a.policy, c.Actor, text, c.Confirm, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":white_check_mark: Incident #%d is resolved. Close it with `/incident close` once the follow-ups are recorded: that drafts the postmortem.", inc.ID)
		return a.announce(inc, evs), nil
	})
	return err
}

// Close closes a resolved incident: the war room is told, the postmortem
// drafted and uploaded, the announcements told it is ready, and the war
// room archived later. A drill gets its scorecard.
func (a *App) Close(ctx context.Context, c *call, id int64) error {
	timeline, err := a.drillEvents(ctx, c, id)
	if err != nil {
		return err
	}
	_, err = a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.Close(a.policy, c.Actor, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":lock: Closing incident #%d; the postmortem draft follows in its war room.", inc.ID)
		ch := incident.Change{Events: evs}
		ch.Effects = append(ch.Effects, refresh()...)
		ch.Effects = append(ch.Effects, roomNotice(fmt.Sprintf(":lock: %s closed incident #%d. Thank you all.", views.User(c.Actor), inc.ID)))
		ch.Effects = append(ch.Effects, refreshChecklists(inc)...)
		ch = ch.With(a.scorecard(inc, timeline))
		return ch.With(a.draftPostmortem(inc, c.Actor, true)), nil
	})
	return err
}

// Cancel ends incident id as declared by mistake.
func (a *App) Cancel(ctx context.Context, c *call, id int64, reason string) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.Cancel(a.policy, c.Actor, reason, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":wastebasket: Incident #%d is cancelled; it will be left out of metrics and reports.", inc.ID)
		return a.announce(inc, evs), nil
	})
	return err
}

// SetCause records the root cause of incident id (RecordCause with the
// text alone).
func (a *App) SetCause(ctx context.Context, c *call, id int64, text string) error {
	return a.RecordCause(ctx, c, id, incident.Cause{Text: text})
}

// SetImpact records the impact of incident id: what users see, in words,
// and the estimate the request carries (what users experience, security,
// money lost per hour). Each revision is a timeline event; the person is
// told the severity and response the estimate calls for.
func (a *App) SetImpact(ctx context.Context, c *call, id int64, text string) error {
	r, err := c.revision(text)
	if err != nil {
		return err
	}
	_, err = a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.ReviseImpact(a.policy, c.Actor, r, a.now())
		c.ack = a.impactAck(inc, r)
		return incident.Change{Events: evs, Effects: refresh()}, err
	})
	return err
}

// announce tells the war room and the announcement threads about severity,
// status, resolution and cancellation changes, and refreshes the card and
// topic. Severity changes, reopenings and resolutions also show in the
// announcement channels themselves. A private incident's announcements
// only say that it changed.
func (a *App) announce(inc *incident.Incident, evs []incident.Event) incident.Change {
	ch := incident.Change{Events: evs, Effects: refresh()}
	for _, ev := range evs {
		var text, private string
		broadcast := false
		switch ev.Kind {
		case incident.EventSeverityChanged:
			text = fmt.Sprintf(":arrow_up_down: %s changed the severity of incident #%d from *%s* to *%s*. Next update %s.", views.User(ev.Actor), inc.ID, ev.Field("from"), ev.Field("to"), a.env().NextUpdate(inc))
			private, broadcast = fmt.Sprintf(":lock: A private incident is now %s.", inc.Severity), true
		case incident.EventStatusChanged:
			text = fmt.Sprintf(":traffic_light: %s changed the status of incident #%d from *%s* to *%s*.", views.User(ev.Actor), inc.ID, ev.Field("from"), ev.Field("to"))
		case incident.EventReopened:
			text = fmt.Sprintf(":leftwards_arrow_with_hook: %s reopened incident #%d.", views.User(ev.Actor), inc.ID)
			broadcast = true
		case incident.EventResolved:
			text = fmt.Sprintf(":white_check_mark: %s resolved incident #%d after %s.", views.User(ev.Actor), inc.ID, incident.FormatDuration(inc.Duration(a.now())))
			if ev.Text != "" {
				text += "\n" + views.Quote(ev.Text)
			}
			private, broadcast = ":lock: A private incident was resolved.", true
		case incident.EventCancelled:
			text = fmt.Sprintf(":wastebasket: %s cancelled incident #%d: it was declared by mistake.", views.User(ev.Actor), inc.ID)
			if ev.Text != "" {
				text += "\n" + views.Quote(ev.Text)
			}
			private = ":lock: A private incident was cancelled: it was declared by mistake."
		default:
			continue
		}
		ch.Effects = append(ch.Effects, roomNotice(text))
		if inc.Private {
			if private == "" {
				continue
			}
			text = private
		}
		ch.Effects = append(ch.Effects, threads(inc, payload{Msg: msgNotice, Text: text}, broadcast)...)
	}
	return ch
}
