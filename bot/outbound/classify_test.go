package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/manifest"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err   error
		class Class
		wait  time.Duration
	}{
		{nil, 0, 0},
		{&slack.RateLimitedError{RetryAfter: 30 * time.Second}, RateLimited, 30 * time.Second},
		{&slack.RateLimitedError{}, RateLimited, time.Second}, // never retry at once
		{fmt.Errorf("chat.postMessage: %w", &Throttled{Method: "chat.postMessage", Wait: 2 * time.Second}), RateLimited, 2 * time.Second},
		{slack.SlackErrorResponse{Err: "ratelimited"}, RateLimited, time.Second},
		{slack.SlackErrorResponse{Err: "not_in_channel"}, Permanent, 0},
		{slack.SlackErrorResponse{Err: "channel_not_found"}, Permanent, 0},
		{slack.SlackErrorResponse{Err: "is_archived"}, Permanent, 0},
		{slack.SlackErrorResponse{Err: "restricted_action"}, Permanent, 0},
		{slack.SlackErrorResponse{Err: "missing_scope"}, Permanent, 0},
		{slack.SlackErrorResponse{Err: "msg_blocks_too_long"}, Permanent, 0},
		{slack.SlackErrorResponse{Err: "internal_error"}, Ambiguous, 0},
		{slack.SlackErrorResponse{Err: "request_timeout"}, Ambiguous, 0},
		{slack.StatusCodeError{Code: 503}, Ambiguous, 0},
		{slack.StatusCodeError{Code: 500}, Ambiguous, 0},
		{slack.StatusCodeError{Code: 404}, Permanent, 0},
		{context.DeadlineExceeded, Ambiguous, 0},
		{&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, Ambiguous, 0},
		{errors.New("unexpected EOF"), Ambiguous, 0},
		{PermanentError("corrupt effect"), Permanent, 0},
		{fmt.Errorf("wrapped: %w", ErrNotReady), Ambiguous, 0}, // the worker checks ErrNotReady first
	} {
		class, wait := Classify(c.err)
		if class != c.class || wait != c.wait {
			t.Errorf("Classify(%v) = %s, %v; want %s, %v", c.err, class, wait, c.class, c.wait)
		}
	}
	if !IsCode(fmt.Errorf("x: %w", slack.SlackErrorResponse{Err: "not_in_channel"}), "not_in_channel") || IsCode(slack.SlackErrorResponse{Err: "user_not_in_channel"}, "not_in_channel") {
		t.Error("IsCode compares codes, not substrings")
	}
}

func TestLimits(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	t.Run("MethodTier", func(t *testing.T) {
		clk := clock.NewFake(t0)
		l := newLimits(clk)
		// conversations.create is Tier 2: 20 a minute, then a wait longer
		// than the inline bound comes back as Throttled.
		for i := range 20 {
			if err := l.wait(ctx, "conversations.create", ""); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		var th *Throttled
		if err := l.wait(ctx, "conversations.create", ""); !errors.As(err, &th) || th.Wait < 2*time.Second || th.Wait > 4*time.Second {
			t.Fatalf("21st call: %v, want a throttle of about 3s", err)
		}
		// A throttled call took no token: after its wait it goes through.
		clk.Add(3 * time.Second)
		if err := l.wait(ctx, "conversations.create", ""); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
	})
	t.Run("ChannelPacing", func(t *testing.T) {
		clk := clock.NewFake(t0)
		l := newLimits(clk)
		for i := range manifest.ChannelPostBurst {
			if err := l.wait(ctx, "chat.postMessage", "C1"); err != nil {
				t.Fatalf("burst %d: %v", i, err)
			}
		}
		// The fourth message to C1 waits a second (in place, on the
		// clock); another channel does not.
		if err := l.wait(ctx, "chat.postMessage", "C2"); err != nil {
			t.Fatalf("other channel: %v", err)
		}
		done := make(chan error, 1)
		go func() { done <- l.wait(ctx, "chat.postMessage", "C1") }()
		for clk.Waiters() == 0 {
			time.Sleep(time.Millisecond)
		}
		select {
		case <-done:
			t.Fatal("did not wait for the channel's pace")
		default:
		}
		clk.Add(time.Second)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("RetryAfterPausesEveryCaller", func(t *testing.T) {
		clk := clock.NewFake(t0)
		l := newLimits(clk)
		l.block("conversations.setTopic", "", 30*time.Second)
		var th *Throttled
		if err := l.wait(ctx, "conversations.setTopic", ""); !errors.As(err, &th) || th.Wait != 30*time.Second {
			t.Fatalf("after a 429: %v", err)
		}
		clk.Add(30 * time.Second)
		if err := l.wait(ctx, "conversations.setTopic", ""); err != nil {
			t.Fatalf("after Retry-After: %v", err)
		}
	})
	t.Run("NoPacingStillHonoursRetryAfter", func(t *testing.T) {
		clk := clock.NewFake(t0)
		l := newLimits(clk)
		l.noPacing = true
		for range 100 {
			if err := l.wait(ctx, "conversations.create", ""); err != nil {
				t.Fatal(err)
			}
		}
		l.block("chat.postMessage", "C1", 5*time.Second)
		if err := l.wait(ctx, "chat.postMessage", "C1"); err == nil {
			t.Fatal("Retry-After ignored without pacing")
		}
		if err := l.wait(ctx, "chat.postMessage", "C2"); err != nil {
			t.Fatalf("another channel paused: %v", err)
		}
	})
}
