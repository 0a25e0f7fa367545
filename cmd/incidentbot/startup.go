package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/slack-go/slack"
)

// RetryPolicy paces what 'run' does while Slack is unreachable. Tests
// shorten it; the zero value is production's pacing.
type RetryPolicy struct {
	// Backoff is the wait before retry n (1 for the first retry). Nil
	// waits 1 s doubling up to 30 s, each wait drawn between half and all
	// of that, so that replicas restarted together do not retry in step.
	Backoff func(n int) time.Duration
	// Poll is how often the Socket Mode connection is looked at; zero is
	// one second.
	Poll time.Duration
}

func (p RetryPolicy) backoff(n int) time.Duration {
	if p.Backoff != nil {
		return p.Backoff(n)
	}
	d := min(time.Second<<min(n-1, 5), 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

func (p RetryPolicy) poll() time.Duration {
	if p.Poll > 0 {
		return p.Poll
	}
	return time.Second
}

// permanentError is a failure that retrying cannot fix.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

// permanent returns an error that retrySlack does not retry.
func permanent(format string, args ...any) error {
	return &permanentError{msg: fmt.Sprintf(format, args...)}
}

// transientCodes are the Slack error codes that mean "try again later".
var transientCodes = map[string]bool{
	"ratelimited":         true,
	"internal_error":      true,
	"fatal_error":         true,
	"service_unavailable": true,
	"request_timeout":     true,
}

// transient reports whether err may go away by itself: no answer at all
// (refused connections, DNS failures, timeouts, resets), a 5xx, a 429 or
// a Slack error code that says so. A Slack answer that refuses the request
// (invalid_auth, missing_scope, a 4xx) is permanent.
func transient(err error) bool {
	var perm *permanentError
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	var rl *slack.RateLimitedError
	switch {
	case errors.As(err, &perm):
		return false
	case errors.As(err, &rl):
		return true
	case errors.As(err, &se):
		return transientCodes[se.Err]
	case errors.As(err, &sc):
		return sc.Code >= 500 || sc.Code == http.StatusTooManyRequests || sc.Code == http.StatusRequestTimeout
	}
	return true
}

// retrySlack calls attempt until it succeeds, fails permanently, ctx ends,
// or Slack has been unreachable for cfg.Slack.ConnectTimeout. Each failed
// attempt is logged at warn level; what names the step for the log.
func retrySlack(ctx context.Context, cfg config.Config, policy RetryPolicy, log *slog.Logger, what string, attempt func(ctx context.Context) error) error {
	timeout := cfg.Slack.ConnectTimeout
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := dctx.Deadline()
	var last error
	for n := 1; ; n++ {
		err := attempt(dctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !transient(err) {
			return err
		}
		if dctx.Err() != nil && last != nil {
			err = last // the deadline cut this attempt short; the one before says more
		}
		last = err
		wait := policy.backoff(n)
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			wait = max(wait, rl.RetryAfter)
		}
		left := time.Until(deadline)
		if dctx.Err() != nil || wait >= left {
			log.Warn("Slack is unreachable; giving up", "step", what, "attempt", n, "err", err)
			return fmt.Errorf("could not reach Slack at %s for %s (%d attempts to %s; last error: %s); exiting so that the supervisor restarts incidentbot (slack.connect_timeout sets how long to wait)",
				cfg.Slack.APIURL, timeout, n, what, oneLine(err.Error()))
		}
		log.Warn("Slack is unreachable; retrying", "step", what, "attempt", n, "retry_in", wait.Round(time.Millisecond), "give_up_in", left.Round(time.Second), "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// token describes one Slack token for the start-up check.
type token struct {
	env    string // SLACK_BOT_TOKEN
	method string // the call that checks it
	fix    string // what to do when Slack refuses it
	check  func(ctx context.Context) error
}

// checkTokens asks Slack whether both tokens work: auth.test for the bot
// token, apps.connections.open (the call Socket Mode starts with) for the
// app token. It runs before the database is opened, so that a wrong
// token ends the process at once with a line naming the variable, and an
// unreachable Slack is retried (see retrySlack).
func checkTokens(ctx context.Context, api *slack.Client, cfg config.Config, policy RetryPolicy, log *slog.Logger) error {
	var auth *slack.AuthTestResponse
	tokens := []*token{
		{env: "SLACK_BOT_TOKEN", method: "auth.test",
			fix: "copy the Bot User OAuth Token (xoxb-…) again from the app's OAuth & Permissions page",
			check: func(ctx context.Context) (err error) {
				auth, err = api.AuthTestContext(ctx)
				return err
			}},
		{env: "SLACK_APP_TOKEN", method: "apps.connections.open",
			fix: "copy the app-level token (xapp-…) again from Basic Information > App-Level Tokens, or generate one with the connections:write scope",
			check: func(ctx context.Context) error {
				_, _, err := api.StartSocketModeContext(ctx)
				return err
			}},
	}
	err := retrySlack(ctx, cfg, policy, log, "check the Slack tokens", func(ctx context.Context) error {
		var refused []string
		var again error
		for _, t := range tokens {
			if t.check == nil {
				continue // passed on an earlier attempt
			}
			err := t.check(ctx)
			switch {
			case err == nil:
				t.check = nil
			case ctx.Err() != nil:
				return err
			case transient(err):
				again = fmt.Errorf("%s: %w", t.method, err)
			default:
				refused = append(refused, refusal(t, cfg, err))
			}
		}
		if len(refused) > 0 {
			return permanent("%s", strings.Join(refused, "; also, "))
		}
		return again
	})
	if err == nil {
		log.Info("authenticated with Slack", "team", auth.Team, "bot_user_id", auth.UserID)
	}
	return err
}

// refusal explains in one sentence why Slack refused token t, and what to
// do about it.
func refusal(t *token, cfg config.Config, err error) string {
	var se slack.SlackErrorResponse
	var sc slack.StatusCodeError
	switch {
	case errors.As(err, &se):
		switch se.Err {
		case "invalid_auth", "not_authed":
			return fmt.Sprintf("Slack refused %s (%s): it is not a valid token for any workspace; %s", t.env, se.Err, t.fix)
		case "account_inactive", "token_revoked":
			return fmt.Sprintf("Slack refused %s (%s): the token was revoked or the app uninstalled; reinstall the app to the workspace, then %s", t.env, se.Err, t.fix)
		case "missing_scope":
			return fmt.Sprintf("Slack refused %s (missing_scope): the token lacks a scope %s needs; %s", t.env, t.method, t.fix)
		case "not_allowed_token_type":
			return fmt.Sprintf("Slack refused %s (not_allowed_token_type): it is the wrong kind of token; %s", t.env, t.fix)
		}
		return fmt.Sprintf("Slack refused %s: %s answered %s; %s", t.env, t.method, se.Err, t.fix)
	case errors.As(err, &sc):
		return fmt.Sprintf("slack.api_url %s answered HTTP %s to %s, so it is not Slack's Web API (use %s unless you run a test server)", cfg.Slack.APIURL, sc.Status, t.method, config.DefaultAPIURL)
	}
	return fmt.Sprintf("checking %s with %s failed: %s", t.env, t.method, oneLine(err.Error()))
}
