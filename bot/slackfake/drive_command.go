package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SlashCommand runs command (e.g. "/incident") with text, as userID typed it
// in channelID. text is passed as Slack sends it with should_escape on, so
// tests write mentions as "<@U1|alice>". The ack payload, if it has text or
// blocks, becomes an ephemeral reply (or an in-channel message with
// response_type in_channel).
func (s *Server) SlashCommand(userID, channelID, command, text string) (*Delivery, error) {
	return s.drive("slash command "+command, func() (*Delivery, error) {
		u, err := s.actorLocked(userID)
		if err != nil {
			return nil, err
		}
		c, ok := s.channels[channelID]
		if !ok {
			return nil, fmt.Errorf("channel %s: channel_not_found", channelID)
		}
		if !strings.HasPrefix(command, "/") {
			return nil, fmt.Errorf("%q must start with /", command)
		}
		payload := map[string]any{
			"token":                 "fake-verification-token",
			"team_id":               teamID,
			"team_domain":           teamDomain,
			"channel_id":            c.id,
			"channel_name":          channelName(c),
			"user_id":               u.ID,
			"user_name":             u.Name,
			"command":               command,
			"text":                  text,
			"api_app_id":            appID,
			"is_enterprise_install": false,
			"response_url":          s.newResponseURLLocked(&responseURL{userID: u.ID, channelID: c.id}),
			"trigger_id":            s.newTriggerLocked(u.ID),
		}
		what := fmt.Sprintf("slash command %s %q by %s in %s", command, text, u.ID, c.id)
		return s.enqueueLocked("slash_commands", payload, true, what, func(ack json.RawMessage) {
			s.applyCommandAckLocked(c, u.ID, what, ack)
		}), nil
	})
}

// applyCommandAckLocked posts a slash command's ack payload as Slack shows
// it: ephemeral to the user unless response_type is in_channel. The
// msg_blocks_too_long total is not applied: it is documented for chat.*
// only (slack-reference.md §9).
func (s *Server) applyCommandAckLocked(c *channel, userID, what string, ack json.RawMessage) {
	if len(ack) == 0 {
		return
	}
	var msg replyBody
	if err := json.Unmarshal(ack, &msg); err != nil {
		s.userErrors = append(s.userErrors, fmt.Sprintf("%s: ack payload is not a JSON object: %v", what, err))
		return
	}
	body, aerr := s.checkContent(msg.Text, msg.Blocks, msg.Attachments, contentRules{})
	if aerr != nil {
		s.userErrors = append(s.userErrors, fmt.Sprintf("%s: ack payload rejected: %s %v", what, aerr.code, aerr.fields))
		return
	}
	if body.text == "" && body.blocks == nil && body.attachments == nil {
		return
	}
	s.replyLocked(c, userID, msg.ResponseType, body, msg.ThreadTS)
}

// MessageShortcut runs the message shortcut callbackID on the message ts,
// as a user picking it from the message's "More actions" menu. Slack sends
// a message_action payload with a trigger_id and a response_url.
func (s *Server) MessageShortcut(userID, channelID, ts, callbackID string) (*Delivery, error) {
	return s.drive("shortcut "+callbackID, func() (*Delivery, error) {
		u, err := s.actorLocked(userID)
		if err != nil {
			return nil, err
		}
		c, m, ephemeral, err := s.messageForActionLocked(userID, channelID, ts)
		if err != nil {
			return nil, err
		}
		if ephemeral {
			return nil, fmt.Errorf("message %s is ephemeral: shortcuts are not offered on it", ts)
		}
		payload := s.interactionLocked("message_action", u, map[string]any{
			"callback_id":  callbackID,
			"action_ts":    formatTS(s.now().UnixMicro()),
			"message_ts":   m.ts,
			"message":      s.msgJSONLocked(c, m),
			"channel":      map[string]any{"id": c.id, "name": channelName(c)},
			"trigger_id":   s.newTriggerLocked(u.ID),
			"response_url": s.newResponseURLLocked(&responseURL{userID: u.ID, channelID: c.id}),
		})
		what := fmt.Sprintf("message_action %s by %s on %s/%s", callbackID, u.ID, c.id, ts)
		return s.enqueueLocked("interactive", payload, true, what, nil), nil
	})
}
