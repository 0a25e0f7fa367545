package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

func (a *App) handleInteraction(ctx context.Context, cb slack.InteractionCallback, ack func(any)) {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		ack(nil)
		for _, act := range cb.ActionCallback.BlockActions {
			a.handleBlockAction(ctx, cb, act)
		}
	case slack.InteractionTypeViewSubmission:
		a.handleViewSubmission(ctx, cb, ack)
	case slack.InteractionTypeMessageAction:
		ack(nil)
		if cb.CallbackID == CallbackAddToTimeline {
			a.shortcutToTimeline(ctx, cb)
		}
	default:
		ack(nil)
	}
}

func (a *App) interactionReplier(cb slack.InteractionCallback) replier {
	ch := cb.Channel.ID
	if ch == "" {
		ch = cb.Container.ChannelID
	}
	return replier{a: a, user: cb.User.ID, channel: ch, responseURL: cb.ResponseURL}
}

// incidentFor finds the incident a button is about: from its value, else
// from the channel it was clicked in.
func (a *App) incidentFor(ctx context.Context, value, channel string) (*incident.Incident, error) {
	if id, err := strconv.ParseInt(strings.SplitN(value, ":", 2)[0], 10, 64); err == nil && id > 0 {
		return a.store.FindIncidentByID(ctx, id)
	}
	return a.store.FindIncidentByChannel(ctx, channel)
}

func (a *App) handleBlockAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) {
	r := a.interactionReplier(cb)
	inc, err := a.incidentFor(ctx, act.Value, r.channel)
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	switch act.ActionID {
	case views.ActionPostUpdate:
		if !a.policy.CanUpdate(inc, r.user) {
			r.err(ctx, incident.Errorf(incident.EUNAUTHORIZED, "Only the spokesperson, the operator or an incidentbot admin can post status updates."), "")
			return
		}
		if err := inc.CheckOpen(); err != nil {
			r.err(ctx, err, "")
			return
		}
		if err := a.openView(ctx, cb.TriggerID, a.env().UpdateModal(inc, "")); err != nil {
			r.err(ctx, err, "")
		}
	case views.ActionSeverity:
		sev := act.SelectedOption.Value
		inc, evs, err := a.store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
			return i.SetSeverity(a.policy, r.user, sev, a.now())
		})
		if err != nil {
			r.err(ctx, err, "")
			return
		}
		a.refresh(ctx, inc.ID)
		a.announceChange(ctx, inc, evs)
	case views.ActionAssignRole:
		if err := a.openView(ctx, cb.TriggerID, a.env().RoleModal(inc)); err != nil {
			r.err(ctx, err, "")
		}
	case views.ActionResolve:
		inc, evs, err := a.store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
			return i.Resolve(a.policy, r.user, "", a.now())
		})
		if err != nil {
			r.err(ctx, err, "")
			return
		}
		a.refresh(ctx, inc.ID)
		a.announceChange(ctx, inc, evs)
	case views.ActionClose:
		a.closeIncident(ctx, r, inc.ID)
	case views.ActionPickSpokesperson:
		user := act.SelectedUser
		if user == "" {
			r.err(ctx, incident.Errorf(incident.EINVALID, "Choose someone in the picker."), "")
			return
		}
		a.requestRole(ctx, r, cb.TriggerID, inc, incident.RoleSpokesperson, user, false)
	case views.ActionAcceptHandoff:
		a.acceptHandoff(ctx, r, inc.ID)
	case views.ActionSnooze:
		a.snooze(ctx, r, inc.ID)
	case views.ActionTaskDone, views.ActionTaskReopen:
		_, taskStr, _ := strings.Cut(act.Value, ":")
		task, err := strconv.Atoi(taskStr)
		if err != nil {
			r.err(ctx, incident.Errorf(incident.EINVALID, "This button is broken (bad action item %q); use `/incident tasks`.", views.Escape(act.Value)), "")
			return
		}
		a.setTaskDone(ctx, r, inc.ID, task, act.ActionID == views.ActionTaskDone)
	default:
		a.log.Warn("unknown action", "action_id", act.ActionID)
	}
}

// input reads one input of a submitted view.
func input(cb slack.InteractionCallback, block string) slack.BlockAction {
	if cb.View.State == nil {
		return slack.BlockAction{}
	}
	return cb.View.State.Values[block][block]
}

func viewErrors(errs map[string]string) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(errs)
}

// firstSubmission reports whether this valid submission of a view is the
// first; a double click sends the same view twice. Invalid submissions do
// not count: the person fixes the form and submits the same view again.
func (a *App) firstSubmission(ctx context.Context, cb slack.InteractionCallback) bool {
	// The key includes what was submitted: a double click sends the same
	// values twice, a corrected form sends new ones.
	state, _ := json.Marshal(cb.View.State)
	sum := sha256.Sum256(state)
	key := "view:" + cb.View.ID + ":" + cb.View.CallbackID + ":" + hex.EncodeToString(sum[:8])
	first, err := a.store.FirstTime(ctx, key, a.now())
	if err != nil {
		a.fail("dedupe view submission", err)
		return true
	}
	return first
}

// handleViewSubmission validates a modal and answers in the ack: errors
// shown against the inputs, or an empty ack that closes the modal. A view
// submitted twice (a double click) acts once.
func (a *App) handleViewSubmission(ctx context.Context, cb slack.InteractionCallback, ack func(any)) {
	r := replier{a: a, user: cb.User.ID}
	switch cb.View.CallbackID {
	case views.CallbackDeclare:
		a.submitDeclare(ctx, cb, r, ack)
	case views.CallbackUpdate:
		a.submitUpdate(ctx, cb, r, ack)
	case views.CallbackRole:
		a.submitRole(ctx, cb, r, ack)
	case views.CallbackHandoff:
		a.submitHandoff(ctx, cb, r, ack)
	default:
		ack(nil)
	}
}

func (a *App) submitDeclare(ctx context.Context, cb slack.InteractionCallback, r replier, ack func(any)) {
	// Modal text is plain: escape it first, so that what looks like markup
	// is kept as text rather than refused.
	title := views.FromInput(input(cb, views.InputTitle).Value)
	if err := incident.CheckTitle(title); err != nil {
		ack(viewErrors(map[string]string{views.InputTitle: incident.ErrorMessage(err)}))
		return
	}
	sev := input(cb, views.InputSeverity).SelectedOption.Value
	if _, err := a.policy.Severity(sev); err != nil {
		ack(viewErrors(map[string]string{views.InputSeverity: incident.ErrorMessage(err)}))
		return
	}
	private := len(input(cb, views.InputPrivate).SelectedOptions) > 0
	operator := input(cb, views.InputOperator).SelectedUser
	if operator != "" {
		if _, err := a.resolveUser(ctx, operator, ""); err != nil {
			if incident.ErrorCode(err) == incident.EINTERNAL {
				a.fail("check operator", err)
			} else {
				ack(viewErrors(map[string]string{views.InputOperator: views.Plain(incident.ErrorMessage(err))}))
				return
			}
		}
	}
	r.channel = cb.View.PrivateMetadata
	ack(nil)
	if !a.firstSubmission(ctx, cb) {
		return
	}
	a.declare(ctx, r, incident.DeclareRequest{
		Title:      title,
		Severity:   sev,
		Private:    private,
		Impact:     views.FromInput(input(cb, views.InputImpact).Value),
		DeclaredBy: cb.User.ID,
		Operator:   operator,
	})
}

func (a *App) submitUpdate(ctx context.Context, cb slack.InteractionCallback, r replier, ack func(any)) {
	id, err := strconv.ParseInt(cb.View.PrivateMetadata, 10, 64)
	if err != nil {
		ack(nil)
		r.err(ctx, incident.Errorf(incident.EINVALID, "This form lost track of its incident; please run `/incident update` again."), input(cb, views.InputKnown).Value)
		return
	}
	u := incident.Update{
		Text:   views.FromInput(input(cb, views.InputKnown).Value),
		Doing:  views.FromInput(input(cb, views.InputDoing).Value),
		Impact: views.FromInput(input(cb, views.InputImpact).Value),
	}
	if st := input(cb, views.InputStatus).SelectedOption.Value; st != "" {
		s, err := incident.ParseStatus(st)
		if err != nil {
			ack(viewErrors(map[string]string{views.InputStatus: incident.ErrorMessage(err)}))
			return
		}
		u.Status = s
	}
	if n := input(cb, views.InputNext).SelectedOption.Value; n != "" {
		d, err := time.ParseDuration(n)
		if err != nil || d <= 0 {
			ack(viewErrors(map[string]string{views.InputNext: "Choose when the next update is due."}))
			return
		}
		u.Next = d
	}
	if !a.firstSubmission(ctx, cb) {
		ack(nil)
		return
	}
	inc, evs, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.PostUpdate(a.policy, r.user, u, a.now())
	})
	if err != nil {
		if c := incident.ErrorCode(err); c == incident.EINVALID {
			ack(viewErrors(map[string]string{views.InputKnown: incident.ErrorMessage(err)}))
			return
		}
		ack(nil)
		r.err(ctx, err, input(cb, views.InputKnown).Value)
		return
	}
	ack(nil)
	a.publishUpdate(ctx, inc, evs)
	a.refresh(ctx, id)
}

func (a *App) submitRole(ctx context.Context, cb slack.InteractionCallback, r replier, ack func(any)) {
	id, err := strconv.ParseInt(cb.View.PrivateMetadata, 10, 64)
	if err != nil {
		ack(nil)
		return
	}
	role, err := incident.ParseRole(input(cb, views.InputRole).SelectedOption.Value)
	if err != nil {
		ack(viewErrors(map[string]string{views.InputRole: incident.ErrorMessage(err)}))
		return
	}
	user := input(cb, views.InputUser).SelectedUser
	if user == "" {
		ack(viewErrors(map[string]string{views.InputUser: "Choose someone."}))
		return
	}
	if _, err := a.resolveUser(ctx, user, ""); err != nil && incident.ErrorCode(err) != incident.EINTERNAL {
		ack(viewErrors(map[string]string{views.InputUser: views.Plain(incident.ErrorMessage(err))}))
		return
	}
	inc, err := a.store.FindIncidentByID(ctx, id)
	if err != nil {
		ack(nil)
		r.err(ctx, err, "")
		return
	}
	r.channel = inc.ChannelID
	holder := inc.Holder(role)
	if holder != "" && holder != user {
		if r.user != holder && !a.policy.CanManage(inc, r.user) {
			ack(viewErrors(map[string]string{views.InputUser: fmt.Sprintf("%s is the %s; only they, the operator or an admin can hand it off.", views.Plain("<@"+holder+">"), role)}))
			return
		}
		// A held role changes hands with a brief: swap this form for it.
		v := a.env().HandoffModal(inc, role, user)
		ack(slack.NewUpdateViewSubmissionResponse(&v))
		return
	}
	_, _, err = a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.AssignRole(a.policy, r.user, role, user, false, a.now())
	})
	if err != nil {
		ack(viewErrors(map[string]string{views.InputUser: incident.ErrorMessage(err)}))
		return
	}
	ack(nil)
	inc, _ = a.store.FindIncidentByID(ctx, id)
	a.roleTaken(ctx, inc, role, user, r.user)
	a.refresh(ctx, id)
}

func (a *App) submitHandoff(ctx context.Context, cb slack.InteractionCallback, r replier, ack func(any)) {
	parts := strings.Split(cb.View.PrivateMetadata, "|")
	if len(parts) != 3 {
		ack(nil)
		return
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	role, rerr := incident.ParseRole(parts[1])
	if err != nil || rerr != nil {
		ack(nil)
		return
	}
	if !a.firstSubmission(ctx, cb) {
		ack(nil)
		return
	}
	b := incident.Brief{
		State:    views.FromInput(input(cb, views.InputState).Value),
		InFlight: views.FromInput(input(cb, views.InputInFlight).Value),
		Watch:    views.FromInput(input(cb, views.InputWatch).Value),
	}
	if err := a.offerHandoff(ctx, r, id, role, parts[2], b); err != nil {
		if incident.ErrorCode(err) == incident.EINTERNAL {
			ack(nil)
			r.err(ctx, err, b.Text())
			return
		}
		ack(viewErrors(map[string]string{views.InputState: incident.ErrorMessage(err)}))
		return
	}
	ack(nil)
}

// CallbackAddToTimeline is the callback ID of the "Add to incident
// timeline" message shortcut declared in the manifest.
const CallbackAddToTimeline = "add_to_timeline"

// shortcutToTimeline adds the message the shortcut was used on to the
// timeline of the incident whose war room holds it.
func (a *App) shortcutToTimeline(ctx context.Context, cb slack.InteractionCallback) {
	r := a.interactionReplier(cb)
	ts := cb.MessageTs
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	inc, err := a.store.FindIncidentByChannel(ctx, r.channel)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		r.err(ctx, incident.Errorf(incident.ENOTFOUND, "This channel is not an incident war room; use the shortcut on a message in one."), "")
		return
	} else if err != nil {
		r.err(ctx, err, "")
		return
	}
	if inc.IsPinned(ts) {
		r.text(ctx, fmt.Sprintf("That message is already on the timeline of incident #%d.", inc.ID))
		return
	}
	a.pinToTimeline(ctx, r.channel, ts, r.user)
	if h, err := a.store.FindIncidentByID(ctx, inc.ID); err == nil && h.IsPinned(ts) {
		r.text(ctx, fmt.Sprintf(":pushpin: Added to the timeline of incident #%d.", inc.ID))
	}
}
