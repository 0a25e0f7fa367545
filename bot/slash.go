package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

// handleSlash serves /incident. It acks at once (with an error or a
// "working on it" line when that needs no I/O), then does the work and
// answers through the response_url.
func (a *App) handleSlash(ctx context.Context, sc slack.SlashCommand, ack func(any)) {
	r := replier{a: a, user: sc.UserID, channel: sc.ChannelID, responseURL: sc.ResponseURL}
	cmd, err := command.Parse(sc.Text)
	if err != nil {
		ack(ackError(err, ""))
		return
	}
	switch cmd.Kind {
	case command.KindHelp:
		if cmd.Help != "" && cmd.Help != command.KindHelp {
			ack(ackText(command.Usage(cmd.Help) + "\nRun `/incident help` for every command."))
			return
		}
		ack(a.helpAck)
		return
	case command.KindDeclare:
		if cmd.Title == "" {
			ack(nil)
			a.openDeclareModal(ctx, sc, r, cmd.Severity, cmd.Private)
			return
		}
		if err := incident.CheckTitle(cmd.Title); err != nil {
			ack(ackError(err, ""))
			return
		}
		ack(ackText(":hourglass_flowing_sand: Declaring the incident…"))
		a.declare(ctx, r, incident.DeclareRequest{
			Title:      safeCommandText(cmd.Title),
			Severity:   cmd.Severity,
			Private:    cmd.Private,
			DeclaredBy: sc.UserID,
		})
		return
	case command.KindList:
		ack(nil)
		a.list(ctx, r)
		return
	}
	ack(nil)
	inc, err := a.target(ctx, cmd, sc)
	if err != nil {
		r.err(ctx, err, lostText(cmd))
		return
	}
	if inc == nil {
		incs, err := a.visibleOpen(ctx, sc.UserID)
		if err != nil {
			r.err(ctx, err, lostText(cmd))
			return
		}
		intro := fmt.Sprintf("Which incident? Run the command in its war room, or give its number: `/incident 42 %s`.", strings.TrimSpace(sc.Text))
		if len(incs) == 0 {
			r.blocks(ctx, "There is no open incident.", views.ErrorReply("There is no open incident. Declare one with `/incident declare TITLE`.", lostText(cmd)))
			return
		}
		r.blocks(ctx, intro, a.env().List(incs, views.Escape(intro)))
		return
	}
	a.run(ctx, r, sc.TriggerID, inc, cmd)
}

// lostText is the user's free text in a command, shown back on refusal.
func lostText(cmd command.Command) string {
	return cmd.Text
}

// safeCommandText neutralises broadcasts and disguised links in text typed
// in a slash command.
func safeCommandText(s string) string {
	out, _ := views.FromCommand(strings.TrimSpace(s))
	return out
}

// target finds the incident a command is about: the number given, else the
// war room the command was typed in. It returns nil, nil when neither.
func (a *App) target(ctx context.Context, cmd command.Command, sc slack.SlashCommand) (*incident.Incident, error) {
	if cmd.Incident != 0 {
		inc, err := a.store.FindIncidentByID(ctx, cmd.Incident)
		if err != nil {
			return nil, err
		}
		if !a.canSee(inc, sc.UserID, sc.ChannelID) {
			return nil, incident.Errorf(incident.ENOTFOUND, "Incident #%d does not exist.", cmd.Incident)
		}
		return inc, nil
	}
	inc, err := a.store.FindIncidentByChannel(ctx, sc.ChannelID)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil, nil
	}
	return inc, err
}

// canSee keeps private incidents private: outside its war room, only its
// role holders and admins know it exists.
func (a *App) canSee(inc *incident.Incident, user, channel string) bool {
	if !inc.Private || (channel != "" && channel == inc.ChannelID) {
		return true
	}
	return user == inc.Operator || user == inc.Spokesperson || user == inc.DeclaredBy || a.policy.IsAdmin(user)
}

func (a *App) visibleOpen(ctx context.Context, user string) ([]*incident.Incident, error) {
	incs, err := a.store.FindIncidents(ctx, incident.Filter{OpenOnly: true})
	if err != nil {
		return nil, err
	}
	out := incs[:0]
	for _, inc := range incs {
		if inc.Status.Open() && a.canSee(inc, user, "") {
			out = append(out, inc)
		}
	}
	return out, nil
}

func (a *App) list(ctx context.Context, r replier) {
	incs, err := a.visibleOpen(ctx, r.user)
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	r.blocks(ctx, fmt.Sprintf("%d open incidents", len(incs)), a.env().List(incs, fmt.Sprintf("*Open incidents (%d)*", len(incs))))
}

// run executes a command about inc.
func (a *App) run(ctx context.Context, r replier, triggerID string, inc *incident.Incident, cmd command.Command) {
	now := a.now()
	p := a.policy
	var change func(*incident.Incident) ([]incident.Event, error)
	// after tells people about the change; every command that reaches the
	// shared store update below sets it.
	var after func(*incident.Incident, []incident.Event)
	switch cmd.Kind {
	case command.KindSeverity:
		change = func(i *incident.Incident) ([]incident.Event, error) {
			return i.SetSeverity(p, r.user, cmd.Severity, now)
		}
		after = func(i *incident.Incident, evs []incident.Event) { a.announceChange(ctx, i, evs) }
	case command.KindStatus:
		st, err := incident.ParseStatus(cmd.Status)
		if err != nil {
			r.err(ctx, err, "")
			return
		}
		if st == incident.StatusClosed {
			a.closeIncident(ctx, r, inc.ID)
			return
		}
		change = func(i *incident.Incident) ([]incident.Event, error) { return i.SetStatus(p, r.user, st, now) }
		after = func(i *incident.Incident, evs []incident.Event) { a.announceChange(ctx, i, evs) }
	case command.KindRole:
		role, err := incident.ParseRole(cmd.Role)
		if err != nil {
			r.err(ctx, err, "")
			return
		}
		user, err := a.resolveUser(ctx, cmd.User, cmd.UserName)
		if err != nil {
			r.err(ctx, err, "")
			return
		}
		a.requestRole(ctx, r, triggerID, inc, role, user, cmd.Force)
		return
	case command.KindAccept:
		a.acceptHandoff(ctx, r, inc.ID)
		return
	case command.KindUpdate:
		if cmd.Text == "" {
			if !p.CanUpdate(inc, r.user) {
				r.err(ctx, incident.Errorf(incident.EUNAUTHORIZED, "Only the spokesperson, the operator or an incidentbot admin can post status updates."), "")
				return
			}
			if err := a.openView(ctx, triggerID, a.env().UpdateModal(inc, "")); err != nil {
				r.err(ctx, err, "")
			}
			return
		}
		var status incident.Status
		if cmd.Status != "" {
			st, err := incident.ParseStatus(cmd.Status)
			if err != nil {
				r.err(ctx, err, cmd.Text)
				return
			}
			status = st
		}
		a.postUpdate(ctx, r, inc.ID, incident.Update{Status: status, Text: safeCommandText(cmd.Text), Next: cmd.Next}, cmd.Text)
		return
	case command.KindNote:
		change = func(i *incident.Incident) ([]incident.Event, error) {
			return i.AddNote(p, r.user, safeCommandText(cmd.Text), now)
		}
		after = func(i *incident.Incident, evs []incident.Event) {
			r.text(ctx, fmt.Sprintf(":memo: Added to the timeline of incident #%d.", i.ID))
		}
	case command.KindTimeline:
		a.showTimeline(ctx, r, inc)
		return
	case command.KindResolve:
		change = func(i *incident.Incident) ([]incident.Event, error) {
			return i.Resolve(p, r.user, safeCommandText(cmd.Text), now)
		}
		after = func(i *incident.Incident, evs []incident.Event) { a.announceChange(ctx, i, evs) }
	case command.KindClose:
		a.closeIncident(ctx, r, inc.ID)
		return
	case command.KindCause:
		change = func(i *incident.Incident) ([]incident.Event, error) {
			return i.SetCause(p, r.user, safeCommandText(cmd.Text), now)
		}
		after = func(i *incident.Incident, evs []incident.Event) {
			r.text(ctx, fmt.Sprintf(":mag: Root cause of incident #%d recorded; it goes into the postmortem.", i.ID))
		}
	case command.KindImpact:
		change = func(i *incident.Incident) ([]incident.Event, error) {
			return i.SetImpact(p, r.user, safeCommandText(cmd.Text), now)
		}
		after = func(i *incident.Incident, evs []incident.Event) {
			r.text(ctx, fmt.Sprintf(":busts_in_silhouette: Impact of incident #%d recorded.", i.ID))
		}
	case command.KindTask:
		owner, err := a.resolveUser(ctx, cmd.User, cmd.UserName)
		if err != nil && cmd.User+cmd.UserName != "" {
			r.err(ctx, err, cmd.Text)
			return
		}
		a.addTask(ctx, r, inc.ID, safeCommandText(cmd.Text), owner)
		return
	case command.KindTasks:
		r.blocks(ctx, fmt.Sprintf("Action items of incident #%d", inc.ID), a.env().Tasks(inc))
		return
	case command.KindTaskDone, command.KindTaskReopen:
		a.setTaskDone(ctx, r, inc.ID, cmd.TaskID, cmd.Kind == command.KindTaskDone)
		return
	case command.KindPostmortem:
		a.postmortem(ctx, r, inc)
		return
	case command.KindSnooze:
		a.snooze(ctx, r, inc.ID)
		return
	default:
		r.text(ctx, command.HelpText())
		return
	}
	inc, evs, err := a.store.UpdateIncident(ctx, inc.ID, change)
	if err != nil {
		r.err(ctx, err, lostText(cmd))
		return
	}
	a.refresh(ctx, inc.ID)
	after(inc, evs)
}
