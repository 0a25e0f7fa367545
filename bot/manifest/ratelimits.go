package manifest

// Slack's rate limits, as documented: what the bot's client paces itself
// by and what the fake Slack enforces, from one table so the two cannot
// drift apart.

// Per-minute floors of Slack's rate-limit tiers
// (https://docs.slack.dev/apis/web-api/rate-limits; slack-reference.md
// §3.2-3.3).
const (
	Tier1 = 1
	Tier2 = 20
	Tier3 = 50
	Tier4 = 100
)

// Messages to one channel: "about one per second, short bursts allowed"
// (chat.postMessage's page), modelled as a token bucket.
const (
	ChannelPostsPerSecond = 1.0
	ChannelPostBurst      = 3
)

// methodRateLimits gives the per-minute limit of each method by its tier
// (each method's page on docs.slack.dev; the §3.2 table of
// slack-reference.md; java-slack-sdk's MethodsRateLimits). chat.postMessage
// is limited per channel instead (ChannelPostsPerSecond). Methods not
// listed have no limit here; apps.connections.open (Tier 1 on paper) is
// left out so that Socket Mode reconnects are never held back by our own
// pacing, and Slack's answer to it is honoured anyway.
var methodRateLimits = map[string]int{
	"conversations.list":       Tier2,
	"conversations.create":     Tier2,
	"conversations.setTopic":   Tier2,
	"conversations.setPurpose": Tier2,
	"conversations.archive":    Tier2,
	"conversations.unarchive":  Tier2,
	"conversations.rename":     Tier2,
	"pins.add":                 Tier2,
	"pins.remove":              Tier2,
	"pins.list":                Tier2,
	"bookmarks.add":            Tier2,
	"bookmarks.list":           Tier2,
	"usergroups.users.list":    Tier2,
	"usergroups.list":          Tier2,
	"users.list":               Tier2,

	"conversations.invite":  Tier3,
	"conversations.info":    Tier3,
	"conversations.history": Tier3,
	"conversations.replies": Tier3,
	"conversations.join":    Tier3,
	"conversations.open":    Tier3,
	"chat.update":           Tier3,
	"chat.delete":           Tier3,
	"reactions.add":         Tier3,
	"reactions.get":         Tier3,
	"users.lookupByEmail":   Tier3,

	"conversations.members":        Tier4,
	"chat.postEphemeral":           Tier4,
	"chat.getPermalink":            Tier4,
	"views.open":                   Tier4,
	"views.push":                   Tier4,
	"views.update":                 Tier4,
	"views.publish":                Tier4,
	"users.info":                   Tier4,
	"files.getUploadURLExternal":   Tier4,
	"files.completeUploadExternal": Tier4,
	"files.info":                   Tier4,

	// auth.test is in Slack's "special" tier: hundreds per minute.
	"auth.test": 600,
}

// RateLimit returns method's documented limit in calls per minute, and
// false when Slack documents none we apply.
func RateLimit(method string) (perMinute int, ok bool) {
	perMinute, ok = methodRateLimits[method]
	return perMinute, ok
}
