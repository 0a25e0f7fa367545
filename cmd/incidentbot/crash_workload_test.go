package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The crash test's workload: people declaring incidents and working them as
// they would in Slack (notes, updates, severity changes, a spokesperson,
// pinning messages with the timeline reaction, resolving, closing,
// cancelling, or leaving an incident open for its reminders). Every
// command is recorded with how Slack saw its ack.
//
// A person only sends what is valid whatever happened to their earlier
// commands that were never acknowledged (they may or may not have been
// stored before the process died): a request the bot confirmed must then
// succeed when it is processed, so a confirmed request that leaves no
// trace is a loss, never a race of the workload.

// sentCmd is one slash command or reaction and what became of it.
type sentCmd struct {
	Kind   string // declare, note, update, sev, role, resolve, close, cancel, list, pin
	Actor  string
	Tag    string // the incident's title
	Text   string // what was typed
	Marker string // unique text the command's effect carries
	Sev    string // sev: the new severity; declare: the first
	User   string // role: who gets it
	TS     string // pin: the message given the reaction
	// Overtaken marks a pin whose reaction was still unconfirmed when the
	// incident was closed or cancelled: Slack may deliver the event after
	// the end (a retry), and the bot judges a reaction by the incident as
	// it is when the event arrives, so it refuses it.
	Overtaken bool
	// Acked: Slack received the ack in time. Accepted: the ack was the
	// command's confirmation (its dry run passed); an acked refusal is not
	// a request.
	Acked, Accepted bool
	Ack             string
	// At is when it was sent; Err why no ack came.
	At  time.Time
	Err error
}

// states is what a person knows of one property of an incident: every
// value it may have, given the commands that were not acknowledged.
type states map[string]bool

func (s states) only(v string) bool { return len(s) == 1 && s[v] }

// apply records the outcome of a command that moves the property to v:
// confirmed, it is v; unknown, it may also be v.
func (s states) apply(v string, confirmed, unknown bool) states {
	switch {
	case confirmed:
		return states{v: true}
	case unknown:
		s[v] = true
	}
	return s
}

// crashIncident is a person's view of an incident they declared.
type crashIncident struct {
	Tag     string
	Actor   string
	Private bool
	Room    string // the war room, once it appeared
	ID      int64
	status  states // open, resolved, closed, cancelled
	sev     states
	spokes  states // "" or the user ID
	pairs   map[[2]string]bool
	pins    []*sentCmd
}

type workload struct {
	w    *crashWorld
	seed uint64

	mu        sync.Mutex
	cmds      []*sentCmd
	incidents []*crashIncident
	markers   int
}

func newWorkload(w *crashWorld, seed uint64) *workload { return &workload{w: w, seed: seed} }

// run plays the workload until ctx ends: one goroutine per person.
func (wl *workload) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i, u := range wl.w.people[:3] {
		wg.Go(func() {
			a := &actor{wl: wl, user: u, n: i, rng: rand.New(rand.NewPCG(wl.seed, uint64(i)+1))}
			a.play(ctx)
		})
	}
	wg.Wait()
}

func (wl *workload) marker(prefix string) string {
	wl.mu.Lock()
	defer wl.mu.Unlock()
	wl.markers++
	return fmt.Sprintf("%s%04d", prefix, wl.markers)
}

func (wl *workload) record(c *sentCmd) {
	wl.mu.Lock()
	defer wl.mu.Unlock()
	wl.cmds = append(wl.cmds, c)
}

// actor is one person.
type actor struct {
	wl   *workload
	user string
	n    int
	rng  *rand.Rand
	decl int
}

func (a *actor) play(ctx context.Context) {
	for ctx.Err() == nil {
		inc := a.declare(ctx)
		if inc == nil {
			a.pause(ctx, 200, 600)
			continue
		}
		a.work(ctx, inc)
	}
}

// pause waits between lo and hi milliseconds, as a person thinks.
func (a *actor) pause(ctx context.Context, lo, hi int) {
	d := time.Duration(lo+a.rng.IntN(hi-lo+1)) * time.Millisecond
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

var severities = []string{"critical", "major", "minor"}

// slash runs /incident text in channel and waits for the ack. accepted
// says whether an ack text means the command's confirmation.
func (a *actor) slash(c *sentCmd, channel string, accepted func(ack string) bool) {
	fake := a.wl.w.fake
	c.Actor, c.At = a.user, time.Now()
	a.wl.record(c)
	d, err := fake.SlashCommand(a.user, channel, "/incident", c.Text)
	if err != nil {
		c.Err = err
		return
	}
	// Not by ctx: a command sent is waited for, whatever the workload does.
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, err := d.Wait(wctx)
	if err != nil {
		a.wl.mu.Lock()
		c.Err = err
		a.wl.mu.Unlock()
		return
	}
	var ack struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &ack)
	a.wl.mu.Lock()
	c.Acked, c.Ack = true, ack.Text
	c.Accepted = accepted(ack.Text)
	a.wl.mu.Unlock()
}

func prefix(p string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, p) }
}

// declare declares an incident and waits for its war room. It returns nil
// when the declaration was not confirmed or the room never came.
func (a *actor) declare(ctx context.Context) *crashIncident {
	a.decl++
	inc := &crashIncident{
		Tag: fmt.Sprintf("crash %c%d", 'a'+a.n, a.decl), Actor: a.user, Private: a.rng.IntN(5) == 0,
		status: states{"open": true}, spokes: states{"": true}, pairs: map[[2]string]bool{},
	}
	sev := severities[a.rng.IntN(len(severities))]
	inc.sev = states{sev: true}
	text := "declare --sev " + sev + " "
	if inc.Private {
		text += "--private "
	}
	c := &sentCmd{Kind: "declare", Tag: inc.Tag, Sev: sev, Text: text + inc.Tag}
	a.slash(c, a.wl.w.general, prefix(":hourglass_flowing_sand:"))
	if !c.Accepted {
		return nil
	}
	a.wl.mu.Lock()
	a.wl.incidents = append(a.wl.incidents, inc)
	a.wl.mu.Unlock()
	// The war room: inc-<id>-<slug of the title>.
	re := regexp.MustCompile(`^inc-(\d+)-` + regexp.QuoteMeta(strings.ReplaceAll(inc.Tag, " ", "-")) + `$`)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	fake := a.wl.w.fake
	_ = fake.WaitFor(wctx, func() bool {
		for _, ch := range fake.Channels() {
			if m := re.FindStringSubmatch(ch.Name); m != nil && slices.Contains(ch.Members, a.user) {
				inc.Room = ch.ID
				inc.ID, _ = strconv.ParseInt(m[1], 10, 64)
				return true
			}
		}
		return false
	})
	if inc.Room == "" {
		return nil
	}
	return inc
}

// work runs a few steps on inc, then ends it one way or another.
func (a *actor) work(ctx context.Context, inc *crashIncident) {
	for range 2 + a.rng.IntN(6) {
		if ctx.Err() != nil {
			return
		}
		a.pause(ctx, 100, 700)
		a.step(inc)
	}
	if ctx.Err() != nil {
		return
	}
	a.pause(ctx, 100, 500)
	switch r := a.rng.IntN(20); {
	case r < 11:
		a.resolve(inc)
		a.pause(ctx, 100, 500)
		if a.rng.IntN(3) > 0 {
			a.note(inc)
			a.pause(ctx, 100, 500)
			a.close(ctx, inc)
		}
	case r < 14:
		a.cancel(ctx, inc)
	default:
		// Left open: its reminders fall due while the others go on.
	}
}

// step does one thing on inc that is valid in every state it may be in.
func (a *actor) step(inc *crashIncident) {
	open := inc.status.only("open")
	active := !inc.status["closed"] && !inc.status["cancelled"]
	switch r := a.rng.IntN(12); {
	case !active:
	case r < 3:
		a.note(inc)
	case r < 6 && open:
		a.update(inc)
	case r < 8:
		a.pin(inc)
	case r < 9 && open:
		a.severity(inc)
	case r < 10 && open && inc.spokes.only(""):
		a.role(inc)
	case r < 11:
		a.slash(&sentCmd{Kind: "list", Tag: inc.Tag, Text: "list"}, inc.Room, func(string) bool { return false })
	default:
		a.note(inc)
	}
}

func (a *actor) note(inc *crashIncident) {
	m := a.wl.marker("note-")
	a.slash(&sentCmd{Kind: "note", Tag: inc.Tag, Marker: m, Text: "note " + m + " checked the dashboards"}, inc.Room, prefix(":memo:"))
}

func (a *actor) update(inc *crashIncident) {
	m := a.wl.marker("upd-")
	a.slash(&sentCmd{Kind: "update", Tag: inc.Tag, Marker: m, Text: "update " + m + " errors are falling"}, inc.Room, prefix(":mega:"))
}

// severity changes the severity to one it has not now in any known state,
// by a change (from, to) not made before: each change's notice is unique.
func (a *actor) severity(inc *crashIncident) {
	var choices []string
	for _, s := range severities {
		if inc.sev[s] {
			continue
		}
		fresh := true
		for from := range inc.sev {
			fresh = fresh && !inc.pairs[[2]string{from, s}]
		}
		if fresh {
			choices = append(choices, s)
		}
	}
	if len(choices) == 0 {
		return
	}
	to := choices[a.rng.IntN(len(choices))]
	for from := range inc.sev {
		inc.pairs[[2]string{from, to}] = true
	}
	c := &sentCmd{Kind: "sev", Tag: inc.Tag, Sev: to, Text: "sev " + to}
	a.slash(c, inc.Room, prefix(":arrow_up_down:"))
	inc.sev = inc.sev.apply(to, c.Accepted, !c.Acked)
}

// role makes another person the spokesperson.
func (a *actor) role(inc *crashIncident) {
	people := a.wl.w.people
	to := people[(a.n+1+a.rng.IntN(len(people)-1))%len(people)]
	c := &sentCmd{Kind: "role", Tag: inc.Tag, User: to, Text: fmt.Sprintf("role spokesperson <@%s|%s>", to, a.wl.w.names[to])}
	a.slash(c, inc.Room, prefix(":bust_in_silhouette:"))
	inc.spokes = inc.spokes.apply(to, c.Accepted, !c.Acked)
}

// pin posts a message in the war room and gives it the timeline reaction.
func (a *actor) pin(inc *crashIncident) {
	fake := a.wl.w.fake
	m := a.wl.marker("pin-")
	ts, err := fake.PostUserMessage(a.user, inc.Room, m+" the graph shows the spike at 10:02")
	if err != nil {
		return // not invited yet
	}
	c := &sentCmd{Kind: "pin", Tag: inc.Tag, Marker: m, TS: ts, Actor: a.user, At: time.Now()}
	a.wl.record(c)
	inc.pins = append(inc.pins, c)
	_ = fake.AddReaction(a.user, inc.Room, ts, "pushpin")
}

// settlePins waits, as a person glancing at the war room would, until the
// bot has marked every message they pinned with its check mark (or Slack
// gave up on the reaction), before they end the incident. A reaction still
// unconfirmed after a while is marked overtaken.
func (a *actor) settlePins(ctx context.Context, inc *crashIncident) {
	fake := a.wl.w.fake
	settled := func(c *sentCmd) bool {
		for _, m := range fake.Messages(inc.Room) {
			if m.TS == c.TS && slices.Contains(m.Reactions["white_check_mark"], fake.BotUserID()) {
				return true
			}
		}
		for _, e := range fake.SentEvents() {
			if e.Type == "reaction_added" && e.Failed && strings.Contains(string(e.Event), `"ts":"`+c.TS+`"`) {
				return true
			}
		}
		return false
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = fake.WaitFor(wctx, func() bool {
		for _, c := range inc.pins {
			if !settled(c) {
				return false
			}
		}
		return true
	})
	a.wl.mu.Lock()
	defer a.wl.mu.Unlock()
	for _, c := range inc.pins {
		if !settled(c) {
			c.Overtaken = true
		}
	}
	inc.pins = nil
}

func (a *actor) resolve(inc *crashIncident) {
	if !inc.status.only("open") {
		return
	}
	m := a.wl.marker("res-")
	c := &sentCmd{Kind: "resolve", Tag: inc.Tag, Marker: m, Text: "resolve " + m + " rolled back"}
	a.slash(c, inc.Room, prefix(":white_check_mark:"))
	inc.status = inc.status.apply("resolved", c.Accepted, !c.Acked)
}

func (a *actor) close(ctx context.Context, inc *crashIncident) {
	if !inc.status.only("resolved") {
		return
	}
	a.settlePins(ctx, inc)
	c := &sentCmd{Kind: "close", Tag: inc.Tag, Text: "close"}
	a.slash(c, inc.Room, prefix(":lock:"))
	inc.status = inc.status.apply("closed", c.Accepted, !c.Acked)
}

func (a *actor) cancel(ctx context.Context, inc *crashIncident) {
	if inc.status["closed"] || inc.status["cancelled"] {
		return
	}
	a.settlePins(ctx, inc)
	m := a.wl.marker("can-")
	c := &sentCmd{Kind: "cancel", Tag: inc.Tag, Marker: m, Text: "cancel " + m + " declared by mistake"}
	a.slash(c, inc.Room, prefix(":wastebasket:"))
	inc.status = inc.status.apply("cancelled", c.Accepted, !c.Acked)
}
