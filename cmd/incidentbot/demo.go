package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/cmd/sandbox"
)

// cmdDemo plays a scripted incident with the real bot against the built-in
// fake Slack, and prints what each channel saw. No credentials, no network
// beyond loopback.
func cmdDemo(ctx context.Context, env *Env, args []string) error {
	opts, err := parseDemoFlags(env, args)
	if err != nil {
		return err
	}
	return runDemo(ctx, env.Stdout, opts.Keep, nil)
}

// demoStart is when the story begins: a fixed time, so that what the demo
// prints agrees with its story ("the certificate expired at 10:00").
var demoStart = time.Date(2026, 3, 4, 10, 3, 0, 0, time.UTC)

// runDemo plays the story in a sandbox, keeping its database in keep when
// set (running again on it continues the numbering).
func runDemo(ctx context.Context, out io.Writer, keep string, logger *slog.Logger) error {
	var postmortems string
	sb, err := sandbox.New(sandbox.Options{
		Dir:    keep,
		Start:  demoStart,
		Logger: logger,
		Configure: func(o *bot.Options) {
			if keep != "" {
				postmortems = keep + "/postmortems"
				o.Postmortem = bot.PostmortemOptions{Dir: postmortems}
			}
		},
	})
	if err != nil {
		return err
	}
	defer sb.Close()
	if err := sb.Start(ctx); err != nil {
		return err
	}
	p := &player{sb: sb, out: out}
	if err := p.play(ctx); err != nil {
		return err
	}
	p.section("What each channel saw")
	p.transcript("#incidents (announcements)", sb.Announce)
	for _, inc := range p.story {
		if inc.ChannelID != "" {
			p.transcript("#"+inc.ChannelName+" (war room)", inc.ChannelID)
		}
	}
	for _, u := range []string{sb.Alice, sb.Bob, sb.Carol} {
		if ch, ok := sb.Fake.DMChannel(u); ok {
			p.transcript("direct messages to "+sb.Names[u], ch)
		}
	}
	for _, f := range sb.Fake.Files() {
		p.section("The postmortem draft uploaded to the war room: " + f.Name)
		fmt.Fprintln(out, string(f.Content))
	}
	if keep != "" {
		fmt.Fprintf(out, "\nThe database is kept in %s and the postmortem in %s.\n", keep, postmortems)
	}
	return nil
}

// player drives the fake Slack as the people in the story.
type player struct {
	sb    *sandbox.Sandbox
	out   io.Writer
	step  int
	story []*incident.Incident // the incidents this run declared, refreshed
}

func (p *player) section(title string) {
	fmt.Fprintf(p.out, "\n%s\n%s\n", title, strings.Repeat("=", len(title)))
}

func (p *player) transcript(title, channel string) {
	fmt.Fprintf(p.out, "\n--- %s ---\n%s", title, p.sb.Fake.Transcript(channel))
}

func (p *player) say(format string, args ...any) {
	p.step++
	fmt.Fprintf(p.out, "%2d. [%s] %s\n", p.step, p.sb.Clock.Now().Format("15:04"), fmt.Sprintf(format, args...))
}

// at moves the story's clock forward to hh:mm.
func (p *player) at(hhmm string) {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic("demo: bad time " + hhmm)
	}
	now := p.sb.Clock.Now()
	next := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	if next.Before(now) {
		next = next.Add(24 * time.Hour)
	}
	p.sb.Clock.Set(next)
}

// settle waits until Slack delivered every envelope and the bot finished
// with them, so that what a step posts lands at that step's time.
func (p *player) settle(ctx context.Context) error {
	if err := p.sb.Settle(ctx); err != nil {
		return fmt.Errorf("demo stuck: %w", err)
	}
	return nil
}

// slash runs /incident as user in channel.
func (p *player) slash(ctx context.Context, user, channel, text string) error {
	d, err := p.sb.Fake.SlashCommand(user, channel, "/incident", text)
	if err != nil {
		return fmt.Errorf("/incident %s: %w", text, err)
	}
	if _, err = d.Wait(ctx); err != nil {
		return err
	}
	return p.settle(ctx)
}

// wait runs d to its ack and lets the bot finish.
func (p *player) wait(ctx context.Context, d *slackfake.Delivery, err error) error {
	if err != nil {
		return err
	}
	if _, err := d.Wait(ctx); err != nil {
		return err
	}
	return p.settle(ctx)
}

// declared returns the incident the last declaration made.
func (p *player) declared(ctx context.Context) (*incident.Incident, error) {
	incs, err := p.sb.DB.FindIncidents(ctx, incident.Filter{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(incs) == 0 {
		return nil, fmt.Errorf("demo stuck: no incident was declared")
	}
	p.story = append(p.story, incs[0])
	return incs[0], nil
}

// refresh reads the story's incidents again.
func (p *player) refresh(ctx context.Context) error {
	for i, inc := range p.story {
		got, err := p.sb.DB.FindIncidentByID(ctx, inc.ID)
		if err != nil {
			return err
		}
		p.story[i] = got
	}
	return nil
}

// message returns the latest bot message in channel whose text or blocks
// hold text.
func (p *player) message(channel, text string) (slackfake.Message, error) {
	msgs := p.sb.Fake.Messages(channel)
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if strings.Contains(m.Text, text) || strings.Contains(string(m.RawBlocks), text) {
			return m, nil
		}
	}
	return slackfake.Message{}, fmt.Errorf("demo stuck: no message with %q", text)
}

// topView returns the modal user has open.
func (p *player) topView(user string) (slackfake.View, error) {
	vs := p.sb.Fake.OpenViews(user)
	if len(vs) == 0 {
		return slackfake.View{}, fmt.Errorf("demo stuck: no form opened for %s", p.sb.Names[user])
	}
	return vs[len(vs)-1], nil
}
