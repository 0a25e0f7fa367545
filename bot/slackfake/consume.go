package slackfake

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Consuming expectations, in the manner of GoAlert's smoke-test harness:
// each bot message a test expects is consumed once, and at the end every
// bot message nobody consumed or ignored fails the test. A message the bot
// posted twice is caught: the test expects it once, and the second stays.
//
// What counts as a bot message: every message the app posted and did not
// delete, in any channel or DM, top level or in a thread, ephemerals
// (chat.postEphemeral, slash-command and response_url replies) and file
// shares (files.completeUploadExternal). System messages (joins, topic
// changes) are not bot messages.

// Expectation consumes bot messages for a test. Make one with Expect.
type Expectation struct {
	s       *Server
	tb      testing.TB
	timeout time.Duration
}

// Expect returns the consuming expectations of tb, waiting up to 5 s for
// each message (see Within).
func (s *Server) Expect(tb testing.TB) *Expectation {
	return &Expectation{s: s, tb: tb, timeout: expectTimeout}
}

// Within returns a copy of e that waits up to d for each message.
func (e *Expectation) Within(d time.Duration) *Expectation {
	cp := *e
	cp.timeout = d
	return &cp
}

// Message consumes the first bot message in channelID (top level or thread
// reply) not yet consumed whose text, rendered blocks or shared files
// contain every keyword, waiting for it; it fails the test if none comes.
func (e *Expectation) Message(channelID string, keywords ...string) Message {
	e.tb.Helper()
	return e.consume("message in "+channelID, keywords, func(m Message) bool { return m.Channel == channelID && !m.Ephemeral })
}

// Reply is Message for replies in the thread of threadTS.
func (e *Expectation) Reply(channelID, threadTS string, keywords ...string) Message {
	e.tb.Helper()
	return e.consume("reply in "+channelID+"/"+threadTS, keywords, func(m Message) bool {
		return m.Channel == channelID && !m.Ephemeral && m.ThreadTS == threadTS && m.TS != threadTS
	})
}

// Ephemeral is Message for ephemerals shown to userID in channelID.
func (e *Expectation) Ephemeral(channelID, userID string, keywords ...string) Message {
	e.tb.Helper()
	return e.consume("ephemeral for "+userID+" in "+channelID, keywords, func(m Message) bool {
		return m.Channel == channelID && m.EphemeralTo == userID
	})
}

// DM is Message for the bot's DM with userID.
func (e *Expectation) DM(userID string, keywords ...string) Message {
	e.tb.Helper()
	return e.consume("DM to "+userID, keywords, func(m Message) bool { return m.dmWith == userID && !m.Ephemeral })
}

// File is Message for a file the bot shared in channelID: keywords match
// the file's name, title, content or the message's comment.
func (e *Expectation) File(channelID string, keywords ...string) Message {
	e.tb.Helper()
	return e.consume("file in "+channelID, keywords, func(m Message) bool { return m.Channel == channelID && len(m.Files) > 0 })
}

func (e *Expectation) consume(what string, keywords []string, where func(Message) bool) Message {
	e.tb.Helper()
	var found Message
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	err := e.s.WaitFor(ctx, func() bool {
		e.s.mu.Lock()
		defer e.s.mu.Unlock()
		for _, m := range e.s.botMessagesLocked() {
			if !e.s.consumed[consumeKey(m)] && where(m) && matches(m, keywords) {
				e.s.consumed[consumeKey(m)] = true
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		var there []string
		for _, m := range e.s.Unexpected() {
			if where(m) {
				there = append(there, describe(m))
			}
		}
		e.tb.Fatalf("no %s containing %q within %s; unconsumed there:\n%s", what, keywords, e.timeout, strings.Join(there, "\n"))
	}
	return found
}

func consumeKey(m Message) string { return m.Channel + "/" + m.TS }

// ignoreRule is one Ignore call.
type ignoreRule struct {
	where    string // "" any, a channel ID, or a user ID (their DM and ephemerals)
	keywords []string
}

func (r ignoreRule) covers(m Message) bool {
	switch r.where {
	case "", m.Channel, m.EphemeralTo, m.dmWith:
		return matches(m, r.keywords)
	}
	return false
}

// Ignore declares chatter the test does not check: bot messages in where
// (a channel or DM ID, a user ID for their DM and the ephemerals they see,
// or "" for everywhere) containing every keyword (none: all of them) are
// never reported by AssertNoUnexpected.
func (s *Server) Ignore(where string, keywords ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ignores = append(s.ignores, ignoreRule{where: where, keywords: slices.Clone(keywords)})
}

// Unexpected returns every bot message neither consumed by an Expectation
// nor covered by Ignore, channel by channel in posting order.
func (s *Server) Unexpected() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.botMessagesLocked() {
		if !s.consumed[consumeKey(m)] && !slices.ContainsFunc(s.ignores, func(r ignoreRule) bool { return r.covers(m) }) {
			out = append(out, m)
		}
	}
	return out
}

// AssertNoUnexpected fails tb with the list of every unexpected bot message
// (see Unexpected), marking those whose content repeats a consumed message
// of the same channel: the bot said it twice.
func (s *Server) AssertNoUnexpected(tb testing.TB) {
	tb.Helper()
	left := s.Unexpected()
	if len(left) == 0 {
		return
	}
	s.mu.Lock()
	var consumed []Message
	for _, m := range s.botMessagesLocked() {
		if s.consumed[consumeKey(m)] {
			consumed = append(consumed, m)
		}
	}
	s.mu.Unlock()
	lines := make([]string, 0, len(left))
	for _, m := range left {
		line := describe(m)
		if i := slices.IndexFunc(consumed, func(c Message) bool { return sameContent(c, m) }); i >= 0 {
			line += fmt.Sprintf("  <- DUPLICATE of the expected message %s", consumed[i].TS)
		}
		lines = append(lines, line)
	}
	tb.Errorf("%d bot message(s) nobody expected (consume them with Expect, or Ignore them):\n%s", len(left), strings.Join(lines, "\n"))
}

// CheckOnCleanup makes tb fail at its end on any unexpected bot message.
func (s *Server) CheckOnCleanup(tb testing.TB) {
	tb.Cleanup(func() { s.AssertNoUnexpected(tb) })
}

func sameContent(a, b Message) bool {
	return a.Channel == b.Channel && a.EphemeralTo == b.EphemeralTo && a.Text == b.Text &&
		string(a.RawBlocks) == string(b.RawBlocks) && slices.EqualFunc(a.Files, b.Files, func(x, y File) bool { return x.Name == y.Name && x.Title == y.Title })
}

// describe is one line naming where a message is and what it says.
func describe(m Message) string {
	where := m.Channel
	switch {
	case m.Ephemeral:
		where += " (ephemeral to " + m.EphemeralTo + ")"
	case m.dmWith != "":
		where += " (DM with " + m.dmWith + ")"
	}
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		where += " (reply in " + m.ThreadTS + ")"
	}
	text := m.Text
	if text == "" {
		text = strings.Join(renderBlocks(m.RawBlocks), " / ")
	}
	for _, f := range m.Files {
		text += " [file " + f.Name + "]"
	}
	return fmt.Sprintf("  %s %s: %q", m.TS, where, truncate(text, 200))
}

// botMessagesLocked snapshots every live bot message: channels in creation
// order, then DMs, each in ts order with its ephemerals.
func (s *Server) botMessagesLocked() []Message {
	ids := slices.Clone(s.channelOrder)
	var dms []string
	for _, id := range s.ims {
		dms = append(dms, id)
	}
	slices.Sort(dms)
	var out []Message
	for _, id := range append(ids, dms...) {
		c := s.channels[id]
		for _, list := range [][]*message{c.msgs, c.ephemerals} {
			for _, m := range list {
				if m.botID != "" && !m.deleted {
					out = append(out, s.snapshotMsgLocked(c, m))
				}
			}
		}
	}
	return out
}

// Duplicates describes every bot message posted again with the same
// content in the same place (channel, thread) after an identical one: a
// message the bot posted twice. Ephemerals are left out: the same
// confirmation can rightly be shown twice. Messages containing one of
// allowed (in their text or blocks) are left out too.
func (s *Server) Duplicates(allowed ...string) []string {
	s.mu.Lock()
	msgs := s.botMessagesLocked()
	s.mu.Unlock()
	var out []string
	for i, m := range msgs {
		if m.Ephemeral || slices.ContainsFunc(allowed, func(a string) bool { return matches(m, []string{a}) }) {
			continue
		}
		for _, prev := range msgs[:i] {
			if !prev.Ephemeral && threadOf(prev) == threadOf(m) && sameContent(prev, m) {
				out = append(out, describe(m)+" repeats "+prev.TS)
				break
			}
		}
	}
	return out
}

// threadOf is the thread a message is a reply in, "" for a top-level
// message (a thread parent included).
func threadOf(m Message) string {
	if m.ThreadTS == m.TS {
		return ""
	}
	return m.ThreadTS
}
