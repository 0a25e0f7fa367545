package slackfake

import (
	"math"
	"time"

	"github.com/incidentbot/incidentbot/bot/manifest"
)

type rateLimiter struct {
	overrides map[string]int         // method -> per minute
	windows   map[string][]time.Time // method (or method+channel) -> call times in the last minute
	buckets   map[string]*bucket     // channel -> chat.postMessage bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{overrides: map[string]int{}, windows: map[string][]time.Time{}, buckets: map[string]*bucket{}}
}

// SetRateLimit overrides the per-minute limit of method (for
// chat.postMessage: per channel per minute, replacing the 1/s bucket). A
// limit of 0 or less removes the override. Limits apply only while rate
// limiting is on.
func (s *Server) SetRateLimit(method string, perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perMinute <= 0 {
		delete(s.limits.overrides, method)
		return
	}
	s.limits.overrides[method] = perMinute
}

// allow records a call and returns 0, or the Retry-After seconds when the
// call is over the limit (and then does not count it).
func (l *rateLimiter) allow(method, channel string, now time.Time) int {
	limit, overridden := l.overrides[method]
	if method == "chat.postMessage" && !overridden {
		return l.allowBucket(channel, now)
	}
	if !overridden {
		var ok bool
		if limit, ok = manifest.RateLimit(method); !ok {
			return 0
		}
	}
	key := method
	if method == "chat.postMessage" {
		key += "/" + channel
	}
	cutoff := now.Add(-time.Minute)
	w := l.windows[key]
	i := 0
	for i < len(w) && !w[i].After(cutoff) {
		i++
	}
	w = w[i:]
	if len(w) >= limit {
		l.windows[key] = w
		wait := w[0].Add(time.Minute).Sub(now)
		return max(1, int(math.Ceil(wait.Seconds())))
	}
	l.windows[key] = append(w, now)
	return 0
}

func (l *rateLimiter) allowBucket(channel string, now time.Time) int {
	b := l.buckets[channel]
	if b == nil {
		b = &bucket{tokens: manifest.ChannelPostBurst, last: now}
		l.buckets[channel] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(manifest.ChannelPostBurst, b.tokens+el*manifest.ChannelPostsPerSecond)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return max(1, int(math.Ceil((1-b.tokens)/manifest.ChannelPostsPerSecond)))
}
