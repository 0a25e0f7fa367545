// Package sandbox runs a whole incidentbot against the built-in fake Slack:
// the fake workspace with its people and channels, a real bbolt store on
// disk, a settable clock, the App and its reminder scheduler. The demo and
// the end-to-end tests are both built on it, so that what the demo shows is
// what the tests check.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
)

// Options configure a Sandbox.
type Options struct {
	// Dir holds the database (and postmortems, when configured); empty
	// uses a temporary directory removed by Close.
	Dir string
	// Start is the clock's first reading (default 2026-03-04 09:00 UTC).
	Start time.Time
	// Logger receives the bot's log; nil discards it.
	Logger *slog.Logger
	// Fake are extra options for the fake Slack.
	Fake []slackfake.Option
	// Configure adjusts the bot's options before it starts.
	Configure func(*bot.Options)
	// WrapStore, if set, wraps the store the bot uses, at every start:
	// for tests of a slow or failing store.
	WrapStore func(incident.Store) incident.Store
}

// Sandbox is a running incidentbot in a fake workspace.
type Sandbox struct {
	Fake  *slackfake.Server
	Clock *clock.Fake
	DB    *store.DB
	App   *bot.App
	Sched *nudge.Scheduler
	// People of the workspace: Alice declares, Bob speaks, Carol helps,
	// Dana is an incidentbot admin.
	Alice, Bob, Carol, Dana string
	// Channels: #incidents (announcements) and #general.
	Announce, General string
	// Names maps each person's ID to their real name.
	Names map[string]string
	// Options are the bot's options; Restart uses them again.
	Options bot.Options
	DBPath  string
	// WrapStore is Options.WrapStore.
	WrapStore func(incident.Store) incident.Store

	dir     string
	tempDir bool
	cancel  context.CancelFunc
	done    chan error
}

// DefaultStart is the clock's default first reading: a fixed time, so that
// what a run prints is the same every time.
var DefaultStart = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// New builds the workspace, opens the store and configures the bot; Start
// runs it.
func New(o Options) (*Sandbox, error) {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sandbox{Clock: clock.NewFake(o.Start), Names: map[string]string{}, dir: o.Dir}
	if s.dir == "" {
		tmp, err := os.MkdirTemp("", "incidentbot-sandbox-*")
		if err != nil {
			return nil, fmt.Errorf("create a temporary directory: %w", err)
		}
		s.dir, s.tempDir = tmp, true
	} else if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", s.dir, err)
	}
	fakeOpts := append([]slackfake.Option{slackfake.WithLogger(o.Logger.With("component", "slackfake")), slackfake.WithNow(s.Clock.Now)}, o.Fake...)
	s.Fake = slackfake.New(fakeOpts...)
	s.Alice = s.person("alice", "Alice Archer")
	s.Bob = s.person("bob", "Bob Baker")
	s.Carol = s.person("carol", "Carol Cole")
	s.Dana = s.person("dana", "Dana Diaz")
	var err error
	everyone := []string{s.Alice, s.Bob, s.Carol, s.Dana}
	if s.Announce, err = s.Fake.CreateChannel(s.Alice, "incidents", false, everyone...); err != nil {
		return nil, s.closeOn(err)
	}
	if s.General, err = s.Fake.CreateChannel(s.Alice, "general", false, everyone...); err != nil {
		return nil, s.closeOn(err)
	}
	s.DBPath = filepath.Join(s.dir, "incidentbot.db")
	if s.DB, err = store.Open(s.DBPath, store.WithNow(s.Clock.Now)); err != nil {
		return nil, s.closeOn(err)
	}
	policy := incident.DefaultPolicy()
	policy.Admins = []string{s.Dana}
	s.Options = bot.Options{
		// The HTTP client is production's (slack.call_timeout's default).
		Slack: slack.New(s.Fake.BotToken(), slack.OptionAPIURL(s.Fake.APIURL()), slack.OptionAppLevelToken(s.Fake.AppToken()),
			slack.OptionHTTPClient(outbound.HTTPClient(config.DefaultCallTimeout))),
		Store:            s.DB,
		Policy:           policy,
		AnnounceChannels: []string{s.Announce},
		Clock:            s.Clock,
		Logger:           o.Logger.With("component", "bot"),
		Escalation:       bot.EscalationTarget{Users: []string{s.Dana}},
		SocketOptions:    []socketmode.Option{socketmode.OptionPingInterval(time.Minute)},
		// The fake Slack does not rate limit unless asked to, and the
		// sandbox's clock stands still between steps.
		NoPacing: true,
	}
	s.WrapStore = o.WrapStore
	if o.Configure != nil {
		o.Configure(&s.Options)
	}
	return s, nil
}

func (s *Sandbox) person(name, real string) string {
	id := s.Fake.AddUser(slackfake.User{Name: name, RealName: real})
	s.Names[id] = real
	return id
}

func (s *Sandbox) closeOn(err error) error {
	s.Close()
	return err
}

// Dir is the directory holding the database.
func (s *Sandbox) Dir() string { return s.dir }

// Start runs a new App (and scheduler) on the store and waits until it is
// connected to the fake Slack.
func (s *Sandbox) Start(ctx context.Context) error {
	s.Options.Store = s.DB
	if s.WrapStore != nil {
		s.Options.Store = s.WrapStore(s.DB)
	}
	s.App = bot.New(s.Options)
	s.Sched = &nudge.Scheduler{Store: s.DB, Planner: s.App, Now: s.Clock.Now, Logger: s.Options.Logger}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel, s.done = cancel, make(chan error, 1)
	app := s.App
	go func() { s.done <- app.Run(runCtx) }()
	select {
	case <-app.Connected():
		return nil
	case err := <-s.done:
		s.cancel = nil
		return fmt.Errorf("the bot stopped before connecting: %w", err)
	case <-time.After(10 * time.Second):
		return errors.New("the bot did not connect to the fake Slack within 10s")
	}
}

// Stop stops the bot, checks the store's integrity and closes it.
func (s *Sandbox) Stop() error {
	var errs []error
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
		select {
		case err := <-s.done:
			if err != nil {
				errs = append(errs, fmt.Errorf("the bot stopped with an error: %w", err))
			}
		case <-time.After(15 * time.Second):
			errs = append(errs, errors.New("the bot did not stop within 15s"))
		}
		// The fake notices the closed socket a moment later, on its own
		// goroutine. Until it has, it may still pick that socket for the
		// next envelope, which nobody then acks: wait, as Slack would
		// have dropped a closed connection before a new bot connects.
		deadline := time.Now().Add(5 * time.Second)
		for s.Fake.Connections() > 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := s.Fake.Connections(); n > 0 {
			errs = append(errs, fmt.Errorf("%d Socket Mode connections still open 5s after the bot stopped", n))
		}
	}
	if s.DB != nil {
		if err := s.DB.Check(); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, s.DB.Close())
		s.DB = nil
	}
	return errors.Join(errs...)
}

// Restart stops the bot and starts a new one on the same database file, as
// a redeploy does.
func (s *Sandbox) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Reopen(ctx)
}

// Reopen opens the store again after Stop and starts a new bot on it.
func (s *Sandbox) Reopen(ctx context.Context) error {
	db, err := store.Open(s.DBPath, store.WithNow(s.Clock.Now))
	if err != nil {
		return err
	}
	s.DB = db
	return s.Start(ctx)
}

// Settle waits until the fake Slack has delivered every envelope and the
// bot has processed every request and delivered every effect it can now
// (effects waiting for a retry on the fake clock count as pending: move
// the clock for them).
func (s *Sandbox) Settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if s.Fake.Pending() == 0 && s.App.Idle() {
			return nil
		}
		if err := s.App.WaitIdle(ctx); err != nil {
			return s.busy()
		}
		select {
		case <-ctx.Done():
			return s.busy()
		case <-time.After(time.Millisecond):
		}
	}
}

func (s *Sandbox) busy() error {
	return fmt.Errorf("the bot is still busy after 10s: %d envelopes undelivered by the fake; %s", s.Fake.Pending(), strings.Join(s.App.Busy(), "; "))
}

// Tick runs the reminder scheduler once at the clock's time and waits for
// what it sent.
func (s *Sandbox) Tick(ctx context.Context) (nudge.TickResult, error) {
	res, err := s.Sched.Tick(ctx)
	if err != nil {
		return res, err
	}
	return res, s.Settle(ctx)
}

// Close stops the bot and the fake Slack and removes a temporary
// directory.
func (s *Sandbox) Close() error {
	err := s.Stop()
	if s.Fake != nil {
		s.Fake.Close()
	}
	if s.tempDir {
		os.RemoveAll(s.dir)
	}
	return err
}
