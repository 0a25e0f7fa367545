package manifest

import (
	"maps"
	"slices"
	"strings"
)

// methodScopes maps each Web API method the fake Slack serves to the bot
// token scopes that allow it: any one of them is enough. The lists are the
// "Required scopes / Bot tokens" of each method's page on docs.slack.dev
// (https://docs.slack.dev/reference/methods/<method>); the §3.2 table of
// slack-reference.md has most of them. An empty list means the page says "No
// scope required" (views.*, chat.getPermalink).
//
// Conversation methods list one scope per conversation type, in the order
// public channel, private channel, DM, group DM; NeededScopes narrows them to
// the type of the conversation a call is about.
//
// Left out on purpose: auth.test needs no scope and is what a token check
// calls before anything else; apps.connections.open is called with the
// app-level token, whose scope (connections:write) is not a bot scope
// (https://docs.slack.dev/reference/methods/apps.connections.open).
var methodScopes = map[string][]string{
	"chat.postMessage":   {"chat:write"},
	"chat.update":        {"chat:write"},
	"chat.delete":        {"chat:write"},
	"chat.postEphemeral": {"chat:write"},
	"chat.getPermalink":  {},

	"conversations.create":     {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.invite":     {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.setTopic":   {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.setPurpose": {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.archive":    {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.unarchive":  {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.rename":     {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.open":       {"channels:manage", "groups:write", "im:write", "mpim:write"},
	"conversations.join":       {"channels:join"},
	"conversations.info":       {"channels:read", "groups:read", "im:read", "mpim:read"},
	"conversations.list":       {"channels:read", "groups:read", "im:read", "mpim:read"},
	"conversations.members":    {"channels:read", "groups:read", "im:read", "mpim:read"},
	"conversations.history":    {"channels:history", "groups:history", "im:history", "mpim:history"},
	"conversations.replies":    {"channels:history", "groups:history", "im:history", "mpim:history"},

	"views.open":    {},
	"views.push":    {},
	"views.update":  {},
	"views.publish": {},

	"pins.add":    {"pins:write"},
	"pins.remove": {"pins:write"},
	"pins.list":   {"pins:read"},

	"bookmarks.add":  {"bookmarks:write"},
	"bookmarks.list": {"bookmarks:read"},

	"reactions.add": {"reactions:write"},
	"reactions.get": {"reactions:read"},

	"users.info":          {"users:read"},
	"users.list":          {"users:read"},
	"users.lookupByEmail": {"users:read.email"},

	"usergroups.list":       {"usergroups:read"},
	"usergroups.users.list": {"usergroups:read"},

	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"files.info":                   {"files:read"},
}

// eventScopes maps each bot event subscription to the scope Slack requires
// for it (https://docs.slack.dev/reference/events/<event>; slack-reference.md
// §5): the manifest is refused when a subscribed event's scope is missing.
var eventScopes = map[string]string{
	"message.channels":      "channels:history",
	"message.groups":        "groups:history",
	"message.im":            "im:history",
	"message.mpim":          "mpim:history",
	"reaction_added":        "reactions:read",
	"reaction_removed":      "reactions:read",
	"pin_added":             "pins:read",
	"pin_removed":           "pins:read",
	"member_joined_channel": "channels:read", // or groups:read for private channels
	"app_mention":           "app_mentions:read",
}

// MethodScopes returns a copy of the whole table: Web API method -> the bot
// scopes of which any one allows it (empty: no scope needed).
func MethodScopes() map[string][]string {
	out := make(map[string][]string, len(methodScopes))
	for k, v := range methodScopes {
		out[k] = slices.Clone(v)
	}
	return out
}

// ScopesFor returns the bot scopes of which any one allows method, and false
// for a method the table does not know. An empty list with true means the
// method needs no scope.
func ScopesFor(method string) ([]string, bool) {
	s, ok := methodScopes[method]
	return slices.Clone(s), ok
}

// EventScope returns the scope a bot event subscription needs.
func EventScope(event string) (string, bool) {
	s, ok := eventScopes[event]
	return s, ok
}

// Methods returns every method of the table, sorted.
func Methods() []string { return slices.Sorted(maps.Keys(methodScopes)) }

// Conversation is the type of conversation a call is about, which decides
// between the per-type scopes of conversation methods.
type Conversation int

// The conversation types, as Slack's scope prefixes name them.
const (
	Unknown Conversation = iota // the call names no conversation the caller can resolve
	Public                      // channels:*
	Private                     // groups:*
	DM                          // im:*
	GroupDM                     // mpim:*
)

func (c Conversation) prefix() string {
	switch c {
	case Public:
		return "channels:"
	case Private:
		return "groups:"
	case DM:
		return "im:"
	case GroupDM:
		return "mpim:"
	}
	return ""
}

// NeededScopes returns the scopes of which any one allows calling method on
// a conversation of type conv: for conversation methods, the one scope of
// that type (conversations.history on a private channel needs
// groups:history, not channels:history); for other methods, or when conv is
// Unknown, every scope ScopesFor lists.
func NeededScopes(method string, conv Conversation) []string {
	all, _ := ScopesFor(method)
	p := conv.prefix()
	if p == "" {
		return all
	}
	var out []string
	for _, s := range all {
		if strings.HasPrefix(s, p) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}
