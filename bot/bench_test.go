package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Benchmarks of the bot end to end: the real App, slack-go's Socket Mode
// client, the fake Slack on 127.0.0.1 and a bbolt file with fsync on.
// Run them with, for instance:
//
//	go test -run '^$' -bench 'AckLatency|WarRoomReady' -benchtime 20x -count 6 ./bot/

// benchInFlight is how many envelopes one iteration sends; the inflight=200
// sub-benchmarks have them all in flight at once, inflight=1 one at a time.
const benchInFlight = 200

// benchBot is the App running against the fake Slack, for benchmarks
// (the test harness takes a *testing.T).
type benchBot struct {
	fake     *slackfake.Server
	db       *store.DB
	app      *bot.App
	alice    string
	general  string
	announce string
}

func newBenchBot(b *testing.B, fakeOpts ...slackfake.Option) *benchBot {
	b.Helper()
	fake := slackfake.New(append([]slackfake.Option{slackfake.WithAckTimeout(10 * time.Second)}, fakeOpts...)...)
	b.Cleanup(fake.Close)
	bb := &benchBot{fake: fake}
	bb.alice = fake.AddUser(slackfake.User{Name: "alice", RealName: "Alice Archer"})
	bob := fake.AddUser(slackfake.User{Name: "bob", RealName: "Bob Baker"})
	var err error
	if bb.announce, err = fake.CreateChannel(bb.alice, "incidents", false, bb.alice, bob); err != nil {
		b.Fatal(err)
	}
	if bb.general, err = fake.CreateChannel(bb.alice, "general", false, bb.alice, bob); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "incidentbot.db"))
	if err != nil {
		b.Fatal(err)
	}
	bb.db = db
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(fake.AppToken()))
	bb.app = bot.New(bot.Options{
		Slack:            api,
		Store:            db,
		Policy:           incident.DefaultPolicy(),
		AnnounceChannels: []string{bb.announce},
		SocketOptions:    []socketmode.Option{socketmode.OptionPingInterval(time.Minute)},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bb.app.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				b.Errorf("app.Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			b.Error("app did not stop within 10s")
		}
		db.Close()
	})
	select {
	case <-bb.app.Connected():
	case err := <-done:
		b.Fatalf("app stopped before connecting: %v", err)
	case <-time.After(10 * time.Second):
		b.Fatal("app did not connect to the fake Slack")
	}
	return bb
}

// percentiles reports p50 and p99 of ds in microseconds.
func reportPercentiles(b *testing.B, ds []time.Duration) {
	b.Helper()
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(q float64) float64 {
		i := int(q * float64(len(ds)-1))
		return float64(ds[i]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkAckLatency measures how long the bot takes to ack Socket Mode
// envelopes with benchInFlight of them in flight at once. Each envelope is
// "/incident help", which the bot acks with a payload built without I/O.
//
// The fake records when each ack frame arrives (Ack.Time) but exposes no
// send time, so latency runs from the SlashCommand call (which marshals
// the envelope and queues it on the socket) to Ack.Time: it includes the
// fake's own queueing of 200 envelopes on one socket, as Slack's would.
// ns/op is the wall time of one batch of benchInFlight envelopes.
//
// The raw sub-benchmark is the floor on this machine: a gorilla/websocket
// echo on 127.0.0.1 with the same number of messages in flight.
func BenchmarkAckLatency(b *testing.B) {
	for _, inflight := range []int{benchInFlight, 1} {
		for _, env := range []struct{ name, text string }{
			{"help", "help"},
			{"unknown", "frobnicate"},
		} {
			b.Run(fmt.Sprintf("bot/%s/inflight=%d", env.name, inflight), func(b *testing.B) { benchAckBot(b, env.text, inflight) })
		}
		b.Run(fmt.Sprintf("raw-websocket/inflight=%d", inflight), func(b *testing.B) { benchAckRaw(b, inflight) })
	}
}

// benchAckBot sends benchInFlight "/incident TEXT" per iteration, inflight
// of them at a time.
func benchAckBot(b *testing.B, text string, inflight int) {
	bb := newBenchBot(b)
	ctx := context.Background()
	// Warm up: the first envelopes pay for connection buffers and
	// goroutine stacks.
	for range 10 {
		d, err := bb.fake.SlashCommand(bb.alice, bb.general, "/incident", text)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	seen := len(bb.fake.Acks())
	for b.Loop() {
		starts := make(map[string]time.Time, benchInFlight)
		var mu sync.Mutex
		var wg sync.WaitGroup
		gate := make(chan struct{})
		sem := make(chan struct{}, inflight)
		errs := make(chan error, benchInFlight)
		for range benchInFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				sem <- struct{}{}
				defer func() { <-sem }()
				t0 := time.Now()
				d, err := bb.fake.SlashCommand(bb.alice, bb.general, "/incident", text)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				starts[d.EnvelopeID] = t0
				mu.Unlock()
				if _, err := d.Wait(ctx); err != nil {
					errs <- err
				}
			}()
		}
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		acks := bb.fake.Acks()
		for _, a := range acks[seen:] {
			// From the envelope leaving the fake's socket to its ack
			// arriving there: the app's side of the round trip, as Slack
			// would measure it.
			if _, ok := starts[a.EnvelopeID]; ok && !a.Late && !a.SentAt.IsZero() {
				lat = append(lat, a.Time.Sub(a.SentAt))
			}
		}
		seen = len(acks)
	}
	if want := b.N * benchInFlight; len(lat) != want {
		b.Fatalf("matched %d acks, want %d", len(lat), want)
	}
	reportPercentiles(b, lat)
}

// benchAckRaw is the floor: a gorilla/websocket echo on 127.0.0.1, with
// benchInFlight messages per iteration, inflight of them at a time.
func benchAckRaw(b *testing.B, inflight int) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, data); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	// A message about the size of a slash-command envelope.
	pad := strings.Repeat("x", 900)
	var mu sync.Mutex // one writer at a time, as gorilla requires
	var wmu sync.Mutex
	waiting := map[string]chan time.Time{}
	go func() {
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			now := time.Now()
			id, _, _ := strings.Cut(string(data), " ")
			wmu.Lock()
			ch := waiting[id]
			delete(waiting, id)
			wmu.Unlock()
			if ch != nil {
				ch <- now
			}
		}
	}()
	var lat []time.Duration
	var latMu sync.Mutex
	seq := 0
	for b.Loop() {
		var wg sync.WaitGroup
		gate := make(chan struct{})
		sem := make(chan struct{}, inflight)
		for range benchInFlight {
			seq++
			id := strconv.Itoa(seq)
			ch := make(chan time.Time, 1)
			wmu.Lock()
			waiting[id] = ch
			wmu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				sem <- struct{}{}
				defer func() { <-sem }()
				t0 := time.Now()
				mu.Lock()
				err := c.WriteMessage(websocket.TextMessage, []byte(id+" "+pad))
				mu.Unlock()
				if err != nil {
					b.Error(err)
					return
				}
				select {
				case t1 := <-ch:
					latMu.Lock()
					lat = append(lat, t1.Sub(t0))
					latMu.Unlock()
				case <-time.After(10 * time.Second):
					b.Error("no echo within 10s")
				}
			}()
		}
		close(gate)
		wg.Wait()
	}
	reportPercentiles(b, lat)
}

// BenchmarkWarRoomReady measures the time from "/incident declare" to the
// war room being ready as people see it in Slack: channel created, the
// declarer invited, topic set, card posted and pinned, spokesperson picker
// posted, announcement and operator DM sent. Each iteration declares a new
// incident. The store has fsync on.
//
// With latency=100ms every Web API call takes 100 ms; round-trips is the
// elapsed time in units of that latency (a lower bound on the number of
// sequential Slack calls on the critical path).
func BenchmarkWarRoomReady(b *testing.B) {
	for _, latency := range []time.Duration{0, 100 * time.Millisecond} {
		b.Run(fmt.Sprintf("latency=%dms", latency.Milliseconds()), func(b *testing.B) {
			bb := newBenchBot(b, slackfake.WithLatency(latency))
			ctx := context.Background()
			var total time.Duration
			n := 0
			for b.Loop() {
				n++
				start := time.Now()
				d, err := bb.fake.SlashCommand(bb.alice, bb.general, "/incident", "declare Checkout is down")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := d.Wait(ctx); err != nil {
					b.Fatal(err)
				}
				wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err = bb.fake.WaitFor(wctx, func() bool { return bb.warRoomReady(n) })
				cancel()
				if err != nil {
					b.Fatalf("war room of incident #%d not ready: %v", n, err)
				}
				total += time.Since(start)

				// Let the handler finish (store writes, the "declared"
				// reply) before the next declaration, outside the timer.
				b.StopTimer()
				wctx, cancel = context.WithTimeout(ctx, 30*time.Second)
				err = bb.fake.WaitFor(wctx, func() bool {
					return benchHas(bb.fake.Ephemerals(bb.general, bb.alice), "Incident #"+strconv.Itoa(n)+" declared")
				})
				cancel()
				if err != nil {
					b.Fatalf("no 'declared' reply for incident #%d: %v", n, err)
				}
				b.StartTimer()
			}
			if latency > 0 {
				b.ReportMetric(float64(total)/float64(n)/float64(latency), "round-trips")
			}
			b.ReportMetric(float64(total)/float64(n)/float64(time.Millisecond), "ms/op")
		})
	}
}

// warRoomReady reports whether incident #id's war room is complete in the
// fake Slack.
func (bb *benchBot) warRoomReady(id int) bool {
	ch, ok := bb.fake.ChannelByName("inc-" + strconv.Itoa(id) + "-checkout-is-down")
	if !ok || ch.Topic == "" || len(ch.Pins) == 0 || !slices.Contains(ch.Members, bb.alice) {
		return false
	}
	return benchHas(bb.fake.Messages(ch.ID), "choose a *spokesperson*") &&
		benchHas(bb.fake.Messages(bb.announce), "Incident #"+strconv.Itoa(id)+" declared") &&
		benchHas(bb.fake.DMs(bb.alice), "incident #"+strconv.Itoa(id))
}

// benchHas reports whether a message's text or blocks contain s.
func benchHas(ms []slackfake.Message, s string) bool {
	for _, m := range ms {
		if strings.Contains(m.Text, s) || strings.Contains(string(m.RawBlocks), s) {
			return true
		}
	}
	return false
}
