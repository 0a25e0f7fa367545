// Package outbound is incidentbot's one way out to Slack. Its Client makes
// every Web API call with a timeout, within Slack's rate limits (per
// method tier, about one message per second per channel, Retry-After
// honoured), and classifies what went wrong; its Worker delivers the
// durable outbox: one effect at a time per lane, in order, with backoff
// and jitter, a check of what Slack already has after an ambiguous failure,
// and a bounded number of attempts. Nothing is retried for ever, and no
// lock is held across a Slack call.
package outbound

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/slack-go/slack"
)

// Class says what a failed call means for its retry.
type Class int

// The classes of failure.
const (
	// Permanent failures will not go away by trying again: the channel is
	// archived, the bot is not in it, a scope is missing, the message is
	// invalid. Report once and drop.
	Permanent Class = iota + 1
	// RateLimited means Slack refused the call for its rate limit and did
	// nothing: wait Retry-After and try again; it does not count as an
	// attempt.
	RateLimited
	// Ambiguous failures may or may not have done the work: a timeout, a
	// reset connection, a 5xx. Check what Slack has before trying again.
	Ambiguous
)

// String names the class for logs.
func (c Class) String() string {
	switch c {
	case Permanent:
		return "permanent"
	case RateLimited:
		return "rate_limited"
	case Ambiguous:
		return "ambiguous"
	}
	return "unknown"
}

// permanentCodes are Slack error codes that no retry can fix. Other codes
// answered by Slack also mean it did nothing, and are permanent unless
// listed in retryCodes.
var retryCodes = map[string]bool{
	// Slack says it failed on its side: it may have done part of the work.
	"internal_error":      true,
	"fatal_error":         true,
	"request_timeout":     true,
	"service_unavailable": true,
	"ratelimited":         true,
}

// Classify returns the class of a failed call, and for RateLimited how long
// Slack asked to wait. A nil error has class 0.
func Classify(err error) (Class, time.Duration) {
	if err == nil {
		return 0, 0
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return RateLimited, max(rl.RetryAfter, time.Second)
	}
	var th *Throttled
	if errors.As(err, &th) {
		return RateLimited, th.Wait
	}
	var pe PermanentError
	if errors.As(err, &pe) {
		return Permanent, 0
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch {
		case se.Err == "ratelimited":
			return RateLimited, time.Second
		case retryCodes[se.Err]:
			return Ambiguous, 0
		}
		return Permanent, 0
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		if sc.Code >= 500 || sc.Code == 408 {
			return Ambiguous, 0
		}
		return Permanent, 0
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Ambiguous, 0
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return Ambiguous, 0
	}
	// Anything else from the transport (a reset, an EOF mid-answer) may
	// have reached Slack.
	return Ambiguous, 0
}

// Code returns Slack's error code ("not_in_channel"), or "".
func Code(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// IsCode reports whether Slack answered err with code. It compares the
// code itself: a substring match would take "user_not_in_channel" for
// "not_in_channel".
func IsCode(err error, code string) bool { return Code(err) == code }

// PermanentError is an error that no retry can fix, found before or
// without calling Slack (a corrupt effect, every channel name taken).
type PermanentError string

func (e PermanentError) Error() string { return string(e) }

// ErrNotReady is returned by a Deliverer when an effect must wait for
// another to land first (a post in a war room that does not exist yet).
// The worker tries it again later; it is not a failed attempt.
var ErrNotReady = errors.New("not ready: waiting for an earlier effect")
