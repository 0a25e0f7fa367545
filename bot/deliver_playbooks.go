package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
)

// The deliveries of issue 12: checklists, playbook audiences, bookmarks,
// and the messages that mark drills.

// checklist posts one playbook's checklist the first time and edits it in
// place after, when what it shows changed, like the card.
func (d delivery) checklist(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" {
		return d.orDone(ctx, err)
	}
	name := d.p.Name
	i := slices.IndexFunc(d.inc.ChecklistPosts, func(p incident.ChecklistPost) bool { return p.Playbook == name })
	if i < 0 {
		return fmt.Errorf("%w: no checklist of playbook %q", errCorrupt, name)
	}
	post := d.inc.ChecklistPosts[i]
	blocks, text := d.env().Checklist(d.inc, name)
	hash := hashBlocks(blocks, text)
	record := func(ts string) func(inc *incident.Incident) incident.Change {
		return func(inc *incident.Incident) incident.Change {
			for j := range inc.ChecklistPosts {
				if inc.ChecklistPosts[j].Playbook == name {
					inc.ChecklistPosts[j].TS, inc.ChecklistPosts[j].Hash = ts, hash
				}
			}
			return incident.Change{}
		}
	}
	if post.TS != "" {
		if hash == post.Hash {
			return d.done(ctx, nil)
		}
		if err := d.a.slack.Update(ctx, room, post.TS, text, blocks); err != nil {
			return err
		}
		return d.done(ctx, record(post.TS))
	}
	ts, err := d.a.slack.PostOnce(ctx, outbound.Message{Channel: room, Text: text, Blocks: blocks, Key: d.key()}, d.recheck, d.e.CreatedAt)
	if err != nil {
		return err
	}
	return d.done(ctx, record(ts))
}

// refreshChecklists brings every checklist message of inc up to date (at
// close: they lose their checkboxes).
func refreshChecklists(inc *incident.Incident) []incident.Effect {
	var out []incident.Effect
	for _, p := range inc.ChecklistPosts {
		out = append(out, effect(effChecklist, laneRoom, payload{Name: p.Playbook}))
	}
	return out
}

// audience expands a playbook audience (user groups to their members,
// rotations to who is on call now) and records what follows, in one
// transaction: the invitation of everyone invited, a DM to everyone
// notified and not invited, and a post in each channel notified. A user
// group or channel Slack does not know is skipped with a warning, so that
// one typo does not keep everyone else out.
func (d delivery) audience(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" || d.p.PB == nil {
		return d.orDone(ctx, err)
	}
	pb := d.p.PB
	invite, err := d.people(ctx, pb.Invite)
	if err != nil {
		return err
	}
	notify, err := d.people(ctx, pb.Notify)
	if err != nil {
		return err
	}
	notify = slices.DeleteFunc(notify, func(u string) bool { return slices.Contains(invite, u) })
	var channels []string
	for _, ch := range pb.Notify.Channels {
		id, err := d.channelID(ctx, ch)
		if err != nil {
			return err
		}
		if id != "" && id != room {
			channels = append(channels, id)
		}
	}
	return d.done(ctx, func(inc *incident.Incident) incident.Change {
		var ch incident.Change
		if len(invite) > 0 {
			ch.Effects = append(ch.Effects, effect(effInvite, laneAux, payload{Users: invite}))
		}
		notice := payload{Msg: msgNotify, PB: &pbPayload{Playbooks: pb.Playbooks}}
		for _, u := range notify {
			ch.Effects = append(ch.Effects, dm(u, notice))
		}
		for _, c := range channels {
			q := notice
			q.To, q.Channel = toChannel, c
			ch.Effects = append(ch.Effects, effect(effPost, laneAnnounce(c), q))
		}
		return ch
	})
}

// people returns the users of an audience: its users, the members of its
// user groups, and who is on call in its rotations now; never the bot.
func (d delivery) people(ctx context.Context, a audience) ([]string, error) {
	users := slices.Clone(a.Users)
	for _, g := range a.Usergroups {
		ids, err := d.a.slack.UserGroupMembers(ctx, g)
		if err != nil {
			if class, _ := outbound.Classify(err); class != outbound.Permanent {
				return nil, err
			}
			d.a.log.Warn("cannot list a playbook's user group; skipping it", "incident_id", d.e.IncidentID, "usergroup", g, "err", err)
			continue
		}
		users = union(users, ids)
	}
	for _, r := range a.Rotations {
		if d.a.opt.Playbooks.OnCall == nil {
			d.a.log.Warn("a playbook names a rotation, but no on-call schedule is configured", "incident_id", d.e.IncidentID, "rotation", r)
			continue
		}
		ids, err := d.a.opt.Playbooks.OnCall(ctx, r, d.a.now())
		if err != nil {
			return nil, fmt.Errorf("who is on call in %s: %w", r, err)
		}
		users = union(users, ids)
	}
	return slices.DeleteFunc(users, func(u string) bool { return u == "" || u == d.a.botUserID }), nil
}

// channelID resolves a channel of a playbook: an ID as is, a "#name" by
// looking it up; "" with a warning when there is no such channel.
func (d delivery) channelID(ctx context.Context, ch string) (string, error) {
	name, isName := strings.CutPrefix(ch, "#")
	if !isName {
		return ch, nil
	}
	found, err := d.a.slack.FindChannel(ctx, name)
	if err != nil {
		return "", err
	}
	if found == nil {
		d.a.log.Warn("a playbook notifies a channel that does not exist; skipping it", "incident_id", d.e.IncidentID, "channel", ch)
		return "", nil
	}
	return found.ID, nil
}

// bookmark adds a playbook's link to the war room's bookmarks bar, unless
// an earlier attempt did (its answer may have been lost).
func (d delivery) bookmark(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" || d.p.PB == nil {
		return d.orDone(ctx, err)
	}
	if d.recheck {
		bs, err := d.a.slack.Bookmarks(ctx, room)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(bs, func(b slack.Bookmark) bool { return b.Link == d.p.PB.URL }) {
			return d.done(ctx, nil)
		}
	}
	if err := d.a.slack.AddBookmark(ctx, room, d.p.PB.Title, d.p.PB.URL); err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// renderPlaybookMsg renders issue 12's messages; ok is false for another
// kind.
func (d delivery) renderPlaybookMsg() (blocks []slack.Block, text string, ok bool) {
	env, inc := d.env(), d.inc
	switch d.p.Msg {
	case msgRolesNeeded:
		b, t, _ := env.RolesNeeded(inc, d.p.PB.RolesAsked())
		return b, t, true
	case msgNotify:
		var names []string
		if d.p.PB != nil {
			names = d.p.PB.Playbooks
		}
		b, t := env.PlaybookNotice(inc, names)
		return b, t, true
	case msgDrillIntro:
		b, t := env.DrillIntro(inc)
		return b, t, true
	}
	return nil, "", false
}

// nothingToSay reports whether a war-room message has become pointless
// by the time it is delivered: the roles asked for are all held.
func (d delivery) nothingToSay() bool {
	switch d.p.Msg {
	case msgRolesNeeded:
		_, _, ok := d.env().RolesNeeded(d.inc, d.p.PB.RolesAsked())
		return !ok
	case msgPicker:
		// A drill starts with no operator to choose a spokesperson.
		return d.inc.Operator == ""
	}
	return false
}
