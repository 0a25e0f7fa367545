package bot_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/bot/slackfake"
)

// Ack latency under a burst, against the floor: a minimal slack-go bot
// that only acks. Run it with, for instance:
//
//	go test -run '^$' -bench AckBurst -benchtime 30x -count 6 ./bot/
//
// Each iteration sends a burst of 100 "/incident list" at once to the
// reference bot, then to incidentbot (the real App on a bbolt file with
// fsync on and a few incidents), each on its own fake Slack. Latency runs
// from the envelope leaving the fake's socket to its ack arriving there,
// as Slack measures it. The ratio metric is incidentbot's p99 over the
// reference's, from the same iterations.

const burst = 100

// refBot is the floor: slack-go Socket Mode that acks every envelope at
// once and does nothing else.
func refBot(b *testing.B, fake *slackfake.Server) {
	api := slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken(fake.AppToken()))
	sm := socketmode.New(api, socketmode.OptionPingInterval(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	connected := make(chan struct{})
	var once sync.Once
	go func() {
		for evt := range sm.Events {
			switch {
			case evt.Type == socketmode.EventTypeConnected:
				once.Do(func() { close(connected) })
			case evt.Request != nil && evt.Request.EnvelopeID != "":
				sm.Ack(*evt.Request)
			}
		}
	}()
	done := make(chan struct{})
	go func() { defer close(done); sm.RunContext(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		b.Fatal("the reference bot did not connect")
	}
}

// sendBurst sends n slash commands at once and returns the ack latencies.
func sendBurst(b *testing.B, fake *slackfake.Server, user, channel, text string, n int) []time.Duration {
	before := len(fake.Acks())
	var wg sync.WaitGroup
	var mu sync.Mutex
	ours := map[string]bool{}
	gate := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-gate
			d, err := fake.SlashCommand(user, channel, "/incident", text)
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			ours[d.EnvelopeID] = true
			mu.Unlock()
			if _, err := d.Wait(context.Background()); err != nil {
				b.Error(err)
			}
		})
	}
	close(gate)
	wg.Wait()
	var lat []time.Duration
	for _, a := range fake.Acks()[before:] {
		if ours[a.EnvelopeID] && !a.Late && !a.SentAt.IsZero() {
			lat = append(lat, a.Time.Sub(a.SentAt))
		}
	}
	if len(lat) != n {
		b.Fatalf("%d timely acks of %d", len(lat), n)
	}
	return lat
}

func quantile(ds []time.Duration, q float64) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}

func BenchmarkAckBurst(b *testing.B) {
	refFake := slackfake.New(slackfake.WithAckTimeout(10 * time.Second))
	b.Cleanup(refFake.Close)
	refUser := refFake.AddUser(slackfake.User{Name: "alice"})
	refChan, err := refFake.CreateChannel(refUser, "general", false, refUser)
	if err != nil {
		b.Fatal(err)
	}
	refBot(b, refFake)

	bb := newBenchBot(b)
	for range 5 { // something to list
		d, err := bb.fake.SlashCommand(bb.alice, bb.general, "/incident", "declare Something is broken")
		if err != nil {
			b.Fatal(err)
		}
		d.Wait(context.Background())
	}
	// Warm both up: connection buffers, goroutine stacks.
	sendBurst(b, refFake, refUser, refChan, "list", burst)
	sendBurst(b, bb.fake, bb.alice, bb.general, "list", burst)

	var ref, bot []time.Duration
	var ratios []float64
	for b.Loop() {
		r := sendBurst(b, refFake, refUser, refChan, "list", burst)
		o := sendBurst(b, bb.fake, bb.alice, bb.general, "list", burst)
		ref, bot = append(ref, r...), append(bot, o...)
		ratios = append(ratios, float64(quantile(o, 0.99))/float64(quantile(r, 0.99)))
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(quantile(ref, 0.5)), "ref-p50-µs")
	b.ReportMetric(us(quantile(ref, 0.99)), "ref-p99-µs")
	b.ReportMetric(us(quantile(bot, 0.5)), "bot-p50-µs")
	b.ReportMetric(us(quantile(bot, 0.99)), "bot-p99-µs")
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-p99-ratio")
	b.ReportMetric(float64(quantile(bot, 0.99))/float64(quantile(ref, 0.99)), "pooled-p99-ratio")
}
