// Package bot is incidentbot's Slack surface. Its router files (slash.go,
// interactions.go, events.go) turn each Socket Mode envelope into exactly
// one use-case call; the use cases (warroom.go, roles.go, updates.go,
// lifecycle.go, timeline.go, tasks.go, postmortem.go) apply the domain's
// rules in one store transaction that also records the Slack effects they
// cause; deliver.go performs those effects through the outbound client.
//
// A request that changes anything is stored (the inbox) before Slack is
// told it was received, and finished in the same transaction as its
// change; every effect is stored (the outbox) with the change that causes
// it. So a crash loses nothing that was acknowledged and posts nothing
// twice.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/metrics"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Options configure an App.
type Options struct {
	// Slack is the Web API client, with the bot token and, for Socket
	// Mode, the app-level token. Give it an http.Client with a timeout and
	// no retries of its own: retries belong to the outbound worker.
	Slack  *slack.Client
	Store  incident.Store
	Policy incident.Policy
	// AnnounceChannels are channel IDs where incidents are announced.
	AnnounceChannels []string
	// ChannelPrefix starts every war-room name (default "inc").
	ChannelPrefix string
	// TimelineReaction is the emoji that adds a message to the timeline
	// (default "pushpin").
	TimelineReaction string
	// Location is the team's time zone for rendering.
	Location *time.Location
	// Clock defaults to the real one.
	Clock  clock.Clock
	Logger *slog.Logger
	// Escalation is who is called when an update is badly overdue.
	Escalation EscalationTarget
	// Postmortem configures where drafts go besides Slack.
	Postmortem PostmortemOptions
	// ShutdownGrace is how long in-flight work may go on after shutdown
	// begins before its Slack calls are cancelled (default 8 s: docker stop
	// kills after 10 s).
	ShutdownGrace time.Duration
	// ConnectTimeout is how long Socket Mode may stay disconnected before
	// Run gives up, so that an orchestrator restarts the process (default
	// 2 minutes).
	ConnectTimeout time.Duration
	// CallTimeout bounds each Slack Web API call (default 10 s).
	CallTimeout time.Duration
	// AckDeadline is how long Slack waits for an envelope's ack before it
	// shows the user an error (default 3 s, Slack's): a slash command
	// stored later than that is not carried out (see lateCommand).
	AckDeadline time.Duration
	// Workers bounds the effects delivered at once (default 8);
	// InboxWorkers the requests processed at once (default 4).
	Workers      int
	InboxWorkers int
	// Instance names this database in the metadata of the bot's messages,
	// so that a retry recognises a message it already posted.
	Instance string
	// SocketOptions are extra options for the Socket Mode client (tests
	// raise the ping interval, for instance).
	SocketOptions []socketmode.Option
	// Public configures the status page, the reports site, stakeholders
	// and email (public.go).
	Public PublicOptions
	// NoPacing turns off the limiter that keeps Slack calls under Slack's
	// rate limits before they are made (429s are still honoured): for
	// tests and the demo, against a fake Slack that does not limit.
	NoPacing bool
	// Playbooks configures playbooks, incident types, contacts and drills
	// (playbooks.go).
	Playbooks PlaybookOptions
	// Metrics receives the bot's measurements (Slack calls, envelope acks,
	// reminders, the outbox); nil measures nothing.
	Metrics *metrics.Metrics
	// Oncall configures rotations, paging and handoffs (oncall.go).
	Oncall OncallOptions
}

// PostmortemOptions configure what happens with postmortem drafts.
type PostmortemOptions struct {
	// Dir, when set, receives each draft as a Markdown file.
	Dir string
	// GitCommit commits each file written to Dir when Dir is a git work tree.
	GitCommit bool
}

// EscalationTarget is who hears about an update that is badly late,
// besides the operator.
type EscalationTarget struct {
	UserGroup string   // a Slack user group ID (S…)
	Users     []string // user IDs
}

// App is the running bot.
type App struct {
	opt    Options
	store  incident.Store
	policy incident.Policy
	log    *slog.Logger
	clk    clock.Clock
	loc    *time.Location

	slack    *outbound.Client
	outbox   *outbound.Worker
	inbox    *inbox
	users    *directory
	members  *memberCache
	openHead openHead  // the first page of /incident list
	lists    listCache // its rendered replies
	oc       *oncallRuntime

	botUserID string
	botID     string
	// helpAck is the reply to /incident help, rendered once: it is the
	// command people run most when learning the tool.
	helpAck map[string]any

	ready     atomic.Bool
	connected chan struct{} // closed at the first connection
	connOnce  sync.Once
	changed   chan struct{} // signalled on every connection state change

	work   sync.WaitGroup // envelope handlers in flight, awaited at shutdown
	active atomic.Int64   // the same, counted, for Idle
}

// New returns an App; Run starts it.
func New(o Options) *App {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ChannelPrefix == "" {
		o.ChannelPrefix = "inc"
	}
	if o.TimelineReaction == "" {
		o.TimelineReaction = "pushpin"
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 8 * time.Second
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 2 * time.Minute
	}
	if o.AckDeadline <= 0 {
		o.AckDeadline = DefaultAckDeadline
	}
	a := &App{
		opt:       o,
		store:     o.Store,
		policy:    o.Policy,
		log:       o.Logger,
		clk:       o.Clock,
		loc:       o.Location,
		helpAck:   ackText(command.HelpText()),
		connected: make(chan struct{}),
		changed:   make(chan struct{}, 1),
	}
	a.slack = outbound.New(o.Slack, outbound.Options{Clock: o.Clock, Timeout: o.CallTimeout, Instance: o.Instance, NoPacing: o.NoPacing, Logger: o.Logger.With("component", "slack"),
		Observe: o.Metrics.SlackCall})
	a.outbox = outbound.NewWorker(outbound.WorkerOptions{
		Store: o.Store, Deliverer: a, Clock: o.Clock, Workers: o.Workers, Grace: o.ShutdownGrace, Logger: o.Logger.With("component", "outbox"),
	})
	o.Metrics.SetOutboxDepth(a.outbox.Pending)
	a.inbox = newInbox(a, o.InboxWorkers)
	a.users = newDirectory(a.slack, o.Clock)
	a.members = newMemberCache(a.slack, o.Clock)
	a.oc = newOncall(o)
	if a.opt.Playbooks.OnCall == nil && a.oc.configured() {
		a.opt.Playbooks.OnCall = a.playbookOnCall // issue 13: a playbook's rotations
	}
	return a
}

// now reads the clock, in UTC.
func (a *App) now() time.Time { return a.clk.Now().UTC() }

func (a *App) env() views.Env {
	return views.Env{Policy: a.policy, Location: a.loc, Now: a.now()}
}

// Connected is closed once the first Socket Mode connection is up.
func (a *App) Connected() <-chan struct{} { return a.connected }

// Ready reports whether the bot is connected to Slack right now.
func (a *App) Ready() bool { return a.ready.Load() }

// Idle reports whether no envelope, request or effect is in progress or
// queued. The demo and tests use it to let Slack effects land.
func (a *App) Idle() bool {
	return a.active.Load() == 0 && a.inbox.pending() == 0 && a.outbox.Pending() == 0
}

// WaitIdle waits until Idle, or ctx ends.
func (a *App) WaitIdle(ctx context.Context) error {
	for !a.Idle() {
		if err := a.inbox.waitIdle(ctx); err != nil {
			return err
		}
		if err := a.outbox.WaitIdle(ctx); err != nil {
			return err
		}
		if a.active.Load() > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
	}
	return nil
}

// Busy describes the work queued or in progress, for diagnostics.
func (a *App) Busy() []string {
	out := []string{fmt.Sprintf("%d envelopes, %d requests", a.active.Load(), a.inbox.pending())}
	return append(out, a.outbox.Describe()...)
}

// ErrConnectTimeout is returned by Run when Socket Mode stays disconnected
// longer than Options.ConnectTimeout.
var ErrConnectTimeout = errors.New("no Socket Mode connection to Slack")

// Run connects to Slack over Socket Mode and serves until ctx is done: it
// replays the inbox, delivers the outbox and handles envelopes. On
// shutdown, work in progress gets ShutdownGrace to finish; what remains
// stays stored for the next start.
func (a *App) Run(ctx context.Context) error {
	auth, err := a.slack.AuthTest(ctx)
	if err != nil {
		return fmt.Errorf("check the bot token with auth.test: %w", err)
	}
	a.botUserID, a.botID = auth.UserID, auth.BotID
	a.log.Info("authenticated with Slack", "team", auth.Team, "bot_user_id", auth.UserID)
	a.startOncall(ctx)

	// Work outlives the shutdown signal by the grace period, to finish
	// what it started.
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer wcancel()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(a.opt.ShutdownGrace, wcancel)
		context.AfterFunc(wctx, func() { t.Stop() })
	})
	defer stopGrace()

	var bg sync.WaitGroup
	outboxCtx, stopOutbox := context.WithCancel(ctx)
	defer stopOutbox()
	outboxDone := make(chan struct{})
	bg.Go(func() {
		defer close(outboxDone)
		if err := a.outbox.Run(outboxCtx); err != nil {
			a.log.Error("outbox stopped", "err", err)
		}
	})
	if err := a.inbox.start(wctx); err != nil {
		return fmt.Errorf("replay the inbox: %w", err)
	}

	sm := socketmode.New(a.opt.Slack, a.opt.SocketOptions...)
	loopCtx, cancelLoop := context.WithCancel(ctx)
	defer cancelLoop()
	loopDone := make(chan struct{})
	bg.Go(func() {
		defer close(loopDone)
		a.loop(loopCtx, sm, wctx)
	})
	watchErr := make(chan error, 1)
	bg.Go(func() { watchErr <- a.watchConnection(loopCtx) })

	runErr := make(chan error, 1)
	go func() { runErr <- sm.RunContext(loopCtx) }()
	select {
	case err = <-runErr:
		cancelLoop()
	case err = <-watchErr:
		cancelLoop()
		if rerr := <-runErr; err == nil {
			err = rerr
		}
	}
	a.ready.Store(false)
	// No envelope is dispatched once the loop is over: only then may the
	// handlers be awaited.
	<-loopDone
	a.work.Wait()
	// Every acknowledged request is stored: those in progress finish within
	// the grace period, the rest wait for the next start. The outbox then
	// stops starting deliveries and lets those in progress finish.
	a.inbox.stop()
	stopOutbox()
	<-outboxDone
	wcancel()
	bg.Wait()
	if err == nil || (errors.Is(err, context.Canceled) && ctx.Err() != nil) {
		return nil
	}
	return err
}

// watchConnection ends Run when Socket Mode stays disconnected longer than
// ConnectTimeout.
func (a *App) watchConnection(ctx context.Context) error {
	for {
		if a.ready.Load() {
			select {
			case <-ctx.Done():
				return nil
			case <-a.changed:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.changed:
		case <-a.clk.After(a.opt.ConnectTimeout):
			if !a.ready.Load() {
				return fmt.Errorf("%w for %s; exiting so that the supervisor restarts incidentbot (slack.connect_timeout sets how long to wait)", ErrConnectTimeout, a.opt.ConnectTimeout)
			}
		}
	}
}

func (a *App) setReady(ok bool) {
	a.ready.Store(ok)
	select {
	case a.changed <- struct{}{}:
	default:
	}
}

// loop reads Socket Mode events until ctx ends. hctx is the handlers'
// context: it ends a grace period after shutdown begins.
func (a *App) loop(ctx context.Context, sm *socketmode.Client, hctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-sm.Events:
			if !ok {
				return
			}
			a.dispatch(hctx, sm, evt)
		}
	}
}

// fail logs an internal error once, where it is handled.
func (a *App) fail(msg string, err error, attrs ...any) {
	if incident.ErrorCode(err) == incident.EINTERNAL {
		a.log.Error(msg, append(attrs, "err", err)...)
	}
}
