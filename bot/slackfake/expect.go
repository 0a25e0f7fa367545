package slackfake

import (
	"context"
	"strings"
	"testing"
	"time"
)

// expectTimeout bounds the Expect helpers; the events they wait for are
// produced within milliseconds when the app works.
const expectTimeout = 5 * time.Second

// matches reports whether m's text, rendered blocks or shared files (name,
// title, content) contain every keyword.
func matches(m Message, keywords []string) bool {
	if m.Deleted {
		return false
	}
	hay := m.Text + "\n" + strings.Join(renderBlocks(m.RawBlocks), "\n")
	for _, f := range m.Files {
		hay += "\n" + f.Name + "\n" + f.Title + "\n" + string(f.Content)
	}
	for _, k := range keywords {
		if !strings.Contains(hay, k) {
			return false
		}
	}
	return true
}

func (s *Server) expect(tb testing.TB, what string, list func() []Message, keywords []string) Message {
	tb.Helper()
	var found Message
	ctx, cancel := context.WithTimeout(context.Background(), expectTimeout)
	defer cancel()
	err := s.WaitFor(ctx, func() bool {
		for _, m := range list() {
			if matches(m, keywords) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		tb.Fatalf("no %s containing %q within %s", what, keywords, expectTimeout)
	}
	return found
}

// ExpectMessage waits for a live message in channelID whose text or
// rendered blocks contain every keyword, and returns the first such
// message. It fails tb after 5 s. It does not consume the message (see
// Expect for expectations that do).
func (s *Server) ExpectMessage(tb testing.TB, channelID string, keywords ...string) Message {
	tb.Helper()
	return s.expect(tb, "message in "+channelID, func() []Message { return s.Messages(channelID) }, keywords)
}

// ExpectEphemeral is ExpectMessage for ephemerals shown to userID.
func (s *Server) ExpectEphemeral(tb testing.TB, channelID, userID string, keywords ...string) Message {
	tb.Helper()
	return s.expect(tb, "ephemeral for "+userID+" in "+channelID, func() []Message { return s.Ephemerals(channelID, userID) }, keywords)
}

// ExpectDM is ExpectMessage for the bot's DM with userID.
func (s *Server) ExpectDM(tb testing.TB, userID string, keywords ...string) Message {
	tb.Helper()
	return s.expect(tb, "DM to "+userID, func() []Message { return s.DMs(userID) }, keywords)
}

// ExpectNoUserErrors fails tb if any interaction failed in the user's eyes.
func (s *Server) ExpectNoUserErrors(tb testing.TB) {
	tb.Helper()
	if errs := s.UserErrors(); len(errs) > 0 {
		tb.Fatalf("users saw errors:\n%s", strings.Join(errs, "\n"))
	}
}
