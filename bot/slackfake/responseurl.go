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

// serveResponseURL accepts the JSON message bodies slack-go's
// MsgOptionResponseURL / ReplaceOriginal / DeleteOriginal send.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || r.Method != http.MethodPost {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_request"})
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		Blocks          json.RawMessage `json:"blocks"`
		Attachments     json.RawMessage `json:"attachments"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
		ThreadTS        string          `json:"thread_ts"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"ok": false, "error": "invalid_payload"})
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.bumpLocked()
	ru, ok := s.responseURLs[id]
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "no_such_url"})
		return
	case s.now().Sub(ru.created) > responseURLLifetime:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "expired_url"})
		return
	case ru.uses >= responseURLUses:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "used_url"})
		return
	}
	ru.uses++
	c := s.channels[ru.channelID]
	if c == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "channel_not_found"})
		return
	}

	if msg.DeleteOriginal || msg.ReplaceOriginal {
		if ru.messageTS == "" {
			// Slash commands have no original message to act on.
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "no_original_message"})
			return
		}
		var orig *message
		if ru.ephemeral {
			orig = c.findEphemeral(ru.messageTS, ru.userID)
		} else {
			orig = c.findMsg(ru.messageTS)
		}
		if orig == nil {
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "message_not_found"})
			return
		}
		if msg.DeleteOriginal {
			if ru.ephemeral {
				orig.deleted = true
			} else {
				s.deleteMsgLocked(c, orig)
			}
			writeJSON(w, http.StatusOK, map[string]any{"ok": true})
			return
		}
		bodyC, aerr := checkContent(msg.Text, msg.Blocks, msg.Attachments, responseURLRules)
		if aerr != nil {
			writeJSON(w, http.StatusOK, aerrJSON(aerr))
			return
		}
		prev := s.msgJSONLocked(c, orig)
		orig.text, orig.blocks, orig.attachments = bodyC.text, bodyC.blocks, bodyC.attachments
		if !ru.ephemeral {
			orig.edited = true
			orig.editedTS = formatTS(s.now().UnixMicro())
			s.emitChangedLocked(c, orig, prev)
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	}

	bodyC, aerr := checkContent(msg.Text, msg.Blocks, msg.Attachments, responseURLRules)
	if aerr != nil {
		writeJSON(w, http.StatusOK, aerrJSON(aerr))
		return
	}
	s.replyLocked(c, ru.userID, msg.ResponseType, bodyC, msg.ThreadTS)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
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
