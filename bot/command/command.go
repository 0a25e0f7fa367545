// Package command parses the text of the /incident slash command into a
// Command. It is the only place that knows the command grammar; the bot
// decides what each Command does.
//
// Slack sends the text with should_escape set: mentions arrive as
// <@U123|alice> or <@U123>, and &, <, > typed by people as &amp;, &lt;, &gt;.
// Parse keeps free text exactly as sent (still escaped) and never echoes
// anything that could ping in its error messages.
package command

import (
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Kind names a subcommand.
type Kind string

// The subcommands.
const (
	KindDeclare    Kind = "declare"
	KindSeverity   Kind = "severity"
	KindStatus     Kind = "status"
	KindRole       Kind = "role"
	KindAccept     Kind = "accept"
	KindUpdate     Kind = "update"
	KindNote       Kind = "note"
	KindTimeline   Kind = "timeline"
	KindList       Kind = "list"
	KindResolve    Kind = "resolve"
	KindClose      Kind = "close"
	KindHelp       Kind = "help"
	KindCause      Kind = "cause"
	KindImpact     Kind = "impact"
	KindTask       Kind = "task"
	KindTasks      Kind = "tasks"
	KindTaskDone   Kind = "task_done"
	KindTaskReopen Kind = "task_reopen"
	KindPostmortem Kind = "postmortem"
	KindSnooze     Kind = "snooze"
	KindCancel     Kind = "cancel"
	// Public communication (public.go).
	KindSummary     Kind = "summary"
	KindSubscribe   Kind = "subscribe"
	KindUnsubscribe Kind = "unsubscribe"
	// Issue 12: drills and checklists.
	KindDrill     Kind = "drill"
	KindChecklist Kind = "checklist"
	KindStepDone  Kind = "step_done"
	KindStepUndo  Kind = "step_undo"
	// On call (oncall.go).
	KindOncall Kind = "oncall"
)

// Command is a parsed /incident command. Only the fields that its Kind uses
// are set.
type Command struct {
	Kind Kind
	// Incident is the number given before the subcommand ("42 sev major" or
	// "#42 sev major"); 0 means the incident of the current channel.
	Incident int64
	Title    string // declare: words joined by single spaces; "" opens the form
	Severity string // declare --sev, severity: one plain word, as typed
	Private  bool   // declare --private or --security
	// Status is a status word as typed (status, update --status); Parse has
	// checked that incident.ParseStatus accepts it.
	Status string
	// Role is the role word as typed; Parse has checked that
	// incident.ParseRole accepts it.
	Role string
	// User is the Slack ID of a mentioned user (role, task owner).
	User string
	// UserName is a plain "@name" the client did not escape, without the @;
	// the bot resolves it. At most one of User and UserName is set.
	UserName string
	// Text is the free text (note, update, resolve, cause, impact, task),
	// exactly as sent, still Slack-escaped, trimmed of surrounding space.
	Text  string
	Next  time.Duration // update --next; 0 means the severity's cadence
	Force bool          // role --force
	// TaskID is the action item of task_done and task_reopen.
	TaskID int
	// Help is the subcommand asked about by "/incident help SUBCOMMAND".
	Help Kind
	// Page is the page asked for by timeline, list and tasks (--page N);
	// 0 means the first.
	Page int
	// Publish is update's --public or --internal; PublishDefault when
	// neither was given.
	Publish Publish
	// Tier is subscribe's --tier, as typed; All is "all" given to
	// subscribe or unsubscribe.
	Tier string
	All  bool

	// Issue 12. Type is declare --type. Experience is what users
	// experience, as typed (declare and impact --users); Parse has checked
	// that incident.ParseExperience accepts it. Security is set by declare
	// --security and impact --security, or cleared by impact
	// --no-security, when SecuritySet. Loss is the money lost per hour
	// (declare and impact --loss) when LossSet. Playbook is drill
	// --playbook. Anyway is resolve --anyway. Remove is role --remove.
	// Step is the checklist step of checklist done and checklist undo.
	Type        string
	Experience  string
	Security    bool
	SecuritySet bool
	Loss        int64
	LossSet     bool
	Playbook    string
	Anyway      bool
	Remove      bool
	Step        int
	// Service is the service of declare --service, service and stats
	// --service, as typed (checked by incident.CheckService).
	Service string
	// Category and Deploy are cause's --category (a category name) and
	// --deploy (a deploy's version or ID, as typed).
	Category string
	Deploy   string
	// Since is stats --since as typed; ParseSince accepts it. Chart is
	// stats --chart; Drills is stats --drills.
	Since  string
	Chart  bool
	Drills bool
	// Oncall holds the arguments of /incident oncall.
	Oncall OncallArgs
}

// kinds lists every Kind in the order help shows them, with its aliases.
// The first alias is the one usage and suggestions show.
var kinds = []struct {
	kind    Kind
	aliases []string
}{
	{KindDeclare, []string{"declare", "new", "open", "start", "create"}},
	{KindSeverity, []string{"sev", "severity"}},
	{KindStatus, []string{"status", "st"}},
	{KindRole, []string{"role", "assign"}},
	{KindAccept, []string{"accept"}},
	{KindUpdate, []string{"update", "up"}},
	{KindNote, []string{"note", "log"}},
	{KindTimeline, []string{"timeline", "tl"}},
	{KindList, []string{"list", "ls"}},
	{KindResolve, []string{"resolve", "resolved", "fixed"}},
	{KindClose, []string{"close", "closed"}},
	{KindCause, []string{"cause", "rootcause", "root-cause"}},
	{KindImpact, []string{"impact"}},
	{KindTask, []string{"task", "todo", "action"}},
	{KindTasks, []string{"tasks", "todos", "actions"}},
	{KindTaskDone, []string{"done"}},
	{KindTaskReopen, nil}, // only "task reopen N"
	{KindPostmortem, []string{"postmortem", "pm", "report"}},
	{KindSnooze, []string{"snooze"}},
	{KindCancel, []string{"cancel", "mistake"}},
	{KindSummary, []string{"summary", "customer-summary"}},
	{KindSubscribe, []string{"subscribe", "follow"}},
	{KindUnsubscribe, []string{"unsubscribe", "unfollow"}},
	{KindDrill, []string{"drill", "practice"}},
	{KindChecklist, []string{"checklist", "cl", "steps"}},
	{KindStepDone, nil}, // only "checklist done N"
	{KindStepUndo, nil}, // only "checklist undo N"
	{KindService, []string{"service", "svc"}},
	{KindStats, []string{"stats", "metrics", "statistics"}},
	{KindOncall, []string{"oncall", "on-call", "oc"}},
	{KindHelp, []string{"help", "h", "?", "-h", "--help"}},
}

// lookup maps every alias to its Kind.
var lookup = func() map[string]Kind {
	m := make(map[string]Kind)
	for _, k := range kinds {
		for _, a := range k.aliases {
			m[a] = k.kind
		}
	}
	return m
}()

// Parse reads the text after "/incident". Every error is an
// *incident.Error with code EINVALID whose message says what was wrong and
// shows the right usage.
func Parse(text string) (Command, error) {
	p := &parser{in: text, toks: tokenize(text)}
	return p.parse()
}

type parser struct {
	in   string
	toks []token
}

func (p *parser) parse() (Command, error) {
	var cmd Command
	toks := p.toks
	for len(toks) > 0 && looksLikeNumber(toks[0].s) {
		if cmd.Incident != 0 {
			return Command{}, invalid("Give one incident number, not two (%s and %s). Example: `/incident 42 sev major`.",
				echo("#"+formatInt(cmd.Incident)), echo(toks[0].s))
		}
		n, err := parseIncidentNumber(toks[0].s)
		if err != nil {
			return Command{}, err
		}
		cmd.Incident = n
		toks = toks[1:]
	}
	if len(toks) == 0 {
		if cmd.Incident != 0 {
			return Command{}, invalid("Say what to do with incident #%d, e.g. `/incident %d status monitoring`. Run `/incident help` for the list.",
				cmd.Incident, cmd.Incident)
		}
		cmd.Kind = KindDeclare
		return cmd, nil
	}
	word := toks[0].s
	kind, ok := lookup[strings.ToLower(normalizeDash(word))]
	if !ok {
		return Command{}, unknownSubcommand(word)
	}
	cmd.Kind = kind
	args := toks[1:]
	if cmd.Incident != 0 && (kind == KindDeclare || kind == KindList || kind == KindHelp || kind == KindDrill || kind == KindStats || kind == KindOncall) {
		return Command{}, invalid("`/incident %s` does not take an incident number. Usage: %s", aliasOf(kind), Usage(kind))
	}

	var err error
	switch kind {
	case KindDeclare:
		err = p.declare(&cmd, args)
	case KindSeverity:
		err = p.severity(&cmd, args)
	case KindStatus:
		err = p.status(&cmd, args)
	case KindRole:
		err = p.role(&cmd, args)
	case KindUpdate:
		err = p.update(&cmd, args)
	case KindCause:
		err = p.cause(&cmd, args)
	case KindService:
		err = p.service(&cmd, args)
	case KindStats:
		err = p.stats(&cmd, args)
	case KindNote:
		cmd.Text = p.span(args)
		if cmd.Text == "" {
			err = invalid("Missing text. Usage: %s", Usage(kind))
		}
	case KindImpact:
		err = p.impact(&cmd, args)
	case KindResolve:
		err = p.resolve(&cmd, args)
	case KindDrill:
		err = p.drill(&cmd, args)
	case KindChecklist:
		err = p.checklist(&cmd, args)
	case KindCancel:
		cmd.Text = p.span(args)
	case KindTimeline, KindList, KindTasks:
		cmd.Page, err = parsePage(kind, args)
	case KindTask:
		err = p.task(&cmd, args)
	case KindTaskDone:
		cmd.TaskID, err = parseTaskID(kind, args)
	case KindHelp:
		err = p.help(&cmd, args)
	case KindSubscribe, KindUnsubscribe:
		err = p.subscribe(&cmd, args)
	case KindOncall:
		err = p.oncall(&cmd, args)
	default: // accept, close, postmortem, snooze
		err = noArgs(kind, args)
	}
	if err != nil {
		return Command{}, err
	}
	return cmd, nil
}

// span returns the input from the first to the last of toks, exactly as
// sent; "" when toks is empty.
func (p *parser) span(toks []token) string {
	if len(toks) == 0 {
		return ""
	}
	return p.in[toks[0].start:toks[len(toks)-1].end]
}

func invalid(format string, args ...any) error {
	return incident.Errorf(incident.EINVALID, format, args...)
}

// aliasOf returns the alias that usage shows for k.
func aliasOf(k Kind) string {
	for _, e := range kinds {
		if e.kind == k && len(e.aliases) > 0 {
			return e.aliases[0]
		}
	}
	switch k {
	case KindTaskReopen:
		return "task reopen"
	case KindStepDone:
		return "checklist done"
	case KindStepUndo:
		return "checklist undo"
	}
	return string(k)
}
