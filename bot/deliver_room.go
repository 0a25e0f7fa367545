package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

// ChannelName builds a war-room name within Slack's rules:
// prefix-number-slug, lowercase, at most 80 characters; attempt > 0 adds a
// suffix for a name that is taken.
func ChannelName(prefix string, id int64, title string, attempt int) string {
	base := prefix + "-" + strconv.FormatInt(id, 10)
	suffix := ""
	if attempt > 0 {
		suffix = "-" + strconv.Itoa(attempt+1)
	}
	slug := incident.Slug(views.Plain(title))
	if slug == "incident" {
		return base + suffix
	}
	if room := 80 - len(base) - 1 - len(suffix); len(slug) > room {
		slug = trimDashes(slug[:room])
	}
	if slug == "" {
		return base + suffix
	}
	return base + "-" + slug + suffix
}

func trimDashes(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '-' || s[len(s)-1] == '_') {
		s = s[:len(s)-1]
	}
	return s
}

// createChannel creates the war room under a free name and records it. A
// name that is taken by a channel the bot created and no incident owns is
// the war room an earlier attempt made before its answer was lost: it is
// adopted, not duplicated.
func (d delivery) createChannel(ctx context.Context) error {
	a, inc := d.a, d.inc
	if inc.ChannelID != "" {
		return d.done(ctx, nil)
	}
	var ch *slack.Channel
	for attempt := 0; attempt < 20 && ch == nil; attempt++ {
		name := ChannelName(a.opt.ChannelPrefix, inc.ID, inc.Title, attempt)
		created, err := a.slack.CreateChannel(ctx, name, inc.Private)
		switch {
		case err == nil:
			ch = created
		case outbound.IsCode(err, "name_taken"):
			found, ferr := a.slack.FindChannel(ctx, name)
			if ferr != nil {
				return fmt.Errorf("look for the taken channel #%s: %w", name, ferr)
			}
			if found != nil && found.Creator == a.botUserID && found.IsPrivate == inc.Private {
				if other, err := a.store.FindIncidentByChannel(ctx, found.ID); incident.ErrorCode(err) == incident.ENOTFOUND {
					a.log.Info("adopting a war room made by an earlier attempt", "incident_id", inc.ID, "channel_id", found.ID)
					ch = found
				} else if err != nil {
					return err
				} else {
					a.log.Debug("channel name taken by another incident", "incident_id", inc.ID, "other", other.ID)
				}
			}
		default:
			return err
		}
	}
	if ch == nil {
		return outbound.PermanentError("every war-room name for this incident is taken")
	}
	return d.done(ctx, func(i *incident.Incident) incident.Change {
		i.ChannelID, i.ChannelName = ch.ID, ch.Name
		return incident.Change{Events: []incident.Event{{At: a.now(), Kind: incident.EventChannelCreated, Fields: map[string]string{"channel": ch.ID, "name": ch.Name}}}}
	})
}

// invite adds people to the war room, one call each, so that one person
// who cannot be invited does not keep the others out.
func (d delivery) invite(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" {
		return d.orDone(ctx, err)
	}
	for _, u := range d.p.Users {
		if u == "" || u == d.a.botUserID {
			continue
		}
		err := d.a.slack.Invite(ctx, room, u)
		if class, _ := outbound.Classify(err); err != nil && (class != outbound.Permanent || outbound.IsCode(err, "channel_not_found") || outbound.IsCode(err, "is_archived")) {
			return err
		} else if err != nil {
			d.a.log.Warn("cannot invite to the war room", "incident_id", d.e.IncidentID, "user_id", u, "err", err)
		}
	}
	return d.done(ctx, nil)
}

// orDone finishes an effect that has nothing to do (err nil) or returns
// err (ErrNotReady).
func (d delivery) orDone(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// topic sets the war room's topic when it changed.
func (d delivery) topic(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" || d.inc.Status.Ended() {
		return d.orDone(ctx, err)
	}
	topic := d.env().Topic(d.inc)
	if topic == d.inc.Topic {
		return d.done(ctx, nil)
	}
	if err := d.a.slack.SetTopic(ctx, room, topic); err != nil {
		return err
	}
	return d.done(ctx, func(i *incident.Incident) incident.Change {
		i.Topic = topic
		return incident.Change{}
	})
}

// card posts the incident card the first time and edits it in place after,
// when what it shows changed. Posting it enqueues its pin.
func (d delivery) card(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" {
		return d.orDone(ctx, err)
	}
	env := d.env()
	blocks, text := env.Card(d.inc), env.CardText(d.inc)
	hash := hashBlocks(blocks, text)
	if d.inc.CardTS != "" {
		if hash == d.inc.CardHash {
			return d.done(ctx, nil)
		}
		if err := d.a.slack.Update(ctx, room, d.inc.CardTS, text, blocks); err != nil {
			return err
		}
		return d.done(ctx, func(i *incident.Incident) incident.Change {
			i.CardHash = hash
			return incident.Change{}
		})
	}
	ts, err := d.a.slack.PostOnce(ctx, outbound.Message{Channel: room, Text: text, Blocks: blocks, Key: d.key()}, d.recheck, d.e.CreatedAt)
	if err != nil {
		return err
	}
	return d.done(ctx, func(i *incident.Incident) incident.Change {
		i.CardTS, i.CardHash = ts, hash
		return incident.Change{Effects: []incident.Effect{effect(effPin, laneAux, payload{TS: ts})}}
	})
}

func hashBlocks(blocks []slack.Block, text string) string {
	data, _ := json.Marshal(blocks)
	sum := sha256.Sum256(append(data, text...))
	return hex.EncodeToString(sum[:8])
}

// pin pins the card.
func (d delivery) pin(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" {
		return d.orDone(ctx, err)
	}
	if err := d.a.slack.Pin(ctx, room, d.p.TS); err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// react marks a message added to the timeline.
func (d delivery) react(ctx context.Context) error {
	if err := d.a.slack.React(ctx, d.p.Channel, d.p.TS, "white_check_mark"); err != nil {
		return err
	}
	return d.done(ctx, nil)
}
