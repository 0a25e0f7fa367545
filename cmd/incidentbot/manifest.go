package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/incidentbot/incidentbot/bot"

	"go.yaml.in/yaml/v3"
)

// Manifest is a Slack app manifest, limited to the fields incidentbot sets.
// Field names follow Slack's manifest schema.
type Manifest struct {
	Metadata           ManifestMetadata `yaml:"_metadata"`
	DisplayInformation DisplayInfo      `yaml:"display_information"`
	Features           Features         `yaml:"features"`
	OAuthConfig        OAuthConfig      `yaml:"oauth_config"`
	Settings           Settings         `yaml:"settings"`
}

// ManifestMetadata is the manifest's _metadata.
type ManifestMetadata struct {
	MajorVersion int `yaml:"major_version"`
}

// DisplayInfo is the manifest's display_information.
type DisplayInfo struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"` // at most 140 characters
}

// Features is the manifest's features.
type Features struct {
	BotUser       BotUser        `yaml:"bot_user"`
	SlashCommands []SlashCommand `yaml:"slash_commands"`
	Shortcuts     []Shortcut     `yaml:"shortcuts"`
}

// BotUser is features.bot_user.
type BotUser struct {
	DisplayName  string `yaml:"display_name"`
	AlwaysOnline bool   `yaml:"always_online"`
}

// SlashCommand is one of features.slash_commands. Socket Mode apps need no url.
type SlashCommand struct {
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

// BotScopes are the bot token scopes incidentbot requests.
var BotScopes = []string{
	"commands",
	"chat:write", "chat:write.public",
	"channels:manage", "channels:read", "channels:history", "channels:join",
	"groups:write", "groups:read", "groups:history",
	"im:write",
	"pins:read", "pins:write",
	"reactions:read", "reactions:write",
	"bookmarks:write", "bookmarks:read",
	"users:read", "users:read.email",
	"usergroups:read",
	"files:write", "files:read",
	"app_mentions:read",
}

// BotEvents are the events incidentbot subscribes to.
var BotEvents = []string{
	"app_mention",
	"message.channels", "message.groups",
	"reaction_added", "pin_added",
	"member_joined_channel",
}

// AppManifest returns the Slack app manifest for a Socket Mode install.
func AppManifest() Manifest {
	return Manifest{
		Metadata: ManifestMetadata{MajorVersion: 1},
		DisplayInformation: DisplayInfo{
			Name:        "incidentbot",
			Description: "Declare, run and learn from incidents without leaving Slack",
		},
		Features: Features{
			BotUser: BotUser{DisplayName: "incidentbot", AlwaysOnline: true},
			SlashCommands: []SlashCommand{{
				Command:      "/incident",
				Description:  "Declare or manage an incident",
				UsageHint:    "declare | update | resolve | help",
				ShouldEscape: true,
			}},
			Shortcuts: []Shortcut{{
				Name:        "Add to incident timeline",
				Type:        "message",
				CallbackID:  bot.CallbackAddToTimeline,
				Description: "Add this message to the incident's timeline",
			}},
		},
		OAuthConfig: OAuthConfig{Scopes: Scopes{Bot: BotScopes}},
		Settings: Settings{
			EventSubscriptions:   EventSubscriptions{BotEvents: BotEvents},
			Interactivity:        Interactivity{IsEnabled: true},
			OrgDeployEnabled:     false,
			SocketModeEnabled:    true,
			TokenRotationEnabled: false,
		},
	}
}

// manifestHeader explains how to use the manifest.
const manifestHeader = `# Slack app manifest for incidentbot (Socket Mode).
# Create the app at https://api.slack.com/apps > Create New App > From an app manifest,
# paste this, install it to the workspace, then:
#   SLACK_BOT_TOKEN: OAuth & Permissions > Bot User OAuth Token (xoxb-...)
#   SLACK_APP_TOKEN: Basic Information > App-Level Tokens > Generate, scope connections:write (xapp-...)
`

// writeManifest writes the manifest as YAML with a usage header.
func writeManifest(w io.Writer) error {
	var buf bytes.Buffer
	buf.WriteString(manifestHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(AppManifest()); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
