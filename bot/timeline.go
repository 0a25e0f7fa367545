package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// AddNote adds a note to the timeline of incident id. Who may is
// Policy.CheckCanWriteNotes: anyone who can see the incident.
func (a *App) AddNote(ctx context.Context, c *call, id int64, text string) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, inWarRoom bool) (incident.Change, error) {
		if err := a.policy.CheckCanWriteNotes(inc, c.Actor, inWarRoom); err != nil {
			return incident.Change{}, err
		}
		c.ack = fmt.Sprintf(":memo: Added to the timeline of incident #%d.", inc.ID)
		return events(inc.AddNote(a.policy, c.Actor, text, a.now()))
	})
	return err
}

// warRoom returns the incident whose war room is channel.
func (a *App) warRoom(ctx context.Context, channel string) (*incident.Incident, error) {
	inc, err := a.store.FindIncidentByChannel(ctx, channel)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil, incident.Errorf(incident.ENOTFOUND, "This channel is not an incident's war room; add messages to a timeline from the war room itself.")
	}
	return inc, err
}

// PinMessage adds message ts of a war room to its incident's timeline,
// with its text, author, link and files as they are now. The timeline
// reaction, a pin and the message shortcut all come here.
func (a *App) PinMessage(ctx context.Context, c *call, channel, ts string) error {
	inc, err := a.warRoom(ctx, channel)
	if err != nil {
		return err
	}
	c.Incident = inc.ID
	if inc.IsPinned(ts) {
		c.ack, c.noop = fmt.Sprintf("That message is already on the timeline of incident #%d.", inc.ID), true
		return nil
	}
	if err := a.policy.CheckCanWriteNotes(inc, c.Actor, true); err != nil {
		return err
	}
	c.ack = fmt.Sprintf(":pushpin: Added to the timeline of incident #%d.", inc.ID)
	if c.dry {
		return nil
	}
	msg, err := a.slack.Message(ctx, channel, ts)
	if err != nil {
		return fmt.Errorf("read the message to add to the timeline: %w", err)
	}
	if msg.BotID != "" && msg.BotID == a.botID {
		return nil // the bot's own messages are on the timeline already
	}
	pm := incident.PinnedMessage{TS: ts, Author: msg.User, Text: safeCommandText(msg.Text)}
	if link, err := a.slack.Permalink(ctx, channel, ts); err == nil {
		pm.Permalink = link
	}
	for _, f := range msg.Files {
		link := f.Permalink
		if link == "" {
			link = f.Name
		}
		pm.Files = append(pm.Files, link)
	}
	c.Channel = channel // acting on a war-room message is acting in it
	_, err = a.change(ctx, c, inc.ID, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.PinMessage(a.policy, c.Actor, pm, a.now())
		if err != nil || len(evs) == 0 {
			return incident.Change{Events: evs}, err
		}
		return incident.Change{Events: evs, Effects: []incident.Effect{effect(effReact, laneAux, payload{Channel: channel, TS: ts})}}, nil
	})
	return err
}

// EditPinned records a new text for a war-room message on the timeline.
func (a *App) EditPinned(ctx context.Context, c *call, channel, ts, text string) error {
	return a.pinnedChanged(ctx, c, channel, ts, func(inc *incident.Incident) ([]incident.Event, error) {
		return inc.EditPinned(a.policy, c.Actor, ts, safeCommandText(text), a.now())
	})
}

// DeletePinned records that a war-room message on the timeline was deleted.
func (a *App) DeletePinned(ctx context.Context, c *call, channel, ts string) error {
	return a.pinnedChanged(ctx, c, channel, ts, func(inc *incident.Incident) ([]incident.Event, error) {
		return inc.DeletePinned(a.policy, c.Actor, ts, a.now())
	})
}

func (a *App) pinnedChanged(ctx context.Context, c *call, channel, ts string, fn func(inc *incident.Incident) ([]incident.Event, error)) error {
	inc, err := a.warRoom(ctx, channel)
	if err != nil || !inc.IsPinned(ts) {
		// Most edits in a war room are of messages not on the timeline:
		// nothing to store.
		c.noop = true
		return nil
	}
	c.Incident, c.Channel = inc.ID, channel
	_, err = a.change(ctx, c, inc.ID, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		return events(fn(inc))
	})
	return err
}

// timelineReply renders page (1 = the latest entries) of incident inc's
// timeline, for the ack of `/incident timeline`.
func (a *App) timelineReply(ctx context.Context, inc *incident.Incident, page int) (map[string]any, error) {
	evs, err := a.store.Events(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	blocks, text := a.env().Timeline(inc, evs, page)
	return ackBlocks(text, blocks), nil
}

// safeCommandText neutralises broadcasts and disguised links in text typed
// in a slash command or a message.
func safeCommandText(s string) string {
	out, _ := views.FromCommand(strings.TrimSpace(s))
	return out
}
