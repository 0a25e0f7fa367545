package slackfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// response_url limits: at most 5 uses within 30 minutes of the interaction.
const (
	responseURLUses     = 5
	responseURLLifetime = 30 * time.Minute
)

func (s *Server) newResponseURLLocked(r *responseURL) string {
	r.created = s.now()
	s.seq["response"]++
	id := genID("resp", s.seq["response"]) + genID("url", s.seq["response"]) + strings.TrimLeft(s.newIDLocked("R"), "R0")
	s.responseURLs[id] = r
	return s.baseURL + "/response/" + id
}

// replyBody is a message sent as a slash command's ack payload or to a
// response_url (slack-reference.md §2, "response_url").
type replyBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	Attachments     json.RawMessage `json:"attachments"`
	ResponseType    string          `json:"response_type"`
	ThreadTS        string          `json:"thread_ts"`
	ReplaceOriginal bool            `json:"replace_original"` // response_url only
	DeleteOriginal  bool            `json:"delete_original"`  // response_url only
}

// serveResponseURL accepts the JSON message bodies slack-go's
// MsgOptionResponseURL / ReplaceOriginal / DeleteOriginal send.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_request"})
		return
	}
	var msg replyBody
	if err := json.Unmarshal(body, &msg); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}
	s.mu.Lock()
	status, code := s.useResponseURLLocked(id, msg)
	s.bumpLocked()
	s.mu.Unlock()
	out := map[string]any{"ok": code == nil}
	if code != nil {
		out = aerrJSON(code)
	}
	writeJSON(w, status, out)
}

// useResponseURLLocked applies one POST to a response_url: a reply, or a
// replacement or deletion of the message the interaction came from.
func (s *Server) useResponseURLLocked(id string, msg replyBody) (int, *apiError) {
	ru, ok := s.responseURLs[id]
	switch {
	case !ok:
		return http.StatusNotFound, errCode("no_such_url")
	case s.now().Sub(ru.created) > responseURLLifetime:
		return http.StatusNotFound, errCode("expired_url")
	case ru.uses >= responseURLUses:
		return http.StatusNotFound, errCode("used_url")
	}
	ru.uses++
	c := s.channels[ru.channelID]
	if c == nil {
		return http.StatusNotFound, errCode("channel_not_found")
	}
	var orig *message
	if msg.DeleteOriginal || msg.ReplaceOriginal {
		if ru.messageTS == "" {
			// Slash commands have no original message to act on.
			return http.StatusOK, errCode("no_original_message")
		}
		if ru.ephemeral {
			orig = c.findEphemeral(ru.messageTS, ru.userID)
		} else {
			orig = c.findMsg(ru.messageTS)
		}
		if orig == nil {
			return http.StatusOK, errCode("message_not_found")
		}
	}
	if msg.DeleteOriginal {
		if ru.ephemeral {
			orig.deleted = true
		} else {
			s.deleteMsgLocked(c, orig)
		}
		return http.StatusOK, nil
	}
	body, aerr := s.checkContent(msg.Text, msg.Blocks, msg.Attachments, responseURLRules)
	if aerr != nil {
		return http.StatusOK, aerr
	}
	if orig == nil {
		s.replyLocked(c, ru.userID, msg.ResponseType, body, msg.ThreadTS)
		return http.StatusOK, nil
	}
	prev := s.msgJSONLocked(c, orig)
	orig.text, orig.blocks, orig.attachments = body.text, body.blocks, body.attachments
	if !ru.ephemeral {
		orig.edited = true
		orig.editedTS = formatTS(s.now().UnixMicro())
		s.emitChangedLocked(c, orig, prev)
	}
	return http.StatusOK, nil
}

// replyLocked posts a slash-command or response_url reply: ephemeral to the
// user unless responseType is in_channel. Replies bypass channel posting
// permissions, as Slack's do.
func (s *Server) replyLocked(c *channel, userID, responseType string, body content, threadTS string) {
	parent := ""
	if threadTS != "" {
		parent, _ = threadParent(c, threadTS)
	}
	if responseType == "in_channel" {
		s.postBotMessageLocked(c, body, parent, false)
		return
	}
	m := &message{user: botUserID, botID: botID, text: body.text, blocks: body.blocks, attachments: body.attachments, ephemeralTo: userID, threadTS: parent}
	s.addMessageLocked(c, m)
}

// responseURLRules: response_url posts need content but were seen to
// accept more block text than chat.* (slack-reference.md §9).
var responseURLRules = contentRules{requireSome: true}

func aerrJSON(e *apiError) map[string]any {
	out := map[string]any{"ok": false, "error": e.code}
	for k, v := range e.fields {
		out[k] = v
	}
	return out
}
