package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// PostUpdate records a status update and posts it in the war room and,
// for a public incident, in every announcement thread.
func (a *App) PostUpdate(ctx context.Context, c *call, id int64, u incident.Update) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		if c.Publish != nil {
			u.Publish = *c.Publish
		} else {
			u.Publish = a.publishByDefault(inc)
		}
		evs, err := inc.PostUpdate(a.policy, c.Actor, u, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":mega: Update posted on incident #%d; next update %s.", inc.ID, a.env().NextUpdate(inc))
		if a.opt.Public.StatusPage && u.Publish && inc.Public() {
			c.ack += " It is on the status page too."
		}
		ch := incident.Change{Events: evs, Effects: refresh()}
		for _, ev := range evs {
			if ev.Kind != incident.EventUpdatePosted {
				continue
			}
			p := payload{Msg: msgUpdate, Event: eventOf(ev)}
			ch.Effects = append(ch.Effects, roomPost(p))
			if !inc.Private {
				ch.Effects = append(ch.Effects, threads(inc, p, false)...)
			}
		}
		return ch, nil
	})
	return err
}

// Snooze postpones an overdue update by the policy's snooze time.
func (a *App) Snooze(ctx context.Context, c *call, id int64) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.Snooze(a.policy, c.Actor, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		due := views.When(inc.NextUpdateDue, a.now(), a.loc)
		c.ack = fmt.Sprintf(":zzz: Snoozed; the update on incident #%d is now due %s.", inc.ID, due)
		ch := incident.Change{Events: evs, Effects: refresh()}
		ch.Effects = append(ch.Effects, roomNotice(fmt.Sprintf(":zzz: %s snoozed the update reminder; next update due %s.", views.User(c.Actor), due)))
		return ch, nil
	})
	return err
}

// Wake is called by the scheduler, inside the incident's transaction, when
// its wake time has come: it decides the reminder due (with its timeline
// event) and the archive of an ended incident's war room, as effects in
// the same transaction. It implements nudge.Planner.
func (a *App) Wake(inc *incident.Incident, now time.Time) incident.Change {
	var ch incident.Change
	for _, r := range inc.TakeLegacyPending(a.policy) {
		ch.Effects = append(ch.Effects, reminder(r))
	}
	if r, evs, ok := inc.NextReminder(a.policy, now); ok {
		ch.Events = append(ch.Events, evs...)
		ch.Effects = append(ch.Effects, reminder(r))
		if r.Stage >= incident.StageDue {
			ch.Effects = append(ch.Effects, refresh()...) // the card and topic say "overdue"
		}
		if r.Stage == incident.StageEscalated && !inc.Private {
			note := fmt.Sprintf(":hourglass: The update on incident #%d is late (it was due %s). The team has been reminded.", inc.ID, views.When(r.Due, now, a.loc))
			ch.Effects = append(ch.Effects, threads(inc, payload{Msg: msgNotice, Text: note}, false)...)
		}
	}
	if inc.TakeArchive(a.policy, now) && inc.ChannelID != "" {
		ch.Effects = append(ch.Effects, effect(effArchive, laneRoom, payload{}))
	}
	return ch.With(a.wakePage(inc, now))
}

// Enqueued hands the effects a scheduler tick stored to the outbox. It
// implements nudge.Planner.
func (a *App) Enqueued(effs []incident.Effect) { a.outbox.Add(effs...) }

func reminder(r incident.Reminder) incident.Effect {
	return effect(effReminder, laneRoom, payload{Stage: int(r.Stage), Due: r.Due, User: r.To})
}

// digestLimit bounds the incidents the digest reads and shows; the rest
// are counted.
const digestLimit = 200

// Digest posts the open incidents to channel, most urgent first. With
// nothing open it posts only when postWhenEmpty. Cancelled incidents are
// not open, so never in it.
func (a *App) Digest(ctx context.Context, channel string, postWhenEmpty bool) error {
	incs, err := a.store.FindIncidents(ctx, incident.Filter{OpenOnly: true, Limit: digestLimit})
	if err != nil {
		return fmt.Errorf("read open incidents: %w", err)
	}
	// Drills are practice: they stay out of the digest.
	incs = slices.DeleteFunc(incs, func(inc *incident.Incident) bool { return inc.Drill })
	if len(incs) == 0 && !postWhenEmpty {
		return nil
	}
	blocks, text := a.env().Digest(incs)
	var effs []incident.Effect
	for _, page := range views.Pages(blocks) {
		effs = append(effs, effect(effPost, "/digest:"+channel, payload{To: toChannel, Channel: channel, Msg: msgBlocks, Blocks: blocksJSON(page), Text: text}))
	}
	ch, err := a.store.Apply(ctx, incident.Change{Effects: effs})
	if err != nil {
		return fmt.Errorf("queue the digest: %w", err)
	}
	a.outbox.Add(ch.Effects...)
	return nil
}
