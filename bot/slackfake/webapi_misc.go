package slackfake

import (
	"regexp"
	"slices"
	"strings"
)

// Bookmark is a channel bookmark.
type Bookmark struct {
	ID, Title, Link, Emoji, Type string
	CreatedBy                    string
}

func (s *Server) pinsLocked(c *channel) []*message {
	var out []*message
	for _, ts := range c.pins {
		if m := c.findMsg(ts); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// pinLocked pins m and emits pin_added.
func (s *Server) pinLocked(c *channel, m *message, userID string) {
	m.pinnedBy = userID
	c.pins = append(c.pins, m.ts)
	item := s.msgJSONLocked(c, m)
	item["pinned_to"] = []string{c.id}
	s.emitLocked(c, map[string]any{
		"type":       "pin_added",
		"user":       userID,
		"channel_id": c.id,
		"item": map[string]any{
			"type": "message", "channel": c.id, "created": s.now().Unix(), "created_by": userID, "message": item,
		},
		"item_user": m.user,
		"pin_count": len(c.pins),
		"event_ts":  formatTS(s.now().UnixMicro()),
		"has_pins":  true,
	})
}

func (s *Server) apiPinsAdd(q *request) (map[string]any, *apiError) {
	c, err := s.channelForLocked(q.str("channel"), botMember|notArchived)
	if err != nil {
		return nil, err
	}
	ts := q.str("timestamp")
	if ts == "" {
		return nil, errCode("no_item_specified")
	}
	m, err := msgLocked(c, ts)
	if err != nil {
		return nil, err
	}
	if m.pinnedBy != "" {
		return nil, errCode("already_pinned")
	}
	s.pinLocked(c, m, botUserID)
	return map[string]any{}, nil
}

func (s *Server) apiPinsRemove(q *request) (map[string]any, *apiError) {
	c, err := s.channelForLocked(q.str("channel"), botMember)
	if err != nil {
		return nil, err
	}
	m, err := msgLocked(c, q.str("timestamp"))
	if err != nil {
		return nil, err
	}
	if m.pinnedBy == "" {
		return nil, errCode("no_pin")
	}
	m.pinnedBy = ""
	c.pins = removeString(c.pins, m.ts)
	return map[string]any{}, nil
}

func (s *Server) apiPinsList(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	items := []map[string]any{}
	for _, m := range s.pinsLocked(c) {
		items = append(items, map[string]any{
			"type": "message", "channel": c.id, "created_by": m.pinnedBy, "message": s.msgJSONLocked(c, m),
		})
	}
	return map[string]any{"items": items}, nil
}

// maxBookmarks is how many bookmarks a conversation holds
// (bookmarks.add: "Conversations are limited to 100 bookmarks").
const maxBookmarks = 100

func (s *Server) bookmarkJSON(c *channel, b Bookmark) map[string]any {
	now := s.now().Unix()
	return map[string]any{
		"id": b.ID, "channel_id": c.id, "title": b.Title, "link": b.Link, "emoji": b.Emoji,
		"icon_url": "", "type": b.Type, "date_created": now, "date_updated": now, "rank": "U",
		"last_updated_by_user_id": b.CreatedBy, "last_updated_by_team_id": teamID,
		"shortcut_id": "", "entity_id": "", "app_id": appID,
	}
}

func (s *Server) apiBookmarksAdd(q *request) (map[string]any, *apiError) {
	c, err := s.channelForLocked(q.str("channel_id"), botMember|notArchived)
	if err != nil {
		return nil, err
	}
	// bookmarks.add (https://docs.slack.dev/reference/methods/bookmarks.add):
	// title and type are required, "link" is the only type accepted and
	// needs a link starting with http:// or https:// (invalid_link), and
	// "conversations are limited to 100 bookmarks" (too_many_tabs: "tab
	// limit reached for channel").
	title, typ, link := q.str("title"), q.str("type"), q.str("link")
	switch {
	case title == "" || typ == "":
		return nil, errCode("invalid_arguments")
	case typ != "link":
		return nil, errCode("invalid_bookmark_type")
	case !strings.HasPrefix(link, "http://") && !strings.HasPrefix(link, "https://"):
		return nil, errCode("invalid_link")
	case len(c.bookmarks) >= maxBookmarks:
		return nil, errCode("too_many_tabs")
	}
	b := Bookmark{ID: s.newIDLocked("Bk"), Title: title, Link: link, Emoji: q.str("emoji"), Type: typ, CreatedBy: botUserID}
	c.bookmarks = append(c.bookmarks, b)
	return map[string]any{"bookmark": s.bookmarkJSON(c, b)}, nil
}

func (s *Server) apiBookmarksList(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel_id"))
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, b := range c.bookmarks {
		out = append(out, s.bookmarkJSON(c, b))
	}
	return map[string]any{"bookmarks": out}, nil
}

var reactionNameRE = regexp.MustCompile(`^[a-z0-9_+'-]+(::skin-tone-[2-6])?$`)

// addReactionLocked adds a reaction and emits reaction_added.
func (s *Server) addReactionLocked(c *channel, m *message, userID, name string) *apiError {
	if !reactionNameRE.MatchString(name) {
		return errCode("invalid_name")
	}
	i := slices.IndexFunc(m.reactions, func(r reaction) bool { return r.name == name })
	if i >= 0 && slices.Contains(m.reactions[i].users, userID) {
		return errCode("already_reacted")
	}
	if i < 0 {
		m.reactions = append(m.reactions, reaction{name: name})
		i = len(m.reactions) - 1
	}
	m.reactions[i].users = append(m.reactions[i].users, userID)
	s.emitLocked(c, map[string]any{
		"type":      "reaction_added",
		"user":      userID,
		"reaction":  name,
		"item_user": m.user,
		"item":      map[string]any{"type": "message", "channel": c.id, "ts": m.ts},
		"event_ts":  formatTS(s.now().UnixMicro()),
	})
	return nil
}

func (s *Server) apiReactionsAdd(q *request) (map[string]any, *apiError) {
	c, err := s.channelForLocked(q.str("channel"), botMember|notArchived)
	if err != nil {
		return nil, err
	}
	m, err := msgLocked(c, q.str("timestamp"))
	if err != nil {
		return nil, err
	}
	if err := s.addReactionLocked(c, m, botUserID, q.str("name")); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (s *Server) apiReactionsGet(q *request) (map[string]any, *apiError) {
	c, err := s.visibleChanLocked(q.str("channel"))
	if err != nil {
		return nil, err
	}
	m, err := msgLocked(c, q.str("timestamp"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"type": "message", "channel": c.id, "message": s.msgJSONLocked(c, m)}, nil
}

func (s *Server) apiUsersInfo(q *request) (map[string]any, *apiError) {
	u, ok := s.users[q.str("user")]
	if !ok {
		return nil, errCode("user_not_found")
	}
	return map[string]any{"user": s.userJSONLocked(u)}, nil
}

func (s *Server) apiUsersList(q *request) (map[string]any, *apiError) {
	start := min(decodeCursor(q.str("cursor")), len(s.userOrder))
	end := min(start+parseLimit(q, 200, 1000), len(s.userOrder))
	members := []map[string]any{}
	for _, id := range s.userOrder[start:end] {
		members = append(members, s.userJSONLocked(s.users[id]))
	}
	next := ""
	if end < len(s.userOrder) {
		next = encodeCursor(end)
	}
	return map[string]any{"members": members, "response_metadata": map[string]any{"next_cursor": next}}, nil
}

func (s *Server) apiUsersLookupByEmail(q *request) (map[string]any, *apiError) {
	email := strings.ToLower(q.str("email"))
	for _, id := range s.userOrder {
		if u := s.users[id]; email != "" && strings.ToLower(u.Email) == email && !u.Deleted {
			return map[string]any{"user": s.userJSONLocked(u)}, nil
		}
	}
	return nil, errCode("users_not_found")
}

func (s *Server) groupJSONLocked(g *userGroup, withUsers bool) map[string]any {
	out := map[string]any{
		"id": g.id, "team_id": teamID, "is_usergroup": true, "name": g.handle, "description": "",
		"handle": g.handle, "is_external": false, "date_create": g.created.Unix(), "date_update": g.created.Unix(),
		"date_delete": 0, "auto_type": "", "created_by": "", "updated_by": "", "deleted_by": "",
		"prefs": map[string]any{"channels": []string{}, "groups": []string{}}, "user_count": len(g.members),
	}
	if withUsers {
		out["users"] = append([]string{}, g.members...)
	}
	return out
}

func (s *Server) apiUsergroupsList(q *request) (map[string]any, *apiError) {
	out := []map[string]any{}
	for _, id := range s.groupOrder {
		out = append(out, s.groupJSONLocked(s.groups[id], q.boolean("include_users")))
	}
	return map[string]any{"usergroups": out}, nil
}

func (s *Server) apiUsergroupsUsersList(q *request) (map[string]any, *apiError) {
	g, ok := s.groups[q.str("usergroup")]
	if !ok {
		return nil, errCode("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, g.members...)}, nil
}
