package incident

import (
	"slices"
	"strconv"
	"time"
)

// Timeline events of alerts.
const (
	// EventAlertFired records an alert of the incident's group that
	// started firing (Text: its name and summary).
	EventAlertFired EventKind = "alert_fired"
	// EventAlertResolved records an alert of the group that resolved.
	EventAlertResolved EventKind = "alert_resolved"
	// EventAlertLinked records an alert group linked to the incident by a
	// person from the triage channel.
	EventAlertLinked EventKind = "alert_linked"
)

// AlertState is where an alert group stands.
type AlertState string

// The states of an alert group. A group starts in triage or declared, by
// its route; a person then moves a triaged group on.
const (
	// AlertTriage waits for a person to decide in the triage channel.
	AlertTriage AlertState = "triage"
	// AlertDeclared opened incident IncidentID.
	AlertDeclared AlertState = "declared"
	// AlertLinked was attached to incident IncidentID by a person.
	AlertLinked AlertState = "linked"
	// AlertDismissed was judged not worth an incident.
	AlertDismissed AlertState = "dismissed"
)

// Route actions, as configured.
const (
	AlertActionDeclare = "declare"
	AlertActionTriage  = "triage"
)

// MaxGroupAlerts bounds the alerts a group remembers one by one; the rest
// are counted (Omitted). Alertmanager's max_alerts keeps groups smaller.
const MaxGroupAlerts = 500

// AlertRoute is what the configuration decided for a group when it first
// arrived.
type AlertRoute struct {
	Name     string
	Action   string // AlertActionDeclare or AlertActionTriage
	Severity string // empty: the policy's default
	Type     string
	Playbook string
	Channel  string // the triage channel's ID (triage routes)
}

// AlertStatus is one alert of a group as last reported.
type AlertStatus struct {
	// Fingerprint identifies the alert within its sender.
	Fingerprint string
	// Name and Summary are Slack-safe mrkdwn.
	Name    string
	Summary string
	Firing  bool
	// Since is when it started firing, or resolved.
	Since time.Time
}

// AlertGroup is one alert group as incidentbot keeps it: the incident or
// triage message it leads to, and the state of each of its alerts. Its
// Key (the sender's group identity) never opens two incidents: later
// notifications are counted on what the first one opened.
type AlertGroup struct {
	// Key is the dedupe key (intake.DedupeKey); it is the store key.
	Key string
	// Source is the hook it came through (alertmanager, grafana, generic).
	Source string
	Route  AlertRoute
	State  AlertState
	// IncidentID is the incident declared from the group or linked to it.
	IncidentID int64
	// Channel and TS locate the triage message (TS once posted);
	// TriageError says why Slack refused it for good.
	Channel     string
	TS          string
	TriageError string
	// Title names the group (alert name and group labels), Summary
	// describes it; URL links to its source. All Slack-safe mrkdwn.
	Title   string
	Summary string
	URL     string
	// Alerts are the group's alerts in the order they arrived; Omitted
	// counts those beyond MaxGroupAlerts.
	Alerts  []AlertStatus
	Omitted int
	// Notifications counts the webhooks received in this episode, the
	// first included; Episode counts episodes (see Receive).
	Notifications int
	Episode       int
	FirstAt       time.Time
	LastAt        time.Time
	// DecidedBy and DecidedAt record who moved a triaged group on.
	DecidedBy string
	DecidedAt time.Time
	// Previous is the incident of the group's previous episode, if any.
	Previous int64
}

// AlertNotice is one notification of a group, as a webhook brought it.
// Texts are Slack-safe mrkdwn.
type AlertNotice struct {
	Source  string
	Route   AlertRoute
	Title   string
	Summary string
	URL     string
	Alerts  []AlertStatus
	// Truncated counts alerts the sender left out.
	Truncated int
}

// AlertDelta is what a notice changed in its group.
type AlertDelta struct {
	// New is set when the notice starts the group, or a new episode of it.
	New bool
	// Fired and Resolved are the alerts that started firing or resolved.
	Fired    []AlertStatus
	Resolved []AlertStatus
	// AllResolved is set when the notice resolved the last firing alert.
	AllResolved bool
}

// Quiet reports whether the delta changes no alert.
func (d AlertDelta) Quiet() bool { return len(d.Fired) == 0 && len(d.Resolved) == 0 }

// Firing returns the number of alerts firing; Resolved those resolved.
func (g *AlertGroup) Firing() int {
	n := 0
	for _, a := range g.Alerts {
		if a.Firing {
			n++
		}
	}
	return n
}

// Resolved returns the number of alerts of the group that are resolved.
func (g *AlertGroup) Resolved() int { return len(g.Alerts) - g.Firing() }

// Settled reports whether the group's story is over: every alert resolved,
// and nobody waiting on it (dismissed, or its incident ended). A new
// firing then starts a new episode. ended says whether the group's
// incident has ended.
func (g *AlertGroup) Settled(ended bool) bool {
	if g.Firing() > 0 || len(g.Alerts) == 0 {
		return false
	}
	switch g.State {
	case AlertDismissed:
		return true
	case AlertDeclared, AlertLinked:
		return ended
	}
	return false
}

// Receive records notice n, received at now, in g and says what changed.
// A group with no state yet, or a settled one (see Settled; ended says
// whether its incident has ended) that fires again, starts a new episode:
// its alerts are forgotten, its state cleared for the caller to set, and
// Delta.New is set. Alerts are matched by fingerprint, so a notice sent
// again (a retry, a repeat) changes nothing but the count.
func (g *AlertGroup) Receive(n AlertNotice, ended bool, now time.Time) AlertDelta {
	var d AlertDelta
	firing := slices.ContainsFunc(n.Alerts, func(a AlertStatus) bool { return a.Firing })
	if g.State == "" || (firing && g.Settled(ended)) {
		*g = AlertGroup{Key: g.Key, Episode: g.Episode + 1, FirstAt: now, Previous: g.IncidentID}
		d.New = true
	}
	if g.Source == "" {
		g.Source = n.Source
	}
	if d.New {
		g.Route = n.Route
	}
	if n.Title != "" {
		g.Title = n.Title
	}
	if n.Summary != "" {
		g.Summary = n.Summary
	}
	if n.URL != "" {
		g.URL = n.URL
	}
	wasFiring := g.Firing() > 0
	for _, a := range n.Alerts {
		i := slices.IndexFunc(g.Alerts, func(x AlertStatus) bool { return x.Fingerprint == a.Fingerprint })
		if i < 0 {
			if len(g.Alerts) >= MaxGroupAlerts {
				g.Omitted++
				continue
			}
			if !a.Firing && !d.New {
				// Resolved before it was ever seen firing (the firing
				// notice was lost or cut by max_alerts): remembered,
				// not announced.
				g.Alerts = append(g.Alerts, a)
				continue
			}
			g.Alerts = append(g.Alerts, a)
			if a.Firing {
				d.Fired = append(d.Fired, a)
			}
			continue
		}
		old := &g.Alerts[i]
		switch {
		case a.Firing && !old.Firing:
			d.Fired = append(d.Fired, a)
		case !a.Firing && old.Firing:
			d.Resolved = append(d.Resolved, a)
		}
		*old = a
	}
	g.Omitted = max(g.Omitted, n.Truncated)
	g.Notifications++
	g.LastAt = now
	d.AllResolved = wasFiring && len(d.Resolved) > 0 && g.Firing() == 0
	return d
}

// AlertEvents returns the timeline events of delta d of group g, acted by
// incidentbot at now.
func AlertEvents(g *AlertGroup, d AlertDelta, now time.Time) []Event {
	var evs []Event
	for _, a := range d.Fired {
		evs = append(evs, newEvent(EventAlertFired, "", now, alertLine(a), "source", g.Source, "alert", a.Name, "group", g.Title))
	}
	for _, a := range d.Resolved {
		evs = append(evs, newEvent(EventAlertResolved, "", now, alertLine(a), "source", g.Source, "alert", a.Name, "group", g.Title,
			"all_resolved", boolField(d.AllResolved && a.Fingerprint == d.Resolved[len(d.Resolved)-1].Fingerprint)))
	}
	return evs
}

func alertLine(a AlertStatus) string {
	if a.Summary == "" || a.Summary == a.Name {
		return a.Name
	}
	return a.Name + ": " + a.Summary
}

// AlertRef is what an incident shows of the alert group it came from (or
// was first linked to): it is refreshed from the group on every
// notification, so the card counts the repeats.
type AlertRef struct {
	Key           string
	Source        string
	Route         string
	Title         string
	Summary       string
	URL           string
	Firing        int
	Resolved      int
	Notifications int
	FirstAt       time.Time
	LastAt        time.Time
}

// Ref returns what an incident shows of g.
func (g *AlertGroup) Ref() *AlertRef {
	return &AlertRef{
		Key: g.Key, Source: g.Source, Route: g.Route.Name, Title: g.Title, Summary: g.Summary, URL: g.URL,
		Firing: g.Firing(), Resolved: g.Resolved() + g.Omitted, Notifications: g.Notifications,
		FirstAt: g.FirstAt, LastAt: g.LastAt,
	}
}

// ReceiveAlerts records a notification of the alert group g, which
// belongs to inc, in inc: the card's alert summary (when the group is the
// incident's own) and the timeline. It returns the events.
func (inc *Incident) ReceiveAlerts(p Policy, g *AlertGroup, d AlertDelta, now time.Time) []Event {
	if inc.Alert == nil || inc.Alert.Key == g.Key {
		inc.Alert = g.Ref()
	}
	evs := AlertEvents(g, d, now)
	if len(evs) > 0 {
		inc.touch(p, now)
	}
	return evs
}

// LinkAlerts attaches the triaged group g to inc, on actor's decision.
func (inc *Incident) LinkAlerts(p Policy, actor string, g *AlertGroup, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("link alerts to it"); err != nil {
		return nil, err
	}
	if inc.Alert == nil {
		inc.Alert = g.Ref()
	}
	inc.touch(p, now)
	return []Event{newEvent(EventAlertLinked, actor, now, g.Title, "source", g.Source, "alerts", strconv.Itoa(len(g.Alerts)), "firing", strconv.Itoa(g.Firing()))}, nil
}

// DeclareFromAlert declares an incident for alert group g, as route
// declare does (declarer "", incidentbot itself) or as a person does from
// the triage message (r.DeclaredBy set). Declared by incidentbot, the
// incident is led by r.Operator (whoever is on call, paged) or by nobody
// until someone takes the role; either way time to acknowledge runs until
// a person answers. The declaration event names the group, and
// the group's firing alerts follow it on the timeline.
func DeclareFromAlert(p Policy, r DeclareRequest, g *AlertGroup, now time.Time) (*Incident, []Event, error) {
	if r.Type == "" {
		r.Type = g.Route.Type
	}
	byBot := r.DeclaredBy == ""
	if byBot {
		// r.Operator, when set, is whoever is on call: they lead, and
		// acknowledge when they answer the page.
		r.DeclaredBy = alertDeclarer
		if r.Operator == "" {
			r.Operator = alertDeclarer
		}
	}
	inc, evs, err := Declare(p, r, now)
	if err != nil {
		return nil, nil, err
	}
	inc.Alert = g.Ref()
	if byBot {
		inc.DeclaredBy, inc.AcknowledgedAt = "", time.Time{}
		if inc.Operator == alertDeclarer {
			inc.Operator = ""
			evs = slices.DeleteFunc(evs, func(e Event) bool { return e.Kind == EventRoleAssigned && e.Field("to") == alertDeclarer })
		}
	}
	for i := range evs {
		if evs[i].Actor == alertDeclarer {
			evs[i].Actor = ""
		}
		if evs[i].Kind == EventDeclared {
			evs[i].Fields["alert_source"] = g.Source
			evs[i].Fields["alert_group"] = g.Title
		}
	}
	var fired []AlertStatus
	for _, a := range g.Alerts {
		if a.Firing {
			fired = append(fired, a)
		}
	}
	return inc, append(evs, AlertEvents(g, AlertDelta{Fired: fired}, now)...), nil
}

// alertDeclarer stands in for incidentbot while Declare builds an
// incident declared from an alert; it never leaves this file.
const alertDeclarer = "\x00alert"

// AlertWrite is what one notification or decision about an alert group
// writes with the group, in one transaction (see the store's
// UpdateAlertGroup): at most one of Declare (a new incident) and Incident
// (the group's incident, changed), with Change for it, and Global, which
// belongs to no incident.
type AlertWrite struct {
	Declare  *Incident
	Incident *Incident
	Change   Change
	Global   Change
}
