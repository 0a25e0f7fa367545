// Package manifest is incidentbot's Slack app manifest as Go data: the one
// place that says which bot scopes the app requests, which events it
// subscribes to, and which scope each Web API method needs.
//
// `incidentbot manifest` renders it as YAML for Slack's "Create New App >
// From an app manifest"; the fake Slack (bot/slackfake) grants exactly these
// scopes and delivers exactly these events; and tests check that every Web
// API method the bot calls has its scope declared here (ScopesFor, HasScope).
//
// Adding a scope or an event is a one-line change to botScopes or botEvents.
// Field names follow Slack's manifest schema
// (https://docs.slack.dev/reference/app-manifest; slack-reference.md §4).
package manifest

import "slices"

// CallbackAddToTimeline is the callback_id of the message shortcut "Add to
// incident timeline".
const CallbackAddToTimeline = "add_to_timeline"

// SlashCommand is the command incidentbot registers.
const SlashCommand = "/incident"

// botScopes are the bot token scopes incidentbot requests, no more: workspace
// admins review them at install (slack-reference.md §10). Keep it in step
// with methodScopes: TestManifest_EveryScopeIsUsed fails on a scope no method
// or event needs.
var botScopes = []string{
	"commands",          // the /incident slash command and the message shortcut
	"chat:write",        // post, update and ephemeral messages
	"chat:write.public", // post in public channels the bot has not joined (announcements)
	"channels:manage",   // create, invite to, set the topic of and archive public war rooms
	"groups:write",      // the same for private war rooms
	"channels:join",     // join an announcement channel to read back what was posted there (idempotent delivery checks)
	"channels:read",     // conversations.info/list/members on public channels
	"groups:read",       // the same on private channels
	"channels:history",  // read war-room messages (timeline) and message.channels events
	"groups:history",    // the same in private war rooms, and message.groups events
	"im:write",          // conversations.open: DMs to role holders
	"im:history",        // read back the bot's DMs (idempotent delivery checks)
	"pins:read",         // pin_added events
	"pins:write",        // pin the incident card
	"reactions:read",    // reaction_added events (the timeline emoji)
	"reactions:write",   // react to acknowledge
	"users:read",        // names and time zones of people
	"users:read.email",  // on-call rotations may name people by email (users.lookupByEmail)
	"files:write",       // upload the postmortem draft
	"bookmarks:write",   // playbooks bookmark their links in the war room
	"bookmarks:read",    // look for a bookmark whose answer was lost before adding it again
	"usergroups:read",   // playbooks invite and notify the members of user groups; paging a user group reaches each member
}

// botEvents are the bot events incidentbot subscribes to.
var botEvents = []string{
	"message.channels", // edits and deletions of timeline messages in public war rooms
	"message.groups",   // the same in private war rooms
	"reaction_added",   // the timeline emoji
	"pin_added",        // pinning adds to the timeline
}

// Manifest is a Slack app manifest, limited to the fields incidentbot sets.
type Manifest struct {
	Metadata           Metadata    `yaml:"_metadata"`
	DisplayInformation DisplayInfo `yaml:"display_information"`
	Features           Features    `yaml:"features"`
	OAuthConfig        OAuthConfig `yaml:"oauth_config"`
	Settings           Settings    `yaml:"settings"`
}

// Metadata is the manifest's _metadata.
type Metadata struct {
	MajorVersion int `yaml:"major_version"`
}

// DisplayInfo is the manifest's display_information.
type DisplayInfo struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"` // at most 140 characters
}

// Features is the manifest's features.
type Features struct {
	AppHome       AppHome    `yaml:"app_home"`
	BotUser       BotUser    `yaml:"bot_user"`
	SlashCommands []Command  `yaml:"slash_commands"`
	Shortcuts     []Shortcut `yaml:"shortcuts"`
}

// AppHome is features.app_home. The Messages tab is off by default for new
// apps, and chat.postMessage to a user then fails with
// messages_tab_disabled (chat.postMessage method docs; slack-reference.md
// §10): role DMs, handoff offers and DM fallbacks need it on.
type AppHome struct {
	HomeTabEnabled             bool `yaml:"home_tab_enabled"`
	MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
	MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
}

// BotUser is features.bot_user.
type BotUser struct {
	DisplayName  string `yaml:"display_name"`
	AlwaysOnline bool   `yaml:"always_online"`
}

// Command is one of features.slash_commands. Socket Mode apps need no url.
type Command struct {
	Command      string `yaml:"command"`
	Description  string `yaml:"description"`
	UsageHint    string `yaml:"usage_hint"`
	ShouldEscape bool   `yaml:"should_escape"`
}

// Shortcut is one of features.shortcuts.
type Shortcut struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	CallbackID  string `yaml:"callback_id"`
	Description string `yaml:"description"`
}

// OAuthConfig is the manifest's oauth_config.
type OAuthConfig struct {
	Scopes Scopes `yaml:"scopes"`
}

// Scopes is oauth_config.scopes.
type Scopes struct {
	Bot []string `yaml:"bot"`
}

// Settings is the manifest's settings.
type Settings struct {
	EventSubscriptions   EventSubscriptions `yaml:"event_subscriptions"`
	Interactivity        Interactivity      `yaml:"interactivity"`
	OrgDeployEnabled     bool               `yaml:"org_deploy_enabled"`
	SocketModeEnabled    bool               `yaml:"socket_mode_enabled"`
	TokenRotationEnabled bool               `yaml:"token_rotation_enabled"`
}

// EventSubscriptions is settings.event_subscriptions.
type EventSubscriptions struct {
	BotEvents []string `yaml:"bot_events"`
}

// Interactivity is settings.interactivity; Socket Mode needs no request_url.
type Interactivity struct {
	IsEnabled bool `yaml:"is_enabled"`
}

// Default returns incidentbot's manifest for a Socket Mode install. Each call
// returns fresh slices, so callers may change their copy.
func Default() Manifest {
	return Manifest{
		Metadata: Metadata{MajorVersion: 1},
		DisplayInformation: DisplayInfo{
			Name:        "incidentbot",
			Description: "Declare, run and learn from incidents without leaving Slack",
		},
		Features: Features{
			AppHome: AppHome{HomeTabEnabled: false, MessagesTabEnabled: true, MessagesTabReadOnlyEnabled: true},
			BotUser: BotUser{DisplayName: "incidentbot", AlwaysOnline: true},
			SlashCommands: []Command{{
				Command:     SlashCommand,
				Description: "Declare or manage an incident",
				UsageHint:   "declare | update | resolve | help",
				// Mentions arrive as <@U123|name> (slack-reference.md §9).
				ShouldEscape: true,
			}},
			Shortcuts: []Shortcut{{
				Name:        "Add to incident timeline",
				Type:        "message",
				CallbackID:  CallbackAddToTimeline,
				Description: "Add this message to the incident's timeline",
			}},
		},
		OAuthConfig: OAuthConfig{Scopes: Scopes{Bot: slices.Clone(botScopes)}},
		Settings: Settings{
			EventSubscriptions:   EventSubscriptions{BotEvents: slices.Clone(botEvents)},
			Interactivity:        Interactivity{IsEnabled: true},
			OrgDeployEnabled:     false,
			SocketModeEnabled:    true,
			TokenRotationEnabled: false,
		},
	}
}

// HasScope reports whether the manifest requests bot scope s.
func (m Manifest) HasScope(s string) bool { return slices.Contains(m.OAuthConfig.Scopes.Bot, s) }

// HasEvent reports whether the manifest subscribes to bot event e (for
// message events, the subscription name such as "message.channels").
func (m Manifest) HasEvent(e string) bool {
	return slices.Contains(m.Settings.EventSubscriptions.BotEvents, e)
}
