package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"
)

// retryBudget is how long a Slack call may keep being retried. A burst of
// activity or a Slack hiccup delays messages; within this budget it never
// drops them.
const retryBudget = 15 * time.Minute

// withRetry runs call until it succeeds, fails for good, or the budget is
// spent. Rate limits are honoured (Retry-After); server errors and
// connection failures back off exponentially. The Slack client retries a
// few times itself; this is the outer, patient layer.
func (a *App) withRetry(ctx context.Context, call func() error) error {
	return a.withRetryIf(ctx, retryable, call)
}

// withRetryIf is withRetry for the errors retry accepts.
func (a *App) withRetryIf(ctx context.Context, retry func(error) bool, call func() error) error {
	deadline := time.Now().Add(retryBudget)
	backoff := 500 * time.Millisecond
	for {
		err := call()
		if err == nil || !retry(err) || time.Now().After(deadline) {
			return err
		}
		wait := backoff
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			wait = max(rl.RetryAfter, 100*time.Millisecond)
		} else {
			backoff = min(backoff*2, time.Minute)
		}
		a.log.Debug("slack call will be retried", "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// rateLimited reports whether Slack refused a call for its rate limit,
// which means it did nothing.
func rateLimited(err error) bool {
	var rl *slack.RateLimitedError
	return errors.As(err, &rl)
}

// retryable reports whether a failed call may succeed if tried again.
func retryable(err error) bool {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err == "ratelimited" || se.Err == "internal_error" || se.Err == "fatal_error" || se.Err == "request_timeout" || se.Err == "service_unavailable"
	}
	// Transport errors (connection refused or reset, timeouts).
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded)
}
