// Package demo plays a whole incident with the real bot against the
// built-in fake Slack, for people who want to see incidentbot before
// creating a Slack app. No credentials, no network beyond loopback.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/nudge"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Options configure a demo run.
type Options struct {
	// Keep is a directory to keep the database and postmortem in; empty
	// uses a temporary directory removed at the end.
	Keep string
	// Logger receives the bot's log; nil discards it.
	Logger *slog.Logger
}

// player drives the fake Slack as the people in the story.
type player struct {
	fake  *slackfake.Server
	db    *store.DB
	app   *bot.App
	sched *nudge.Scheduler
	clock *clock.Fake
	out   io.Writer
	names map[string]string
	step  int
}

// Run plays the scripted incident and prints what each channel saw.
func Run(ctx context.Context, out io.Writer, o Options) error {
	dir := o.Keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "incidentbot-demo-*")
		if err != nil {
			return fmt.Errorf("create a temporary directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--keep %s: %w", dir, err)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Simulated time, so that reminders fire in seconds.
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Minute))
	fake := slackfake.New(slackfake.WithLogger(logger.With("component", "slackfake")), slackfake.WithNow(clk.Now))
	defer fake.Close()
	p := &player{fake: fake, clock: clk, out: out, names: map[string]string{}}
	alice := p.user("alice", "Alice Archer")
	bob := p.user("bob", "Bob Baker")
	carol := p.user("carol", "Carol Cole")
	lead := p.user("dana", "Dana (engineering lead)")
	general, err := fake.CreateChannel(alice, "general", false, alice, bob, carol, lead)
	if err != nil {
		return err
	}
	announce, err := fake.CreateChannel(alice, "incidents", false, alice, bob, carol, lead)
	if err != nil {
		return err
	}
	db, err := store.Open(filepath.Join(dir, "incidentbot.db"), store.WithNow(clk.Now))
	if err != nil {
		return err
	}
	defer db.Close()
	p.db = db
	policy := incident.DefaultPolicy()
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(fake.AppToken()))
	p.app = bot.New(bot.Options{
		Slack: api, Store: db, Policy: policy, AnnounceChannels: []string{announce},
		Clock: clk, Logger: logger.With("component", "bot"),
		Escalation:    bot.EscalationTarget{Users: []string{lead}},
		Postmortem:    bot.PostmortemOptions{Dir: filepath.Join(dir, "postmortems")},
		SocketOptions: []socketmode.Option{socketmode.OptionPingInterval(time.Minute)},
	})
	p.sched = &nudge.Scheduler{Store: db, Planner: p.app, Now: clk.Now, Logger: logger}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.app.Run(runCtx) }()
	defer func() {
		cancel()
		<-done
	}()
	select {
	case <-p.app.Connected():
	case err := <-done:
		return fmt.Errorf("the bot did not start: %w", err)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the bot did not connect to the fake Slack within 10s")
	}
	if err := p.play(ctx, general, announce, alice, bob, carol, lead); err != nil {
		return err
	}
	inc, err := db.FindIncidentByID(ctx, 1)
	if err != nil {
		return err
	}
	p.section("What each channel saw")
	p.transcript("#incidents (announcements)", announce)
	p.transcript("#"+inc.ChannelName+" (war room)", inc.ChannelID)
	for _, u := range []string{alice, bob} {
		if ch, ok := fake.DMChannel(u); ok {
			p.transcript("direct messages to "+p.names[u], ch)
		}
	}
	for _, f := range fake.Files() {
		p.section("The postmortem draft uploaded to the war room: " + f.Name)
		fmt.Fprintln(out, string(f.Content))
	}
	if o.Keep != "" {
		fmt.Fprintf(out, "\nThe database and the postmortem are kept in %s.\n", dir)
	}
	return nil
}

func (p *player) user(name, real string) string {
	id := p.fake.AddUser(slackfake.User{Name: name, RealName: real})
	p.names[id] = real
	return id
}

func (p *player) section(title string) {
	fmt.Fprintf(p.out, "\n%s\n%s\n", title, strings.Repeat("=", len(title)))
}

func (p *player) transcript(title, channel string) {
	fmt.Fprintf(p.out, "\n--- %s ---\n%s", title, p.fake.Transcript(channel))
}

func (p *player) say(format string, args ...any) {
	p.step++
	fmt.Fprintf(p.out, "%2d. [%s] %s\n", p.step, p.clock.Now().Format("15:04"), fmt.Sprintf(format, args...))
}

// wait blocks until cond holds, or fails after 10 s with what.
func (p *player) wait(ctx context.Context, what string, cond func() bool) error {
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.fake.WaitFor(wctx, cond); err != nil {
		return fmt.Errorf("demo stuck waiting for %s", what)
	}
	return p.settle(ctx)
}

func (p *player) slash(ctx context.Context, user, channel, text string) error {
	d, err := p.fake.SlashCommand(user, channel, "/incident", text)
	if err != nil {
		return fmt.Errorf("/incident %s: %w", text, err)
	}
	if _, err = d.Wait(ctx); err != nil {
		return err
	}
	return p.settle(ctx)
}

// settle waits until Slack has delivered every envelope and the bot has
// finished handling them, so that what a step posts lands at that step's
// time in the transcript.
func (p *player) settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for p.fake.Pending() > 0 || !p.app.Idle() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo stuck: the bot is still busy")
		case <-tick.C:
		}
	}
	return nil
}

func (p *player) incident(ctx context.Context) *incident.Incident {
	inc, err := p.db.FindIncidentByID(ctx, 1)
	if err != nil {
		return &incident.Incident{}
	}
	return inc
}

func (p *player) hasEvent(ctx context.Context, kind incident.EventKind, n int) func() bool {
	return func() bool {
		evs, _ := p.db.Events(ctx, 1)
		c := 0
		for _, e := range evs {
			if e.Kind == kind {
				c++
			}
		}
		return c >= n
	}
}

func (p *player) messageWith(channel, text string) (slackfake.Message, bool) {
	for _, m := range p.fake.Messages(channel) {
		if strings.Contains(m.Text, text) || strings.Contains(string(m.RawBlocks), text) {
			return m, true
		}
	}
	return slackfake.Message{}, false
}
