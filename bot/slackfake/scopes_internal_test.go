package slackfake

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/incidentbot/incidentbot/bot/manifest"
)

// TestScopes_EveryMethodHasAScopeEntry: every method the fake serves has a
// row in bot/manifest's scope table, so a call the app makes is checked
// against the granted scopes. Two are exempt: auth.test needs no scope at
// all (its docs page says so), and apps.connections.open is called with
// the app-level token, whose connections:write is not a bot scope.
func TestScopes_EveryMethodHasAScopeEntry(t *testing.T) {
	exempt := []string{"auth.test", "apps.connections.open"}
	for method := range apiMethods {
		_, ok := manifest.ScopesFor(method)
		switch {
		case slices.Contains(exempt, method) && ok:
			t.Errorf("%s is exempt but has a scope entry", method)
		case !slices.Contains(exempt, method) && !ok:
			t.Errorf("%s is served by the fake but has no entry in manifest.MethodScopes", method)
		}
	}
	for _, method := range manifest.Methods() {
		if _, ok := apiMethods[method]; !ok {
			t.Errorf("manifest.MethodScopes has %s, which the fake does not serve", method)
		}
	}
}

// pendingEvents returns the inner types of events_api envelopes waiting
// for a socket, and forgets them.
func pendingEvents(s *Server) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, env := range s.pending {
		if env.typ == "events_api" {
			out = append(out, envelopeEventType(env))
		}
	}
	s.pending = nil
	return out
}

func TestEvents_OnlySubscribedDelivered(t *testing.T) {
	s := New() // subscriptions from the manifest
	t.Cleanup(s.Close)
	alice := s.AddUser(User{Name: "alice"})
	bob := s.AddUser(User{Name: "bob"})
	pub, _ := s.CreateChannel(alice, "ops", false, s.BotUserID())
	priv, _ := s.CreateChannel(alice, "secret", true, s.BotUserID())
	quiet, _ := s.CreateChannel(alice, "quiet", false)

	if err := s.JoinChannel(bob, pub); err != nil { // member_joined_channel: not subscribed
		t.Fatal(err)
	}
	pendingEvents(s)                                                                    // the channel_join message is a message.channels event
	if _, err := s.PostUserMessage(alice, pub, "hi <@"+s.BotUserID()+">"); err != nil { // app_mention: not subscribed
		t.Fatal(err)
	}
	if got := pendingEvents(s); !slices.Equal(got, []string{"message"}) {
		t.Fatalf("events = %q, want only the message (no app_mention)", got)
	}
	if err := s.JoinChannel(bob, priv); err != nil {
		t.Fatal(err)
	}
	if got := pendingEvents(s); !slices.Equal(got, []string{"message"}) {
		t.Fatalf("events = %q, want the channel_join message only (no member_joined_channel)", got)
	}
	_, _ = s.PostUserMessage(alice, quiet, "bot not here")
	if got := pendingEvents(s); len(got) != 0 {
		t.Fatalf("events from a channel without the bot: %q", got)
	}

	// Subscribed to message.channels only: private channels are silent.
	s2 := New(WithEvents("message.channels"))
	t.Cleanup(s2.Close)
	a2 := s2.AddUser(User{Name: "alice"})
	pub2, _ := s2.CreateChannel(a2, "ops", false, s2.BotUserID())
	priv2, _ := s2.CreateChannel(a2, "secret", true, s2.BotUserID())
	_, _ = s2.PostUserMessage(a2, priv2, "private")
	ts, _ := s2.PostUserMessage(a2, pub2, "public")
	if err := s2.AddReaction(a2, pub2, ts, "eyes"); err != nil {
		t.Fatal(err)
	}
	if got := pendingEvents(s2); !slices.Equal(got, []string{"message"}) {
		t.Fatalf("events = %q, want the public message only", got)
	}
}

func envelopeEventType(env *envelope) string {
	var p struct {
		Event struct {
			Type string `json:"type"`
		} `json:"event"`
	}
	_ = json.Unmarshal(env.payload, &p)
	return p.Event.Type
}

// FuzzCheckMetadata: any metadata argument is either refused with one of
// chat.postMessage's metadata errors or normalized to an object with a
// string event_type and an object event_payload.
func FuzzCheckMetadata(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `{}`, `{"event_type":"x","event_payload":{"k":1}}`, `{"event_type":"x"}`,
		`{"event_type":1}`, `{"event_type":"x","event_payload":[1]}`, `{`, `[]`, `"s"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out, aerr := checkMetadata(json.RawMessage(raw))
		if aerr != nil {
			if aerr.code != "invalid_metadata_format" && aerr.code != "invalid_metadata_schema" {
				t.Fatalf("%q: code %q", raw, aerr.code)
			}
			return
		}
		if out == nil {
			return
		}
		var md struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		if err := json.Unmarshal(out, &md); err != nil || md.EventType == "" || md.EventPayload == nil {
			t.Fatalf("%q normalized to %s (%v)", raw, out, err)
		}
	})
}

// FuzzValidateBlocks: any blocks argument is refused or accepted without
// panicking, and accepted blocks are a JSON array whose text length is
// counted the same after the round trip.
func FuzzValidateBlocks(f *testing.F) {
	for _, seed := range []string{
		`[]`, `[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`,
		`[{"type":"actions","block_id":"a","elements":[{"type":"button","action_id":"x","text":{"type":"plain_text","text":"B"}}]},{"type":"actions","block_id":"b","elements":[{"type":"button","action_id":"x","text":{"type":"plain_text","text":"C"}}]}]`,
		`[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"t"}]}]}]`,
		`[{"type":"context","elements":[{"type":"image","image_url":"u","alt_text":"a"}]}]`, `{`, `[1]`, `null`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		norm, msgs, ok := validateBlocks(json.RawMessage(raw), surfaceMessage)
		if !ok || len(msgs) > 0 {
			return
		}
		var back []map[string]any
		if err := json.Unmarshal(norm, &back); err != nil {
			t.Fatalf("%q normalized to %s: %v", raw, norm, err)
		}
		if n := blocksTextLength(norm); n < 0 || n != blocksTextLength(json.RawMessage(raw)) {
			t.Fatalf("%q: text length %d after normalizing, %d before", raw, n, blocksTextLength(json.RawMessage(raw)))
		}
	})
}
