package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// onSlash routes /incident: read-only commands are answered in the ack,
// forms are opened, and everything else becomes one request, checked,
// stored and acknowledged (see accept).
func (a *App) onSlash(ctx context.Context, sc slack.SlashCommand, env string, ack func(any)) {
	cmd, err := command.Parse(sc.Text)
	if err != nil {
		ack(ackError(err, ""))
		return
	}
	o := op{Actor: sc.UserID, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL, Via: viaCommand}
	keys := []string{env, "trigger:" + sc.TriggerID}
	switch cmd.Kind {
	case command.KindHelp:
		if cmd.Help != "" && cmd.Help != command.KindHelp {
			ack(ackText(command.Detail(cmd.Help) + "\nRun `/incident help` for every command."))
			return
		}
		ack(a.helpAck)
		return
	case command.KindList:
		ack(a.listReply(ctx, sc.UserID, sc.ChannelID, cmd.Page))
		return
	case command.KindStats:
		a.statsReply(ctx, sc, cmd, keys, ack)
		return
	case command.KindOncall:
		a.onOncallCommand(ctx, sc, cmd, keys, ack)
		return
	case command.KindDeclare:
		if cmd.Title == "" {
			a.openDeclareForm(ctx, sc, cmd, ack)
			return
		}
		// A title goes into announcements: one that would ping a channel is
		// refused as typed, rather than quietly defused.
		if err := incident.CheckTitle(cmd.Title); err != nil {
			ack(ackError(err, safeCommandText(cmd.Title)))
			return
		}
		o.Kind, o.Title, o.Severity, o.Private = opDeclare, safeCommandText(cmd.Title), cmd.Severity, cmd.Private
		o.triage(cmd)
		o.Service = strings.TrimSpace(cmd.Service)
		a.accept(ctx, o, keys, ack, ackFor(""))
		return
	case command.KindDrill:
		title := a.drillTitle(cmd)
		if err := incident.CheckTitle(title); err != nil {
			ack(ackError(err, safeCommandText(title)))
			return
		}
		o.Kind, o.Title, o.Drill, o.Playbook = opDeclare, safeCommandText(title), true, cmd.Playbook
		a.accept(ctx, o, keys, ack, ackFor(""))
		return
	case command.KindSubscribe, command.KindUnsubscribe:
		a.onSubscribe(ctx, sc, cmd, o, keys, ack)
		return
	}
	inc, err := a.commandTarget(ctx, cmd, sc)
	lost := safeCommandText(cmd.Text)
	if err != nil {
		a.fail("find the incident of a command", err)
		ack(ackError(err, lost))
		return
	}
	if inc == nil {
		ack(a.whichIncident(ctx, sc))
		return
	}
	o.Incident = inc.ID
	switch cmd.Kind {
	case command.KindTimeline:
		reply, err := a.timelineReply(ctx, inc, cmd.Page)
		if err != nil {
			a.fail("read the timeline", err, "incident_id", inc.ID)
			ack(ackError(err, ""))
			return
		}
		ack(reply)
		return
	case command.KindTasks:
		ack(ackBlocks(fmt.Sprintf("Action items of incident #%d", inc.ID), a.env().Tasks(inc, cmd.Page)))
		return
	case command.KindChecklist:
		ack(a.checklistReply(inc))
		return
	case command.KindUpdate:
		if cmd.Text == "" {
			a.openUpdateForm(ctx, inc, sc, ack)
			return
		}
		o.Kind, o.Text, o.Next, o.Status = opUpdate, safeCommandText(cmd.Text), cmd.Next, cmd.Status
		o.Publish = publishChoice(cmd.Publish)
	case command.KindSummary:
		a.openSummaryForm(ctx, inc, sc, ack)
		return
	case command.KindRole:
		role, err := a.policy.ParseRole(cmd.Role)
		if err != nil {
			ack(ackError(err, lost))
			return
		}
		cmd.Role = string(role)
		if cmd.Remove {
			o.Kind, o.Role, o.User, o.UserName = opUnassign, cmd.Role, cmd.User, cmd.UserName
			break
		}
		if a.handoffNeeded(inc, cmd) {
			a.openHandoffForm(ctx, inc, sc, cmd, ack)
			return
		}
		o.Kind, o.Role, o.User, o.UserName, o.Force = opRole, cmd.Role, cmd.User, cmd.UserName, cmd.Force
	case command.KindSeverity:
		o.Kind, o.Severity = opSeverity, cmd.Severity
	case command.KindStatus:
		o.Kind, o.Status = opStatus, cmd.Status
	case command.KindAccept:
		o.Kind = opAccept
	case command.KindNote:
		o.Kind, o.Text = opNote, safeCommandText(cmd.Text)
	case command.KindResolve:
		o.Kind, o.Text, o.Confirm = opResolve, safeCommandText(cmd.Text), cmd.Anyway
	case command.KindClose:
		o.Kind = opClose
	case command.KindCancel:
		o.Kind, o.Text = opCancel, safeCommandText(cmd.Text)
	case command.KindCause:
		if cmd.Text == "" && cmd.Category == "" && cmd.Deploy == "" {
			a.openCauseForm(ctx, inc, sc, ack)
			return
		}
		o.Kind, o.Text, o.Category, o.Deploy = opCause, safeCommandText(cmd.Text), cmd.Category, cmd.Deploy
	case command.KindService:
		o.Kind, o.Service = opService, cmd.Service
	case command.KindImpact:
		o.Kind, o.Text = opImpact, safeCommandText(cmd.Text)
		o.triage(cmd)
	case command.KindStepDone, command.KindStepUndo:
		o.Kind, o.Step, o.Done = opStep, cmd.Step, cmd.Kind == command.KindStepDone
	case command.KindTask:
		o.Kind, o.Text, o.User, o.UserName = opTask, safeCommandText(cmd.Text), cmd.User, cmd.UserName
	case command.KindTaskDone, command.KindTaskReopen:
		o.Kind, o.Task, o.Done = opTaskDone, cmd.TaskID, cmd.Kind == command.KindTaskDone
	case command.KindPostmortem:
		o.Kind = opPostmortem
	case command.KindSnooze:
		o.Kind = opSnooze
	default:
		ack(a.helpAck)
		return
	}
	if o.Status != "" {
		st, err := incident.ParseStatus(o.Status)
		if err != nil {
			ack(ackError(err, lost))
			return
		}
		o.Status = string(st)
	}
	a.accept(ctx, o, keys, ack, ackFor(lost))
}

// commandTarget finds the incident a command is about: the number given,
// else the war room the command was typed in; nil when neither. A private
// incident the person may not see does not exist for them.
func (a *App) commandTarget(ctx context.Context, cmd command.Command, sc slack.SlashCommand) (*incident.Incident, error) {
	if cmd.Incident != 0 {
		inc, err := a.store.FindIncidentByID(ctx, cmd.Incident)
		if err != nil {
			return nil, err
		}
		if err := a.policy.CheckCanSee(inc, sc.UserID, a.inWarRoom(ctx, inc, sc.UserID, sc.ChannelID)); err != nil {
			return nil, err
		}
		return inc, nil
	}
	inc, err := a.store.FindIncidentByChannel(ctx, sc.ChannelID)
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		return nil, nil
	}
	return inc, err
}

// whichIncident answers a command typed outside any war room without a
// number: with the open incidents to choose from.
func (a *App) whichIncident(ctx context.Context, sc slack.SlashCommand) map[string]any {
	incs, _, _, err := a.visibleOpen(ctx, sc.UserID, sc.ChannelID, 1)
	if err != nil {
		a.fail("list open incidents", err)
		return ackError(err, "")
	}
	if len(incs) == 0 {
		return ackBlocks("There is no open incident.", views.ErrorReply("There is no open incident. Declare one with `/incident declare TITLE`.", ""))
	}
	intro := fmt.Sprintf("Which incident? Run the command in its war room, or give its number: `/incident 42 %s`.", views.Escape(strings.TrimSpace(sc.Text)))
	return ackBlocks(intro, a.env().List(incs, intro))
}

// listPage is how many incidents one page of /incident list shows.
const listPage = 20

// visibleOpen returns page (from 1) of the open incidents user may see,
// newest first, and whether more follow. Private incidents show to their
// role holders and admins, and in their own war room. It reads only as far
// as the page needs. personal reports whether a private incident was
// weighed: if not, everyone would get the same page.
func (a *App) visibleOpen(ctx context.Context, user, channel string, page int) (incs []*incident.Incident, more, personal bool, err error) {
	if page < 1 {
		page = 1
	}
	skip := (page - 1) * listPage
	err = a.eachOpen(ctx, func(inc *incident.Incident) bool {
		if inc.Private {
			personal = true
		}
		if !a.policy.CanSee(inc, user, inc.ChannelID != "" && inc.ChannelID == channel) {
			return true
		}
		switch {
		case skip > 0:
			skip--
		case len(incs) == listPage:
			more = true
			return false
		default:
			incs = append(incs, inc)
		}
		return true
	})
	return incs, more, personal, err
}

// eachOpen calls fn with the open incidents, newest first, until it
// returns false, reading them a page at a time (the first from
// a.firstOpen). fn must not change them.
func (a *App) eachOpen(ctx context.Context, fn func(*incident.Incident) bool) error {
	incs, next, _, err := a.firstOpen(ctx)
	for {
		if err != nil {
			return err
		}
		for _, inc := range incs {
			if !fn(inc) {
				return nil
			}
		}
		if next == 0 {
			return nil
		}
		incs, next, err = a.store.FindIncidentsPage(ctx, incident.Filter{OpenOnly: true, Limit: listPage + 1}, next)
	}
}

// listReply answers /incident list, from a.lists when it can.
func (a *App) listReply(ctx context.Context, user, channel string, page int) any {
	if page < 1 {
		page = 1
	}
	version, now := a.store.Version(), a.now() // before reading anything
	if p, ok := a.lists.get(version, now, page, user, channel); ok {
		return p
	}
	incs, more, personal, err := a.visibleOpen(ctx, user, channel, page)
	var total int
	if err == nil {
		_, _, total, err = a.firstOpen(ctx)
	}
	if err != nil {
		a.fail("list open incidents", err)
		return ackError(err, "")
	}
	var reply map[string]any
	if len(incs) == 0 && page > 1 {
		reply = ackText(fmt.Sprintf("There is no page %d of open incidents: `/incident list` shows the first.", page))
	} else {
		// The whole list fits: its count is exact for this person. A
		// longer one gives the workspace's count, read without reading
		// every incident (private incidents count there, unnamed).
		head := fmt.Sprintf("*Open incidents (%d)*", (page-1)*listPage+len(incs))
		if page > 1 || more {
			head = fmt.Sprintf("*Open incidents*, page %d (%d open in the workspace, private ones included)", page, total)
		}
		blocks := a.env().List(incs, head)
		if more {
			blocks = append(blocks, views.Context(fmt.Sprintf("More: `/incident list --page %d`.", page+1)))
		}
		reply = ackBlocks(fmt.Sprintf("%d open incidents", total), blocks)
	}
	raw, err := json.Marshal(reply)
	if err != nil {
		a.fail("render the list of open incidents", err)
		return reply
	}
	if !personal {
		user, channel = "", ""
	}
	a.lists.put(version, listKey{page, user, channel}, listEntry{raw, listValidUntil(incs, now, a.loc)})
	return json.RawMessage(raw)
}

// formMeta is what a modal carries in its private_metadata: which
// incident, where the person opened it, and the response_url of the
// command, so that a form opened from a channel the bot is not in can
// still answer there.
type formMeta struct {
	Incident    int64  `json:"i,omitempty"`
	Channel     string `json:"c,omitempty"`
	ResponseURL string `json:"r,omitempty"`
	Role        string `json:"role,omitempty"`
	To          string `json:"to,omitempty"`
}

// openForm acknowledges, then opens a modal: views.open must use the
// trigger within 3 s, and the ack comes first.
func (a *App) openForm(ctx context.Context, trigger string, v slack.ModalViewRequest, ack func(any)) {
	ack(nil)
	if err := a.slack.OpenView(ctx, trigger, v); err != nil {
		a.log.Warn("open a form", "callback_id", v.CallbackID, "err", err)
	}
}

func (a *App) openDeclareForm(ctx context.Context, sc slack.SlashCommand, cmd command.Command, ack func(any)) {
	if cmd.Severity != "" {
		if _, err := a.policy.Severity(cmd.Severity); err != nil {
			ack(ackError(err, ""))
			return
		}
	}
	meta := encodeMeta(formMeta{Channel: sc.ChannelID, ResponseURL: sc.ResponseURL})
	f := a.declareForm(meta, sc.UserID, cmd.Type)
	f.Severity, f.Private, f.Service = cmd.Severity, cmd.Private, cmd.Service
	a.openForm(ctx, sc.TriggerID, a.env().DeclareModal(f), ack)
}

func (a *App) openUpdateForm(ctx context.Context, inc *incident.Incident, sc slack.SlashCommand, ack func(any)) {
	if err := inc.CheckOpen(); err != nil {
		ack(ackError(err, ""))
		return
	}
	if err := a.policy.CheckCanUpdate(inc, sc.UserID); err != nil {
		ack(ackError(err, ""))
		return
	}
	meta := encodeMeta(formMeta{Incident: inc.ID, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL})
	a.openForm(ctx, sc.TriggerID, a.updateModal(inc, meta), ack)
}

// handoffNeeded reports whether a role command must go through a handoff
// brief: the role is held by someone else and not forced.
func (a *App) handoffNeeded(inc *incident.Incident, cmd command.Command) bool {
	holder := a.policy.Incumbent(inc, mustRole(cmd.Role))
	return holder != "" && !cmd.Force && cmd.User != "" && holder != cmd.User
}

// mustRole reads a role name the command already checked against the
// policy.
func mustRole(s string) incident.Role {
	if r, err := incident.ParseRole(s); err == nil {
		return r
	}
	return incident.Role(s)
}

func (a *App) openHandoffForm(ctx context.Context, inc *incident.Incident, sc slack.SlashCommand, cmd command.Command, ack func(any)) {
	role := mustRole(cmd.Role)
	if err := a.policy.CheckCanHandOff(inc, sc.UserID, role); err != nil {
		ack(ackError(err, ""))
		return
	}
	// Before asking for a brief, make sure the person exists: a Tier 4
	// read, cached, bounded well inside the 3 s the trigger lives.
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	err := a.checkPerson(lctx, &call{}, cmd.User)
	cancel()
	if err != nil && incident.ErrorCode(err) != incident.EINTERNAL {
		ack(ackError(err, ""))
		return
	}
	meta := encodeMeta(formMeta{Incident: inc.ID, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL, Role: string(role), To: cmd.User})
	a.openForm(ctx, sc.TriggerID, a.env().HandoffModal(inc, role, cmd.User, meta), ack)
}
