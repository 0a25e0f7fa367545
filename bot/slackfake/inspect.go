package slackfake

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/slack-go/slack"
)

// Message is a snapshot of a stored message.
type Message struct {
	Channel   string
	TS        string
	ThreadTS  string // parent ts for replies; equal to TS on a thread parent
	User      string
	BotID     string // BotID() for messages the app posted
	SubType   string // "", "channel_join", "channel_topic", "file_share", …
	Text      string
	Blocks    []slack.Block   // decoded by slack-go
	RawBlocks json.RawMessage // as stored, with generated block_ids
	Edited    bool
	Deleted   bool
	Pinned    bool
	// Reactions maps a reaction name to the users who added it.
	Reactions      map[string][]string
	Files          []File
	Replies        int
	ReplyBroadcast bool
	Ephemeral      bool
	EphemeralTo    string

	dmWith string // the user of the bot's DM this message is in, if any
}

// Channel is a snapshot of a channel.
type Channel struct {
	ID, Name, Creator string
	Topic, Purpose    string
	Private, Archived bool
	IM                bool
	Members           []string
	Bookmarks         []Bookmark
	Pins              []string // ts of pinned messages, in pin order
}

// View is a snapshot of a modal or Home tab.
type View struct {
	ID, Type        string
	CallbackID      string
	PrivateMetadata string
	Hash            string
	ExternalID      string
	Title           string
	Blocks          []slack.Block
	Raw             json.RawMessage // the view as views.* would return it
}

func (s *Server) snapshotMsgLocked(c *channel, m *message) Message {
	out := Message{
		Channel: c.id, TS: m.ts, ThreadTS: m.threadTS, User: m.user, BotID: m.botID, SubType: m.subtype,
		Text: m.text, RawBlocks: append(json.RawMessage(nil), m.blocks...), Edited: m.edited, Deleted: m.deleted,
		Pinned: m.pinnedBy != "", ReplyBroadcast: m.replyBroadcast, Ephemeral: m.ephemeralTo != "", EphemeralTo: m.ephemeralTo,
		dmWith: c.imUser,
	}
	if len(m.blocks) > 0 {
		var bs slack.Blocks
		if json.Unmarshal(m.blocks, &bs) == nil {
			out.Blocks = bs.BlockSet
		}
	}
	if len(m.reactions) > 0 {
		out.Reactions = map[string][]string{}
		for _, r := range m.reactions {
			out.Reactions[r.name] = append([]string(nil), r.users...)
		}
	}
	for _, id := range m.files {
		if f := s.files[id]; f != nil {
			out.Files = append(out.Files, fileSnapshot(f))
		}
	}
	if m.threadTS == m.ts {
		out.Replies = len(c.replies(m.ts))
	}
	return out
}

func fileSnapshot(f *fileRec) File {
	return File{ID: f.id, Name: f.name, Title: f.title, User: f.user,
		Content: append([]byte(nil), f.content...), Channels: append([]string(nil), f.channels...)}
}

// snapshots renders the messages pick chooses from channelID, under the
// lock; nil for an unknown channel.
func (s *Server) snapshots(channelID string, pick func(c *channel) []*message) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok {
		return nil
	}
	var out []Message
	for _, m := range pick(c) {
		out = append(out, s.snapshotMsgLocked(c, m))
	}
	return out
}

// Messages returns every message of a channel (top level and thread
// replies, deleted ones flagged) in ts order, without ephemerals.
func (s *Server) Messages(channelID string) []Message {
	return s.snapshots(channelID, func(c *channel) []*message { return c.msgs })
}

// Thread returns the parent threadTS and its live replies, in ts order.
func (s *Server) Thread(channelID, threadTS string) []Message {
	return s.snapshots(channelID, func(c *channel) []*message {
		var out []*message
		if p := c.findMsg(threadTS); p != nil {
			out = append(out, p)
		}
		return append(out, c.replies(threadTS)...)
	})
}

// Ephemerals returns the ephemeral messages userID saw in channelID
// (chat.postEphemeral, slash-command ack replies, response_url replies).
func (s *Server) Ephemerals(channelID, userID string) []Message {
	return s.snapshots(channelID, func(c *channel) []*message {
		var out []*message
		for _, m := range c.ephemerals {
			if m.ephemeralTo == userID && !m.deleted {
				out = append(out, m)
			}
		}
		return out
	})
}

// DMs returns the messages in the bot's DM with userID.
func (s *Server) DMs(userID string) []Message {
	s.mu.Lock()
	id, ok := s.ims[userID]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	return s.Messages(id)
}

// DMChannel returns the ID of the bot's DM channel with userID, if opened.
func (s *Server) DMChannel(userID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.ims[userID]
	return id, ok
}

func (s *Server) channelSnapshotLocked(c *channel) Channel {
	return Channel{
		ID: c.id, Name: c.name, Creator: c.creator, Topic: c.topic.value, Purpose: c.purpose.value,
		Private: c.private, Archived: c.archived, IM: c.im,
		Members: slices.Clone(c.members), Bookmarks: slices.Clone(c.bookmarks), Pins: slices.Clone(c.pins),
	}
}

// Channel returns a channel by ID.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return s.channelSnapshotLocked(c), true
}

// ChannelByName returns a (non-DM) channel by name.
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.channelOrder {
		if c := s.channels[id]; c.name == name {
			return s.channelSnapshotLocked(c), true
		}
	}
	return Channel{}, false
}

// Channels returns every channel (not DMs) in creation order.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.channelOrder))
	for _, id := range s.channelOrder {
		out = append(out, s.channelSnapshotLocked(s.channels[id]))
	}
	return out
}

func (s *Server) viewSnapshotLocked(v *viewRec) View {
	raw, _ := json.Marshal(s.viewJSONLocked(v, nil))
	out := View{
		ID: v.id, Type: v.typ, CallbackID: v.str("callback_id"), PrivateMetadata: v.str("private_metadata"),
		Hash: v.hash, ExternalID: v.str("external_id"), Title: textOf(v.def["title"]), Raw: raw,
	}
	braw, _ := json.Marshal(v.def["blocks"])
	var bs slack.Blocks
	if json.Unmarshal(braw, &bs) == nil {
		out.Blocks = bs.BlockSet
	}
	return out
}

// OpenViews returns the user's modal stack, bottom first.
func (s *Server) OpenViews(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, v := range s.stacks[userID] {
		out = append(out, s.viewSnapshotLocked(v))
	}
	return out
}

// HomeView returns the Home tab published for userID.
func (s *Server) HomeView(userID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.homes[userID]
	if !ok {
		return View{}, false
	}
	return s.viewSnapshotLocked(v), true
}

// ViewErrors returns the errors the app's last response_action errors put
// on viewID (block_id -> message), nil if none.
func (s *Server) ViewErrors(viewID string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.views[viewID]; ok {
		return maps.Clone(v.errors)
	}
	return nil
}

// Files returns every file uploaded (completely or not) in upload order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		out = append(out, fileSnapshot(s.files[id]))
	}
	return out
}

// Acks returns every ack frame received for a known envelope, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

// UserErrors lists interactions the user saw fail: slash commands and
// interactions not acked in time, and ack payloads Slack would reject.
func (s *Server) UserErrors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.userErrors)
}

// Pending counts envelopes still waiting for an ack (including retries
// outstanding and envelopes queued for lack of a socket).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[*Delivery]bool{}
	for _, e := range s.envelopes {
		if !e.d.finished {
			seen[e.d] = true
		}
	}
	return len(seen)
}

// CallCount returns how many times method was called (including failures).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Method == method {
			n++
		}
	}
	return n
}

// InFlight counts Web API calls being served now, hanging ones included.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight
}

// Calls returns every Web API call in completion order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Changed returns a channel that is closed at the next state change.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// WaitFor blocks until cond returns true, re-evaluating it after every state
// change, or until ctx ends. cond runs without the server lock held, so it
// may call the inspection methods.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		// Take the channel before evaluating cond: a change in between
		// closes it and the loop re-checks.
		ch := s.Changed()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
