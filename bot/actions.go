package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

// refresh brings the card and the topic in line with the stored incident.
// It re-reads the incident under a per-incident lock so that concurrent
// changes can never leave an older state on the card.
func (a *App) refresh(ctx context.Context, id int64) {
	m := a.refreshMus.get(id)
	m.Lock()
	defer m.Unlock()
	inc, err := a.store.FindIncidentByID(ctx, id)
	if err != nil {
		a.fail("refresh card", err, "incident_id", id)
		return
	}
	if inc.ChannelID == "" {
		return
	}
	env := a.env()
	if inc.CardTS != "" {
		err := a.withRetry(ctx, func() error {
			_, _, _, err := a.api.UpdateMessageContext(ctx, inc.ChannelID, inc.CardTS,
				slack.MsgOptionText(env.CardText(inc), false), slack.MsgOptionBlocks(env.Card(inc)...))
			return err
		})
		if err != nil {
			a.log.Error("update incident card", "incident_id", id, "err", err)
		}
	}
	if inc.Status == incident.StatusClosed {
		return
	}
	topic := env.Topic(inc)
	a.mu.Lock()
	same := a.topics[id] == topic
	a.mu.Unlock()
	if same {
		return
	}
	if err := a.withRetry(ctx, func() error {
		_, err := a.api.SetTopicOfConversationContext(ctx, inc.ChannelID, topic)
		return err
	}); err != nil {
		a.log.Error("set war-room topic", "incident_id", id, "err", err)
		return
	}
	a.mu.Lock()
	a.topics[id] = topic
	a.mu.Unlock()
}

// announceChange posts severity, status and resolution changes in the war
// room and in the announcement channels (threaded under the announcement
// and, for severity and resolution, also in the channel itself).
func (a *App) announceChange(ctx context.Context, inc *incident.Incident, evs []incident.Event) {
	for _, ev := range evs {
		var text string
		toChannel := false
		switch ev.Kind {
		case incident.EventSeverityChanged:
			text = fmt.Sprintf(":arrow_up_down: %s changed the severity of incident #%d from *%s* to *%s*. Next update %s.", views.User(ev.Actor), inc.ID, ev.Field("from"), ev.Field("to"), a.env().NextUpdate(inc))
			toChannel = true
		case incident.EventStatusChanged:
			text = fmt.Sprintf(":traffic_light: %s changed the status of incident #%d from *%s* to *%s*.", views.User(ev.Actor), inc.ID, ev.Field("from"), ev.Field("to"))
		case incident.EventReopened:
			text = fmt.Sprintf(":leftwards_arrow_with_hook: %s reopened incident #%d.", views.User(ev.Actor), inc.ID)
			toChannel = true
		case incident.EventResolved:
			text = fmt.Sprintf(":white_check_mark: %s resolved incident #%d after %s.", views.User(ev.Actor), inc.ID, views.Duration(inc.Duration(a.now())))
			if ev.Text != "" {
				text += "\n" + views.Quote(ev.Text)
			}
			toChannel = true
		default:
			continue
		}
		blocks, plain := views.Notice(text)
		if inc.ChannelID != "" {
			if _, err := a.post(ctx, inc.ChannelID, blocks, plain); err != nil {
				a.log.Error("post change to war room", "incident_id", inc.ID, "err", err)
			}
		}
		a.toAnnouncements(ctx, inc, ev, text, toChannel)
	}
}

// toAnnouncements posts text under each announcement, and in the channel
// itself when alsoChannel. Private incidents only say that they changed.
func (a *App) toAnnouncements(ctx context.Context, inc *incident.Incident, ev incident.Event, text string, alsoChannel bool) {
	if inc.Private {
		switch ev.Kind {
		case incident.EventSeverityChanged:
			text = fmt.Sprintf(":lock: A private incident is now %s.", inc.Severity)
		case incident.EventResolved:
			text = ":lock: A private incident was resolved."
		default:
			return
		}
	}
	blocks, plain := views.Notice(text)
	for _, ann := range inc.Announcements {
		opts := []slack.MsgOption{slack.MsgOptionTS(ann.TS)}
		if alsoChannel {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
		if _, err := a.post(ctx, ann.ChannelID, blocks, plain, opts...); err != nil {
			a.log.Error("post to announcement channel", "incident_id", inc.ID, "channel_id", ann.ChannelID, "err", err)
		}
	}
}

// postUpdate records a status update and posts it to the war room and,
// threaded, under each announcement.
func (a *App) postUpdate(ctx context.Context, r replier, id int64, u incident.Update, lost string) {
	inc, evs, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.PostUpdate(a.policy, r.user, u, a.now())
	})
	if err != nil {
		r.err(ctx, err, lost)
		return
	}
	a.publishUpdate(ctx, inc, evs)
	a.refresh(ctx, id)
}

func (a *App) publishUpdate(ctx context.Context, inc *incident.Incident, evs []incident.Event) {
	env := a.env()
	for _, ev := range evs {
		if ev.Kind != incident.EventUpdatePosted {
			continue
		}
		blocks, text := env.StatusUpdate(inc, ev)
		if inc.ChannelID != "" {
			if _, err := a.post(ctx, inc.ChannelID, blocks, text); err != nil {
				a.log.Error("post update to war room", "incident_id", inc.ID, "err", err)
			}
		}
		if inc.Private {
			continue
		}
		for _, ann := range inc.Announcements {
			if _, err := a.post(ctx, ann.ChannelID, blocks, text, slack.MsgOptionTS(ann.TS)); err != nil {
				a.log.Error("post update to announcement thread", "incident_id", inc.ID, "channel_id", ann.ChannelID, "err", err)
			}
		}
	}
}

// requestRole assigns a role at once when that is allowed, and otherwise
// starts a handoff: the outgoing holder (or the operator) writes a brief.
func (a *App) requestRole(ctx context.Context, r replier, triggerID string, inc *incident.Incident, role incident.Role, user string, force bool) {
	holder := inc.Holder(role)
	// Taking an empty role for yourself is for the people in the war room;
	// from elsewhere it would let anyone take charge of any incident.
	if holder == "" && user == r.user && !a.policy.CanManage(inc, r.user) && (inc.ChannelID == "" || r.channel != inc.ChannelID) {
		r.err(ctx, incident.Errorf(incident.EUNAUTHORIZED, "To take the %s role yourself, join <#%s> and run the command there; or ask %s.", role, inc.ChannelID, views.User(inc.Operator)), "")
		return
	}
	if holder == "" || force || holder == user {
		a.assignRole(ctx, r, inc.ID, role, user, force)
		return
	}
	if r.user != holder && !a.policy.CanManage(inc, r.user) {
		r.err(ctx, incident.Errorf(incident.EUNAUTHORIZED, "<@%s> is the %s; only they, the operator or an admin can hand the role off.", holder, role), "")
		return
	}
	if triggerID == "" {
		r.err(ctx, incident.Errorf(incident.EINVALID, "Use `/incident role %s @user` to start the handoff.", role), "")
		return
	}
	if err := a.openView(ctx, triggerID, a.env().HandoffModal(inc, role, user)); err != nil {
		r.err(ctx, err, "")
	}
}

func (a *App) assignRole(ctx context.Context, r replier, id int64, role incident.Role, user string, force bool) {
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.AssignRole(a.policy, r.user, role, user, force, a.now())
	})
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	a.roleTaken(ctx, inc, role, user, r.user)
	a.refresh(ctx, id)
}

// roleTaken tells the war room and the new holder.
func (a *App) roleTaken(ctx context.Context, inc *incident.Incident, role incident.Role, user, actor string) {
	if inc.ChannelID != "" {
		if _, err := a.api.InviteUsersToConversationContext(ctx, inc.ChannelID, user); err != nil && !slackErr(err, "already_in_channel") {
			a.log.Warn("invite role holder", "incident_id", inc.ID, "user_id", user, "err", err)
		}
		blocks, text := views.Notice(fmt.Sprintf(":bust_in_silhouette: %s is now the *%s* (set by %s).", views.User(user), role, views.User(actor)))
		if _, err := a.post(ctx, inc.ChannelID, blocks, text); err != nil {
			a.log.Error("post role change", "incident_id", inc.ID, "err", err)
		}
	}
	if user != a.botUserID {
		env := a.env()
		if _, err := a.post(ctx, user, views.Ephemeral(env.RoleDM(inc, role)), fmt.Sprintf("You are the %s of incident #%d", role, inc.ID)); err != nil {
			a.log.Warn("DM role holder", "incident_id", inc.ID, "user_id", user, "err", err)
		}
	}
}

func (a *App) offerHandoff(ctx context.Context, r replier, id int64, role incident.Role, to string, b incident.Brief) error {
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.OfferHandoff(a.policy, r.user, role, to, b, a.now())
	})
	if err != nil {
		return err
	}
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		blocks, text := a.env().HandoffOffer(inc)
		if inc.ChannelID != "" {
			if _, err := a.api.InviteUsersToConversationContext(ctx, inc.ChannelID, to); err != nil && !slackErr(err, "already_in_channel") {
				a.log.Warn("invite handoff recipient", "incident_id", inc.ID, "err", err)
			}
			if _, err := a.post(ctx, inc.ChannelID, blocks, text); err != nil {
				a.log.Error("post handoff offer", "incident_id", inc.ID, "err", err)
			}
		}
		if _, err := a.post(ctx, to, blocks, text); err != nil {
			a.log.Warn("DM handoff offer", "incident_id", inc.ID, "err", err)
		}
		a.refresh(ctx, id)
	}()
	return nil
}

func (a *App) acceptHandoff(ctx context.Context, r replier, id int64) {
	var role incident.Role
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		if i.Handoff != nil {
			role = i.Handoff.Role
		}
		return i.AcceptHandoff(a.policy, r.user, a.now())
	})
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	a.roleTaken(ctx, inc, role, r.user, r.user)
	a.refresh(ctx, id)
}

// closeIncident closes a resolved incident and drafts its postmortem.
func (a *App) closeIncident(ctx context.Context, r replier, id int64) {
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.Close(a.policy, r.user, a.now())
	})
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	a.refresh(ctx, id)
	if inc.ChannelID != "" {
		blocks, text := views.Notice(fmt.Sprintf(":lock: %s closed incident #%d. Thank you all.", views.User(r.user), inc.ID))
		if _, err := a.post(ctx, inc.ChannelID, blocks, text); err != nil {
			a.log.Error("post close", "incident_id", id, "err", err)
		}
	}
	if err := a.publishPostmortem(ctx, inc.ID, r.user, true); err != nil {
		r.err(ctx, err, "")
	}
}

func (a *App) postmortem(ctx context.Context, r replier, inc *incident.Incident) {
	if inc.Status.Open() {
		r.err(ctx, incident.Errorf(incident.ECONFLICT, "The postmortem is drafted once incident #%d is resolved; it is still %s.", inc.ID, inc.Status), "")
		return
	}
	if err := a.publishPostmortem(ctx, inc.ID, r.user, false); err != nil {
		r.err(ctx, err, "")
		return
	}
	r.text(ctx, fmt.Sprintf(":page_facing_up: The postmortem draft of incident #%d is in <#%s>.", inc.ID, inc.ChannelID))
}

func (a *App) showTimeline(ctx context.Context, r replier, inc *incident.Incident) {
	evs, err := a.store.Events(ctx, inc.ID)
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	for _, page := range a.env().Timeline(inc, evs) {
		r.blocks(ctx, fmt.Sprintf("Timeline of incident #%d", inc.ID), page)
	}
}

func (a *App) addTask(ctx context.Context, r replier, id int64, text, owner string) {
	var task incident.ActionItem
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		t, evs, err := i.AddTask(a.policy, r.user, text, owner, a.now())
		task = t
		return evs, err
	})
	if err != nil {
		r.err(ctx, err, text)
		return
	}
	blocks, plain := a.env().TaskAdded(inc, task, r.user)
	channel := inc.ChannelID
	if channel == "" {
		r.blocks(ctx, plain, blocks)
		return
	}
	if _, err := a.post(ctx, channel, blocks, plain); err != nil {
		r.err(ctx, fmt.Errorf("post action item: %w", err), text)
	}
}

func (a *App) setTaskDone(ctx context.Context, r replier, id int64, task int, done bool) {
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.SetTaskDone(a.policy, r.user, task, done, a.now())
	})
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	state := "done"
	if !done {
		state = "open again"
	}
	r.text(ctx, fmt.Sprintf(":white_check_mark: Action item %d of incident #%d is %s.", task, inc.ID, state))
}

func (a *App) snooze(ctx context.Context, r replier, id int64) {
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		return i.Snooze(a.policy, r.user, a.now())
	})
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	if inc.ChannelID != "" {
		blocks, text := views.Notice(fmt.Sprintf(":zzz: %s snoozed the update reminder; next update due %s.", views.User(r.user), views.When(inc.NextUpdateDue, a.now(), a.loc)))
		if _, err := a.post(ctx, inc.ChannelID, blocks, text); err != nil {
			a.log.Error("post snooze", "incident_id", id, "err", err)
		}
	}
	a.refresh(ctx, id)
}

// resolveUser returns the ID of a mentioned user, looking up a plain
// @name when Slack did not escape it, and checking that the user exists.
func (a *App) resolveUser(ctx context.Context, id, name string) (string, error) {
	if id != "" {
		u, err := a.api.GetUserInfoContext(ctx, id)
		if err != nil {
			if slackErr(err, "user_not_found") {
				return "", incident.Errorf(incident.ENOTFOUND, "There is no user <@%s> in this workspace.", id)
			}
			return "", fmt.Errorf("look up user %s: %w", id, err)
		}
		if u.Deleted {
			return "", incident.Errorf(incident.EINVALID, "<@%s> is deactivated; choose someone else.", id)
		}
		if u.IsBot || u.ID == a.botUserID {
			return "", incident.Errorf(incident.EINVALID, "<@%s> is a bot; incident roles need a person.", id)
		}
		return u.ID, nil
	}
	if name == "" {
		return "", incident.Errorf(incident.EINVALID, "Mention a person with @, e.g. `@alice`.")
	}
	users, err := a.api.GetUsersContext(ctx)
	if err != nil {
		return "", fmt.Errorf("list users: %w", err)
	}
	name = strings.TrimPrefix(strings.ToLower(name), "@")
	for _, u := range users {
		if !u.Deleted && (strings.ToLower(u.Name) == name || strings.ToLower(u.Profile.DisplayName) == name) {
			return u.ID, nil
		}
	}
	return "", incident.Errorf(incident.ENOTFOUND, "There is no user called @%s in this workspace.", views.Escape(name))
}
