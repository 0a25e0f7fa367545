package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// CallbackAddToTimeline is the callback ID of the "Add to incident
// timeline" message shortcut declared in the manifest.
const CallbackAddToTimeline = "add_to_timeline"

// onInteraction routes buttons, modal submissions and the message
// shortcut. Each becomes the same request its slash command would.
func (a *App) onInteraction(ctx context.Context, cb slack.InteractionCallback, env string, ack func(any)) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			a.onBlockAction(ctx, cb, act, env, ack)
		}
		ack(nil)
	case slack.InteractionTypeViewSubmission:
		a.onViewSubmission(ctx, cb, env, ack)
	case slack.InteractionTypeMessageAction:
		if cb.CallbackID != CallbackAddToTimeline {
			ack(nil)
			return
		}
		ts := cb.MessageTs
		if ts == "" {
			ts = cb.Message.Timestamp
		}
		o := op{Kind: opPin, Actor: cb.User.ID, Channel: cb.Channel.ID, ResponseURL: cb.ResponseURL, Via: viaShortcut, TS: ts}
		a.accept(ctx, o, []string{env, "trigger:" + cb.TriggerID}, ack, a.ackByReply(o, true))
	default:
		ack(nil)
	}
}

// ackByReply answers a request whose ack Slack does not show (a button, a
// shortcut): a refusal, and with confirm also the confirmation, go to the
// person as a reply.
func (a *App) ackByReply(o op, confirm bool) func(c *call, err error) any {
	return func(c *call, err error) any {
		var e incident.Effect
		switch {
		case err != nil:
			e = a.replyError(o, err)
		case confirm && c.ack != "":
			e = replyTo(o, c.ack, nil)
		default:
			return nil
		}
		// The reply gets a context of its own: the request's may end before
		// the reply is queued, and a queued reply must not be lost to it.
		ch, aerr := a.store.Apply(context.Background(), incident.Change{Effects: []incident.Effect{e}})
		if aerr != nil {
			a.log.Error("queue a reply", "user_id", o.Actor, "err", aerr)
			return nil
		}
		a.outbox.Add(ch.Effects...)
		return nil
	}
}

// incidentOf reads the incident a button is about from its value ("42" or
// "42:3"), else from the channel it was clicked in.
func (a *App) incidentOf(ctx context.Context, value, channel string) (*incident.Incident, error) {
	if id, err := strconv.ParseInt(strings.SplitN(value, ":", 2)[0], 10, 64); err == nil && id > 0 {
		return a.store.FindIncidentByID(ctx, id)
	}
	return a.warRoom(ctx, channel)
}

func (a *App) onBlockAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction, env string, ack func(any)) {
	if a.onTriageAction(ctx, cb, act, env, ack) || a.onOncallAction(ctx, cb, act, env, ack) {
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	if cb.View.CallbackID == views.CallbackDeclare && (act.ActionID == views.InputExperience || act.ActionID == views.InputSecurity) {
		a.proposeInForm(ctx, cb)
		return
	}
	o := op{Actor: cb.User.ID, Channel: channel, ResponseURL: cb.ResponseURL, Via: viaButton}
	keys := []string{env, "trigger:" + cb.TriggerID + ":" + act.ActionID}
	// A button's effect usually shows (the card changes); marking an
	// action item done shows nowhere else, so it is confirmed.
	confirm := act.ActionID == views.ActionTaskDone || act.ActionID == views.ActionTaskReopen
	reply := a.ackByReply(o, confirm)
	value := act.Value
	if id, _, ok := views.ParseStepBlockID(act.BlockID); ok && act.ActionID == views.ActionChecklistStep {
		value = strconv.FormatInt(id, 10) // a checkbox's incident is in its block
	}
	inc, err := a.incidentOf(ctx, value, channel)
	if err == nil {
		err = a.policy.CheckCanSee(inc, o.Actor, a.inWarRoom(ctx, inc, o.Actor, channel))
	}
	if err != nil {
		a.fail("find the incident of a button", err)
		reply(&call{op: o}, err)
		return
	}
	o.Incident = inc.ID
	switch act.ActionID {
	case views.ActionChecklistStep:
		_, n, ok := views.ParseStepBlockID(act.BlockID)
		if !ok {
			reply(&call{op: o}, incident.Errorf(incident.EINVALID, "This checkbox is broken (block %q); use `/incident checklist done N`.", views.Escape(act.BlockID)))
			return
		}
		o.Kind, o.Step, o.Done = opStep, n, len(act.SelectedOptions) > 0
	case views.ActionPostUpdate:
		if err := inc.CheckOpen(); err != nil {
			reply(&call{op: o}, err)
			return
		}
		if err := a.policy.CheckCanUpdate(inc, o.Actor); err != nil {
			reply(&call{op: o}, err)
			return
		}
		a.openForm(ctx, cb.TriggerID, a.updateModal(inc, encodeMeta(formMeta{Incident: inc.ID, Channel: channel, ResponseURL: cb.ResponseURL})), ack)
		return
	case views.ActionAssignRole:
		a.openForm(ctx, cb.TriggerID, a.env().RoleModal(inc, encodeMeta(formMeta{Incident: inc.ID, Channel: channel, ResponseURL: cb.ResponseURL})), ack)
		return
	case views.ActionPickSpokesperson:
		user := act.SelectedUser
		if user == "" {
			reply(&call{op: o}, incident.Errorf(incident.EINVALID, "Choose someone in the picker."))
			return
		}
		if h := inc.Spokesperson; h != "" && h != user {
			if err := a.policy.CheckCanHandOff(inc, o.Actor, incident.RoleSpokesperson); err != nil {
				reply(&call{op: o}, err)
				return
			}
			meta := formMeta{Incident: inc.ID, Channel: channel, ResponseURL: cb.ResponseURL, Role: string(incident.RoleSpokesperson), To: user}
			a.openForm(ctx, cb.TriggerID, a.env().HandoffModal(inc, incident.RoleSpokesperson, user, encodeMeta(meta)), ack)
			return
		}
		o.Kind, o.Role, o.User = opRole, string(incident.RoleSpokesperson), user
	case views.ActionSeverity:
		o.Kind, o.Severity = opSeverity, act.SelectedOption.Value
	case views.ActionResolve:
		// The card asked for confirmation when required steps were open.
		o.Kind, o.Confirm = opResolve, strings.HasSuffix(act.Value, ":anyway")
	case views.ActionClose:
		o.Kind = opClose
	case views.ActionAcceptHandoff:
		o.Kind = opAccept
	case views.ActionSnooze:
		o.Kind = opSnooze
	case views.ActionTaskDone, views.ActionTaskReopen:
		_, taskStr, _ := strings.Cut(act.Value, ":")
		task, err := strconv.Atoi(taskStr)
		if err != nil {
			reply(&call{op: o}, incident.Errorf(incident.EINVALID, "This button is broken (bad action item %q); use `/incident tasks`.", views.Escape(act.Value)))
			return
		}
		o.Kind, o.Task, o.Done = opTaskDone, task, act.ActionID == views.ActionTaskDone
	default:
		a.log.Warn("unknown action", "action_id", act.ActionID)
		return
	}
	a.accept(ctx, o, keys, ack, reply)
}

// input reads one input of a submitted view.
func input(cb slack.InteractionCallback, block string) slack.BlockAction {
	if cb.View.State == nil {
		return slack.BlockAction{}
	}
	return cb.View.State.Values[block][block]
}

// fieldErrors answers a submission with errors shown against its inputs.
func fieldErrors(errs map[string]string) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(errs)
}

// formError shows err against input block of the submitted form, in plain
// text: a form shows no markup, so mentions become names (or "that
// person" when the name is not known yet: a form's answer cannot wait for
// Slack).
func (a *App) formError(block string, err error) *slack.ViewSubmissionResponse {
	return fieldErrors(map[string]string{block: a.plainText(incident.ErrorMessage(err))})
}

// viewKey makes a double submission of one form act once: the same view
// submitted with the same values. A corrected form has new values.
func viewKey(cb slack.InteractionCallback) string {
	state, _ := json.Marshal(cb.View.State)
	sum := sha256.Sum256(state)
	return "view:" + cb.View.ID + ":" + hex.EncodeToString(sum[:8])
}

// onViewSubmission checks a form and answers in the ack: errors against
// its inputs, or an empty ack that closes it once the request is stored.
func (a *App) onViewSubmission(ctx context.Context, cb slack.InteractionCallback, env string, ack func(any)) {
	meta := decodeMeta(cb.View.PrivateMetadata)
	o := op{Actor: cb.User.ID, Channel: meta.Channel, ResponseURL: meta.ResponseURL, Via: viaModal, Incident: meta.Incident}
	keys := []string{env, viewKey(cb)}
	// onError picks the input a refusal shows against; internal failures
	// close the form and apologise by reply, with the person's text.
	onError := func(block string) func(c *call, err error) any {
		return func(c *call, err error) any {
			if err == nil {
				return nil
			}
			if incident.ErrorCode(err) == incident.EINTERNAL {
				a.ackByReply(o, false)(c, err)
				return nil
			}
			return a.formError(block, err)
		}
	}
	switch cb.View.CallbackID {
	case views.CallbackDeclare:
		// Form text is plain: escape it first, so that what looks like
		// markup is kept as text rather than refused.
		o.Kind, o.Title = opDeclare, views.FromInput(input(cb, views.InputTitle).Value)
		if err := incident.CheckTitle(o.Title); err != nil {
			ack(a.formError(views.InputTitle, err))
			return
		}
		o.Severity = input(cb, views.InputSeverity).SelectedOption.Value
		if _, err := a.policy.Severity(o.Severity); err != nil && (o.Severity != "" || !a.policy.Triage.Enabled()) {
			ack(a.formError(views.InputSeverity, err))
			return
		}
		if block, err := a.readTriage(cb, &o); err != nil {
			ack(a.formError(block, err))
			return
		}
		o.Private = len(input(cb, views.InputPrivate).SelectedOptions) > 0
		o.Operator = input(cb, views.InputOperator).SelectedUser
		o.Impact = views.FromInput(input(cb, views.InputImpact).Value)
		o.Service = strings.TrimSpace(input(cb, views.InputService).Value)
		if err := incident.CheckService(o.Service); err != nil {
			ack(a.formError(views.InputService, err))
			return
		}
		a.accept(ctx, o, keys, ack, onError(views.InputOperator))
	case views.CallbackUpdate:
		o.Kind = opUpdate
		o.Text = views.FromInput(input(cb, views.InputKnown).Value)
		o.Doing = views.FromInput(input(cb, views.InputDoing).Value)
		o.Impact = views.FromInput(input(cb, views.InputImpact).Value)
		o.Status = input(cb, views.InputStatus).SelectedOption.Value
		o.Publish = views.Published(cb.View.State)
		if n := input(cb, views.InputNext).SelectedOption.Value; n != "" {
			d, err := time.ParseDuration(n)
			if err != nil || d <= 0 {
				ack(fieldErrors(map[string]string{views.InputNext: "Choose when the next update is due."}))
				return
			}
			o.Next = d
		}
		a.accept(ctx, o, keys, ack, onError(views.InputKnown))
	case views.CallbackRole:
		role, err := a.policy.ParseRole(input(cb, views.InputRole).SelectedOption.Value)
		if err != nil {
			ack(a.formError(views.InputRole, err))
			return
		}
		o.Kind, o.Role, o.User = opRole, string(role), input(cb, views.InputUser).SelectedUser
		if o.User == "" {
			ack(fieldErrors(map[string]string{views.InputUser: "Choose someone."}))
			return
		}
		inc, _, err := a.target(ctx, &call{op: o}, o.Incident)
		if err != nil {
			ack(a.formError(views.InputUser, err))
			return
		}
		if h := a.policy.Incumbent(inc, role); h != "" && h != o.User {
			// A held role changes hands with a brief: swap this form for it.
			if err := a.policy.CheckCanHandOff(inc, o.Actor, role); err != nil {
				ack(a.formError(views.InputUser, err))
				return
			}
			m := meta
			m.Role, m.To = string(role), o.User
			v := a.env().HandoffModal(inc, role, o.User, encodeMeta(m))
			ack(slack.NewUpdateViewSubmissionResponse(&v))
			return
		}
		a.accept(ctx, o, keys, ack, onError(views.InputUser))
	case views.CallbackSummary:
		o.Kind, o.Summary = opSummary, readSummary(cb)
		a.accept(ctx, o, keys, ack, onError(views.InputWhatHappened))
	case views.CallbackHandoff:
		o.Kind, o.Role, o.User = opHandoff, meta.Role, meta.To
		o.Brief = &incident.Brief{
			State:    views.FromInput(input(cb, views.InputState).Value),
			InFlight: views.FromInput(input(cb, views.InputInFlight).Value),
			Watch:    views.FromInput(input(cb, views.InputWatch).Value),
		}
		a.accept(ctx, o, keys, ack, onError(views.InputState))
	case views.CallbackTriageLink:
		a.onTriageLinkSubmit(ctx, cb, o, keys, ack)
	case views.CallbackCause:
		a.onCauseSubmit(ctx, cb, o, keys, ack)
	case views.CallbackOncall:
		a.onOverrideSubmission(ctx, cb, o, keys, ack, onError)
	default:
		ack(nil)
	}
}

// encodeMeta and decodeMeta carry formMeta in a view's private_metadata
// (3,000 characters at most: a response_url and two IDs fit easily).
func encodeMeta(m formMeta) string {
	data, _ := json.Marshal(m)
	return string(data)
}

func decodeMeta(s string) formMeta {
	var m formMeta
	if json.Unmarshal([]byte(s), &m) != nil {
		// A form from before metadata was JSON carried the incident
		// number alone.
		m.Incident, _ = strconv.ParseInt(strings.SplitN(s, "|", 2)[0], 10, 64)
	}
	return m
}

// plainText turns a message for Slack into plain text for a form: mentions
// become names when the directory knows them.
func (a *App) plainText(msg string) string {
	return views.PlainMentions(msg, a.users.cachedName)
}
