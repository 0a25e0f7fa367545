package outbound

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/clock"
)

// Options configure a Client.
type Options struct {
	// Clock defaults to the real one.
	Clock clock.Clock
	// Timeout bounds each call (default 10 s). The HTTP client should have
	// one too; this one also covers waiting for a connection.
	Timeout time.Duration
	// Instance tells this database's messages from another's in message
	// metadata (see Post); default "incidentbot".
	Instance string
	Logger   *slog.Logger
	// Observe, when set, hears the outcome of every call (for metrics).
	Observe func(method string, err error, took time.Duration)
	// NoPacing turns off the limiter that keeps calls under Slack's rate
	// limits before they are made; 429s and their Retry-After are still
	// honoured. It is for tests against a fake Slack that does not limit:
	// the limiter runs on the (often frozen) test clock.
	NoPacing bool
}

// Client makes the bot's Slack Web API calls. It is safe for concurrent
// use and holds no lock across a call.
type Client struct {
	api      *slack.Client
	clk      clock.Clock
	lim      *limits
	timeout  time.Duration
	instance string
	log      *slog.Logger
	observe  func(string, error, time.Duration)
}

// New returns a Client calling Slack through api.
func New(api *slack.Client, o Options) *Client {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Instance == "" {
		o.Instance = "incidentbot"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	lim := newLimits(o.Clock)
	lim.noPacing = o.NoPacing
	return &Client{api: api, clk: o.Clock, lim: lim, timeout: o.Timeout, instance: o.Instance, log: o.Logger, observe: o.Observe}
}

// API returns the underlying slack-go client, for the Socket Mode
// connection.
func (c *Client) API() *slack.Client { return c.api }

// call runs one Web API call: it waits for the rate limit, bounds the call
// with the timeout, and remembers a 429's Retry-After for every caller.
func (c *Client) call(ctx context.Context, method, channel string, fn func(ctx context.Context) error) error {
	if err := c.lim.wait(ctx, method, channel); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	err := fn(cctx)
	if class, wait := Classify(err); class == RateLimited {
		c.lim.block(method, channel, wait)
	}
	if c.observe != nil {
		c.observe(method, err, time.Since(start))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}
