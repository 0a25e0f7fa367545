package intake_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/intake/intaketest"
)

// BenchmarkIntake_Loopback measures Alertmanager webhooks per second over
// real HTTP on 127.0.0.1, into an in-memory sink that dedupes by group key:
// "DedupeHit" re-sends one group (Alertmanager's repeats and retries),
// "DedupeMiss" sends a new group each time. Parallel runs keep
// 4×GOMAXPROCS requests in flight; Serial sends one at a time (its ns/op is
// the latency of one request). cpu-µs/req is the process's CPU time per
// request, client included, which a busy machine does not inflate. The
// store's commit floor is in BENCHMARKS.md: the bot's sink, not the
// intake, bounds real throughput.
func BenchmarkIntake_Loopback(b *testing.B) {
	firing := MustReadFixture(b, "alertmanager_firing.json")
	for _, bc := range []struct {
		name     string
		miss     bool
		parallel bool
	}{
		{"DedupeHit", false, true},
		{"DedupeMiss", true, true},
		{"DedupeHit/Serial", false, false},
		{"DedupeMiss/Serial", true, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sink := newMemSink(false)
			h, err := intake.New(intake.Options{Config: testConfig(), Sink: sink, Now: clock.NewFake(t0).Now})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			var seq atomic.Int64
			send := func() {
				body := firing
				if bc.miss {
					body = bytes.Replace(firing, []byte(`"groupKey":"{}:{`), fmt.Appendf(nil, `"groupKey":"{}:{n=\"%d\", `, seq.Add(1)), 1)
				}
				if code, out, err := intaketest.Post(client, srv.URL+"/hooks/alertmanager", amToken, body); err != nil || code != http.StatusOK {
					b.Errorf("status %d %s: %v", code, out, err)
				}
			}
			b.SetBytes(int64(len(firing)))
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
				// Client and server share the process: this is the CPU
				// cost of a request at both ends of the loopback.
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
			}
			want := 1
			if bc.miss {
				want = b.N
			}
			if _, groups, _ := sink.snapshot(); groups != want {
				b.Errorf("groups = %d, want %d", groups, want)
			}
		})
	}
}

// BenchmarkParseAlertmanager is the decoding share of a request.
func BenchmarkParseAlertmanager(b *testing.B) {
	body := MustReadFixture(b, "alertmanager_group_mixed.json")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := intake.ParseAlertmanager(body, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouter_Match routes a group through ten routes to the default.
func BenchmarkRouter_Match(b *testing.B) {
	c := testConfig()
	for i := range 8 {
		c.Routes = append(c.Routes, intake.RouteConfig{Matchers: []string{fmt.Sprintf(`team=~"team-%d|x.*"`, i), `env!="dev"`}, Action: intake.ActionTriage})
	}
	rt, err := intake.NewRouter(c)
	if err != nil {
		b.Fatal(err)
	}
	batch, err := intake.ParseAlertmanager(MustReadFixture(b, "alertmanager_group_mixed.json"), t0)
	if err != nil {
		b.Fatal(err)
	}
	batch.Alerts[0].Labels["service"], batch.Alerts[1].Labels["service"] = "web", "web"
	for b.Loop() {
		if rt.Match(batch).Name != "default" {
			b.Fatal("not the default")
		}
	}
}
