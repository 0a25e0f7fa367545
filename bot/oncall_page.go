package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Paging. When someone other than the declarer leads a new incident (by
// default whoever is on call in the operator rotation), the operator is
// paged: a direct message with an Acknowledge button. The page lives in
// the incident (incident.Page), so the scheduler's wake-up, the
// escalation it decides and the DMs it sends are one transaction, and a
// click on Acknowledge is stored with the incident's real acknowledgement
// time. Without an acknowledgement within the level's timeout, the next
// level of the escalation policy is paged (oncall.Page.Tick).

// effPage sends a level's page: a DM with an Acknowledge button to each
// user, and to each member of the user group.
const effPage = "oncall_page"

// lanePage orders an incident's pages.
const lanePage = "page"

// pagePayload is what an effPage carries. Its keys differ from those of
// payload, which Deliver decodes every effect into first.
type pagePayload struct {
	Users []string `json:"page_users,omitempty"`
	Group string   `json:"page_group,omitempty"`
	Level int      `json:"page_level"`
	Pass  int      `json:"page_pass,omitempty"`
	// Rotation the user was paged from, for the message.
	Rotation string `json:"page_rotation,omitempty"`
}

// pagePolicy is the escalation for an incident led by operator: the
// operator first, then the configured levels.
func (a *App) pagePolicy(operator string) oncall.Policy {
	oc := a.oc.opt
	p := oncall.Policy{Name: oc.Escalation.Name, Repeat: oc.Escalation.Repeat}
	if p.Name == "" {
		p.Name = "default"
	}
	p.Levels = append([]oncall.Level{{Users: []string{operator}, AckTimeout: oc.AckTimeout}}, oc.Escalation.Levels...)
	return p
}

// startPage pages the operator of a new incident when they did not declare
// it themselves (they are there), and returns what that writes: the
// timeline events and the effects. A drill pages nobody: it disturbs no
// one outside its war room.
func (a *App) startPage(inc *incident.Incident, now time.Time) incident.Change {
	op := inc.Operator
	if op == "" || op == inc.DeclaredBy || op == a.botUserID || inc.Drill {
		return incident.Change{}
	}
	pg, ns := a.pagePolicy(op).StartPage(a.oc.roster(), now)
	ip := incident.Page(pg)
	inc.Page = &ip
	inc.Replan(a.policy)
	return a.pageNotices(inc, ns, now)
}

// wakePage moves a page whose level timed out on to the next level. It
// runs inside the incident's transaction (from Wake), so it reads only the
// roster in memory; before the roster is loaded it waits.
func (a *App) wakePage(inc *incident.Incident, now time.Time) incident.Change {
	if !inc.Page.Paging() || now.Before(inc.Page.EscalateAt) || (a.oc.configured() && a.oc.roster() == nil) {
		return incident.Change{}
	}
	pol := a.pagePolicy(inc.Operator)
	pg, ns := oncall.Page(*inc.Page).Tick(pol, a.oc.roster(), now)
	if due, ok := pg.Due(pol); ok {
		pg.EscalateAt = due // the policy may have changed since the last level
	}
	ip := incident.Page(pg)
	inc.Page = &ip
	inc.Replan(a.policy)
	return a.pageNotices(inc, ns, now)
}

// pageNotices turns the steps of a page into timeline events, page
// effects and notices in the war room.
func (a *App) pageNotices(inc *incident.Incident, ns []oncall.Notice, now time.Time) incident.Change {
	var ch incident.Change
	for _, n := range ns {
		ch.Events = append(ch.Events, n.Event(now))
		var text string
		switch n.Kind {
		case oncall.NoticePage:
			ch.Effects = append(ch.Effects, pageEffect(pagePayload{Users: n.Target.Users, Group: n.Target.UserGroup, Level: n.Level, Pass: n.Pass, Rotation: n.Target.Rotation}))
			who := pageTargetText(n.Target)
			if n.Level == 1 && n.Pass == 0 {
				text = fmt.Sprintf(":pager: Paging %s; they have %s to acknowledge.", who, incident.FormatDuration(inc.Page.EscalateAt.Sub(now)))
			} else {
				text = fmt.Sprintf(":rotating_light: Nobody acknowledged in time: paging %s (level %d).", who, n.Level)
			}
		case oncall.NoticeSkipped:
			text = fmt.Sprintf(":fast_forward: Level %d of the escalation pages nobody right now (nobody is on call in %s); moving on.", n.Level, n.Target.Rotation)
		case oncall.NoticeExhausted:
			text = fmt.Sprintf(":warning: Nobody acknowledged the page for incident #%d: paging stopped after level %d. Someone please lead: `/incident role operator @you --force`.", inc.ID, n.Level)
		}
		ch.Effects = append(ch.Effects, roomNotice(text))
	}
	return ch
}

func pageEffect(p pagePayload) incident.Effect {
	data, err := json.Marshal(p)
	if err != nil {
		panic("marshal page payload: " + err.Error())
	}
	return incident.Effect{Kind: effPage, Lane: lanePage, Payload: data}
}

// pageTargetText names who a level pages, for the war room.
func pageTargetText(t oncall.Target) string {
	var parts []string
	for _, u := range t.Users {
		parts = append(parts, views.User(u))
	}
	if t.UserGroup != "" {
		parts = append(parts, "<!subteam^"+t.UserGroup+">")
	}
	s := strings.Join(parts, ", ")
	if t.Rotation != "" {
		s += " (on call in " + t.Rotation + ")"
	}
	return s
}

// AcknowledgePage records that the actor acknowledged the page of incident
// id, at the real time of the click: paging stops, the incident's time to
// acknowledge is that time, and someone other than the operator who
// answers leads (see incident.AcknowledgePage). Whoever got the page may
// acknowledge it, even a private incident they cannot see yet: they are
// then invited to its war room.
func (a *App) AcknowledgePage(ctx context.Context, c *call, id int64) error {
	inc, err := a.store.FindIncidentByID(ctx, id)
	if err != nil {
		return err
	}
	if !a.policy.CanSee(inc, c.Actor, a.inWarRoom(ctx, inc, c.Actor, c.Channel)) && c.Via != viaButton {
		return incident.Errorf(incident.ENOTFOUND, "There is no incident #%d.", id)
	}
	ack := func(inc *incident.Incident) (incident.Change, error) {
		wasOperator := inc.Operator
		evs, err := inc.AcknowledgePage(a.policy, c.Actor, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		after := incident.FormatDuration(inc.Page.AckedAt.Sub(inc.Page.StartedAt))
		c.ack = fmt.Sprintf(":white_check_mark: You acknowledged the page for incident #%d.", inc.ID)
		text := fmt.Sprintf(":white_check_mark: %s acknowledged the page after %s.", views.User(c.Actor), after)
		if inc.Operator != wasOperator {
			c.ack += " You are now its operator."
			text = fmt.Sprintf(":white_check_mark: %s acknowledged the page after %s and is now the *operator*.", views.User(c.Actor), after)
		}
		ch := incident.Change{Events: evs, Effects: refresh()}
		ch.Effects = append(ch.Effects, effect(effInvite, laneAux, payload{Users: []string{c.Actor}}), roomNotice(text))
		return ch, nil
	}
	if c.dry {
		_, err := ack(inc.Clone())
		return err
	}
	_, ch, err := a.store.UpdateIncident(ctx, id, func(inc *incident.Incident) (incident.Change, error) {
		ch, err := ack(inc)
		ch.Request = c.seq
		return ch, err
	})
	if err != nil {
		return err
	}
	c.finished = c.seq != 0
	a.outbox.Add(ch.Effects...)
	a.log.Info("page acknowledged", "incident_id", id, "user_id", c.Actor)
	return nil
}

// page delivers a level's page: a DM to each person it names, unless the
// page was acknowledged or moved on while the effect waited.
func (d delivery) page(ctx context.Context) error {
	var p pagePayload
	if err := json.Unmarshal(d.e.Payload, &p); err != nil {
		return fmt.Errorf("%w: unreadable page: %v", errCorrupt, err)
	}
	if d.inc == nil {
		return d.done(ctx, nil)
	}
	pg := d.inc.Page
	if !pg.Paging() || pg.Level != p.Level || pg.Pass != p.Pass {
		return d.done(ctx, nil) // acknowledged, or moved on, while it waited
	}
	if _, err := d.room(); err != nil {
		return err // the page links the war room: wait for it
	}
	render := func(user string) ([]slack.Block, string) {
		return d.env().PageDM(d.inc, views.PageInfo{
			User: user, Level: p.Level, Group: p.Group, Rotation: p.Rotation, Until: pg.EscalateAt,
		})
	}
	if err := d.dmEach(ctx, p.Users, p.Group, render); err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// dmEach sends a DM rendered for each of users and each member of group
// (usergroups.users.list), each once: on a retry, a DM already in the
// person's history under the effect's key is not sent again.
func (d delivery) dmEach(ctx context.Context, users []string, group string, render func(user string) ([]slack.Block, string)) error {
	to := append([]string(nil), users...)
	if group != "" {
		members, err := d.a.slack.UserGroupMembers(ctx, group)
		if outbound.IsCode(err, "no_such_subteam") {
			d.a.log.Warn("a paged user group does not exist", "usergroup", group)
		} else if err != nil {
			return err
		}
		for _, m := range members {
			if !slices.Contains(to, m) {
				to = append(to, m)
			}
		}
	}
	for _, u := range to {
		if u == d.a.botUserID {
			continue
		}
		blocks, text := render(u)
		ch, err := d.a.slack.OpenDM(ctx, u)
		if err != nil {
			return err
		}
		m := outbound.Message{Channel: ch, Text: views.Truncate(text, 300), Blocks: blocks, Key: d.key() + "." + u}
		if _, err := d.a.slack.PostOnce(ctx, m, d.recheck, d.e.CreatedAt); err != nil {
			return err
		}
	}
	return nil
}

// defaultOperator makes whoever is on call in the operator rotation the
// operator of a declaration that names none, and reports whether it did.
// An on-call person Slack does not accept (deactivated, say) leaves the
// declarer in charge: a declaration never fails for the rotation's sake.
// A drill leaves the on-call person alone.
func (a *App) defaultOperator(ctx context.Context, c *call, req *incident.DeclareRequest) bool {
	if req.Operator != "" || req.Drill {
		return false
	}
	op := a.onCallOperator()
	if op == "" || op == req.DeclaredBy {
		return false
	}
	if err := a.checkPerson(ctx, c, op); err != nil {
		a.log.Warn("the on-call person cannot lead; the declarer does", "user_id", op, "rotation", a.oc.opt.OperatorRotation, "err", err)
		return false
	}
	req.Operator = op
	return true
}
