package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// Slack's modal limits.
const (
	maxViewStack    = 3
	maxViewBytes    = 250 * 1024
	triggerLifetime = 3 * time.Second
)

// viewRec is a modal or Home tab as Slack stores it.
type viewRec struct {
	id, userID, typ string
	hash            string
	def             map[string]any // normalized definition: title, blocks, callback_id, …
	rootID, prevID  string
	errors          map[string]string // from the last response_action errors
	closed          bool
	// chosen holds what the person chose in dispatching inputs
	// (ChooseInView), by block_id: Slack keeps an input's value across
	// views.update when its block_id and action_id stay the same.
	chosen map[string]map[string]any
}

func (v *viewRec) str(key string) string { s, _ := v.def[key].(string); return s }

// checkView validates a view definition for views.open/push/update/publish
// (and response_action update/push). Problems are invalid_arguments with
// response_metadata.messages, as Slack answers for views.
func checkView(raw json.RawMessage, wantHome bool) (map[string]any, *apiError) {
	if len(raw) == 0 {
		return nil, errMessages("invalid_arguments", []string{"[ERROR] missing required field: view"})
	}
	if len(raw) > maxViewBytes {
		return nil, errCode("view_too_large")
	}
	var def map[string]any
	if err := json.Unmarshal(raw, &def); err != nil {
		return nil, errMessages("invalid_arguments", []string{"[ERROR] view must be a JSON object [json-pointer:/view]"})
	}
	v := &validator{sf: surfaceModal, blockIDs: map[string]bool{}}
	typ, _ := def["type"].(string)
	switch {
	case wantHome && typ != "home":
		v.errf("/view/type", "must be home")
	case !wantHome && typ != "modal":
		v.errf("/view/type", "must be modal")
	}
	if wantHome {
		v.sf = surfaceHome
	}
	if typ == "modal" {
		v.text("/view/title", def["title"], true, 24)
		for _, k := range []string{"submit", "close"} {
			if t, ok := def[k]; ok && t != nil {
				v.text("/view/"+k, t, true, 24)
			}
		}
	}
	if pm, ok := def["private_metadata"]; ok {
		v.str("/view/private_metadata", pm, 3000, false)
	}
	if id, ok := def["callback_id"]; ok {
		v.str("/view/callback_id", id, 255, false)
	}
	if id, ok := def["external_id"]; ok {
		v.str("/view/external_id", id, 255, false)
	}
	var blocks []map[string]any
	if b, ok := def["blocks"]; ok {
		braw, _ := json.Marshal(b)
		if json.Unmarshal(braw, &blocks) != nil {
			v.errf("/view/blocks", "must be an array of objects")
		}
	} else {
		v.errf("/view/blocks", "must provide an array")
	}
	v.blocks("/view/blocks", blocks)
	def["blocks"] = blocks
	if typ == "modal" && def["submit"] == nil && slices.ContainsFunc(blocks, func(b map[string]any) bool { return b["type"] == "input" }) {
		v.errf("/view/submit", "must provide submit when the view has input blocks")
	}
	if len(v.msgs) > 0 {
		return nil, errMessages("invalid_arguments", v.msgs)
	}
	return def, nil
}

func (s *Server) newHashLocked() string {
	s.seq["hash"]++
	return fmt.Sprintf("%d.%s", s.now().Unix(), genID("hash", s.seq["hash"])+genID("h", s.seq["hash"]))
}

func (s *Server) newViewLocked(userID string, def map[string]any) *viewRec {
	typ, _ := def["type"].(string)
	v := &viewRec{id: s.newIDLocked("V"), userID: userID, typ: typ, def: def, hash: s.newHashLocked()}
	s.views[v.id] = v
	return v
}

// viewJSONLocked renders v the way views.* return it and interaction
// payloads carry it. values may be nil.
func (s *Server) viewJSONLocked(v *viewRec, values map[string]any) map[string]any {
	if values == nil {
		values = map[string]any{}
	}
	out := map[string]any{
		"id":                    v.id,
		"team_id":               teamID,
		"type":                  v.typ,
		"blocks":                v.def["blocks"],
		"private_metadata":      v.str("private_metadata"),
		"callback_id":           v.str("callback_id"),
		"external_id":           v.str("external_id"),
		"state":                 map[string]any{"values": values},
		"hash":                  v.hash,
		"clear_on_close":        v.def["clear_on_close"] == true,
		"notify_on_close":       v.def["notify_on_close"] == true,
		"root_view_id":          v.rootID,
		"previous_view_id":      nilIfEmpty(v.prevID),
		"app_id":                appID,
		"app_installed_team_id": teamID,
		"bot_id":                botID,
	}
	for _, k := range []string{"title", "submit", "close"} {
		if t, ok := v.def[k]; ok {
			out[k] = t
		} else {
			out[k] = nil
		}
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// useTriggerLocked checks a trigger_id: it must exist, be unused and be at
// most 3 s old. It is marked used by the caller on success only.
func (s *Server) useTriggerLocked(id string) (*trigger, *apiError) {
	t, ok := s.triggers[id]
	switch {
	case !ok:
		return nil, errCode("invalid_trigger_id")
	case t.used:
		return nil, errCode("exchanged_trigger_id")
	case s.now().Sub(t.created) > triggerLifetime:
		return nil, errCode("expired_trigger_id")
	}
	return t, nil
}

func (s *Server) newTriggerLocked(userID string) string {
	s.seq["trigger"]++
	n := s.seq["trigger"]
	id := fmt.Sprintf("%d.%d.%s%s%s", 1000000+n, s.now().Unix(), s.instance, genID("t", n), genID("tr", n))
	s.triggers[id] = &trigger{userID: userID, created: s.now()}
	return id
}

func (s *Server) externalIDTakenLocked(ext string, except *viewRec) bool {
	if ext == "" {
		return false
	}
	for _, v := range s.views {
		if v != except && !v.closed && v.str("external_id") == ext {
			return true
		}
	}
	return false
}

// closeStackLocked closes every view in userID's modal stack.
func (s *Server) closeStackLocked(userID string) {
	for _, v := range s.stacks[userID] {
		v.closed = true
	}
	delete(s.stacks, userID)
}

// triggeredViewLocked checks a views.open or views.push call: its trigger
// and its new modal, whose external_id must be free.
func (s *Server) triggeredViewLocked(q *request) (*trigger, map[string]any, *apiError) {
	t, err := s.useTriggerLocked(q.str("trigger_id"))
	if err != nil {
		return nil, nil, err
	}
	def, err := checkView(q.raw("view"), false)
	if err != nil {
		return nil, nil, err
	}
	if s.externalIDTakenLocked(str(def["external_id"]), nil) {
		return nil, nil, errCode("duplicate_external_id")
	}
	return t, def, nil
}

func (s *Server) apiViewsOpen(q *request) (map[string]any, *apiError) {
	t, def, err := s.triggeredViewLocked(q)
	if err != nil {
		return nil, err
	}
	t.used = true
	// Opening a modal from a trigger replaces whatever stack was open.
	s.closeStackLocked(t.userID)
	v := s.newViewLocked(t.userID, def)
	v.rootID = v.id
	s.stacks[t.userID] = []*viewRec{v}
	return map[string]any{"view": s.viewJSONLocked(v, nil)}, nil
}

func (s *Server) pushViewLocked(userID string, def map[string]any) (*viewRec, *apiError) {
	stack := s.stacks[userID]
	if len(stack) == 0 {
		return nil, errCode("not_found")
	}
	if len(stack) >= maxViewStack {
		return nil, errCode("push_limit_reached")
	}
	v := s.newViewLocked(userID, def)
	v.rootID = stack[0].id
	v.prevID = stack[len(stack)-1].id
	s.stacks[userID] = append(stack, v)
	return v, nil
}

func (s *Server) apiViewsPush(q *request) (map[string]any, *apiError) {
	t, def, err := s.triggeredViewLocked(q)
	if err != nil {
		return nil, err
	}
	v, err := s.pushViewLocked(t.userID, def)
	if err != nil {
		return nil, err
	}
	t.used = true
	return map[string]any{"view": s.viewJSONLocked(v, nil)}, nil
}

func (s *Server) apiViewsUpdate(q *request) (map[string]any, *apiError) {
	var v *viewRec
	if id := q.str("view_id"); id != "" {
		v = s.views[id]
	} else if ext := q.str("external_id"); ext != "" {
		for _, cand := range s.views {
			if !cand.closed && cand.str("external_id") == ext {
				v = cand
			}
		}
	}
	if v == nil || v.closed {
		return nil, errCode("not_found")
	}
	if h := q.str("hash"); h != "" && h != v.hash {
		return nil, errCode("hash_conflict")
	}
	def, err := checkView(q.raw("view"), v.typ == "home")
	if err != nil {
		return nil, err
	}
	if s.externalIDTakenLocked(str(def["external_id"]), v) {
		return nil, errCode("duplicate_external_id")
	}
	v.def = def
	v.hash = s.newHashLocked()
	return map[string]any{"view": s.viewJSONLocked(v, nil)}, nil
}

func (s *Server) apiViewsPublish(q *request) (map[string]any, *apiError) {
	userID := q.str("user_id")
	if u, ok := s.users[userID]; !ok || u.Deleted {
		return nil, errCode("user_not_found")
	}
	old := s.homes[userID]
	if h := q.str("hash"); h != "" && old != nil && h != old.hash {
		return nil, errCode("hash_conflict")
	}
	def, err := checkView(q.raw("view"), true)
	if err != nil {
		return nil, err
	}
	if old == nil {
		old = s.newViewLocked(userID, def)
		old.rootID = old.id
		s.homes[userID] = old
	} else {
		old.def = def
		old.hash = s.newHashLocked()
	}
	return map[string]any{"view": s.viewJSONLocked(old, nil)}, nil
}

func str(v any) string { s, _ := v.(string); return s }

// textOf returns the text of a composition object.
func textOf(v any) string {
	m, _ := v.(map[string]any)
	return str(m["text"])
}

// runeLen counts characters as Slack does.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
