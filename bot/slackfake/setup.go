package slackfake

import (
	"fmt"
	"strings"
)

// Error makes Slack error codes usable as Go errors in the driving API.
func (e *apiError) Error() string { return e.code }

// AddUser adds (or replaces) a workspace member and returns its ID, which is
// generated ("U…") when u.ID is empty. Name defaults to a handle derived
// from RealName.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = s.newIDLocked("U")
	}
	if u.Name == "" {
		u.Name = strings.ToLower(strings.ReplaceAll(u.RealName, " ", "."))
		if u.Name == "" {
			u.Name = strings.ToLower(u.ID)
		}
	}
	if u.RealName == "" {
		u.RealName = u.Name
	}
	if _, ok := s.users[u.ID]; !ok {
		s.userOrder = append(s.userOrder, u.ID)
	}
	cp := u
	s.users[u.ID] = &cp
	s.bumpLocked()
	return u.ID
}

// AddUserGroup creates a user group (@handle) and returns its "S…" ID.
func (s *Server) AddUserGroup(handle string, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &userGroup{id: s.newIDLocked("S"), handle: handle, members: append([]string(nil), members...), created: s.now()}
	s.groups[g.id] = g
	s.groupOrder = append(s.groupOrder, g.id)
	s.bumpLocked()
	return g.id
}

// CreateChannel creates a channel as the person creatorUserID would, with
// the given extra members. The bot is a member only if BotUserID() is
// listed. Setup is silent: no join messages or events are produced.
func (s *Server) CreateChannel(creatorUserID, name string, private bool, members ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[creatorUserID]; !ok {
		return "", fmt.Errorf("create channel %q: creator %s: user_not_found", name, creatorUserID)
	}
	if err := validateChannelName(name); err != nil {
		return "", fmt.Errorf("create channel %q: %w", name, err)
	}
	if s.nameTakenLocked(name) {
		return "", fmt.Errorf("create channel %q: %w", name, errCode("name_taken"))
	}
	for _, m := range members {
		if _, ok := s.users[m]; !ok {
			return "", fmt.Errorf("create channel %q: member %s: user_not_found", name, m)
		}
	}
	c := s.createChannelLocked(creatorUserID, name, private)
	for _, m := range members {
		if !c.isMember(m) {
			c.members = append(c.members, m)
		}
	}
	s.bumpLocked()
	return c.id, nil
}

// JoinChannel makes userID join channelID, posting the channel_join message
// and emitting member_joined_channel (delivered if the bot is a member,
// which it is when userID is the bot).
func (s *Server) JoinChannel(userID, channelID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.bumpLocked()
	if _, ok := s.users[userID]; !ok {
		return fmt.Errorf("join %s as %s: user_not_found", channelID, userID)
	}
	c, ok := s.channels[channelID]
	switch {
	case !ok || c.im:
		return fmt.Errorf("join %s as %s: channel_not_found", channelID, userID)
	case c.archived:
		return fmt.Errorf("join %s as %s: is_archived", channelID, userID)
	case c.isMember(userID):
		return fmt.Errorf("join %s as %s: already_in_channel", channelID, userID)
	}
	s.joinLocked(c, userID, "")
	return nil
}

// ArchiveChannel archives a channel as an admin would.
func (s *Server) ArchiveChannel(channelID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok {
		return fmt.Errorf("archive %s: channel_not_found", channelID)
	}
	c.archived = true
	s.bumpLocked()
	return nil
}
