package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
)

// An op is one use-case invocation, decoded from a slash command, a
// button, a modal or an event. It is what the inbox stores: running it
// again after a crash does the same thing, because its change and the end
// of its request are one transaction.
type op struct {
	Kind     opKind `json:"k"`
	Incident int64  `json:"i,omitempty"`
	// Who acted, where, and how to answer them.
	Actor       string `json:"a,omitempty"`
	Channel     string `json:"c,omitempty"`
	ResponseURL string `json:"r,omitempty"`
	Via         via    `json:"via,omitempty"`

	Title    string          `json:"title,omitempty"`
	Severity string          `json:"sev,omitempty"`
	Status   string          `json:"st,omitempty"`
	Role     string          `json:"role,omitempty"`
	User     string          `json:"user,omitempty"`
	UserName string          `json:"uname,omitempty"`
	Operator string          `json:"opr,omitempty"`
	Text     string          `json:"text,omitempty"`
	Doing    string          `json:"doing,omitempty"`
	Impact   string          `json:"impact,omitempty"`
	Next     time.Duration   `json:"next,omitempty"`
	Private  bool            `json:"priv,omitempty"`
	Force    bool            `json:"force,omitempty"`
	Done     bool            `json:"done,omitempty"`
	Task     int             `json:"task,omitempty"`
	TS       string          `json:"ts,omitempty"`
	Brief    *incident.Brief `json:"brief,omitempty"`
	// Publish is the update's status page choice; nil: the severity's
	// default. Tier, All and Summary serve subscriptions and the customer
	// summary.
	Publish *bool                     `json:"pub,omitempty"`
	Tier    string                    `json:"tier,omitempty"`
	All     bool                      `json:"all,omitempty"`
	Summary *incident.CustomerSummary `json:"sum,omitempty"`

	// Issue 12: the incident type, a drill and the playbook it practises,
	// the impact estimate, resolving with checklist steps open, a
	// checklist step (by number, from 1), leaving a role.
	Type       string `json:"type,omitempty"`
	Drill      bool   `json:"drill,omitempty"`
	Playbook   string `json:"pb,omitempty"`
	Experience string `json:"exp,omitempty"`
	Security   *bool  `json:"sec,omitempty"`
	Loss       *int64 `json:"loss,omitempty"`
	Confirm    bool   `json:"confirm,omitempty"`
	Step       int    `json:"step,omitempty"`
	// Alerts, deploys and services (intake_ops.go).
	Alert    string `json:"alert,omitempty"`
	Service  string `json:"svc,omitempty"`
	Category string `json:"cat,omitempty"`
	Deploy   string `json:"dep,omitempty"`

	// On call (oncall_*.go): a rotation, an override's times (a swap's:
	// a time in each turn) or a handoff's (From), an override's number,
	// and the checklist steps of one group of checkboxes with those ticked.
	Rotation string    `json:"rot,omitempty"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
	ID       int64     `json:"id,omitempty"`
	Email    string    `json:"email,omitempty"`
	Steps    []string  `json:"steps,omitempty"`
	Selected []string  `json:"sel,omitempty"`
}

// opKind names a use case.
type opKind string

// The use cases that change something.
const (
	opDeclare    opKind = "declare"
	opSeverity   opKind = "severity"
	opStatus     opKind = "status"
	opRole       opKind = "role"
	opHandoff    opKind = "handoff"
	opAccept     opKind = "accept"
	opUpdate     opKind = "update"
	opSnooze     opKind = "snooze"
	opNote       opKind = "note"
	opResolve    opKind = "resolve"
	opClose      opKind = "close"
	opCancel     opKind = "cancel"
	opCause      opKind = "cause"
	opImpact     opKind = "impact"
	opTask       opKind = "task"
	opTaskDone   opKind = "task_done"
	opPostmortem opKind = "postmortem"
	opPin        opKind = "pin"
	opEdit       opKind = "edit"
	opDelete     opKind = "delete"
	// Public communication (public.go).
	opSummary     opKind = "summary"
	opSubscribe   opKind = "subscribe"
	opUnsubscribe opKind = "unsubscribe"
	opStep        opKind = "step"     // tick or untick a checklist step
	opUnassign    opKind = "unassign" // leave a role, or take it from someone
	// Alerts and services (intake_ops.go).
	opTriageDeclare opKind = "triage_declare"
	opTriageLink    opKind = "triage_link"
	opTriageDismiss opKind = "triage_dismiss"
	opService       opKind = "service"
	opStatsChart    opKind = "stats_chart"

	// On call.
	opPageAck        opKind = "page_ack"
	opOverride       opKind = "oncall_override"
	opSwap           opKind = "oncall_swap"
	opRemoveOverride opKind = "oncall_remove"
	opHandoffConfirm opKind = "handoff_confirm"
	opHandoffCheck   opKind = "handoff_check"
)

// via says how a person asked: it decides how the bot answers them.
type via string

const (
	viaCommand  via = "command"
	viaButton   via = "button"
	viaModal    via = "modal"
	viaShortcut via = "shortcut"
	viaEvent    via = "event"
)

// call is one run of an op: checking it before the ack (dry), or doing it
// from the inbox.
type call struct {
	op
	// seq is the inbox request the change finishes; 0 in a dry run.
	seq uint64
	dry bool
	// finished is set once a write finished the request.
	finished bool
	// ack is what the person is told when the dry run succeeds.
	ack string
	// noop is set by a dry run that finds nothing to do (an edit of a
	// message not on any timeline): the request is answered, not stored.
	noop bool
}

// exec runs the use case of c.op: the one place that maps a request to
// its method, for the dry run and the real one alike.
func (a *App) exec(ctx context.Context, c *call) error {
	o := &c.op
	switch o.Kind {
	case opDeclare:
		return a.Declare(ctx, c, incident.DeclareRequest{
			Title: o.Title, Severity: o.Severity, Private: o.Private, Impact: o.Impact, DeclaredBy: o.Actor, Operator: o.Operator,
			Type: o.Type, Drill: o.Drill, Estimate: o.estimate(), Service: o.Service,
		})
	case opSeverity:
		return a.SetSeverity(ctx, c, o.Incident, o.Severity)
	case opStatus:
		return a.SetStatus(ctx, c, o.Incident, incident.Status(o.Status))
	case opRole:
		return a.AssignRole(ctx, c, o.Incident, incident.Role(o.Role), o.User, o.UserName, o.Force)
	case opHandoff:
		var b incident.Brief
		if o.Brief != nil {
			b = *o.Brief
		}
		return a.OfferHandoff(ctx, c, o.Incident, incident.Role(o.Role), o.User, b)
	case opAccept:
		return a.AcceptHandoff(ctx, c, o.Incident)
	case opUpdate:
		return a.PostUpdate(ctx, c, o.Incident, incident.Update{
			Status: incident.Status(o.Status), Text: o.Text, Doing: o.Doing, Impact: o.Impact, Next: o.Next,
		})
	case opSnooze:
		return a.Snooze(ctx, c, o.Incident)
	case opNote:
		return a.AddNote(ctx, c, o.Incident, o.Text)
	case opResolve:
		return a.Resolve(ctx, c, o.Incident, o.Text)
	case opClose:
		return a.Close(ctx, c, o.Incident)
	case opCancel:
		return a.Cancel(ctx, c, o.Incident, o.Text)
	case opCause:
		return a.RecordCause(ctx, c, o.Incident, incident.Cause{Text: o.Text, Category: o.Category, Deploy: o.Deploy})
	case opImpact:
		return a.SetImpact(ctx, c, o.Incident, o.Text)
	case opTask:
		return a.AddTask(ctx, c, o.Incident, o.Text, o.User, o.UserName)
	case opTaskDone:
		return a.SetTaskDone(ctx, c, o.Incident, o.Task, o.Done)
	case opPostmortem:
		return a.Postmortem(ctx, c, o.Incident)
	case opPin:
		return a.PinMessage(ctx, c, o.Channel, o.TS)
	case opEdit:
		return a.EditPinned(ctx, c, o.Channel, o.TS, o.Text)
	case opDelete:
		return a.DeletePinned(ctx, c, o.Channel, o.TS)
	case opSummary:
		var s incident.CustomerSummary
		if o.Summary != nil {
			s = *o.Summary
		}
		return a.WriteSummary(ctx, c, o.Incident, s)
	case opSubscribe:
		tier, err := stakeholders.ParseTier(cmp.Or(o.Tier, string(stakeholders.KeepSatisfied)))
		if err != nil {
			return err
		}
		return a.Subscribe(ctx, c, o.scope(), tier)
	case opUnsubscribe:
		return a.Unsubscribe(ctx, c, o.scope())
	case opStep:
		return a.SetStep(ctx, c, o.Incident, o.Step, o.Done)
	case opUnassign:
		return a.RemoveRole(ctx, c, o.Incident, incident.Role(o.Role), o.User, o.UserName)
	case opTriageDeclare:
		return a.TriageDeclare(ctx, c, o.Alert)
	case opTriageLink:
		return a.TriageLink(ctx, c, o.Alert, o.Incident)
	case opTriageDismiss:
		return a.TriageDismiss(ctx, c, o.Alert)
	case opService:
		return a.SetService(ctx, c, o.Incident, o.Service)
	case opStatsChart:
		return a.StatsChart(ctx, c, o.Text, o.Service)
	case opPageAck, opOverride, opSwap, opRemoveOverride, opHandoffConfirm, opHandoffCheck:
		return a.execOncall(ctx, c)
	}
	return fmt.Errorf("unknown request kind %q", o.Kind)
}

// accept handles a request that changes something: it checks it (a dry
// run that reads but writes nothing), stores it in the inbox unless its
// keys were seen before, and only then acknowledges it, with ackPayload
// built from the check's outcome. The request is then processed by the
// inbox workers. keys are the envelope's deduplication keys.
//
// The check must see the incident as the requests acknowledged before
// this one leave it: "sev major" then "sev critical" at once must not be
// refused as "already critical" because "sev major" still waits in the
// inbox. So it first waits, at most acceptSettle, for them to be
// processed. Applying the waiting requests' changes to a copy instead
// would run each use case twice and give a wrong answer for any whose
// check reads more than the incident; waiting costs the ack the time the
// inbox takes, which is a store write unless the request before needs
// Slack. Past the bound the check runs as before, and the request is
// checked again when it runs (refused then: the person is told).
func (a *App) accept(ctx context.Context, o op, keys []string, ack func(any), ackPayload func(c *call, err error) any) {
	keys = nonEmpty(keys)
	if !a.inbox.settle(ctx, o.Incident, a.settleWait(ctx)) {
		a.log.Debug("checking a request while earlier ones of its incident still wait", "kind", o.Kind, "incident_id", o.Incident)
	}
	dry := &call{op: o, dry: true}
	if err := a.exec(ctx, dry); err != nil {
		// A redelivered request fails its check because it already took
		// effect: it is answered with nothing, as the first was.
		if seen, serr := a.store.Seen(ctx, keys); serr == nil && seen {
			ack(nil)
			return
		}
		a.fail("check request", err, "kind", o.Kind, "user_id", o.Actor)
		a.log.Debug("request refused", "kind", o.Kind, "via", o.Via, "user_id", o.Actor, "incident_id", o.Incident, "reason", incident.ErrorMessage(err))
		ack(ackPayload(dry, err))
		return
	}
	if dry.noop {
		ack(ackPayload(dry, nil))
		return
	}
	// A reaction names a message, not an incident: the check found which,
	// and the inbox orders each incident's requests by it.
	o.Incident = dry.Incident
	payload, err := json.Marshal(o)
	if err != nil {
		ack(ackPayload(dry, fmt.Errorf("encode request: %w", err)))
		return
	}
	seq, dup, err := a.store.Receive(ctx, incident.Request{Kind: requestOp, Payload: payload}, keys)
	if err != nil {
		a.fail("store request", err, "kind", o.Kind)
		ack(ackPayload(dry, err))
		return
	}
	if dup {
		ack(nil)
		return
	}
	if late := a.lateCommand(ctx, o, seq); late {
		return
	}
	a.inbox.opened(o.Incident)
	ack(ackPayload(dry, nil))
	a.inbox.push(seq, o)
}

// acceptSettle bounds how long accept waits for the earlier requests of
// an incident: Slack wants the ack within 3 s, and the check and the
// store write that follow need time too.
const acceptSettle = time.Second

// settleWait is how long accept may wait for earlier requests: at most
// acceptSettle, and at most half of what is left before the ack must be
// sent (ackBy), so that a slow store still has the other half.
func (a *App) settleWait(ctx context.Context) time.Duration {
	at := arrived(ctx)
	if at.IsZero() {
		return acceptSettle
	}
	return max(0, min(acceptSettle, (a.ackBy()-time.Since(at))/2))
}

func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// requestOp is the inbox request kind of an op.
const requestOp = "op"

// target reads incident id for a call and checks that the actor may see it.
// It also reports whether the actor is in the war room: they acted from it,
// or (for a private incident, where it matters) Slack says they are a
// member.
func (a *App) target(ctx context.Context, c *call, id int64) (*incident.Incident, bool, error) {
	if id == 0 {
		return nil, false, incident.Errorf(incident.EINVALID, "Which incident? Run the command in its war room, or give its number, e.g. `/incident 42 note …`.")
	}
	inc, err := a.store.FindIncidentByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	in := a.inWarRoom(ctx, inc, c.Actor, c.Channel)
	if err := a.policy.CheckCanSee(inc, c.Actor, in); err != nil {
		return nil, false, err
	}
	return inc, in, nil
}

// inWarRoom reports whether user is in inc's war room: they acted from it,
// or, for a private incident, Slack lists them as a member. For a public
// incident membership grants nothing more, so Slack is not asked.
func (a *App) inWarRoom(ctx context.Context, inc *incident.Incident, user, channel string) bool {
	if inc.ChannelID == "" {
		return false
	}
	if channel == inc.ChannelID {
		return true
	}
	if !inc.Private || user == "" {
		return false
	}
	return a.members.isMember(ctx, inc.ChannelID, user)
}

// change applies fn to incident id for the call c, with fn's effects: in a
// dry run on a copy, writing nothing; otherwise in one transaction that
// also finishes c's request. fn receives whether the actor is in the war
// room. It returns the incident as stored (the copy in a dry run).
func (a *App) change(ctx context.Context, c *call, id int64, fn func(inc *incident.Incident, inWarRoom bool) (incident.Change, error)) (*incident.Incident, error) {
	inc, in, err := a.target(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if c.dry {
		_, err := fn(inc, in)
		return inc, err
	}
	stored, ch, err := a.store.UpdateIncident(ctx, id, func(inc *incident.Incident) (incident.Change, error) {
		ch, err := fn(inc, in)
		if err != nil {
			return incident.Change{}, err
		}
		ch = a.stakeholderChange(inc, ch)
		ch.Request = c.seq
		return ch, nil
	})
	if err != nil {
		return nil, err
	}
	c.finished = c.seq != 0
	a.outbox.Add(ch.Effects...)
	return stored, nil
}

// events adapts a domain command's result to a change without effects.
func events(evs []incident.Event, err error) (incident.Change, error) {
	return incident.Change{Events: evs}, err
}
