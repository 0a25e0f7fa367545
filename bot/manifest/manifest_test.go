package manifest_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/manifest"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestManifest_Default(t *testing.T) {
	m := manifest.Default()
	wantScopes := []string{
		"commands", "chat:write", "chat:write.public", "channels:manage", "groups:write", "channels:join", "channels:read",
		"groups:read", "channels:history", "groups:history", "im:write", "im:history", "pins:read", "pins:write",
		"reactions:read", "reactions:write", "users:read", "users:read.email", "files:write",
		"bookmarks:write", "bookmarks:read", "usergroups:read",
	}
	if got := m.OAuthConfig.Scopes.Bot; !slices.Equal(got, wantScopes) {
		t.Errorf("bot scopes = %q, want exactly %q", got, wantScopes)
	}
	wantEvents := []string{"message.channels", "message.groups", "reaction_added", "pin_added"}
	if got := m.Settings.EventSubscriptions.BotEvents; !slices.Equal(got, wantEvents) {
		t.Errorf("bot events = %q, want exactly %q", got, wantEvents)
	}
	if h := m.Features.AppHome; h.HomeTabEnabled || !h.MessagesTabEnabled || !h.MessagesTabReadOnlyEnabled {
		t.Errorf("app_home = %+v: DMs need the Messages tab on (read only), and there is no Home tab", h)
	}
	if !m.Settings.SocketModeEnabled || !m.Settings.Interactivity.IsEnabled {
		t.Error("socket mode and interactivity must be enabled")
	}
	if m.Settings.OrgDeployEnabled || m.Settings.TokenRotationEnabled {
		t.Error("org deploy and token rotation must be off")
	}
	if c := m.Features.SlashCommands; len(c) != 1 || c[0].Command != "/incident" || !c[0].ShouldEscape {
		t.Errorf("slash commands = %+v", c)
	}
	sc := m.Features.Shortcuts
	if len(sc) != 1 || sc[0].CallbackID != "add_to_timeline" || sc[0].Type != "message" || sc[0].Name != "Add to incident timeline" {
		t.Fatalf("shortcuts = %+v", sc)
	}
	// Limits of the manifest schema (docs.slack.dev/reference/app-manifest).
	if n := utf8.RuneCountInString(sc[0].Name); n > 24 {
		t.Errorf("shortcut name is %d characters; Slack allows 24", n)
	}
	if n := utf8.RuneCountInString(m.DisplayInformation.Description); n > 140 {
		t.Errorf("description is %d characters; Slack allows 140", n)
	}
	if !m.HasScope("chat:write") || m.HasScope("app_mentions:read") {
		t.Error("HasScope is wrong")
	}
	if !m.HasEvent("pin_added") || m.HasEvent("app_mention") {
		t.Error("HasEvent is wrong")
	}

	// Default hands out copies: changing one does not change the next.
	m.OAuthConfig.Scopes.Bot[0] = "changed"
	if manifest.Default().OAuthConfig.Scopes.Bot[0] != "commands" {
		t.Error("Default shares its scope slice")
	}
}

// TestManifest_EveryScopeIsUsed keeps the scope list minimal: each scope is
// needed by a method of the table or by a subscribed event, or has a reason
// of its own below.
func TestManifest_EveryScopeIsUsed(t *testing.T) {
	m := manifest.Default()
	own := map[string]string{
		"commands":          "slash commands and shortcuts",
		"chat:write.public": "lets chat.postMessage post in public channels the bot is not in",
	}
	used := map[string]bool{}
	for _, scopes := range manifest.MethodScopes() {
		for _, s := range scopes {
			used[s] = true
		}
	}
	for _, e := range m.Settings.EventSubscriptions.BotEvents {
		s, ok := manifest.EventScope(e)
		if !ok {
			t.Errorf("event %q has no scope entry", e)
		}
		used[s] = true
	}
	for _, s := range m.OAuthConfig.Scopes.Bot {
		if !used[s] && own[s] == "" {
			t.Errorf("scope %q is requested but no method or event needs it", s)
		}
	}
}

// TestManifest_EventScopesGranted: Slack refuses a manifest whose events
// need a scope it does not request.
func TestManifest_EventScopesGranted(t *testing.T) {
	m := manifest.Default()
	for _, e := range m.Settings.EventSubscriptions.BotEvents {
		if s, _ := manifest.EventScope(e); !m.HasScope(s) {
			t.Errorf("event %q needs scope %q, which is not requested", e, s)
		}
	}
}

func TestScopesFor(t *testing.T) {
	if s, ok := manifest.ScopesFor("pins.add"); !ok || !slices.Equal(s, []string{"pins:write"}) {
		t.Errorf("pins.add = %q, %v", s, ok)
	}
	if s, ok := manifest.ScopesFor("views.open"); !ok || len(s) != 0 {
		t.Errorf("views.open = %q, %v: it needs no scope", s, ok)
	}
	if _, ok := manifest.ScopesFor("auth.test"); ok {
		t.Error("auth.test needs no scope and is not in the table")
	}
	s, _ := manifest.ScopesFor("chat.postMessage")
	s[0] = "changed"
	if again, _ := manifest.ScopesFor("chat.postMessage"); again[0] != "chat:write" {
		t.Error("ScopesFor shares the table's slice")
	}
	if ms := manifest.Methods(); !slices.IsSorted(ms) || !slices.Contains(ms, "files.completeUploadExternal") {
		t.Errorf("Methods = %q", ms)
	}
}

func TestNeededScopes(t *testing.T) {
	for _, tc := range []struct {
		method string
		conv   manifest.Conversation
		want   []string
	}{
		{"conversations.history", manifest.Public, []string{"channels:history"}},
		{"conversations.history", manifest.Private, []string{"groups:history"}},
		{"conversations.history", manifest.DM, []string{"im:history"}},
		{"conversations.history", manifest.GroupDM, []string{"mpim:history"}},
		{"conversations.history", manifest.Unknown, []string{"channels:history", "groups:history", "im:history", "mpim:history"}},
		{"conversations.create", manifest.Private, []string{"groups:write"}},
		{"conversations.open", manifest.DM, []string{"im:write"}},
		{"chat.postMessage", manifest.Private, []string{"chat:write"}},
		{"conversations.join", manifest.Public, []string{"channels:join"}},
		{"views.open", manifest.Unknown, nil},
		{"no.such.method", manifest.Public, nil},
	} {
		if got := manifest.NeededScopes(tc.method, tc.conv); !slices.Equal(got, tc.want) {
			t.Errorf("NeededScopes(%s, %d) = %q, want %q", tc.method, tc.conv, got, tc.want)
		}
	}
}

func TestManifest_WriteYAML(t *testing.T) {
	var buf bytes.Buffer
	if err := manifest.Default().WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "manifest.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if buf.String() != string(want) {
		t.Errorf("manifest differs from %s (go test -update rewrites it):\n%s", golden, buf.String())
	}
	// It reads back, with Slack's field names, into the same manifest.
	var back manifest.Manifest
	dec := yaml.NewDecoder(strings.NewReader(buf.String()))
	dec.KnownFields(true)
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if back.Features.AppHome != manifest.Default().Features.AppHome || !slices.Equal(back.OAuthConfig.Scopes.Bot, manifest.Default().OAuthConfig.Scopes.Bot) {
		t.Errorf("read back %+v", back)
	}
	for _, key := range []string{"messages_tab_enabled: true", "messages_tab_read_only_enabled: true", "home_tab_enabled: false", "should_escape: true", "socket_mode_enabled: true"} {
		if !strings.Contains(buf.String(), key) {
			t.Errorf("YAML lacks %q", key)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestManifest_WriteYAMLError(t *testing.T) {
	err := manifest.Default().WriteYAML(failWriter{})
	if err == nil || !strings.Contains(err.Error(), "write manifest") {
		t.Fatalf("err = %v", err)
	}
}
