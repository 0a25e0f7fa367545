package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
)

func TestDigestSchedule(t *testing.T) {
	cfg := config.Default()
	cfg.Timezone = "Europe/Paris"
	cfg.Digest.Schedule = "0 9 * * 1-5"
	s, err := digestSchedule(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Friday 2026-03-06 10:00 in Paris (09:00 UTC): next is Monday 09:00 Paris.
	from := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	want := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC) // 09:00 CET
	if got := s.Next(from); !got.Equal(want) {
		t.Errorf("next digest %s, want %s", got.UTC(), want)
	}
	// Across the switch to summer time the digest stays at 09:00 local.
	from = time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC)
	want = time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC) // 09:00 CEST
	if got := s.Next(from); !got.Equal(want) {
		t.Errorf("next digest after DST %s, want %s", got.UTC(), want)
	}
	cfg.Digest.Schedule = "every morning"
	if _, err := digestSchedule(cfg); err == nil {
		t.Error("a bad schedule was accepted")
	}
}

func TestPolicyFromConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Postmortem.ArchiveAfter = 72 * time.Hour
	p := policy(cfg)
	if len(p.Severities) != len(cfg.Incidents.Severities) || p.DefaultSeverity != cfg.Incidents.DefaultSeverity || p.ArchiveAfter != 72*time.Hour {
		t.Errorf("policy %+v", p)
	}
	if p.Cadence("critical") != 15*time.Minute {
		t.Errorf("critical cadence %s", p.Cadence("critical"))
	}
}

func TestSlackClient(t *testing.T) {
	cfg := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken = "xoxb-1", "xapp-1"
	log := slog.New(slog.DiscardHandler)

	t.Run("NoRetryOnServerError", func(t *testing.T) {
		fake := slackfake.New()
		defer fake.Close()
		fake.FailNext("chat.postMessage", slackfake.Failure{Status: http.StatusInternalServerError})
		fake.FailNext("chat.postMessage", slackfake.Failure{Status: http.StatusInternalServerError})
		c := cfg
		c.Slack.APIURL = fake.APIURL()
		_, _, err := slackClient(c, log).PostMessageContext(context.Background(), "C1", slack.MsgOptionText("hi", false))
		var sc slack.StatusCodeError
		if !errors.As(err, &sc) || sc.Code != 500 {
			t.Fatalf("err = %v", err)
		}
		if n := fake.CallCount("chat.postMessage"); n != 1 {
			t.Errorf("chat.postMessage called %d times: Slack may have posted already, only the outbound client may retry", n)
		}
	})

	t.Run("NoRetryOnConnectionReset", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var accepted atomic.Int64
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				// Read the request, then drop the connection unanswered.
				conn.Read(make([]byte, 4096))
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		}()
		c := cfg
		c.Slack.APIURL = "http://" + ln.Addr().String() + "/api/"
		if _, _, err := slackClient(c, log).PostMessageContext(context.Background(), "C1", slack.MsgOptionText("hi", false)); err == nil {
			t.Fatal("no error from a dropped connection")
		}
		if n := accepted.Load(); n != 1 {
			t.Errorf("%d connections for one post", n)
		}
	})

	t.Run("CallTimeout", func(t *testing.T) {
		hung := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hung:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(hung)
		c := cfg
		c.Slack.APIURL = srv.URL + "/api/"
		c.Slack.CallTimeout = 100 * time.Millisecond
		_, err := slackClient(c, log).AuthTestContext(context.Background())
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
}

func TestAppOptions_ShutdownGrace(t *testing.T) {
	cfg := config.Default()
	if got := appOptions(cfg, nil, nil, nil, slog.New(slog.DiscardHandler), clock.Real{}).ShutdownGrace; got != 8*time.Second {
		t.Errorf("ShutdownGrace = %s, want 8s (docker stop kills after 10 s)", got)
	}
	cfg.ShutdownGrace = 25 * time.Second
	cfg.Slack.ConnectTimeout, cfg.Slack.CallTimeout = 3*time.Minute, 7*time.Second
	o := appOptions(cfg, nil, nil, nil, slog.New(slog.DiscardHandler), clock.Real{})
	if o.ShutdownGrace != 25*time.Second || o.ConnectTimeout != 3*time.Minute || o.CallTimeout != 7*time.Second {
		t.Errorf("grace %s, connect timeout %s, call timeout %s", o.ShutdownGrace, o.ConnectTimeout, o.CallTimeout)
	}
}
