package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// BenchmarkAckStoredRequest measures what storing a request before its ack
// costs: the ack latency of a command that changes something ("/incident 1
// note …": checked, written to the inbox with fsync, then acked) against
// one that only reads ("/incident list": answered in the ack), both sent
// through one bot in the same iterations, interleaved, so that they meet
// the same machine, socket and database. Latency runs from the envelope
// leaving the fake's socket to its ack arriving there (Ack.SentAt to
// Ack.Time), as Slack would measure it. With inflight=1 the commands go
// one at a time; with inflight=50, fifty at once, and the store's group
// commit shares each fsync among the notes that wait for it.
//
//	go test -run '^$' -bench AckStoredRequest -benchtime 10x -count 6 ./bot/
func BenchmarkAckStoredRequest(b *testing.B) {
	for _, inflight := range []int{1, 50} {
		b.Run(fmt.Sprintf("inflight=%d", inflight), func(b *testing.B) { benchAckStored(b, inflight) })
	}
}

func benchAckStored(b *testing.B, inflight int) {
	bb := newBenchBot(b)
	ctx := context.Background()
	kinds := []struct{ name, text string }{
		{"note", "1 note checked the dashboards again"},
		{"list", "list"},
	}
	send := func(text string) (string, error) {
		d, err := bb.fake.SlashCommand(bb.alice, bb.general, "/incident", text)
		if err != nil {
			return "", err
		}
		ack, err := d.Wait(ctx)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(text, "1 note") && !strings.Contains(string(ack), ":memo:") {
			return "", fmt.Errorf("a note was refused: %s", ack)
		}
		return d.EnvelopeID, nil
	}
	// Incident #1, for the notes; the list then shows it.
	if _, err := send("declare Benchmark incident"); err != nil {
		b.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := bb.app.WaitIdle(wctx); err != nil {
		b.Fatalf("the declaration was not processed: %v", err)
	}
	for range 10 { // warm up
		for _, k := range kinds {
			if _, err := send(k.text); err != nil {
				b.Fatal(err)
			}
		}
	}
	kindOf := map[string]int{} // envelope ID → index in kinds
	var mu sync.Mutex
	seen := len(bb.fake.Acks())
	lat := make([][]time.Duration, len(kinds))
	for b.Loop() {
		var wg sync.WaitGroup
		sem := make(chan struct{}, inflight)
		errs := make(chan error, benchInFlight)
		for i := range benchInFlight {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				k := i % len(kinds)
				id, err := send(kinds[k].text)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				kindOf[id] = k
				mu.Unlock()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		acks := bb.fake.Acks()
		for _, a := range acks[seen:] {
			if k, ok := kindOf[a.EnvelopeID]; ok && !a.Late && !a.SentAt.IsZero() {
				lat[k] = append(lat[k], a.Time.Sub(a.SentAt))
			}
		}
		seen = len(acks)
	}
	b.StopTimer()
	for k, ds := range lat {
		if want := b.N * benchInFlight / len(kinds); len(ds) != want {
			b.Fatalf("%s: matched %d acks, want %d", kinds[k].name, len(ds), want)
		}
		slices.Sort(ds)
		at := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))]) / float64(time.Microsecond) }
		b.ReportMetric(at(0.50), kinds[k].name+"-p50-µs")
		b.ReportMetric(at(0.99), kinds[k].name+"-p99-µs")
	}
	// Every note acked was stored: the inbox drains into the timeline.
	if err := bb.app.WaitIdle(wctx); err != nil {
		b.Fatalf("the bot did not settle: %v", err)
	}
	want := 10 + b.N*benchInFlight/len(kinds)
	evs, err := bb.db.Events(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	notes := 0
	for _, e := range evs {
		if e.Kind == incident.EventNote {
			notes++
		}
	}
	if notes != want {
		b.Errorf("%d notes on the timeline, want %d", notes, want)
	}
}
