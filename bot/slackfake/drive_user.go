package slackfake

import (
	"fmt"
)

// What people do in channels: post, reply, edit, delete, react, pin and
// share files. Each emits the event Slack would (delivered when the bot is
// a member and subscribed to it).

// asUser runs f on channelID as userID under the lock, then wakes waiters.
// With write, userID must be a member of the unarchived channel, as the
// Slack client requires to post. Errors are wrapped with what.
func (s *Server) asUser(what, userID, channelID string, write bool, f func(c *channel) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.actorLocked(userID); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c, ok := s.channels[channelID]
	var err error
	switch {
	case !ok:
		err = fmt.Errorf("channel %s: channel_not_found", channelID)
	case write && c.archived:
		err = fmt.Errorf("channel %s: is_archived", c.id)
	case write && !c.isMember(userID):
		err = fmt.Errorf("%s is not in channel %s: not_in_channel", userID, c.id)
	default:
		err = f(c)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	s.bumpLocked()
	return nil
}

func (s *Server) newClientMsgIDLocked() string {
	s.seq["client_msg"]++
	n := s.seq["client_msg"]
	return fmt.Sprintf("%08x-c11e-4000-8000-%012x", n, n)
}

// PostUserMessage posts text as userID (who must be a member) and emits the
// message event (and app_mention if the text mentions the bot).
func (s *Server) PostUserMessage(userID, channelID, text string) (string, error) {
	return s.postUser(userID, channelID, "", text)
}

// PostThreadReply posts text as userID in the thread of threadTS.
func (s *Server) PostThreadReply(userID, channelID, threadTS, text string) (string, error) {
	return s.postUser(userID, channelID, threadTS, text)
}

func (s *Server) postUser(userID, channelID, threadTS, text string) (string, error) {
	var ts string
	err := s.asUser(fmt.Sprintf("post as %s in %s", userID, channelID), userID, channelID, true, func(c *channel) error {
		if text == "" || runeLen(text) > maxMessageText {
			return fmt.Errorf("text must have 1 to %d characters", maxMessageText)
		}
		m := &message{user: userID, text: text, clientMsgID: s.newClientMsgIDLocked()}
		parent, aerr := threadParent(c, threadTS)
		if aerr != nil {
			return fmt.Errorf("thread %s: %w", threadTS, aerr)
		}
		s.addToThreadLocked(c, m, parent)
		s.emitMessageLocked(c, m)
		ts = m.ts
		return nil
	})
	return ts, err
}

// EditMessage edits userID's own message and emits message_changed.
func (s *Server) EditMessage(userID, channelID, ts, text string) error {
	return s.asUser(fmt.Sprintf("edit %s in %s", ts, channelID), userID, channelID, false, func(c *channel) error {
		m := c.findMsg(ts)
		switch {
		case m == nil:
			return errCode("message_not_found")
		case m.user != userID || m.botID != "":
			return fmt.Errorf("cant_update_message (not %s's message)", userID)
		}
		prev := s.msgJSONLocked(c, m)
		m.text = text
		m.edited = true
		m.editedTS = formatTS(s.now().UnixMicro())
		s.emitChangedLocked(c, m, prev)
		return nil
	})
}

// DeleteMessage deletes a message as userID (its author, or an admin) and
// emits message_deleted.
func (s *Server) DeleteMessage(userID, channelID, ts string) error {
	return s.asUser(fmt.Sprintf("delete %s in %s", ts, channelID), userID, channelID, false, func(c *channel) error {
		m := c.findMsg(ts)
		switch {
		case m == nil:
			return errCode("message_not_found")
		case m.user != userID && !s.users[userID].IsAdmin:
			return errCode("cant_delete_message")
		}
		s.deleteMsgLocked(c, m)
		return nil
	})
}

// AddReaction adds :name: to a message as userID and emits reaction_added.
func (s *Server) AddReaction(userID, channelID, ts, name string) error {
	return s.asUser(fmt.Sprintf("react %s to %s in %s", name, ts, channelID), userID, channelID, false, func(c *channel) error {
		if c.private && !c.isMember(userID) {
			return errCode("channel_not_found")
		}
		m := c.findMsg(ts)
		if m == nil {
			return errCode("message_not_found")
		}
		if err := s.addReactionLocked(c, m, userID, name); err != nil {
			return err
		}
		return nil
	})
}

// PinMessage pins a message as userID (a member) and emits pin_added.
func (s *Server) PinMessage(userID, channelID, ts string) error {
	return s.asUser(fmt.Sprintf("pin %s in %s", ts, channelID), userID, channelID, true, func(c *channel) error {
		m := c.findMsg(ts)
		switch {
		case m == nil:
			return errCode("message_not_found")
		case m.pinnedBy != "":
			return errCode("already_pinned")
		}
		s.pinLocked(c, m, userID)
		return nil
	})
}

// ShareFile uploads a text file as userID and shares it in channelID as a
// file_share message.
func (s *Server) ShareFile(userID, channelID, name, content string) (string, error) {
	var id string
	err := s.asUser(fmt.Sprintf("share file %q in %s", name, channelID), userID, channelID, true, func(c *channel) error {
		f := s.newFileLocked(name, userID, len(content))
		f.content, f.uploaded, f.channels = []byte(content), true, []string{c.id}
		m := &message{user: userID, subtype: "file_share", files: []string{f.id}, clientMsgID: s.newClientMsgIDLocked()}
		s.addMessageLocked(c, m)
		s.emitMessageLocked(c, m)
		id = f.id
		return nil
	})
	return id, err
}
