package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/intake/intaketest"
)

// BenchmarkIntake_Bot measures Alertmanager webhooks per second into the
// real bot over HTTP on 127.0.0.1: the hook, the bot's Sink and a bbolt
// file with fsync on (the fake Slack takes the triage messages in the
// background). The group is triaged: "DedupeMiss" sends a new group each
// time (a group record and a triage post stored), "DedupeHit" one group
// again and again (Alertmanager's repeats and retries: the count and a
// triage update stored). "CommitFloor" is the store alone in the same run,
// on the same disk: one write of one key per op, through the same group
// commit, with the same number of writers. Parallel runs keep
// 4×GOMAXPROCS requests in flight; Serial ones send one at a time, so that
// every request pays a whole fsync. Run it with
//
//	go test -run '^$' -bench 'Intake_Bot' -benchtime 2000x -count 6 ./bot/
func BenchmarkIntake_Bot(b *testing.B) {
	mixed, err := os.ReadFile(filepath.Join("intake", "testdata", "alertmanager_group_mixed.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		kind     string // hit, miss, floor
		parallel bool
	}{
		{"DedupeHit", "hit", true},
		{"DedupeMiss", "miss", true},
		{"CommitFloor", "floor", true},
		{"DedupeHit/Serial", "hit", false},
		{"DedupeMiss/Serial", "miss", false},
		{"CommitFloor/Serial", "floor", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bb := newBenchBot(b)
			triage, err := bb.fake.CreateChannel(bb.alice, "alerts-triage", false, bb.alice)
			if err != nil {
				b.Fatal(err)
			}
			c := intake.Default()
			c.Hooks.Alertmanager.Token = amToken
			c.TriageChannel = triage
			h, err := intake.New(intake.Options{Config: c, Sink: bb.app})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			var seq atomic.Int64
			ctx := context.Background()
			send := func() {
				n := seq.Add(1)
				if bc.kind == "floor" {
					if err := bb.db.RememberKeys(ctx, time.Now(), []string{fmt.Sprint("floor:", n)}); err != nil {
						b.Error(err)
					}
					return
				}
				body := mixed
				if bc.kind == "miss" {
					body = bytes.Replace(mixed, []byte(`"groupKey":"{}:{`), fmt.Appendf(nil, `"groupKey":"{}:{n=\"%d\", `, n), 1)
				}
				if code, out, err := intaketest.Post(client, srv.URL+"/hooks/alertmanager", amToken, body); err != nil || code != http.StatusOK {
					b.Errorf("status %d %s: %v", code, out, err)
				}
			}
			// The first request of a hit run opens its group.
			if bc.kind == "hit" {
				send()
			}
			b.ResetTimer()
			cpu0 := intaketest.CPUTime()
			if bc.parallel {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						send()
					}
				})
			} else {
				for range b.N {
					send()
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			if cpu := intaketest.CPUTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
			}
		})
	}
}
