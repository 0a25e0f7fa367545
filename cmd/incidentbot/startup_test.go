package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
)

// fastRetry paces retries in tests: no test waits for production's
// backoff.
var fastRetry = RetryPolicy{
	Backoff: func(int) time.Duration { return 20 * time.Millisecond },
	Poll:    10 * time.Millisecond,
}

// fakeEnv is an environment holding the fake's two tokens.
func fakeEnv(fake *slackfake.Server) map[string]string {
	return map[string]string{"SLACK_BOT_TOKEN": fake.BotToken(), "SLACK_APP_TOKEN": fake.AppToken()}
}

// lastLine returns the last line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// startupConfig writes a config for 'run' against apiURL, with its
// database in dir, an announcement channel to resolve, and extra lines of
// the slack section.
func startupConfig(t *testing.T, apiURL, dir, extra string) string {
	t.Helper()
	return MustWriteConfig(t, fmt.Sprintf("slack:\n  api_url: %q\n  announce_channels: [\"#incidents\"]\n%sstore:\n  path: %q\nhttp:\n  listen: \"\"\n",
		apiURL, extra, filepath.Join(dir, "bot.db")))
}

// assertNothingOpened fails if the database was created or a channel
// name was resolved: the tokens are checked before either.
func assertNothingOpened(t *testing.T, dir string, fake *slackfake.Server) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "bot.db")); err == nil {
		t.Error("the database was opened before the tokens were checked")
	}
	if fake != nil && fake.CallCount("conversations.list") > 0 {
		t.Error("channel names were resolved before the tokens were checked")
	}
}

func TestMain_RunRefusedTokens(t *testing.T) {
	tests := []struct {
		name  string
		env   func(fake *slackfake.Server) map[string]string
		setup func(fake *slackfake.Server)
		want  []string
	}{
		{"BotInvalidAuth", func(f *slackfake.Server) map[string]string {
			return map[string]string{"SLACK_BOT_TOKEN": "xoxb-1111-wrong", "SLACK_APP_TOKEN": f.AppToken()}
		}, nil, []string{"Slack refused SLACK_BOT_TOKEN (invalid_auth)", "OAuth & Permissions"}},
		{"AppInvalidAuth", func(f *slackfake.Server) map[string]string {
			return map[string]string{"SLACK_BOT_TOKEN": f.BotToken(), "SLACK_APP_TOKEN": "xapp-1-wrong"}
		}, nil, []string{"Slack refused SLACK_APP_TOKEN (invalid_auth)", "App-Level Tokens"}},
		{"BothInvalidAuth", func(f *slackfake.Server) map[string]string {
			return map[string]string{"SLACK_BOT_TOKEN": "xoxb-1111-wrong", "SLACK_APP_TOKEN": "xapp-1-wrong"}
		}, nil, []string{"Slack refused SLACK_BOT_TOKEN (invalid_auth)", "also, Slack refused SLACK_APP_TOKEN (invalid_auth)"}},
		{"BotNotAuthed", fakeEnv, func(f *slackfake.Server) { f.FailNext("auth.test", slackfake.Failure{Error: "not_authed"}) },
			[]string{"Slack refused SLACK_BOT_TOKEN (not_authed)"}},
		{"BotRevoked", fakeEnv, func(f *slackfake.Server) { f.FailNext("auth.test", slackfake.Failure{Error: "token_revoked"}) },
			[]string{"Slack refused SLACK_BOT_TOKEN (token_revoked)", "reinstall the app"}},
		{"BotAccountInactive", fakeEnv, func(f *slackfake.Server) { f.FailNext("auth.test", slackfake.Failure{Error: "account_inactive"}) },
			[]string{"Slack refused SLACK_BOT_TOKEN (account_inactive)", "reinstall the app"}},
		{"AppRevoked", fakeEnv, func(f *slackfake.Server) {
			f.FailNext("apps.connections.open", slackfake.Failure{Error: "token_revoked"})
		},
			[]string{"Slack refused SLACK_APP_TOKEN (token_revoked)"}},
		{"AppMissingScope", fakeEnv, func(f *slackfake.Server) {
			f.FailNext("apps.connections.open", slackfake.Failure{Error: "missing_scope"})
		},
			[]string{"Slack refused SLACK_APP_TOKEN (missing_scope)", "connections:write"}},
		{"NotSlack", fakeEnv, func(f *slackfake.Server) { f.FailNext("auth.test", slackfake.Failure{Status: http.StatusNotFound}) },
			[]string{"slack.api_url", "answered HTTP 404", "not Slack's Web API"}},
		{"MalformedBotToken", func(f *slackfake.Server) map[string]string {
			return map[string]string{"SLACK_BOT_TOKEN": "xoxb-1111 2222", "SLACK_APP_TOKEN": f.AppToken()}
		}, nil, []string{"SLACK_BOT_TOKEN: contains whitespace"}},
		{"UserTokenAsBotToken", func(f *slackfake.Server) map[string]string {
			return map[string]string{"SLACK_BOT_TOKEN": "xoxp-1111-2222", "SLACK_APP_TOKEN": f.AppToken()}
		}, nil, []string{"SLACK_BOT_TOKEN: is a user token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := slackfake.New()
			defer fake.Close()
			if tt.setup != nil {
				tt.setup(fake)
			}
			dir := t.TempDir()
			r := MustRun(t, tt.env(fake), "run", "--config", startupConfig(t, fake.APIURL(), dir, ""))
			assertOneLineError(t, r, 1, tt.want[0])
			for _, w := range tt.want[1:] {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			assertNothingOpened(t, dir, fake)
		})
	}
}

func TestMain_RunUnreachableSlack(t *testing.T) {
	tests := []struct {
		name string
		// url returns the API URL and, when the fake is used, the fake.
		url  func(t *testing.T) (string, *slackfake.Server)
		want string
	}{
		{"ClosedPort", func(t *testing.T) (string, *slackfake.Server) {
			return "http://" + freePort(t) + "/api/", nil
		}, "connection refused"},
		{"FakeClosed", func(t *testing.T) (string, *slackfake.Server) {
			fake := slackfake.New()
			fake.Close()
			return fake.APIURL(), nil
		}, "connection refused"},
		{"ServerErrors", func(t *testing.T) (string, *slackfake.Server) {
			fake := slackfake.New()
			t.Cleanup(fake.Close)
			for range 1000 {
				fake.FailNext("auth.test", slackfake.Failure{Status: http.StatusServiceUnavailable})
			}
			return fake.APIURL(), fake
		}, "503 Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, fake := tt.url(t)
			dir := t.TempDir()
			env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-1111-2222", "SLACK_APP_TOKEN": "xapp-1-3333"}
			if fake != nil {
				env = fakeEnv(fake)
			}
			r := MustRun(t, env, "run", "--config", startupConfig(t, url, dir, "  connect_timeout: 1s\n"))
			if r.code != 1 || r.stdout != "" {
				t.Fatalf("got %+v", r)
			}
			last := lastLine(r.stderr)
			for _, w := range []string{"incidentbot: could not reach Slack at " + url + " for 1s", "last error:", tt.want, "slack.connect_timeout"} {
				if !strings.Contains(last, w) {
					t.Errorf("last line %q lacks %q", last, w)
				}
			}
			if n := strings.Count(r.stderr, "level=WARN msg=\"Slack is unreachable; retrying\""); n < 2 {
				t.Errorf("%d warnings, want one per attempt:\n%s", n, r.stderr)
			}
			assertNothingOpened(t, dir, fake)
		})
	}
}

func TestMain_RunRetriesUntilSlackAnswers(t *testing.T) {
	fake := slackfake.New()
	defer fake.Close()
	alice := fake.AddUser(slackfake.User{Name: "alice"})
	fake.CreateChannel(alice, "incidents", false, alice)
	fake.FailNext("auth.test", slackfake.Failure{Status: http.StatusBadGateway})
	fake.FailNext("auth.test", slackfake.Failure{Error: "fatal_error"})
	fake.FailNext("apps.connections.open", slackfake.Failure{Error: "internal_error"})
	fake.FailNext("conversations.list", slackfake.Failure{Status: http.StatusServiceUnavailable})
	cfg := startupConfig(t, fake.APIURL(), t.TempDir(), "")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Dispatch(ctx, &Env{Stdout: &stderr, Stderr: &stderr, Environ: environ(fakeEnv(fake)), Retry: fastRetry}, []string{"run", "--config", cfg})
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := fake.WaitFor(wctx, func() bool { return fake.Connections() > 0 }); err != nil {
		t.Fatalf("the bot did not connect after Slack recovered:\n%s", stderr.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("run exited %d:\n%s", code, stderr.String())
	}
	// Tokens: 502 and internal_error, then fatal_error; channels: 503.
	if n := strings.Count(stderr.String(), "Slack is unreachable; retrying"); n != 3 {
		t.Errorf("%d retry warnings, want 3:\n%s", n, stderr.String())
	}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"ConnectionRefused", &net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}, true},
		{"DNS", &net.DNSError{Err: "no such host", Name: "slack.com", IsNotFound: true}, true},
		{"Timeout", context.DeadlineExceeded, true},
		{"5xx", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, true},
		{"429", &slack.RateLimitedError{RetryAfter: time.Second}, true},
		{"InternalError", slack.SlackErrorResponse{Err: "internal_error"}, true},
		{"RatelimitedBody", slack.SlackErrorResponse{Err: "ratelimited"}, true},
		{"InvalidAuth", slack.SlackErrorResponse{Err: "invalid_auth"}, false},
		{"TokenRevoked", fmt.Errorf("auth.test: %w", slack.SlackErrorResponse{Err: "token_revoked"}), false},
		{"404", slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, false},
		{"Permanent", permanent("channel #x not found"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := transient(tt.err); got != tt.want {
				t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryPolicy_Backoff(t *testing.T) {
	var p RetryPolicy
	for n, max := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 30 * time.Second, 50: 30 * time.Second} {
		for range 100 {
			if d := p.backoff(n); d < max/2 || d > max {
				t.Fatalf("backoff(%d) = %s, want between %s and %s", n, d, max/2, max)
			}
		}
	}
	if p.poll() != time.Second || fastRetry.poll() != 10*time.Millisecond {
		t.Error("poll interval")
	}
}

func TestRetrySlack(t *testing.T) {
	cfg := config.Default()
	cfg.Slack.ConnectTimeout = time.Minute
	refused := &net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}

	t.Run("OKAfterFailures", func(t *testing.T) {
		var log bytes.Buffer
		calls := 0
		err := retrySlack(context.Background(), cfg, fastRetry, slog.New(slog.NewTextHandler(&log, nil)), "test", func(context.Context) error {
			if calls++; calls < 3 {
				return refused
			}
			return nil
		})
		if err != nil || calls != 3 || strings.Count(log.String(), "level=WARN") != 2 {
			t.Errorf("err %v after %d calls, log:\n%s", err, calls, log.String())
		}
	})
	t.Run("OKHonoursRetryAfter", func(t *testing.T) {
		calls := 0
		start := time.Now()
		err := retrySlack(context.Background(), cfg, fastRetry, slog.New(slog.DiscardHandler), "test", func(context.Context) error {
			if calls++; calls == 1 {
				return &slack.RateLimitedError{RetryAfter: 100 * time.Millisecond}
			}
			return nil
		})
		if err != nil || calls != 2 || time.Since(start) < 100*time.Millisecond {
			t.Errorf("err %v after %d calls in %s, want the second after Retry-After", err, calls, time.Since(start))
		}
	})
	t.Run("ErrPermanentNotRetried", func(t *testing.T) {
		calls := 0
		err := retrySlack(context.Background(), cfg, fastRetry, slog.New(slog.DiscardHandler), "test", func(context.Context) error {
			calls++
			return slack.SlackErrorResponse{Err: "invalid_auth"}
		})
		if err == nil || calls != 1 {
			t.Errorf("err %v after %d calls", err, calls)
		}
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		err := retrySlack(ctx, cfg, fastRetry, slog.New(slog.DiscardHandler), "test", func(context.Context) error {
			cancel()
			return refused
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrGivesUpWithTheLastRealError", func(t *testing.T) {
		short := cfg
		short.Slack.ConnectTimeout = 200 * time.Millisecond
		err := retrySlack(context.Background(), short, fastRetry, slog.New(slog.DiscardHandler), "test", func(ctx context.Context) error {
			return refused
		})
		if err == nil || !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "deadline") {
			t.Errorf("err = %v", err)
		}
	})
}
