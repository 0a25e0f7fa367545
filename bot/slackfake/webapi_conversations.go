package slackfake

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

var channelNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// validateChannelName applies conversations.create's rules: lower-case
// letters, digits, '-' and '_', 1 to 80 characters, not only punctuation.
func validateChannelName(name string) *apiError {
	switch {
	case name == "":
		return errCode("invalid_name_required")
	case utf8.RuneCountInString(name) > 80:
		return errCode("invalid_name_maxlength")
	case !channelNameRE.MatchString(name):
		return errCode("invalid_name_specials")
	case strings.Trim(name, "-_") == "":
		return errCode("invalid_name_punctuation")
	}
	return nil
}

func (s *Server) nameTakenLocked(name string) bool {
	for _, c := range s.channels {
		if !c.im && c.name == name {
			return true
		}
	}
	return false
}

// createChannelLocked stores a new channel whose creator is its first member.
func (s *Server) createChannelLocked(creator, name string, private bool) *channel {
	c := &channel{
		id:      s.newIDLocked("C"),
		name:    name,
		creator: creator,
		private: private,
		created: s.now(),
		members: []string{creator},
	}
	s.channels[c.id] = c
	s.channelOrder = append(s.channelOrder, c.id)
	return c
}

// joinLocked adds userID to c the way Slack does: a channel_join message and
// a member_joined_channel event. inviter is empty for self-joins.
func (s *Server) joinLocked(c *channel, userID, inviter string) {
	c.members = append(c.members, userID)
	extra := map[string]any{}
	if inviter != "" {
		extra["inviter"] = inviter
	}
	s.postSystemLocked(c, userID, "channel_join", fmt.Sprintf("<@%s> has joined the channel", userID), extra)
	ev := map[string]any{
		"type":         "member_joined_channel",
		"user":         userID,
		"channel":      c.id,
		"channel_type": map[bool]string{true: "G", false: "C"}[c.private],
		"team":         teamID,
		"event_ts":     formatTS(s.now().UnixMicro()),
	}
	if inviter != "" {
		ev["inviter"] = inviter
	}
	s.emitLocked(c, ev)
}

func (s *Server) apiConvCreate(q *request) (map[string]any, *apiError) {
	name := q.str("name")
	if err := validateChannelName(name); err != nil {
		return nil, err
	}
	if s.nameTakenLocked(name) {
		return nil, errCode("name_taken")
	}
	c := s.createChannelLocked(botUserID, name, q.boolean("is_private"))
	return map[string]any{"channel": s.channelJSONLocked(c)}, nil
}

func (s *Server) apiConvInvite(q *request) (map[string]any, *apiError) {
	c, err := s.chanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if c.im {
		return nil, errCode("method_not_supported_for_channel_type")
	}
	if c.private && !c.isMember(botUserID) {
		return nil, errCode("channel_not_found")
	}
	if c.archived {
		return nil, errCode("is_archived")
	}
	if err := requireMember(c); err != nil {
		return nil, err
	}
	users := splitList(q.str("users"))
	if len(users) == 0 {
		return nil, errCode("no_user")
	}
	if len(users) > 100 {
		return nil, errCode("too_many_users")
	}
	var errs []map[string]any
	var ok []string
	for _, u := range users {
		code := ""
		switch usr, found := s.users[u]; {
		case !found || usr.Deleted:
			code = "user_not_found"
		case u == botUserID:
			code = "cant_invite_self"
		case c.isMember(u) || slices.Contains(ok, u):
			code = "already_in_channel"
		}
		if code != "" {
			errs = append(errs, map[string]any{"user": u, "ok": false, "error": code})
			continue
		}
		ok = append(ok, u)
	}
	// Without force, one bad user fails the whole call and nobody is
	// invited; with force, the valid users are invited anyway.
	if len(errs) > 0 && !q.boolean("force") {
		return nil, &apiError{code: errs[0]["error"].(string), fields: map[string]any{"errors": errs}}
	}
	for _, u := range ok {
		s.joinLocked(c, u, botUserID)
	}
	out := map[string]any{"channel": s.channelJSONLocked(c)}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	return out, nil
}

func (s *Server) apiConvJoin(q *request) (map[string]any, *apiError) {
	c, err := s.chanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if c.im || c.private {
		if !c.isMember(botUserID) {
			return nil, errCode("method_not_supported_for_channel_type")
		}
	}
	if c.archived {
		return nil, errCode("is_archived")
	}
	out := map[string]any{}
	if c.isMember(botUserID) {
		out["warning"] = "already_in_channel"
		out["response_metadata"] = map[string]any{"warnings": []string{"already_in_channel"}}
	} else {
		s.joinLocked(c, botUserID, "")
	}
	out["channel"] = s.channelJSONLocked(c)
	return out, nil
}

func (s *Server) setTopicOrPurpose(q *request, field, subtype, verb string) (map[string]any, *apiError) {
	c, err := s.channelForLocked(q.str("channel"), notArchived|botMember)
	if err != nil {
		return nil, err
	}
	val := q.str(field)
	if utf8.RuneCountInString(val) > 250 {
		return nil, errCode("too_long")
	}
	t := topic{value: val, creator: botUserID, lastSet: s.now().Unix()}
	if field == "topic" {
		c.topic = t
	} else {
		c.purpose = t
	}
	s.postSystemLocked(c, botUserID, subtype, fmt.Sprintf("set the channel %s: %s", verb, val), map[string]any{field: val})
	return map[string]any{"channel": s.channelJSONLocked(c)}, nil
}

func (s *Server) apiConvSetTopic(q *request) (map[string]any, *apiError) {
	return s.setTopicOrPurpose(q, "topic", "channel_topic", "topic")
}

func (s *Server) apiConvSetPurpose(q *request) (map[string]any, *apiError) {
	return s.setTopicOrPurpose(q, "purpose", "channel_purpose", "description")
}

func (s *Server) apiConvArchive(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if c.im {
		return nil, errCode("method_not_supported_for_channel_type")
	}
	if c.archived {
		return nil, errCode("already_archived")
	}
	if err := requireMember(c); err != nil {
		return nil, err
	}
	s.postSystemLocked(c, botUserID, "channel_archive", "archived the channel", nil)
	c.archived = true
	return map[string]any{}, nil
}

func (s *Server) apiConvUnarchive(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if !c.archived {
		return nil, errCode("not_archived")
	}
	c.archived = false
	s.postSystemLocked(c, botUserID, "channel_unarchive", "un-archived the channel", nil)
	return map[string]any{}, nil
}

func (s *Server) apiConvRename(q *request) (map[string]any, *apiError) {
	c, err := s.channelForLocked(q.str("channel"), noDM|notArchived|botMember)
	if err != nil {
		return nil, err
	}
	// Only the creator (or an admin) may rename; the bot is neither for
	// channels a human created.
	if c.creator != botUserID {
		return nil, errCode("not_authorized")
	}
	name := q.str("name")
	if err := validateChannelName(name); err != nil {
		return nil, err
	}
	if name == c.name {
		return map[string]any{"channel": s.channelJSONLocked(c)}, nil
	}
	if s.nameTakenLocked(name) {
		return nil, errCode("name_taken")
	}
	old := c.name
	c.name = name
	s.postSystemLocked(c, botUserID, "channel_name", fmt.Sprintf("renamed the channel from %q to %q", old, name), map[string]any{"old_name": old, "name": name})
	return map[string]any{"channel": s.channelJSONLocked(c)}, nil
}

func (s *Server) apiConvInfo(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	ch := s.channelJSONLocked(c)
	if q.boolean("include_num_members") {
		ch["num_members"] = len(c.members)
	}
	return map[string]any{"channel": ch}, nil
}

// historyWindow applies latest/oldest/inclusive to a ts.
type historyWindow struct {
	latest, oldest int64
	hasLatest      bool
	inclusive      bool
}

func parseWindow(q *request) (historyWindow, *apiError) {
	w := historyWindow{inclusive: q.boolean("inclusive")}
	if v := q.str("latest"); v != "" {
		us, ok := parseTS(v)
		if !ok {
			return w, errCode("invalid_ts_latest")
		}
		w.latest, w.hasLatest = us, true
	}
	if v := q.str("oldest"); v != "" {
		us, ok := parseTS(v)
		if !ok {
			return w, errCode("invalid_ts_oldest")
		}
		w.oldest = us
	}
	return w, nil
}

func (w historyWindow) contains(ts string) bool {
	us, _ := parseTS(ts)
	if w.hasLatest && (us > w.latest || (!w.inclusive && us == w.latest)) {
		return false
	}
	if us < w.oldest || (!w.inclusive && w.oldest != 0 && us == w.oldest) {
		return false
	}
	return true
}

func parseLimit(q *request, def, max int) int {
	n, err := strconv.Atoi(q.str("limit"))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, max)
}

// Cursors are opaque to callers; the fake encodes the index to resume at.
func encodeCursor(i int) string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "next:%d", i))
}

func decodeCursor(c string) int {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(string(b), "next:"))
	return n
}

func (s *Server) apiConvHistory(q *request) (map[string]any, *apiError) {
	c, err := s.chanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if err := requireMember(c); err != nil {
		return nil, err
	}
	w, err := parseWindow(q)
	if err != nil {
		return nil, err
	}
	var all []*message
	for i := len(c.msgs) - 1; i >= 0; i-- { // newest first, like Slack
		m := c.msgs[i]
		if m.deleted || (m.threadTS != "" && m.threadTS != m.ts && !m.replyBroadcast) || !w.contains(m.ts) {
			continue
		}
		all = append(all, m)
	}
	return s.page(c, all, q, "messages", 100, 999), nil
}

// page cuts msgs by limit and cursor and renders them. Message metadata is
// shown only with include_all_metadata=true (conversations.history and
// conversations.replies method docs).
func (s *Server) page(c *channel, msgs []*message, q *request, key string, def, max int) map[string]any {
	withMetadata := q.boolean("include_all_metadata")
	start := decodeCursor(q.str("cursor"))
	if start > len(msgs) {
		start = len(msgs)
	}
	limit := parseLimit(q, def, max)
	end := min(start+limit, len(msgs))
	out := make([]map[string]any, 0, end-start)
	for _, m := range msgs[start:end] {
		j := s.msgJSONLocked(c, m)
		if withMetadata && m.metadata != nil {
			j["metadata"] = m.metadata
		}
		out = append(out, j)
	}
	resp := map[string]any{key: out, "has_more": end < len(msgs), "pin_count": len(s.pinsLocked(c))}
	if end < len(msgs) {
		resp["response_metadata"] = map[string]any{"next_cursor": encodeCursor(end)}
	} else {
		resp["response_metadata"] = map[string]any{"next_cursor": ""}
	}
	return resp
}

func (s *Server) apiConvReplies(q *request) (map[string]any, *apiError) {
	c, err := s.chanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	if err := requireMember(c); err != nil {
		return nil, err
	}
	parent := c.findMsg(q.str("ts"))
	if parent == nil {
		return nil, errCode("thread_not_found")
	}
	if parent.threadTS != "" && parent.threadTS != parent.ts {
		if p := c.findMsg(parent.threadTS); p != nil {
			parent = p
		}
	}
	w, err := parseWindow(q)
	if err != nil {
		return nil, err
	}
	var all []*message
	for _, m := range append([]*message{parent}, c.replies(parent.ts)...) {
		if w.contains(m.ts) {
			all = append(all, m)
		}
	}
	return s.page(c, all, q, "messages", 1000, 1000), nil
}

func (s *Server) apiConvMembers(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	start := decodeCursor(q.str("cursor"))
	start = min(start, len(c.members))
	end := min(start+parseLimit(q, 100, 1000), len(c.members))
	next := ""
	if end < len(c.members) {
		next = encodeCursor(end)
	}
	return map[string]any{
		"members":           append([]string{}, c.members[start:end]...),
		"response_metadata": map[string]any{"next_cursor": next},
	}, nil
}

// imLocked returns (creating on first use) the bot's DM channel with userID.
func (s *Server) imLocked(userID string) *channel {
	if id, ok := s.ims[userID]; ok {
		return s.channels[id]
	}
	c := &channel{id: s.newIDLocked("D"), im: true, imUser: userID, created: s.now(), members: []string{botUserID, userID}}
	s.channels[c.id] = c
	s.ims[userID] = c.id
	return c
}

func (s *Server) apiConvOpen(q *request) (map[string]any, *apiError) {
	if id := q.str("channel"); id != "" {
		c, err := s.chanLocked(id)
		if err != nil {
			return nil, err
		}
		return map[string]any{"channel": s.channelJSONLocked(c), "already_open": true}, nil
	}
	users := splitList(q.str("users"))
	if len(users) == 0 {
		return nil, errCode("users_list_not_supplied")
	}
	if len(users) > 1 {
		// Group DMs are not modelled; failing loudly beats pretending.
		return nil, errCode("not_supported_by_fake")
	}
	u, ok := s.users[users[0]]
	if !ok || u.Deleted || u.ID == botUserID {
		return nil, errCode("user_not_found")
	}
	_, already := s.ims[u.ID]
	c := s.imLocked(u.ID)
	return map[string]any{"channel": s.channelJSONLocked(c), "already_open": already, "no_op": already}, nil
}

// apiConvList lists the channels the bot can see: every public channel and
// the private ones it is a member of. types filters public_channel,
// private_channel and im; exclude_archived drops archived ones.
func (s *Server) apiConvList(q *request) (map[string]any, *apiError) {
	types := q.str("types")
	if types == "" {
		types = "public_channel"
	}
	want := map[string]bool{}
	for _, t := range strings.Split(types, ",") {
		want[strings.TrimSpace(t)] = true
	}
	var all []map[string]any
	for _, id := range s.channelOrder {
		c := s.channels[id]
		switch {
		case c.im && !want["im"]:
			continue
		case !c.im && c.private && (!want["private_channel"] || !slices.Contains(c.members, botUserID)):
			continue
		case !c.im && !c.private && !want["public_channel"]:
			continue
		case c.archived && q.boolean("exclude_archived"):
			continue
		}
		all = append(all, s.channelJSONLocked(c))
	}
	start := min(decodeCursor(q.str("cursor")), len(all))
	end := min(start+parseLimit(q, 100, 1000), len(all))
	next := ""
	if end < len(all) {
		next = encodeCursor(end)
	}
	page := all[start:end]
	if page == nil {
		page = []map[string]any{}
	}
	return map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}}, nil
}
