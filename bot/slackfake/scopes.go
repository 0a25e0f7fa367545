package slackfake

import (
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/manifest"
)

// The app's installation: the bot scopes it was granted and the bot events
// it subscribes to. By default both come from bot/manifest, the manifest
// `incidentbot manifest` prints, so a call the real app would be refused
// for lack of a scope is refused here too.

// WithManifest installs the app from m instead of manifest.Default(): its
// bot scopes, bot events and App Home Messages tab setting.
func WithManifest(m manifest.Manifest) Option {
	return func(s *Server) {
		s.scopes = slices.Clone(m.OAuthConfig.Scopes.Bot)
		s.events = slices.Clone(m.Settings.EventSubscriptions.BotEvents)
		s.messagesTab = m.Features.AppHome.MessagesTabEnabled
	}
}

// WithScopes replaces the granted bot scopes.
func WithScopes(scopes ...string) Option {
	return func(s *Server) { s.scopes = slices.Clone(scopes) }
}

// WithExtraScopes grants bot scopes beyond the manifest's, for tests of
// code that a later feature will need a scope for.
func WithExtraScopes(scopes ...string) Option {
	return func(s *Server) {
		for _, x := range scopes {
			if !slices.Contains(s.scopes, x) {
				s.scopes = append(s.scopes, x)
			}
		}
	}
}

// WithoutScopes removes bot scopes from those granted, as an admin
// installing an older manifest would leave them out.
func WithoutScopes(scopes ...string) Option {
	return func(s *Server) {
		s.scopes = slices.DeleteFunc(s.scopes, func(x string) bool { return slices.Contains(scopes, x) })
	}
}

// WithEvents replaces the bot event subscriptions (e.g. "message.channels",
// "reaction_added", "app_mention").
func WithEvents(events ...string) Option {
	return func(s *Server) { s.events = slices.Clone(events) }
}

// WithChatWritePublic grants (or withdraws) the chat:write.public scope,
// which lets chat.postMessage post into public channels the bot has not
// joined. It never applies to private channels.
func WithChatWritePublic(on bool) Option {
	return func(s *Server) {
		s.scopes = slices.DeleteFunc(s.scopes, func(x string) bool { return x == "chat:write.public" })
		if on {
			s.scopes = append(s.scopes, "chat:write.public")
		}
	}
}

// Scopes returns the granted bot scopes.
func (s *Server) Scopes() []string { return slices.Clone(s.scopes) }

func (s *Server) hasScope(scope string) bool { return slices.Contains(s.scopes, scope) }

// conversationOf is the kind of conversation c is, for scope checks.
func conversationOf(c *channel) manifest.Conversation {
	switch {
	case c.im:
		return manifest.DM
	case c.private:
		return manifest.Private
	}
	return manifest.Public
}

// neededScopesLocked returns the scope groups a call needs: each group is
// satisfied by any one of its scopes, and every group must be. The lists
// come from bot/manifest (each method's docs page); for conversation
// methods the group is narrowed to the scope of the conversation's type
// when the fake can tell it from the call.
func (s *Server) neededScopesLocked(method string, q *request) [][]string {
	if _, ok := manifest.ScopesFor(method); !ok {
		return nil // auth.test and apps.connections.open need no bot scope
	}
	conv := manifest.Unknown
	switch method {
	case "conversations.create":
		conv = manifest.Public
		if q.boolean("is_private") {
			conv = manifest.Private
		}
	case "conversations.list":
		// Each type listed needs its own read scope.
		var groups [][]string
		for _, t := range listTypes(q) {
			kind := map[string]manifest.Conversation{
				"public_channel": manifest.Public, "private_channel": manifest.Private, "im": manifest.DM, "mpim": manifest.GroupDM,
			}[t]
			groups = append(groups, manifest.NeededScopes(method, kind))
		}
		return groups
	case "conversations.open":
		switch n := len(splitList(q.str("users"))); {
		case n == 1:
			conv = manifest.DM
		case n > 1:
			conv = manifest.GroupDM
		}
	}
	if conv == manifest.Unknown {
		id := q.str("channel")
		if id == "" {
			id = q.str("channel_id")
		}
		if c, ok := s.channels[id]; ok {
			conv = conversationOf(c)
		}
	}
	if needed := manifest.NeededScopes(method, conv); len(needed) > 0 {
		return [][]string{needed}
	}
	return nil
}

// checkScopesLocked answers missing_scope, with Slack's needed and provided
// fields (comma-separated scope lists), when a call needs a scope the app
// was not granted ("missing_scope" in every method's errors table; the
// fields appear in @slack/web-api's response types, e.g.
// ChatGetPermalinkResponse.needed/provided).
func (s *Server) checkScopesLocked(method string, q *request) *apiError {
	for _, group := range s.neededScopesLocked(method, q) {
		if !slices.ContainsFunc(group, s.hasScope) {
			return &apiError{code: "missing_scope", fields: map[string]any{
				"needed":   strings.Join(group, ","),
				"provided": strings.Join(s.scopes, ","),
			}}
		}
	}
	return nil
}

// listTypes is conversations.list's types argument (default
// public_channel).
func listTypes(q *request) []string {
	types := splitList(q.str("types"))
	if len(types) == 0 {
		return []string{"public_channel"}
	}
	return types
}

// subscriptionFor names the bot event subscription that delivers ev about
// c: message events subscribe per conversation type (message.channels,
// message.groups, message.im; Events API reference), other events by
// their type.
func subscriptionFor(c *channel, ev map[string]any) string {
	typ, _ := ev["type"].(string)
	if typ != "message" {
		return typ
	}
	switch conversationOf(c) {
	case manifest.DM:
		return "message.im"
	case manifest.Private:
		return "message.groups"
	}
	return "message.channels"
}

// subscribed reports whether the app subscribes to event.
func (s *Server) subscribed(event string) bool { return slices.Contains(s.events, event) }
