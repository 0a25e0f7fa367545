package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Deliver performs one effect of the outbox and records it done, with what
// it learned, in one transaction. It implements outbound.Deliverer: the
// worker calls it one effect at a time per lane. recheck says the effect
// may have been performed already; posts and channels are then looked for
// before they are made again.
func (a *App) Deliver(ctx context.Context, e incident.Effect, recheck bool) error {
	var p payload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return fmt.Errorf("%w: unreadable %s effect: %v", errCorrupt, e.Kind, err)
	}
	var inc *incident.Incident
	if e.IncidentID != 0 {
		var err error
		if inc, err = a.store.FindIncidentByID(ctx, e.IncidentID); err != nil {
			if incident.ErrorCode(err) == incident.ENOTFOUND {
				return fmt.Errorf("%w: incident %d is gone", errCorrupt, e.IncidentID)
			}
			return err
		}
	}
	d := delivery{a: a, e: e, p: p, inc: inc, recheck: recheck}
	switch e.Kind {
	case effCreateChannel:
		return d.createChannel(ctx)
	case effInvite:
		return d.invite(ctx)
	case effTopic:
		return d.topic(ctx)
	case effCard:
		return d.card(ctx)
	case effPin:
		return d.pin(ctx)
	case effReact:
		return d.react(ctx)
	case effPost:
		return d.post(ctx)
	case effReply:
		return d.reply(ctx)
	case effReminder:
		return d.reminder(ctx)
	case effArchive:
		return d.archive(ctx)
	case effUpload:
		return d.upload(ctx)
	case effPostmortemFile:
		return d.postmortemFile(ctx)
	case effNotify:
		return d.notify(ctx)
	case effMail:
		return d.mail(ctx)
	case effChecklist:
		return d.checklist(ctx)
	case effAudience:
		return d.audience(ctx)
	case effBookmark:
		return d.bookmark(ctx)
	case effTriage:
		return d.triage(ctx)
	case effStatsChart:
		return d.statsChart(ctx)
	case effPage:
		return d.page(ctx)
	case effHandoff:
		return d.handoff(ctx)
	}
	return fmt.Errorf("%w: unknown effect kind %q", errCorrupt, e.Kind)
}

// errCorrupt marks an effect that can never be delivered: the worker
// abandons it.
var errCorrupt = outbound.PermanentError("corrupt effect")

// delivery is one Deliver call.
type delivery struct {
	a       *App
	e       incident.Effect
	p       payload
	inc     *incident.Incident
	recheck bool
}

// done records the effect done; fn, when set, records what the delivery
// learned in the incident, in the same transaction, and may add events and
// effects.
func (d delivery) done(ctx context.Context, fn func(inc *incident.Incident) incident.Change) error {
	// What Slack did must be recorded even when shutdown cuts the
	// delivery short: a lost record means a check after the restart.
	ctx = context.WithoutCancel(ctx)
	if fn == nil || d.e.IncidentID == 0 {
		_, err := d.a.store.Apply(ctx, incident.Change{Done: []uint64{d.e.Seq}})
		return err
	}
	_, ch, err := d.a.store.UpdateIncident(ctx, d.e.IncidentID, func(inc *incident.Incident) (incident.Change, error) {
		ch := fn(inc)
		ch.Done = append(ch.Done, d.e.Seq)
		return ch, nil
	})
	if err == nil {
		d.a.outbox.Add(ch.Effects...)
	}
	return err
}

// key identifies the effect's message in Slack's history.
func (d delivery) key() string { return strconv.FormatUint(d.e.Seq, 10) }

// room returns the war room, ErrNotReady while it is being created, or ""
// when it never will be (Slack refused it): the effect is then dropped.
func (d delivery) room() (string, error) {
	switch {
	case d.inc == nil:
		return "", nil
	case d.inc.ChannelID != "":
		return d.inc.ChannelID, nil
	case d.inc.WarRoomError != "":
		return "", nil
	}
	return "", outbound.ErrNotReady
}

func (d delivery) env() views.Env { return d.a.env() }

// post posts a message where its payload says.
func (d delivery) post(ctx context.Context) error {
	a, p := d.a, d.p
	m := outbound.Message{Key: d.key()}
	var record func(i *incident.Incident, ts string)
	switch p.To {
	case toRoom:
		room, err := d.room()
		if err != nil || room == "" {
			return d.orDone(ctx, err)
		}
		m.Channel = room
		if p.Msg == msgPicker && d.inc.Spokesperson != "" {
			return d.done(ctx, nil) // a spokesperson was chosen meanwhile
		}
		if d.nothingToSay() {
			return d.done(ctx, nil)
		}
	case toAnnounce:
		if d.inc.ChannelID == "" && d.inc.WarRoomError == "" && !d.inc.Private {
			return outbound.ErrNotReady // the announcement links the war room
		}
		if i := d.inc.AnnouncementIndex(p.Channel); i >= 0 && d.inc.Announcements[i].TS != "" {
			return d.done(ctx, nil)
		}
		m.Channel = p.Channel
		record = func(i *incident.Incident, ts string) { i.SetAnnouncement(p.Channel, ts, "") }
	case toThread:
		i := d.inc.AnnouncementIndex(p.Channel)
		switch {
		case i < 0 || d.inc.Announcements[i].Error != "":
			return d.done(ctx, nil) // never announced there: nothing to thread under
		case d.inc.Announcements[i].TS == "":
			return outbound.ErrNotReady
		}
		m.Channel, m.ThreadTS, m.Broadcast = p.Channel, d.inc.Announcements[i].TS, p.Broadcast
	case toDM:
		ch, err := a.slack.OpenDM(ctx, p.User)
		if err != nil {
			return err
		}
		m.Channel = ch
	case toChannel:
		m.Channel = p.Channel
	default:
		return fmt.Errorf("%w: post to %q", errCorrupt, p.To)
	}
	var err error
	m.Blocks, m.Text, err = d.render()
	if err != nil {
		return err
	}
	m.Blocks, m.Text = views.MarkDrill(d.inc, m.Blocks, m.Text)
	// A message longer than Slack takes goes out as several, each with its
	// own key, in order.
	var first string
	for i, page := range views.Pages(m.Blocks) {
		pm := m
		pm.Blocks = page
		if i > 0 {
			pm.Key = fmt.Sprintf("%s.%d", m.Key, i)
		}
		ts, err := a.slack.PostOnce(ctx, pm, d.recheck, d.e.CreatedAt)
		if err != nil {
			return err
		}
		if i == 0 {
			first = ts
		}
	}
	if record == nil {
		return d.done(ctx, nil)
	}
	return d.done(ctx, func(inc *incident.Incident) incident.Change {
		record(inc, first)
		return incident.Change{}
	})
}

// render renders the message of a post or reply payload.
func (d delivery) render() ([]slack.Block, string, error) {
	env, p, inc := d.env(), d.p, d.inc
	switch p.Msg {
	case msgNotice:
		b, t := views.Notice(p.Text)
		return b, t, nil
	case msgBlocks:
		b, err := decodeBlocks(p.Blocks)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %v", errCorrupt, err)
		}
		return b, p.Text, nil
	case msgUpdate:
		if p.Event == nil {
			return nil, "", fmt.Errorf("%w: update without its event", errCorrupt)
		}
		b, t := env.StatusUpdate(inc, p.Event.domain())
		return b, t, nil
	case msgAnnouncement:
		b, t := env.Announcement(inc, inc.ChannelID)
		return b, t, nil
	case msgPicker:
		return env.SpokespersonPicker(inc), "Choose a spokesperson", nil
	case msgRoleDM:
		t := env.RoleDM(inc, incident.Role(p.Role))
		return views.Ephemeral(t), fmt.Sprintf("You are the %s of incident #%d", p.Role, inc.ID), nil
	case msgHandoff:
		if inc.Handoff == nil {
			t := fmt.Sprintf("The handoff of incident #%d was already accepted or replaced.", inc.ID)
			return views.Ephemeral(t), t, nil
		}
		b, t := env.HandoffOffer(inc)
		return b, t, nil
	case msgTask:
		for _, t := range inc.ActionItems {
			if t.ID == p.Task {
				b, text := env.TaskAdded(inc, t, t.CreatedBy)
				return b, text, nil
			}
		}
		return nil, "", fmt.Errorf("%w: no action item %d", errCorrupt, p.Task)
	case msgReady:
		t := readyText(inc, p.User)
		return views.Ephemeral(t), t, nil
	}
	if b, t, ok := d.renderPlaybookMsg(); ok {
		return b, t, nil
	}
	return nil, "", fmt.Errorf("%w: unknown message %q", errCorrupt, p.Msg)
}

// readyText tells the declarer where the war room is.
func readyText(inc *incident.Incident, user string) string {
	if inc.ChannelID == "" {
		return fmt.Sprintf(":warning: Incident #%d is recorded, but Slack would not create its war room (%s). `/incident %d …` commands work from any channel.", inc.ID, inc.WarRoomError, inc.ID)
	}
	return fmt.Sprintf(":rotating_light: Incident #%d declared: <#%s>. You are the %s.", inc.ID, inc.ChannelID, roleOf(inc, user))
}

func roleOf(inc *incident.Incident, user string) string {
	switch user {
	case inc.Operator:
		return "operator"
	case inc.Spokesperson:
		return "spokesperson"
	}
	return "declarer; the operator is " + views.User(inc.Operator)
}

// reply answers a person: through the response_url Slack gave with their
// action (it works in channels the bot is not in), else as an ephemeral
// message where they acted, else in a DM. Ephemeral answers leave no trace
// Slack can be asked about, so a reply is marked attempted in the store
// before it is sent, and one that was attempted is not sent again: a
// doubled reply is as wrong as a lost one, and a lost confirmation loses
// nothing stored.
func (d delivery) reply(ctx context.Context) error {
	if d.e.Attempts > 0 {
		d.a.log.Info("reply may have been sent already; not sending it again", "effect", d.e.Seq, "user_id", d.p.User)
		return d.done(ctx, nil)
	}
	if d.p.Msg == msgReady {
		if _, err := d.room(); err != nil {
			return err
		}
	}
	if err := d.a.store.RetryEffect(ctx, d.e.Seq, 1, time.Time{}); err != nil {
		return err
	}
	blocks, text, err := d.render()
	if err != nil {
		return err
	}
	blocks, text = views.MarkDrill(d.inc, blocks, text)
	a, p := d.a, d.p
	if p.ResponseURL != "" {
		if err := a.slack.Respond(ctx, p.ResponseURL, views.Truncate(text, 300), blocks); err == nil {
			return d.done(ctx, nil)
		} else if class, _ := outbound.Classify(err); class != outbound.Permanent {
			return err
		}
	}
	if p.Channel != "" {
		if err := a.slack.Ephemeral(ctx, p.Channel, p.User, views.Truncate(text, 300), blocks); err == nil {
			return d.done(ctx, nil)
		} else if class, _ := outbound.Classify(err); class != outbound.Permanent {
			return err
		}
	}
	ch, err := a.slack.OpenDM(ctx, p.User)
	if err != nil {
		return err
	}
	if _, err := a.slack.PostOnce(ctx, outbound.Message{Channel: ch, Text: views.Truncate(text, 300), Blocks: blocks, Key: d.key()}, false, d.e.CreatedAt); err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// reminder posts a heads-up, nudge or escalation, unless the update came
// in while it waited.
func (d delivery) reminder(ctx context.Context) error {
	r := incident.Reminder{Stage: incident.ReminderStage(d.p.Stage), Due: d.p.Due, To: d.p.User}
	room, err := d.room()
	if err != nil || room == "" || d.inc.Stale(r) {
		return d.orDone(ctx, err)
	}
	mentions := d.a.opt.Escalation.mentions()
	if d.inc.Drill {
		mentions = "" // a drill disturbs nobody outside its war room
	}
	blocks, text := d.env().Reminder(d.inc, r, mentions)
	blocks, text = views.MarkDrill(d.inc, blocks, text)
	if _, err := d.a.slack.PostOnce(ctx, outbound.Message{Channel: room, Text: text, Blocks: blocks, Key: d.key()}, d.recheck, d.e.CreatedAt); err != nil {
		return err
	}
	d.a.observeReminder(d.inc, r.Stage)
	return d.done(ctx, nil)
}

// archive archives an ended incident's war room and records it.
func (d delivery) archive(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" {
		return d.orDone(ctx, err)
	}
	if err := d.a.slack.Archive(ctx, room); err != nil {
		return err
	}
	d.a.log.Info("war room archived", "incident_id", d.inc.ID, "channel_id", room)
	return d.done(ctx, func(i *incident.Incident) incident.Change {
		return incident.Change{Events: i.Archived(d.a.policy, d.a.now())}
	})
}

func (t EscalationTarget) mentions() string {
	var m string
	if t.UserGroup != "" {
		m = "<!subteam^" + t.UserGroup + ">"
	}
	for _, u := range t.Users {
		if m != "" {
			m += " "
		}
		m += "<@" + u + ">"
	}
	return m
}
