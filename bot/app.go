// Package bot is incidentbot's Slack surface: it receives slash commands,
// button clicks, modal submissions and events over Socket Mode, calls the
// incident domain, and renders the results in Slack.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/incidentbot/incidentbot/bot/command"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Options configure an App.
type Options struct {
	// Slack is the Web API client, with the bot token and, for Socket
	// Mode, the app-level token.
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
	// Now is the clock; it defaults to time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Escalation is who is called when an update is badly overdue.
	Escalation EscalationTarget
	// Postmortem configures where drafts go besides Slack.
	Postmortem PostmortemOptions
	// UserName renders a user ID for documents outside Slack (the
	// postmortem); nil renders the ID itself.
	UserName func(id string) string
	// ShutdownGrace is how long in-flight work may go on after shutdown
	// begins (default 20 s) before its Slack calls are cancelled.
	ShutdownGrace time.Duration
	// SocketOptions are extra options for the Socket Mode client (tests
	// raise the ping interval, for instance).
	SocketOptions []socketmode.Option
}

// PostmortemOptions configure what happens with postmortem drafts.
type PostmortemOptions struct {
	// Dir, when set, receives each draft as a Markdown file.
	Dir string
	// GitCommit commits each file written to Dir when Dir is a git work tree.
	GitCommit bool
}

// App is the running bot.
type App struct {
	opt    Options
	api    *slack.Client
	store  incident.Store
	policy incident.Policy
	log    *slog.Logger
	now    func() time.Time
	loc    *time.Location

	botUserID string
	botID     string
	// helpAck is the reply to /incident help, rendered once: it is the
	// command people run most when learning the tool.
	helpAck map[string]any

	work   sync.WaitGroup // in-flight handlers, awaited at shutdown
	active atomic.Int64   // the same, counted, for Idle

	mu         sync.Mutex
	refreshMus keyedMutex[int64]  // one card refresh at a time per incident
	channelMus keyedMutex[string] // one post at a time per channel
	setupMus   keyedMutex[int64]  // one war-room setup at a time per incident
	topics     map[int64]string
	connected  chan struct{}
	connOnce   sync.Once
}

// New returns an App; Run starts it.
func New(o Options) *App {
	if o.Now == nil {
		o.Now = time.Now
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
	return &App{
		opt:       o,
		api:       o.Slack,
		store:     o.Store,
		policy:    o.Policy,
		log:       o.Logger,
		now:       func() time.Time { return o.Now().UTC() },
		loc:       o.Location,
		topics:    map[int64]string{},
		helpAck:   ackText(command.HelpText()),
		connected: make(chan struct{}),
	}
}

// Connected is closed once the first Socket Mode connection is up.
func (a *App) Connected() <-chan struct{} { return a.connected }

func (a *App) env() views.Env {
	return views.Env{Policy: a.policy, Location: a.loc, Now: a.now()}
}

// Run connects to Slack over Socket Mode and serves until ctx is done.
// It then waits for in-flight handlers to finish before returning.
func (a *App) Run(ctx context.Context) error {
	auth, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("check the bot token with auth.test: %w", err)
	}
	a.botUserID, a.botID = auth.UserID, auth.BotID
	a.log.Info("authenticated with Slack", "team", auth.Team, "bot_user_id", auth.UserID)

	sm := socketmode.New(a.api, a.opt.SocketOptions...)
	// Once connected, finish any war room a crash or a Slack outage left
	// half built.
	a.work.Add(1)
	go func() {
		defer a.work.Done()
		select {
		case <-a.connected:
			a.ResumeWarRooms(ctx)
		case <-ctx.Done():
		}
	}()
	// Handlers outlive the envelope and the shutdown signal, to finish the
	// work they started, but not by more than ShutdownGrace.
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	grace := a.opt.ShutdownGrace
	if grace <= 0 {
		grace = 20 * time.Second
	}
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(grace, hcancel)
		context.AfterFunc(hctx, func() { t.Stop() })
	})
	defer stopGrace()
	loopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		a.loop(loopCtx, sm, hctx)
	}()
	err = sm.RunContext(ctx)
	cancel()
	<-loopDone
	a.work.Wait()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

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

// acker acknowledges one envelope, once.
type acker struct {
	once sync.Once
	sm   *socketmode.Client
	req  *socketmode.Request
	log  *slog.Logger
}

func (k *acker) ack(payload any) {
	k.once.Do(func() {
		if k.req == nil || k.req.EnvelopeID == "" {
			return
		}
		var err error
		if payload == nil {
			err = k.sm.Ack(*k.req)
		} else {
			err = k.sm.Ack(*k.req, payload)
		}
		if err != nil {
			k.log.Error("ack envelope", "envelope_id", k.req.EnvelopeID, "err", err)
		}
	})
}

// dispatch acks and routes one Socket Mode event. ctx is the handlers'
// context: it ends a grace period after shutdown begins.
func (a *App) dispatch(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.log.Info("connected to Slack over Socket Mode")
		a.connOnce.Do(func() { close(a.connected) })
		return
	case socketmode.EventTypeConnecting:
		a.log.Debug("connecting to Slack")
		return
	case socketmode.EventTypeConnectionError:
		a.log.Warn("Socket Mode connection error; retrying", "err", evt.Data)
		return
	case socketmode.EventTypeHello, socketmode.EventTypeDisconnect:
		return
	case socketmode.EventTypeErrorBadMessage:
		// An event slack-go cannot parse still has an envelope that must be
		// acked, or Slack redelivers it for ever.
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
				k := &acker{sm: sm, req: &socketmode.Request{EnvelopeID: env.EnvelopeID}, log: a.log}
				k.ack(nil)
			}
		}
		return
	case socketmode.EventTypeIncomingError, socketmode.EventTypeInvalidAuth:
		a.log.Warn("Socket Mode error", "type", evt.Type, "err", evt.Data)
		return
	}
	if evt.Request == nil {
		return
	}
	k := &acker{sm: sm, req: evt.Request, log: a.log}
	a.work.Add(1)
	a.active.Add(1)
	go func() {
		defer a.work.Done()
		defer a.active.Add(-1)
		defer k.ack(nil) // whatever happens, the envelope is acked
		defer func() {
			if r := recover(); r != nil {
				a.log.Error("handler panicked", "type", evt.Type, "panic", r)
			}
		}()
		hctx := ctx
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			cmd, ok := evt.Data.(slack.SlashCommand)
			if !ok {
				return
			}
			a.handleSlash(hctx, cmd, k.ack)
		case socketmode.EventTypeInteractive:
			cb, ok := evt.Data.(slack.InteractionCallback)
			if !ok {
				return
			}
			a.handleInteraction(hctx, cb, k.ack)
		case socketmode.EventTypeEventsAPI:
			k.ack(nil)
			a.handleEventsAPI(hctx, evt)
		default:
			k.ack(nil)
		}
	}()
}

// fail logs an internal error once, where it is handled.
func (a *App) fail(msg string, err error, attrs ...any) {
	if incident.ErrorCode(err) == incident.EINTERNAL {
		a.log.Error(msg, append(attrs, "err", err)...)
	}
}

// Ready reports whether the bot has connected to Slack.
func (a *App) Ready() bool {
	select {
	case <-a.connected:
		return true
	default:
		return false
	}
}

// keyedMutex hands out one mutex per key.
type keyedMutex[K comparable] struct {
	mu sync.Mutex
	m  map[K]*sync.Mutex
}

func (k *keyedMutex[K]) get(key K) *sync.Mutex {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[K]*sync.Mutex{}
	}
	m, ok := k.m[key]
	if !ok {
		m = &sync.Mutex{}
		k.m[key] = m
	}
	return m
}

// Idle reports whether no envelope is being handled. The demo uses it to
// let each step's Slack effects land before the story moves on.
func (a *App) Idle() bool { return a.active.Load() == 0 }
