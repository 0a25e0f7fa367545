package bot

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/mail"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
	"github.com/incidentbot/incidentbot/bot/views"
)

// PublicOptions configure what incidentbot tells people outside the war
// room: the status page, the reports site, stakeholders and email.
type PublicOptions struct {
	// StatusPage says the status page is served: the update form then
	// offers to publish each update there.
	StatusPage bool
	// StatusPageURL and ReportsURL are the sites' addresses (ending in
	// "/"), for links; empty: no links.
	StatusPageURL string
	ReportsURL    string
	// PublishByDefault lists the severities whose updates are published
	// unless the spokesperson says otherwise.
	PublishByDefault []string
	// Groups are the stakeholder groups.
	Groups []stakeholders.Group
	// Mail sends email; nil leaves email addresses out.
	Mail Mailer
	// MailDomain ends the Message-IDs of the bot's mail ("example.com").
	MailDomain string
}

// Mailer sends one email; *mail.Sender implements it. An error wrapping
// mail.ErrRejected is permanent.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// SubscriptionStore keeps /incident subscribe's subscriptions; *store.DB
// implements it. The App uses it when its Store does.
type SubscriptionStore interface {
	Subscribe(ctx context.Context, s incident.Subscription, ch incident.Change) (incident.Change, error)
	Unsubscribe(ctx context.Context, user string, scope int64, ch incident.Change) (bool, incident.Change, error)
	Subscribers(ctx context.Context, id int64) ([]incident.Subscription, error)
}

// subscriptions returns the store's subscriptions, or nil.
func (a *App) subscriptions() SubscriptionStore {
	s, _ := a.store.(SubscriptionStore)
	return s
}

// publishByDefault says whether an update of inc goes to the status page
// when the spokesperson did not choose.
func (a *App) publishByDefault(inc *incident.Incident) bool {
	return a.opt.Public.StatusPage && inc.Public() && slices.Contains(a.opt.Public.PublishByDefault, inc.Severity)
}

// updateModal is the update form, with the status page choice when the
// page is served and the incident may reach it.
func (a *App) updateModal(inc *incident.Incident, meta string) slack.ModalViewRequest {
	v := a.env().UpdateModal(inc, "", meta)
	if a.opt.Public.StatusPage && inc.Public() {
		v = views.WithPublishChoice(v, a.publishByDefault(inc))
	}
	return v
}

// stakeholderChange completes a change with what stakeholders need: the
// groups that follow the incident's severity join it (at declaration and
// on a severity change), and every event some tier is told about gets a
// notification, planned in the same transaction and fanned out when
// delivered (effNotify).
func (a *App) stakeholderChange(inc *incident.Incident, ch incident.Change) incident.Change {
	n := len(ch.Events)
	for _, ev := range ch.Events[:n] {
		if ev.Kind == incident.EventDeclared || ev.Kind == incident.EventSeverityChanged {
			if groups := stakeholders.ForSeverity(a.opt.Public.Groups, inc.Severity); len(groups) > 0 {
				ch.Events = append(ch.Events, inc.AddStakeholders("", groups, "severity "+inc.Severity, a.now())...)
			}
		}
	}
	if len(a.opt.Public.Groups) == 0 && a.subscriptions() == nil {
		return ch
	}
	for _, ev := range ch.Events[:n] {
		if stakeholders.Notable(ev.Kind) {
			ch.Effects = append(ch.Effects, effect(effNotify, laneNotify, payload{Event: eventOf(ev)}))
		}
	}
	return ch
}

// WriteSummary records the customer-facing summary of incident id: it
// shows on the status page at once.
func (a *App) WriteSummary(ctx context.Context, c *call, id int64, s incident.CustomerSummary) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.WriteCustomerSummary(a.policy, c.Actor, s, a.now())
		if err != nil {
			return incident.Change{}, err
		}
		where := "on the status page"
		if u := a.opt.Public.StatusPageURL; u != "" {
			where = fmt.Sprintf("on <%s|the status page>", u)
		}
		c.ack = fmt.Sprintf(":memo: The customer summary of incident #%d is published %s.", inc.ID, where)
		return incident.Change{Events: evs, Effects: []incident.Effect{roomNotice(fmt.Sprintf(":memo: %s wrote the customer summary; it is published %s.", views.User(c.Actor), where))}}, nil
	})
	return err
}

// Subscribe makes the actor follow incident id (0: every incident) at
// tier: they get a DM of what the tier is told.
func (a *App) Subscribe(ctx context.Context, c *call, id int64, tier stakeholders.Tier) error {
	subs := a.subscriptions()
	if subs == nil {
		return incident.Errorf(incident.ECONFLICT, "Subscriptions are not available with this store.")
	}
	what := "every incident that is not private"
	if id != 0 {
		if _, _, err := a.target(ctx, c, id); err != nil {
			return err
		}
		what = fmt.Sprintf("incident #%d", id)
	}
	c.ack = fmt.Sprintf(":bell: You follow %s at tier *%s*: you get a direct message for %s. `/incident unsubscribe` stops it.", what, tier, tier.Describe())
	if tier == stakeholders.Monitor {
		c.ack = fmt.Sprintf(":bell: You follow %s at tier *monitor*: nothing is sent to you; read the status page and the daily digest.", what)
	}
	if c.dry {
		return nil
	}
	ch, err := subs.Subscribe(ctx, incident.Subscription{User: c.Actor, Incident: id, Tier: string(tier)}, incident.Change{Request: c.seq})
	if err != nil {
		return err
	}
	c.finished = true
	a.outbox.Add(ch.Effects...)
	return nil
}

// Unsubscribe ends the actor's own subscription to incident id (0: all).
func (a *App) Unsubscribe(ctx context.Context, c *call, id int64) error {
	subs := a.subscriptions()
	if subs == nil {
		return incident.Errorf(incident.ECONFLICT, "Subscriptions are not available with this store.")
	}
	what := "every incident"
	if id != 0 {
		what = fmt.Sprintf("incident #%d", id)
	}
	if c.dry {
		list, err := subs.Subscribers(ctx, id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(list, func(s incident.Subscription) bool { return s.User == c.Actor && s.Incident == id }) {
			return incident.Errorf(incident.EINVALID, "You do not follow %s yourself, so there is nothing to stop. Stakeholder groups come from the configuration: ask an incidentbot admin.", what)
		}
		c.ack = fmt.Sprintf(":no_bell: You no longer follow %s.", what)
		return nil
	}
	// A subscription removed meanwhile is no error: the request is done.
	_, ch, err := subs.Unsubscribe(ctx, c.Actor, id, incident.Change{Request: c.seq})
	if err != nil {
		return err
	}
	c.finished = true
	a.outbox.Add(ch.Effects...)
	return nil
}

// links are the addresses a notification about inc points to.
func (a *App) links(inc *incident.Incident) stakeholders.Links {
	var l stakeholders.Links
	if u := a.opt.Public.StatusPageURL; u != "" && inc.Public() {
		l.StatusPage = u + "#incident-" + strconv.FormatInt(inc.ID, 10)
	}
	if inc.ChannelID != "" {
		l.WarRoom = "https://slack.com/app_redirect?channel=" + url.QueryEscape(inc.ChannelID)
	}
	if u := a.reportURL(inc); u != "" {
		l.Report = u
	}
	return l
}

// reportURL is the address of inc's postmortem on the reports site, or ""
// when it is not there (not closed, private, a drill) or the site has no
// address.
func (a *App) reportURL(inc *incident.Incident) string {
	u := a.opt.Public.ReportsURL
	if u == "" || inc.Status != incident.StatusClosed || inc.Private || inc.Drill {
		return ""
	}
	return u + "incidents/" + strconv.FormatInt(inc.ID, 10)
}

// reportLink is the close announcement's link to the report, or "".
func (a *App) reportLink(inc *incident.Incident) string {
	if u := a.reportURL(inc); u != "" {
		return fmt.Sprintf(" The report: <%s|incident #%d on the reports site>.", u, inc.ID)
	}
	return ""
}

// mailDomain ends Message-IDs.
func (a *App) mailDomain() string {
	if d := strings.TrimSpace(a.opt.Public.MailDomain); d != "" {
		return d
	}
	return "incidentbot.invalid"
}

// scope is what a subscription op is about: its incident, or 0 for all.
func (o op) scope() int64 {
	if o.All {
		return 0
	}
	return o.Incident
}
