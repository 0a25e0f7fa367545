package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is a workspace member as a workspace admin would set it up.
type User struct {
	ID       string
	Name     string // handle, e.g. "alice"
	RealName string
	Email    string
	TZ       string // IANA zone, e.g. "Europe/Paris"; empty means UTC
	IsAdmin  bool
	IsBot    bool
	Deleted  bool
}

type userGroup struct {
	id, handle string
	members    []string
	created    time.Time
}

// channel is a conversation: a public or private channel, or the bot's IM
// with one user (im true, ID D…).
type channel struct {
	id, name, creator string
	private, archived bool
	im                bool
	imUser            string
	created           time.Time
	topic, purpose    topic
	members           []string
	bookmarks         []Bookmark
	pins              []string   // pinned message ts, in pin order
	msgs              []*message // top-level and thread replies, in ts order
	ephemerals        []*message
	lastTS            int64 // microseconds of the newest ts handed out
}

type topic struct {
	value, creator string
	lastSet        int64
}

func (c *channel) isMember(userID string) bool { return slices.Contains(c.members, userID) }

// channelType is the channel_type of message events.
func (c *channel) channelType() string {
	switch {
	case c.im:
		return "im"
	case c.private:
		return "group"
	}
	return "channel"
}

// message is one stored message. Deleted messages stay (flagged) so that
// tests can see the deletion; the Web API no longer returns them.
type message struct {
	ts, threadTS   string
	user, botID    string
	text, subtype  string
	blocks         json.RawMessage // as posted (with generated block_ids), nil if none
	attachments    json.RawMessage
	edited         bool
	editedTS       string
	deleted        bool
	pinnedBy       string // empty if not pinned
	reactions      []reaction
	files          []string
	ephemeralTo    string
	replyBroadcast bool
	extra          map[string]any // subtype-specific fields (topic, name, inviter, …)
	clientMsgID    string
	// metadata is the message metadata the app attached
	// ({"event_type","event_payload"}), nil if none.
	metadata json.RawMessage
}

type reaction struct {
	name  string
	users []string
}

type fileRec struct {
	id, name, title, user string
	length                int
	content               []byte
	uploaded              bool
	channels              []string
	created               time.Time
}

type trigger struct {
	userID  string
	created time.Time
	used    bool
}

// responseURL remembers where a slash command or interaction came from, so
// POSTs to it land in the right place.
type responseURL struct {
	userID, channelID string
	messageTS         string // source message for block_actions; empty for commands
	ephemeral         bool   // the source message is an ephemeral
	created           time.Time
	uses              int
}

// nextTSLocked returns a ts that is unique and increasing within c, derived
// from the clock ("<sec>.<6 digits>") but bumped by one microsecond when the
// clock has not moved (a fixed test clock) or went backwards.
func (s *Server) nextTSLocked(c *channel) string {
	us := s.now().UnixMicro()
	if us <= c.lastTS {
		us = c.lastTS + 1
	}
	c.lastTS = us
	return formatTS(us)
}

func formatTS(us int64) string { return fmt.Sprintf("%d.%06d", us/1e6, us%1e6) }

// parseTS turns a Slack ts into microseconds; ok is false for malformed input.
func parseTS(ts string) (int64, bool) {
	sec, frac, found := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, false
	}
	us := n * 1e6
	if found {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		for len(frac) < 6 {
			frac += "0"
		}
		f, err := strconv.ParseInt(frac, 10, 64)
		if err != nil {
			return 0, false
		}
		us += f
	}
	return us, true
}

func tsTime(ts string) time.Time {
	us, _ := parseTS(ts)
	return time.UnixMicro(us).UTC()
}

// findMsg returns the live (not deleted) message with ts, or nil.
func (c *channel) findMsg(ts string) *message {
	for _, m := range c.msgs {
		if m.ts == ts && !m.deleted {
			return m
		}
	}
	return nil
}

func (c *channel) findEphemeral(ts, userID string) *message {
	for _, m := range c.ephemerals {
		if m.ts == ts && !m.deleted && (userID == "" || m.ephemeralTo == userID) {
			return m
		}
	}
	return nil
}

func (c *channel) replies(parentTS string) []*message {
	var out []*message
	for _, m := range c.msgs {
		if m.threadTS == parentTS && m.ts != parentTS && !m.deleted {
			out = append(out, m)
		}
	}
	return out
}

// addToThreadLocked stores m in c as a reply in the thread of parent (the
// parent's ts; "" for a top-level message) and marks the parent as a
// thread parent, as Slack sets thread_ts on it at the first reply.
func (s *Server) addToThreadLocked(c *channel, m *message, parent string) {
	m.threadTS = parent
	if parent != "" {
		if p := c.findMsg(parent); p != nil && p.threadTS == "" {
			p.threadTS = p.ts
		}
	}
	s.addMessageLocked(c, m)
}

// addMessageLocked stores m in c with a fresh ts.
func (s *Server) addMessageLocked(c *channel, m *message) {
	m.ts = s.nextTSLocked(c)
	if m.ephemeralTo != "" {
		c.ephemerals = append(c.ephemerals, m)
		return
	}
	c.msgs = append(c.msgs, m)
}

// msgJSON renders m the way conversations.history and message events show it.
func (s *Server) msgJSONLocked(c *channel, m *message) map[string]any {
	out := map[string]any{"type": "message", "ts": m.ts, "text": m.text}
	if m.user != "" {
		out["user"] = m.user
	}
	if m.botID != "" {
		out["bot_id"] = m.botID
		out["app_id"] = appID
		out["bot_profile"] = map[string]any{"id": botID, "app_id": appID, "name": botName, "team_id": teamID, "deleted": false}
	}
	out["team"] = teamID
	if m.subtype != "" {
		out["subtype"] = m.subtype
	}
	if len(m.blocks) > 0 {
		out["blocks"] = m.blocks
	}
	if len(m.attachments) > 0 {
		out["attachments"] = m.attachments
	}
	if m.threadTS != "" {
		out["thread_ts"] = m.threadTS
		if m.threadTS == m.ts {
			reps := c.replies(m.ts)
			out["reply_count"] = len(reps)
			var users []string
			for _, r := range reps {
				if !slices.Contains(users, r.user) {
					users = append(users, r.user)
				}
			}
			out["reply_users"] = users
			out["reply_users_count"] = len(users)
			if len(reps) > 0 {
				out["latest_reply"] = reps[len(reps)-1].ts
			}
		} else if p := c.findMsg(m.threadTS); p != nil {
			out["parent_user_id"] = p.user
		}
	}
	if m.edited {
		out["edited"] = map[string]any{"user": m.user, "ts": m.editedTS}
	}
	if m.pinnedBy != "" {
		out["pinned_to"] = []string{c.id}
	}
	if len(m.reactions) > 0 {
		var rs []map[string]any
		for _, r := range m.reactions {
			rs = append(rs, map[string]any{"name": r.name, "users": r.users, "count": len(r.users)})
		}
		out["reactions"] = rs
	}
	if len(m.files) > 0 {
		var fs []map[string]any
		for _, id := range m.files {
			if f := s.files[id]; f != nil {
				fs = append(fs, s.fileJSONLocked(f))
			}
		}
		out["files"] = fs
		out["upload"] = true
	}
	for k, v := range m.extra {
		out[k] = v
	}
	return out
}

// channelJSONLocked renders c like conversations.info does. created and
// last_set are integers: slack-go's JSONTime refuses floats.
func (s *Server) channelJSONLocked(c *channel) map[string]any {
	out := map[string]any{
		"id":              c.id,
		"created":         c.created.Unix(),
		"is_archived":     c.archived,
		"is_private":      c.private || c.im,
		"is_im":           c.im,
		"is_mpim":         false,
		"is_general":      false,
		"is_shared":       false,
		"is_ext_shared":   false,
		"is_org_shared":   false,
		"context_team_id": teamID,
		"is_member":       c.im || c.isMember(botUserID),
	}
	if c.im {
		out["user"] = c.imUser
		out["is_open"] = true
		return out
	}
	out["name"] = c.name
	out["name_normalized"] = c.name
	out["is_channel"] = true
	out["is_group"] = false
	out["creator"] = c.creator
	out["num_members"] = len(c.members)
	out["topic"] = map[string]any{"value": c.topic.value, "creator": c.topic.creator, "last_set": c.topic.lastSet}
	out["purpose"] = map[string]any{"value": c.purpose.value, "creator": c.purpose.creator, "last_set": c.purpose.lastSet}
	return out
}

func (s *Server) userJSONLocked(u *User) map[string]any {
	tz := u.TZ
	if tz == "" {
		tz = "UTC"
	}
	offset := 0
	if loc, err := time.LoadLocation(tz); err == nil {
		_, offset = s.now().In(loc).Zone()
	}
	profile := map[string]any{
		"real_name":               u.RealName,
		"real_name_normalized":    u.RealName,
		"display_name":            u.Name,
		"display_name_normalized": u.Name,
		"email":                   u.Email,
		"team":                    teamID,
	}
	if u.IsBot {
		profile["bot_id"] = botID
	}
	return map[string]any{
		"id":                  u.ID,
		"team_id":             teamID,
		"name":                u.Name,
		"real_name":           u.RealName,
		"deleted":             u.Deleted,
		"tz":                  tz,
		"tz_label":            tz,
		"tz_offset":           offset,
		"is_admin":            u.IsAdmin,
		"is_owner":            false,
		"is_bot":              u.IsBot,
		"is_app_user":         false,
		"is_restricted":       false,
		"is_ultra_restricted": false,
		"updated":             0,
		"profile":             profile,
	}
}

func (s *Server) fileJSONLocked(f *fileRec) map[string]any {
	url := fmt.Sprintf("%s/files/%s/%s", s.baseURL, f.id, f.name)
	return map[string]any{
		"id":                   f.id,
		"created":              f.created.Unix(),
		"timestamp":            f.created.Unix(),
		"name":                 f.name,
		"title":                f.title,
		"mimetype":             "text/plain",
		"filetype":             "text",
		"pretty_type":          "Plain Text",
		"user":                 f.user,
		"mode":                 "hosted",
		"editable":             false,
		"is_external":          false,
		"external_type":        "",
		"size":                 len(f.content),
		"url_private":          url,
		"url_private_download": url,
		"channels":             f.channels,
		"is_public":            len(f.channels) > 0,
	}
}
