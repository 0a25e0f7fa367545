package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/views"
)

// AlertStore keeps alert groups and deploys: what the intake needs beyond
// incident.Store. *store.DB implements it.
type AlertStore interface {
	// UpdateAlertGroup loads the group key and its incident (or
	// incidentID), calls fn, and stores the group and what fn writes in
	// one transaction.
	UpdateAlertGroup(ctx context.Context, key string, incidentID int64,
		fn func(g *incident.AlertGroup, inc *incident.Incident) (incident.AlertWrite, error)) (*incident.AlertGroup, incident.AlertWrite, error)
	// FindAlertGroup returns ENOTFOUND when there is no such group.
	FindAlertGroup(ctx context.Context, key string) (*incident.AlertGroup, error)
	// RecordDeploy stores a deploy once per Key and reports whether it is
	// new.
	RecordDeploy(ctx context.Context, d incident.Deploy) (bool, error)
	// FindDeploy returns ENOTFOUND when there is no such deploy.
	FindDeploy(ctx context.Context, key string) (*incident.Deploy, error)
	// RecentDeploys returns the newest deploys of a service.
	RecentDeploys(ctx context.Context, service string, limit int) ([]incident.Deploy, error)
}

var _ intake.Sink = (*App)(nil)

// errNoAlertStore refuses intake when the store keeps no alerts.
var errNoAlertStore = errors.New("the store does not keep alert groups and deploys")

// alertStore returns the store's AlertStore side.
func (a *App) alertStore() (AlertStore, error) {
	if s, ok := a.store.(AlertStore); ok {
		return s, nil
	}
	return nil, errNoAlertStore
}

// Alerts stores one alert group notification and acts on it by its route
// (intake.Sink): the first notification of a group declares an incident
// or posts a triage message; later ones are counted on what it opened,
// with the alerts that fire or resolve added to the incident's timeline.
// It returns once everything is stored, Slack work included (the outbox).
func (a *App) Alerts(ctx context.Context, b intake.Batch) (intake.Result, error) {
	st, err := a.alertStore()
	if err != nil {
		return intake.Result{}, err
	}
	n := a.notice(b)
	var res intake.Result
	_, w, err := st.UpdateAlertGroup(ctx, b.Key, 0, func(g *incident.AlertGroup, inc *incident.Incident) (incident.AlertWrite, error) {
		now := a.now()
		d := g.Receive(n, inc != nil && inc.Status.Ended(), now)
		res = intake.Result{Outcome: intake.OutcomeRepeat}
		if len(d.Resolved) > 0 {
			res.Outcome = intake.OutcomeResolved
		}
		switch {
		case d.New:
			return a.startAlertGroup(g, now, &res)
		case g.State == incident.AlertTriage:
			return incident.AlertWrite{Global: incident.Change{Effects: []incident.Effect{triageEffect(g.Key)}}}, nil
		case (g.State == incident.AlertDeclared || g.State == incident.AlertLinked) && inc != nil && !inc.Status.Ended():
			res.Ref = fmt.Sprintf("incident %d", inc.ID)
			ch := incident.Change{Events: inc.ReceiveAlerts(a.policy, g, d, now), Effects: []incident.Effect{effect(effCard, laneRoom, payload{})}}
			if d.AllResolved {
				blocks, text := a.env().AlertsResolved(inc, g.Title)
				ch.Effects = append(ch.Effects, roomPost(payload{Msg: msgBlocks, Blocks: blocksJSON(blocks), Text: text}))
			}
			return incident.AlertWrite{Incident: inc, Change: ch}, nil
		}
		// Dismissed, or its incident ended while it still fires: counted,
		// nothing more.
		res = intake.Result{Outcome: intake.OutcomeIgnored}
		return incident.AlertWrite{}, nil
	})
	if err != nil {
		return intake.Result{}, err
	}
	if w.Declare != nil {
		res.Ref = fmt.Sprintf("incident %d", w.Declare.ID)
		a.log.Info("incident declared from an alert", "incident_id", w.Declare.ID, "severity", w.Declare.Severity, "source", b.Hook, "route", b.Route.Name)
	}
	a.outbox.Add(w.Change.Effects...)
	a.outbox.Add(w.Global.Effects...)
	return res, nil
}

// startAlertGroup acts on the first notification of a group (or of a new
// episode of it) by its route. A group whose first notification fires
// nothing is only remembered. A group that opened an incident before is
// triaged this time, whatever its route: incidentbot never opens two
// incidents for one group by itself.
func (a *App) startAlertGroup(g *incident.AlertGroup, now time.Time, res *intake.Result) (incident.AlertWrite, error) {
	if g.Firing() == 0 {
		g.State = incident.AlertDismissed
		*res = intake.Result{Outcome: intake.OutcomeIgnored}
		return incident.AlertWrite{}, nil
	}
	if g.Route.Action == incident.AlertActionDeclare && g.Previous == 0 {
		inc, evs, pbs, err := a.declareAlert(incident.DeclareRequest{Title: alertTitle(g), Severity: g.Route.Severity}, g)
		if err != nil {
			return incident.AlertWrite{}, err
		}
		g.State = incident.AlertDeclared
		*res = intake.Result{Outcome: intake.OutcomeDeclared}
		change := a.declaration(inc, evs, pbs, func() []incident.Effect { return a.alertSetup(inc, g, &call{}) })
		return incident.AlertWrite{Declare: inc, Change: change}, nil
	}
	g.State, g.Channel = incident.AlertTriage, g.Route.Channel
	*res = intake.Result{Outcome: intake.OutcomeTriaged}
	return incident.AlertWrite{Global: incident.Change{Effects: []incident.Effect{triageEffect(g.Key)}}}, nil
}

// alertSetup lists the effects that build the war room of an incident
// declared from alert group g: the usual ones (see setup), then the alerts
// in the war room. Declared by incidentbot, there is nobody to answer; an
// operator (whoever is on call) is asked for a spokesperson as usual, and
// without one the alert message asks someone to take the operator role.
func (a *App) alertSetup(inc *incident.Incident, g *incident.AlertGroup, c *call) []incident.Effect {
	effs := a.setup(inc, c)
	if c.Actor == "" {
		effs = slices.DeleteFunc(effs, func(e incident.Effect) bool {
			var p payload
			return e.Kind == effReply || (inc.Operator == "" && e.Kind == effPost && json.Unmarshal(e.Payload, &p) == nil && p.Msg == msgPicker)
		})
	}
	blocks, text := a.env().AlertDeclared(inc, g)
	return append(effs, roomPost(payload{Msg: msgBlocks, Blocks: blocksJSON(blocks), Text: text}))
}

// alertTitle is the incident title of alert group g: its title, cut to
// what a title may hold.
func alertTitle(g *incident.AlertGroup) string {
	if strings.TrimSpace(g.Title) == "" {
		return "Alert from " + g.Source
	}
	return views.Truncate(strings.TrimSpace(g.Title), incident.MaxTitleLen)
}

// triageEffect posts or updates the triage message of group key, in the
// group's own lane: each delivery renders the group as it is then.
func triageEffect(key string) incident.Effect {
	return effect(effTriage, "/alert:"+key, payload{Name: key})
}

// notice turns a webhook's batch into the domain's notice: texts escaped
// and cut, the route's severity resolved.
func (a *App) notice(b intake.Batch) incident.AlertNotice {
	n := incident.AlertNotice{
		Source:    b.Hook,
		Title:     groupTitle(b),
		Truncated: b.Truncated,
		Route: incident.AlertRoute{
			Name: b.Route.Name, Action: string(b.Route.Action), Severity: b.Route.Severity,
			Type: b.Route.Type, Playbook: b.Route.Playbook, Channel: b.Route.Channel,
		},
	}
	if n.Route.Severity == "" {
		n.Route.Severity = a.alertSeverity(b)
	}
	if s := b.CommonAnnotations["summary"]; s != "" {
		n.Summary = views.Truncate(views.Escape(s), 500)
	}
	for _, al := range b.Alerts {
		since := al.StartsAt
		if !al.Firing() && !al.EndsAt.IsZero() {
			since = al.EndsAt
		}
		summary := al.Summary
		if summary == "" {
			summary = al.Description
		}
		n.Alerts = append(n.Alerts, incident.AlertStatus{
			Fingerprint: al.Fingerprint, Name: views.Truncate(views.Escape(cmp.Or(al.Name, "alert")), 150),
			Summary: views.Truncate(views.Escape(summary), 300), Firing: al.Firing(), Since: since,
		})
		if n.Summary == "" && al.Firing() && summary != "" {
			n.Summary = views.Truncate(views.Escape(summary), 500)
		}
		if n.URL == "" {
			n.URL = al.GeneratorURL
		}
	}
	if n.URL == "" {
		n.URL = b.ExternalURL
	}
	return n
}

// groupTitle names an alert group: its alert name, with the labels it is
// grouped by ("CheckoutDown (service=checkout)"), escaped.
func groupTitle(b intake.Batch) string {
	name := b.CommonLabels["alertname"]
	if name == "" && len(b.Alerts) > 0 {
		name = b.Alerts[0].Name
	}
	if name == "" {
		name = "Alert from " + b.Hook
	}
	var labels []string
	for _, k := range slices.Sorted(maps.Keys(b.GroupLabels)) {
		if k != "alertname" {
			labels = append(labels, k+"="+b.GroupLabels[k])
		}
	}
	if len(labels) > 0 {
		name += " (" + strings.Join(labels, ", ") + ")"
	}
	return views.Truncate(views.Escape(name), 150)
}

// alertSeverity is the severity of a group whose route names none: the
// most severe configured severity that a firing alert's severity label
// names, else the default.
func (a *App) alertSeverity(b intake.Batch) string {
	best := -1
	for _, al := range b.Firing() {
		if r := a.policy.Rank(al.Severity); r >= 0 && (best < 0 || r < best) {
			best = r
		}
	}
	if best < 0 {
		return ""
	}
	return a.policy.Severities[best].Name
}

// Deploy records a deployment (intake.Sink). A deploy sent again is
// recorded once.
func (a *App) Deploy(ctx context.Context, d intake.Deploy) error {
	st, err := a.alertStore()
	if err != nil {
		return err
	}
	recorded, err := st.RecordDeploy(ctx, d)
	if err != nil {
		return err
	}
	if recorded {
		a.log.Info("deploy recorded", "service", d.Service, "environment", d.Environment, "version", d.Version)
	}
	return nil
}
