package slackfake

import (
	"fmt"
	"time"
)

// The driving API: what Slack does when a person acts. Functions that send
// an envelope return once it is written to a socket (or queued when no app
// is connected), not when it is acked; use Delivery.Wait for the ack.
//
// drive_command.go: slash commands and message shortcuts;
// drive_actions.go: buttons and menus in messages and views;
// drive_state.go: the values a user picks or types;
// drive_views.go: submitting and closing modals;
// drive_user.go: what people post, edit, react and pin.

// drive runs f (which builds and enqueues an envelope) under the lock, then
// waits for the envelope to be written. Errors are wrapped with what.
func (s *Server) drive(what string, f func() (*Delivery, error)) (*Delivery, error) {
	s.mu.Lock()
	d, err := f()
	if err == nil {
		s.bumpLocked()
	}
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	s.waitSent(d)
	return d, nil
}

// actorLocked returns an active human user.
func (s *Server) actorLocked(userID string) (*User, error) {
	u, ok := s.users[userID]
	switch {
	case !ok:
		return nil, fmt.Errorf("user %s: user_not_found", userID)
	case u.Deleted:
		return nil, fmt.Errorf("user %s: account_inactive", userID)
	case u.IsBot:
		return nil, fmt.Errorf("user %s is a bot, not a person", userID)
	}
	return u, nil
}

// waitSent blocks until d's first attempt is written to its socket, the
// socket dies, or (defensively) a few seconds pass.
func (s *Server) waitSent(d *Delivery) {
	s.mu.Lock()
	c := d.conn
	s.mu.Unlock()
	if c == nil {
		return // queued until an app connects, or already complete
	}
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-d.sent:
	case <-c.done:
	case <-t.C:
	}
}

func userObj(u *User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": teamID}
}

func teamObj() map[string]any { return map[string]any{"id": teamID, "domain": teamDomain} }

func channelName(c *channel) string {
	if c.im {
		return "directmessage"
	}
	return c.name
}

// interactionLocked is an interactive payload of type typ by u: the fields
// every interaction carries (slack-reference.md §2), plus fields.
func (s *Server) interactionLocked(typ string, u *User, fields map[string]any) map[string]any {
	p := map[string]any{
		"type":                  typ,
		"user":                  userObj(u),
		"team":                  teamObj(),
		"api_app_id":            appID,
		"token":                 "fake-verification-token",
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
	for k, v := range fields {
		p[k] = v
	}
	return p
}

// NewTriggerID issues a fresh trigger_id for userID, as if they had just
// interacted. It lets unit tests call views.open without a Socket Mode round
// trip.
func (s *Server) NewTriggerID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked(userID)
}

// NewResponseURL issues a fresh response_url for a slash command userID ran
// in channelID, for unit tests of code that replies through it.
func (s *Server) NewResponseURL(userID, channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURLLocked(&responseURL{userID: userID, channelID: channelID})
}
