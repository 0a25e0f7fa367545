package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/mail"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Effect kinds and lane of stakeholder notifications.
const (
	// effNotify fans a notification out to the stakeholders of its event:
	// one effect per DM, channel post and email, and the timeline event,
	// in one transaction.
	effNotify = "notify_stakeholders"
	// effMail sends one email (payload.Mail).
	effMail = "send_email"
	// laneNotify keeps an incident's notifications in order.
	laneNotify = "notify"
)

func laneMail(addr string) string { return "mail:" + strings.ToLower(addr) }

// mailPayload is an email as stored in the outbox, rendered when the
// notification was fanned out.
type mailPayload struct {
	To      string `json:"to"`
	Subject string `json:"s"`
	Text    string `json:"t"`
	HTML    string `json:"h,omitempty"`
}

// notify works out who hears about the event, as the incident and the
// subscriptions are now, and queues what each is sent. Nothing leaves
// here: it only plans, so a repeat after a crash plans the same thing
// again, and the plan and the end of this effect are one transaction.
func (d delivery) notify(ctx context.Context) error {
	a, inc := d.a, d.inc
	if inc == nil || d.p.Event == nil {
		return fmt.Errorf("%w: a notification without its incident or event", errCorrupt)
	}
	// The war room is linked: wait for it (a room Slack refused is left
	// out).
	if _, err := d.room(); err != nil {
		return err
	}
	ev := d.p.Event.domain()
	var subs []incident.Subscription
	if s := a.subscriptions(); s != nil {
		var err error
		if subs, err = s.Subscribers(ctx, inc.ID); err != nil {
			return err
		}
	}
	aud := stakeholders.For(inc, ev.Kind, a.opt.Public.Groups, subs)
	users := slices.Clone(aud.Users)
	for _, g := range aud.UserGroups {
		members, err := a.slack.UserGroupMembers(ctx, g)
		if err != nil {
			if class, _ := outbound.Classify(err); class == outbound.Permanent {
				a.log.Warn("a stakeholder user group cannot be read; its members are left out", "usergroup", g, "err", err)
				continue
			}
			return err
		}
		for _, u := range members {
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
	}
	emails := aud.Emails
	if a.opt.Public.Mail == nil {
		emails = nil
	}
	if len(users)+len(emails)+len(aud.Channels) == 0 {
		return d.done(ctx, nil)
	}
	note := stakeholders.Describe(inc, ev, a.links(inc), a.loc, a.now())
	blocks, text := views.StakeholderMessage(note)
	raw := blocksJSON(blocks)
	var effs []incident.Effect
	for _, u := range users {
		if u != a.botUserID {
			effs = append(effs, dm(u, payload{Msg: msgBlocks, Blocks: raw, Text: text}))
		}
	}
	for _, ch := range aud.Channels {
		effs = append(effs, effect(effPost, laneAnnounce(ch), payload{To: toChannel, Channel: ch, Msg: msgBlocks, Blocks: raw, Text: text}))
	}
	if len(emails) > 0 {
		body, html, err := note.Email()
		if err != nil {
			return fmt.Errorf("%w: %v", errCorrupt, err)
		}
		for _, to := range emails {
			effs = append(effs, effect(effMail, laneMail(to), payload{Mail: &mailPayload{To: to, Subject: note.Subject, Text: body, HTML: html}}))
		}
	}
	return d.done(ctx, func(i *incident.Incident) incident.Change {
		e := incident.Event{At: a.now(), Kind: incident.EventStakeholdersNotified, Fields: map[string]string{
			"about": string(ev.Kind), "people": strconv.Itoa(len(users)), "emails": strconv.Itoa(len(emails)),
			"channels": strconv.Itoa(len(aud.Channels)), "groups": strings.Join(aud.Groups, ","),
			"subscribers": strconv.Itoa(len(aud.Subscribers)),
		}}
		return incident.Change{Events: []incident.Event{e}, Effects: effs}
	})
}

// mail sends one email. Its Message-ID is derived from the effect, so
// that a retry after an ambiguous failure (the connection lost before the
// server's answer: see package mail) carries the same Message-ID and can
// be recognised as the same mail.
func (d delivery) mail(ctx context.Context) error {
	m := d.p.Mail
	if m == nil {
		return fmt.Errorf("%w: an email without its message", errCorrupt)
	}
	if d.a.opt.Public.Mail == nil {
		return outbound.PermanentError("email is not configured (email.host) any more")
	}
	err := d.a.opt.Public.Mail.Send(ctx, mail.Message{
		ID: d.messageID(), To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML, Date: d.e.CreatedAt,
	})
	if errors.Is(err, mail.ErrRejected) {
		return outbound.PermanentError(err.Error())
	}
	if err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// messageID is the Message-ID of the effect's mail: the same for every
// attempt, unique per database (Instance) and effect.
func (d delivery) messageID() string {
	inst := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, d.a.opt.Instance)
	if inst == "" {
		inst = "bot"
	}
	return fmt.Sprintf("incidentbot.%s.%d.%d@%s", inst, d.e.IncidentID, d.e.Seq, d.a.mailDomain())
}
