package outbound

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/manifest"
)

// limits throttles calls before they are made and remembers Retry-After,
// so that one 429 pauses every caller of that method (or channel), not
// only the one that got it.
type limits struct {
	clk      clock.Clock
	noPacing bool // only Retry-After applies

	mu       sync.Mutex
	methods  map[string]*rate.Limiter
	channels map[string]*channelLimit
	blocked  map[string]time.Time // method or "chat.postMessage/C…" → until
}

type channelLimit struct {
	lim  *rate.Limiter
	used time.Time // last use, to forget idle channels
}

func newLimits(clk clock.Clock) *limits {
	return &limits{clk: clk, methods: map[string]*rate.Limiter{}, channels: map[string]*channelLimit{}, blocked: map[string]time.Time{}}
}

// key names what a limit applies to: the method, or for messages the
// method and the channel.
func limitKey(method, channel string) string {
	if channel != "" && (method == "chat.postMessage" || method == "chat.postEphemeral") {
		return method + "/" + channel
	}
	return method
}

// reserve returns how long the caller must wait before calling method on
// channel. When it is short enough to wait in place, it also takes the
// call's tokens, and cancel gives them back (a caller whose context ends
// while it waits); a longer wait takes none. A
// reservation given back does not always return its token: x/time/rate
// restores only what no later reservation counts on, so callers that each
// took a token and gave it back in the order they came leaked all but the
// last, and every later wait grew until the process restarted.
func (l *limits) reserve(method, channel string) (wait time.Duration, cancel func()) {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{method, limitKey(method, channel)} {
		if until, ok := l.blocked[k]; ok {
			if until.After(now) {
				wait = max(wait, until.Sub(now))
			} else {
				delete(l.blocked, k)
			}
		}
	}
	if l.noPacing {
		return wait, func() {}
	}
	var lims []*rate.Limiter
	if perMin, ok := manifest.RateLimit(method); ok {
		lim := l.methods[method]
		if lim == nil {
			lim = rate.NewLimiter(rate.Limit(float64(perMin)/60), perMin)
			l.methods[method] = lim
		}
		lims = append(lims, lim)
	}
	if method == "chat.postMessage" && channel != "" {
		cl := l.channels[channel]
		if cl == nil {
			cl = &channelLimit{lim: rate.NewLimiter(manifest.ChannelPostsPerSecond, manifest.ChannelPostBurst)}
			l.channels[channel] = cl
			l.forgetIdleLocked(now)
		}
		cl.used = now
		lims = append(lims, cl.lim)
	}
	for _, lim := range lims {
		if tokens := lim.TokensAt(now); tokens < 1 {
			wait = max(wait, time.Duration((1-tokens)/float64(lim.Limit())*float64(time.Second)))
		}
	}
	if wait > maxInlineWait {
		return wait, func() {}
	}
	rs := make([]*rate.Reservation, 0, len(lims))
	for _, lim := range lims {
		r := lim.ReserveN(now, 1)
		rs = append(rs, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait > maxInlineWait {
		// Still the latest reservations: given back whole.
		for _, r := range rs {
			r.CancelAt(now)
		}
		return wait, func() {}
	}
	return wait, func() {
		for _, r := range rs {
			r.CancelAt(now)
		}
	}
}

// forgetIdleLocked drops the buckets of channels unused for a minute: by
// then they are full again, so forgetting them changes nothing, and the
// map stays as small as the set of busy channels.
func (l *limits) forgetIdleLocked(now time.Time) {
	if len(l.channels) < 64 {
		return
	}
	for ch, cl := range l.channels {
		if now.Sub(cl.used) > time.Minute {
			delete(l.channels, ch)
		}
	}
}

// maxInlineWait is the longest a call waits for its rate limit in place.
// A longer wait is returned as a *Throttled error, so that the worker
// parks the lane and its slot serves other channels meanwhile.
const maxInlineWait = time.Second

// Throttled is returned, without calling Slack, when a call would have to
// wait longer than maxInlineWait for its rate limit.
type Throttled struct {
	Method string
	Wait   time.Duration
}

func (e *Throttled) Error() string {
	return "rate limit of " + e.Method + ": wait " + e.Wait.String()
}

// wait blocks until the call may be made (at most maxInlineWait), or
// returns *Throttled, or ctx's error.
func (l *limits) wait(ctx context.Context, method, channel string) error {
	d, cancel := l.reserve(method, channel)
	if d <= 0 {
		return nil
	}
	if d > maxInlineWait {
		return &Throttled{Method: method, Wait: d} // no token taken
	}
	select {
	case <-l.clk.After(d):
		return nil
	case <-ctx.Done():
		cancel()
		return ctx.Err()
	}
}

// block pauses method (and the channel's messages) for d after a 429.
func (l *limits) block(method, channel string, d time.Duration) {
	until := l.clk.Now().Add(d)
	l.mu.Lock()
	defer l.mu.Unlock()
	k := limitKey(method, channel)
	if until.After(l.blocked[k]) {
		l.blocked[k] = until
	}
}
