package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxMessageText is where Slack stops accepting message text (it recommends
// staying under 4,000).
const maxMessageText = 40000

// resolvePostChannelLocked accepts C…/G…/D… IDs and user IDs (which open the
// bot's DM with that user, as chat.postMessage does).
func (s *Server) resolvePostChannelLocked(id string) (*channel, *apiError) {
	if strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W") {
		u, ok := s.users[id]
		if !ok || u.Deleted || u.IsBot {
			return nil, errCode("channel_not_found")
		}
		return s.imLocked(id), nil
	}
	return s.chanLocked(id)
}

// canPostLocked applies posting permissions: archived channels refuse, DMs
// always work, public channels the bot is not in need chat:write.public,
// private channels need membership.
func (s *Server) canPostLocked(c *channel) *apiError {
	if c.archived {
		return errCode("is_archived")
	}
	if c.im || c.isMember(botUserID) {
		return nil
	}
	if !c.private && s.hasScope("chat:write.public") {
		return nil
	}
	return errCode("not_in_channel")
}

// content is a message body as chat.* and response_url accept it.
type content struct {
	text        string
	blocks      json.RawMessage
	attachments json.RawMessage
}

// contentRules says which of Slack's content checks a surface applies.
type contentRules struct {
	// requireSome refuses a message with no text, blocks or attachments
	// (no_text).
	requireSome bool
	// blocksTextLimit applies msg_blocks_too_long. Slack engineers gave
	// the figure for chat.postMessage, chat.postEphemeral and chat.update
	// (slackapi/bolt-js#2509, #2867; slack-reference.md §9); response_url
	// posts were seen to accept more, so they do not apply it.
	blocksTextLimit bool
}

// chatRules are the content rules of chat.postMessage, chat.postEphemeral
// and chat.update.
var chatRules = contentRules{requireSome: true, blocksTextLimit: true}

// checkContent validates text, blocks and attachments the way chat.* do.
func (s *Server) checkContent(text string, blocks, attachments json.RawMessage, rules contentRules) (content, *apiError) {
	c := content{text: text}
	if b := strings.TrimSpace(string(blocks)); b != "" && b != "null" && b != "[]" {
		norm, msgs, ok := s.blockMemo.validate(blocks, surfaceMessage)
		if !ok {
			return c, errCode("invalid_blocks_format")
		}
		if len(msgs) > 0 {
			return c, errMessages("invalid_blocks", msgs)
		}
		if rules.blocksTextLimit && blocksTextLength(norm) > maxBlocksText {
			return c, errCode("msg_blocks_too_long")
		}
		c.blocks = norm
	}
	if a := strings.TrimSpace(string(attachments)); a != "" && a != "null" && a != "[]" {
		var list []json.RawMessage
		if err := json.Unmarshal(attachments, &list); err != nil {
			return c, errCode("invalid_attachments")
		}
		if len(list) > 100 {
			return c, errCode("too_many_attachments")
		}
		c.attachments = attachments
	}
	if rules.requireSome && text == "" && c.blocks == nil && c.attachments == nil {
		return c, errCode("no_text")
	}
	if utf8.RuneCountInString(text) > maxMessageText {
		return c, errCode("msg_too_long")
	}
	return c, nil
}

// threadParent resolves thread_ts to the thread's parent ts.
func threadParent(c *channel, threadTS string) (string, *apiError) {
	if threadTS == "" {
		return "", nil
	}
	m := c.findMsg(threadTS)
	if m == nil {
		return "", errCode("thread_not_found")
	}
	if m.threadTS != "" {
		return m.threadTS, nil
	}
	return m.ts, nil
}

// postBotMessageLocked stores a message from the bot in the thread of
// parent ("" for top level) and emits the message event the app will see
// (Slack echoes an app's own messages; the app must filter them by bot_id).
func (s *Server) postBotMessageLocked(c *channel, body content, parent string, broadcast bool) *message {
	m := &message{user: botUserID, botID: botID, text: body.text, blocks: body.blocks, attachments: body.attachments}
	m.replyBroadcast = parent != "" && broadcast
	s.addToThreadLocked(c, m, parent)
	s.emitMessageLocked(c, m)
	return m
}

// checkMetadata validates chat.postMessage's metadata argument: a JSON
// object with a string event_type and an object event_payload (Message
// metadata, docs.slack.dev/messaging/message-metadata; slack-go
// MsgOptionMetadata). The error codes are those of chat.postMessage's
// errors table.
func checkMetadata(raw json.RawMessage) (json.RawMessage, *apiError) {
	if t := strings.TrimSpace(string(raw)); t == "" || t == "null" || t == "{}" {
		return nil, nil
	}
	var md struct {
		EventType    *string         `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if err := json.Unmarshal(raw, &md); err != nil || md.EventType == nil || *md.EventType == "" {
		return nil, errCode("invalid_metadata_format")
	}
	var payload map[string]any
	if len(md.EventPayload) > 0 && json.Unmarshal(md.EventPayload, &payload) != nil {
		return nil, errCode("invalid_metadata_schema")
	}
	if payload == nil {
		payload = map[string]any{}
	}
	out, _ := json.Marshal(map[string]any{"event_type": *md.EventType, "event_payload": payload})
	return out, nil
}

// chatContent reads the text, blocks, attachments and metadata of a
// chat.postMessage or chat.update call.
func (s *Server) chatContent(q *request) (content, json.RawMessage, *apiError) {
	body, err := s.checkContent(q.str("text"), q.raw("blocks"), q.raw("attachments"), chatRules)
	if err != nil {
		return body, nil, err
	}
	md, err := checkMetadata(q.raw("metadata"))
	return body, md, err
}

func (s *Server) apiChatPostMessage(q *request) (map[string]any, *apiError) {
	c, err := s.resolvePostChannelLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if err := s.canPostLocked(c); err != nil {
		return nil, err
	}
	if c.im && !s.messagesTab {
		// The app's DMs live in its App Home Messages tab (chat.postMessage
		// errors table; slack-reference.md §10).
		return nil, errCode("messages_tab_disabled")
	}
	body, md, err := s.chatContent(q)
	if err != nil {
		return nil, err
	}
	parent, err := threadParent(c, q.str("thread_ts"))
	if err != nil {
		return nil, err
	}
	m := s.postBotMessageLocked(c, body, parent, q.boolean("reply_broadcast"))
	m.metadata = md
	return map[string]any{"channel": c.id, "ts": m.ts, "message": s.msgJSONLocked(c, m)}, nil
}

func (s *Server) apiChatUpdate(q *request) (map[string]any, *apiError) {
	c, err := s.chanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if c.archived {
		return nil, errCode("is_archived")
	}
	m, err := msgLocked(c, q.str("ts"))
	if err != nil {
		return nil, err
	}
	if m.botID != botID {
		return nil, errCode("cant_update_message")
	}
	// chat.update replaces the text; blocks and attachments it does not
	// send are kept, and an empty array removes them (chat.update docs,
	// "blocks": "If you don't include this field, the message's previous
	// blocks will be retained"; python-slack-sdk#523 saw a text-only
	// update leave the blocks shown; slack-go v0.35's MsgOptionBlocks()
	// sends [] "to clear blocks on the message"). Found by TestBoltJS.
	body, md, err := s.chatContent(q)
	if err != nil {
		return nil, err
	}
	prev := s.msgJSONLocked(c, m)
	m.text = body.text
	if q.has("blocks") {
		m.blocks = body.blocks
	}
	if md != nil {
		m.metadata = md
	}
	if q.has("attachments") {
		m.attachments = body.attachments
	}
	m.edited = true
	m.editedTS = formatTS(s.now().UnixMicro())
	s.emitChangedLocked(c, m, prev)
	return map[string]any{"channel": c.id, "ts": m.ts, "text": m.text, "message": s.msgJSONLocked(c, m)}, nil
}

func (s *Server) apiChatDelete(q *request) (map[string]any, *apiError) {
	c, err := s.chanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	m, err := msgLocked(c, q.str("ts"))
	if err != nil {
		return nil, err
	}
	if m.botID != botID {
		return nil, errCode("cant_delete_message")
	}
	s.deleteMsgLocked(c, m)
	return map[string]any{"channel": c.id, "ts": m.ts}, nil
}

func (s *Server) deleteMsgLocked(c *channel, m *message) {
	prev := s.msgJSONLocked(c, m)
	m.deleted = true
	c.pins = removeString(c.pins, m.ts)
	m.pinnedBy = ""
	s.emitLocked(c, map[string]any{
		"type":             "message",
		"subtype":          "message_deleted",
		"hidden":           true,
		"channel":          c.id,
		"channel_type":     c.channelType(),
		"ts":               formatTS(s.now().UnixMicro()),
		"event_ts":         formatTS(s.now().UnixMicro()),
		"deleted_ts":       m.ts,
		"previous_message": prev,
	})
}

func (s *Server) apiChatPostEphemeral(q *request) (map[string]any, *apiError) {
	c, err := s.resolvePostChannelLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if err := s.canPostLocked(c); err != nil {
		return nil, err
	}
	userID := q.str("user")
	if u, ok := s.users[userID]; !ok || u.Deleted {
		return nil, errCode("user_not_found")
	}
	if !c.isMember(userID) {
		return nil, errCode("user_not_in_channel")
	}
	body, err := s.checkContent(q.str("text"), q.raw("blocks"), q.raw("attachments"), chatRules)
	if err != nil {
		return nil, err
	}
	m := &message{user: botUserID, botID: botID, text: body.text, blocks: body.blocks, attachments: body.attachments, ephemeralTo: userID, threadTS: q.str("thread_ts")}
	s.addMessageLocked(c, m)
	return map[string]any{"message_ts": m.ts}, nil
}

// permalink renders a message link in Slack's format.
func permalink(c *channel, m *message) string {
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s", teamDomain, c.id, strings.ReplaceAll(m.ts, ".", ""))
	if m.threadTS != "" && m.threadTS != m.ts {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.threadTS, c.id)
	}
	return link
}

func (s *Server) apiChatGetPermalink(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	m, err := msgLocked(c, q.str("message_ts"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"channel": c.id, "permalink": permalink(c, m)}, nil
}

func removeString(list []string, v string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
