package slackfake

import (
	"math"
	"time"
)

// Per-minute limits of Slack's tiers (the documented floor of each tier).
const (
	tier1 = 1
	tier2 = 20
	tier3 = 50
	tier4 = 100
)

// methodTiers follows the table in the Slack reference (§3.2, [JAVA]).
// Methods not listed are not limited. apps.connections.open (Tier 1 on
// paper) is left out so that socket reconnects in tests are not throttled.
var methodTiers = map[string]int{
	"conversations.list":           tier2,
	"conversations.create":         tier2,
	"conversations.setTopic":       tier2,
	"conversations.setPurpose":     tier2,
	"conversations.archive":        tier2,
	"conversations.unarchive":      tier2,
	"conversations.rename":         tier2,
	"pins.add":                     tier2,
	"pins.remove":                  tier2,
	"pins.list":                    tier2,
	"bookmarks.add":                tier2,
	"bookmarks.list":               tier2,
	"usergroups.users.list":        tier2,
	"usergroups.list":              tier2,
	"users.list":                   tier2,
	"files.getUploadURLExternal":   tier4,
	"files.completeUploadExternal": tier4,
	"files.info":                   tier4,
	"conversations.invite":         tier3,
	"conversations.info":           tier3,
	"conversations.history":        tier3,
	"conversations.replies":        tier3,
	"conversations.members":        tier4,
	"conversations.join":           tier3,
	"conversations.open":           tier3,
	"chat.update":                  tier3,
	"chat.delete":                  tier3,
	"reactions.add":                tier3,
	"reactions.get":                tier3,
	"users.lookupByEmail":          tier3,
	"chat.postEphemeral":           tier4,
	"chat.getPermalink":            tier4,
	"views.open":                   tier4,
	"views.push":                   tier4,
	"views.update":                 tier4,
	"views.publish":                tier4,
	"users.info":                   tier4,
	"auth.test":                    600,
}

// postMessageBurst and postMessageRate model "about one message per second
// per channel, short bursts allowed" as a token bucket.
const (
	postMessageBurst = 3
	postMessageRate  = 1.0 // tokens per second
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
		if limit, ok = methodTiers[method]; !ok {
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
		b = &bucket{tokens: postMessageBurst, last: now}
		l.buckets[channel] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(postMessageBurst, b.tokens+el*postMessageRate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return max(1, int(math.Ceil((1-b.tokens)/postMessageRate)))
}
