package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The driving API: what Slack does when a person acts. Functions that send
// an envelope return once it is written to a socket (or queued when no app
// is connected), not when it is acked; use Delivery.Wait for the ack.

// actorLocked returns an active human user.
func (s *Server) actorLocked(userID string) (*User, error) {
	u, ok := s.users[userID]
	switch {
	case !ok:
		return nil, fmt.Errorf("user %s: user_not_found", userID)
	case u.Deleted:
		return nil, fmt.Errorf("user %s: account_inactive", userID)
	case u.IsBot:
		return nil, fmt.Errorf("user %s is a bot, not a person", userID)
	}
	return u, nil
}

// waitSent blocks until d's first attempt is written to its socket, the
// socket dies, or (defensively) a few seconds pass.
func (s *Server) waitSent(d *Delivery) {
	s.mu.Lock()
	c := d.conn
	s.mu.Unlock()
	if c == nil {
		return // queued until an app connects
	}
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-d.sent:
	case <-c.done:
	case <-t.C:
	}
}

func userObj(u *User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": teamID}
}

func teamObj() map[string]any { return map[string]any{"id": teamID, "domain": teamDomain} }

func channelName(c *channel) string {
	if c.im {
		return "directmessage"
	}
	return c.name
}

// SlashCommand runs command (e.g. "/incident") with text, as userID typed it
// in channelID. text is passed as Slack sends it with should_escape on, so
// tests write mentions as "<@U1|alice>". The ack payload, if it has text or
// blocks, becomes an ephemeral reply (or an in-channel message with
// response_type in_channel).
func (s *Server) SlashCommand(userID, channelID, command, text string) (*Delivery, error) {
	s.mu.Lock()
	u, err := s.actorLocked(userID)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("slash command %s: %w", command, err)
	}
	c, ok := s.channels[channelID]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("slash command %s in %s: channel_not_found", command, channelID)
	}
	if !strings.HasPrefix(command, "/") {
		s.mu.Unlock()
		return nil, fmt.Errorf("slash command %q: must start with /", command)
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
	d := s.enqueueLocked("slash_commands", payload, true, what, func(ack json.RawMessage) {
		s.applyCommandAckLocked(c, u.ID, what, ack)
	})
	s.bumpLocked()
	s.mu.Unlock()
	s.waitSent(d)
	return d, nil
}

func (s *Server) applyCommandAckLocked(c *channel, userID, what string, ack json.RawMessage) {
	if len(ack) == 0 {
		return
	}
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		Attachments  json.RawMessage `json:"attachments"`
		ResponseType string          `json:"response_type"`
		ThreadTS     string          `json:"thread_ts"`
	}
	if err := json.Unmarshal(ack, &msg); err != nil {
		s.userErrors = append(s.userErrors, fmt.Sprintf("%s: ack payload is not a JSON object: %v", what, err))
		return
	}
	body, aerr := checkContent(msg.Text, msg.Blocks, msg.Attachments, false)
	if aerr != nil {
		s.userErrors = append(s.userErrors, fmt.Sprintf("%s: ack payload rejected: %s %v", what, aerr.code, aerr.fields))
		return
	}
	if body.text == "" && body.blocks == nil && body.attachments == nil {
		return
	}
	s.replyLocked(c, userID, msg.ResponseType, body, msg.ThreadTS)
}

// findElement locates the element with actionID in a blocks array (actions
// elements, section accessories and input elements).
func findElement(blocks json.RawMessage, actionID string) (string, map[string]any, bool) {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return "", nil, false
	}
	for _, b := range list {
		bid := str(b["block_id"])
		var els []any
		switch b["type"] {
		case "actions":
			els, _ = b["elements"].([]any)
		case "section":
			els = []any{b["accessory"]}
		case "input":
			els = []any{b["element"]}
		}
		for _, e := range els {
			if m, ok := e.(map[string]any); ok && str(m["action_id"]) == actionID {
				return bid, m, true
			}
		}
	}
	return "", nil, false
}

// messageForActionLocked finds a message the user can see and act on: a
// channel message, or an ephemeral shown to them.
func (s *Server) messageForActionLocked(userID, channelID, ts string) (*channel, *message, bool, error) {
	c, ok := s.channels[channelID]
	if !ok {
		return nil, nil, false, fmt.Errorf("channel %s: channel_not_found", channelID)
	}
	if m := c.findMsg(ts); m != nil {
		if c.private && !c.isMember(userID) {
			return nil, nil, false, fmt.Errorf("%s cannot see private channel %s", userID, channelID)
		}
		return c, m, false, nil
	}
	if m := c.findEphemeral(ts, userID); m != nil {
		return c, m, true, nil
	}
	return nil, nil, false, fmt.Errorf("message %s in %s: message_not_found", ts, channelID)
}

// blockActionsLocked sends a block_actions payload for an action in a
// message.
func (s *Server) messageActionLocked(u *User, c *channel, m *message, ephemeral bool, action map[string]any, state map[string]any) *Delivery {
	container := map[string]any{"type": "message", "message_ts": m.ts, "channel_id": c.id, "is_ephemeral": ephemeral}
	if m.threadTS != "" && m.threadTS != m.ts {
		container["thread_ts"] = m.threadTS
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  userObj(u),
		"api_app_id":            appID,
		"token":                 "fake-verification-token",
		"container":             container,
		"trigger_id":            s.newTriggerLocked(u.ID),
		"team":                  teamObj(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": c.id, "name": channelName(c)},
		"state":                 map[string]any{"values": state},
		"response_url":          s.newResponseURLLocked(&responseURL{userID: u.ID, channelID: c.id, messageTS: m.ts, ephemeral: ephemeral}),
		"actions":               []any{action},
	}
	// Slack leaves the message out for ephemeral sources.
	if !ephemeral {
		payload["message"] = s.msgJSONLocked(c, m)
	}
	what := fmt.Sprintf("block_actions %s by %s on %s/%s", action["action_id"], u.ID, c.id, m.ts)
	return s.enqueueLocked("interactive", payload, true, what, nil)
}

// ClickButton clicks the button with actionID in the message messageTS (a
// channel message or an ephemeral shown to userID).
func (s *Server) ClickButton(userID, channelID, messageTS, actionID string) (*Delivery, error) {
	s.mu.Lock()
	d, err := s.clickButtonLocked(userID, channelID, messageTS, actionID)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("click %s: %w", actionID, err)
	}
	s.waitSent(d)
	return d, nil
}

func (s *Server) clickButtonLocked(userID, channelID, messageTS, actionID string) (*Delivery, error) {
	u, err := s.actorLocked(userID)
	if err != nil {
		return nil, err
	}
	c, m, eph, err := s.messageForActionLocked(userID, channelID, messageTS)
	if err != nil {
		return nil, err
	}
	bid, el, ok := findElement(m.blocks, actionID)
	if !ok {
		return nil, fmt.Errorf("no element with action_id %q in message %s", actionID, messageTS)
	}
	if el["type"] != "button" {
		return nil, fmt.Errorf("element %q is a %v, not a button (use SelectInMessage)", actionID, el["type"])
	}
	action := map[string]any{
		"action_id": actionID, "block_id": bid, "type": "button", "text": el["text"],
		"value": str(el["value"]), "action_ts": formatTS(s.now().UnixMicro()),
	}
	if st, ok := el["style"]; ok {
		action["style"] = st
	}
	d := s.messageActionLocked(u, c, m, eph, action, map[string]any{})
	s.bumpLocked()
	return d, nil
}

// SelectInMessage picks value in the select menu (static_select option
// value, users_select user ID, conversations_select channel ID, overflow or
// radio option, comma-separated for multi-selects and checkboxes) with
// actionID in a message.
func (s *Server) SelectInMessage(userID, channelID, messageTS, actionID, value string) (*Delivery, error) {
	s.mu.Lock()
	d, err := s.selectLocked(userID, channelID, messageTS, actionID, value)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("select %q in %s: %w", value, actionID, err)
	}
	s.waitSent(d)
	return d, nil
}

func (s *Server) selectLocked(userID, channelID, messageTS, actionID, value string) (*Delivery, error) {
	u, err := s.actorLocked(userID)
	if err != nil {
		return nil, err
	}
	c, m, eph, err := s.messageForActionLocked(userID, channelID, messageTS)
	if err != nil {
		return nil, err
	}
	bid, el, ok := findElement(m.blocks, actionID)
	if !ok {
		return nil, fmt.Errorf("no element with action_id %q in message %s", actionID, messageTS)
	}
	if el["type"] == "button" {
		return nil, fmt.Errorf("element %q is a button (use ClickButton)", actionID)
	}
	sel, err := s.selectionLocked(el, value)
	if err != nil {
		return nil, err
	}
	action := map[string]any{"action_id": actionID, "block_id": bid, "action_ts": formatTS(s.now().UnixMicro())}
	for k, v := range sel {
		action[k] = v
	}
	if p, ok := el["placeholder"]; ok {
		action["placeholder"] = p
	}
	state := map[string]any{bid: map[string]any{actionID: sel}}
	d := s.messageActionLocked(u, c, m, eph, action, state)
	s.bumpLocked()
	return d, nil
}

// findOption finds the option with value in an element's options or
// option_groups.
func findOption(el map[string]any, value string) (map[string]any, bool) {
	var opts []any
	if o, ok := el["options"].([]any); ok {
		opts = append(opts, o...)
	}
	if gs, ok := el["option_groups"].([]any); ok {
		for _, g := range gs {
			gm, _ := g.(map[string]any)
			if o, ok := gm["options"].([]any); ok {
				opts = append(opts, o...)
			}
		}
	}
	for _, o := range opts {
		om, _ := o.(map[string]any)
		if str(om["value"]) == value {
			return om, true
		}
	}
	return nil, false
}

// selectionLocked builds the state/action fields for choosing value in el,
// refusing choices the Slack client would not offer.
func (s *Server) selectionLocked(el map[string]any, value string) (map[string]any, error) {
	typ := str(el["type"])
	out := map[string]any{"type": typ}
	multi := splitList(value)
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		n := runeLen(value)
		if max, ok := el["max_length"].(float64); ok && n > int(max) {
			return nil, fmt.Errorf("value of %d characters exceeds max_length %d", n, int(max))
		}
		if min, ok := el["min_length"].(float64); ok && n < int(min) {
			return nil, fmt.Errorf("value of %d characters is below min_length %d", n, int(min))
		}
		if typ == "plain_text_input" && n > 3000 {
			return nil, fmt.Errorf("value of %d characters exceeds 3000", n)
		}
		out["value"] = value
	case "rich_text_input":
		out["rich_text_value"] = map[string]any{"type": "rich_text", "elements": []any{
			map[string]any{"type": "rich_text_section", "elements": []any{map[string]any{"type": "text", "text": value}}},
		}}
	case "static_select", "radio_buttons", "overflow":
		o, ok := findOption(el, value)
		if !ok {
			return nil, fmt.Errorf("%q is not an option of %s", value, str(el["action_id"]))
		}
		out["selected_option"] = o
	case "external_select":
		out["selected_option"] = map[string]any{"text": map[string]any{"type": "plain_text", "text": value}, "value": value}
	case "multi_static_select", "checkboxes":
		opts := []any{}
		for _, v := range multi {
			o, ok := findOption(el, v)
			if !ok {
				return nil, fmt.Errorf("%q is not an option of %s", v, str(el["action_id"]))
			}
			opts = append(opts, o)
		}
		out["selected_options"] = opts
	case "users_select", "multi_users_select":
		for _, v := range multi {
			if u, ok := s.users[v]; !ok || u.Deleted {
				return nil, fmt.Errorf("user %s: user_not_found", v)
			}
		}
		if typ == "users_select" {
			if len(multi) != 1 {
				return nil, fmt.Errorf("users_select takes exactly one user, got %q", value)
			}
			out["selected_user"] = multi[0]
		} else {
			out["selected_users"] = nonNil(multi)
		}
	case "conversations_select", "channels_select", "multi_conversations_select", "multi_channels_select":
		for _, v := range multi {
			if _, ok := s.channels[v]; !ok {
				return nil, fmt.Errorf("channel %s: channel_not_found", v)
			}
		}
		switch typ {
		case "conversations_select":
			out["selected_conversation"] = value
		case "channels_select":
			out["selected_channel"] = value
		case "multi_conversations_select":
			out["selected_conversations"] = nonNil(multi)
		default:
			out["selected_channels"] = nonNil(multi)
		}
	case "datepicker":
		if _, err := time.Parse("2006-01-02", value); err != nil {
			return nil, fmt.Errorf("date %q is not YYYY-MM-DD", value)
		}
		out["selected_date"] = value
	case "timepicker":
		if _, err := time.Parse("15:04", value); err != nil {
			return nil, fmt.Errorf("time %q is not HH:MM", value)
		}
		out["selected_time"] = value
	default:
		return nil, fmt.Errorf("cannot choose a value in a %s element", typ)
	}
	return out, nil
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// initialState is what the Slack client submits for an input the user left
// as the app pre-filled it; nil when nothing was pre-filled.
func initialState(el map[string]any) map[string]any {
	typ := str(el["type"])
	pairs := map[string][2]string{
		"plain_text_input":           {"initial_value", "value"},
		"email_text_input":           {"initial_value", "value"},
		"url_text_input":             {"initial_value", "value"},
		"number_input":               {"initial_value", "value"},
		"static_select":              {"initial_option", "selected_option"},
		"radio_buttons":              {"initial_option", "selected_option"},
		"external_select":            {"initial_option", "selected_option"},
		"multi_static_select":        {"initial_options", "selected_options"},
		"checkboxes":                 {"initial_options", "selected_options"},
		"users_select":               {"initial_user", "selected_user"},
		"multi_users_select":         {"initial_users", "selected_users"},
		"conversations_select":       {"initial_conversation", "selected_conversation"},
		"multi_conversations_select": {"initial_conversations", "selected_conversations"},
		"channels_select":            {"initial_channel", "selected_channel"},
		"multi_channels_select":      {"initial_channels", "selected_channels"},
		"datepicker":                 {"initial_date", "selected_date"},
		"timepicker":                 {"initial_time", "selected_time"},
	}
	p, ok := pairs[typ]
	if !ok {
		return nil
	}
	v, ok := el[p[0]]
	if !ok || v == nil {
		return nil
	}
	return map[string]any{"type": typ, p[1]: v}
}

// emptyState is what Slack submits for an optional input left empty.
func emptyState(typ string) map[string]any {
	out := map[string]any{"type": typ}
	switch typ {
	case "multi_static_select", "checkboxes", "multi_external_select":
		out["selected_options"] = []any{}
	case "multi_users_select":
		out["selected_users"] = []any{}
	case "multi_conversations_select":
		out["selected_conversations"] = []any{}
	case "multi_channels_select":
		out["selected_channels"] = []any{}
	case "static_select", "radio_buttons", "external_select":
		out["selected_option"] = nil
	case "users_select":
		out["selected_user"] = nil
	case "conversations_select":
		out["selected_conversation"] = nil
	case "channels_select":
		out["selected_channel"] = nil
	case "datepicker":
		out["selected_date"] = nil
	case "timepicker":
		out["selected_time"] = nil
	default:
		out["value"] = nil
	}
	return out
}

// buildStateLocked turns test-supplied values (keyed by block_id or
// action_id) into view.state.values from the view's input blocks.
func (s *Server) buildStateLocked(v *viewRec, values map[string]string) (map[string]any, error) {
	blocks, _ := v.def["blocks"].([]map[string]any)
	state := map[string]any{}
	used := map[string]bool{}
	for _, b := range blocks {
		if b["type"] != "input" {
			continue
		}
		el, _ := b["element"].(map[string]any)
		bid, aid := str(b["block_id"]), str(el["action_id"])
		key := bid
		val, ok := values[bid]
		if !ok {
			key = aid
			val, ok = values[aid]
		}
		optional := b["optional"] == true
		var st map[string]any
		switch {
		case ok:
			used[key] = true
			if strings.TrimSpace(val) == "" {
				if !optional {
					return nil, fmt.Errorf("required input %q is empty", bid)
				}
				st = emptyState(str(el["type"]))
				break
			}
			var err error
			if st, err = s.selectionLocked(el, val); err != nil {
				return nil, fmt.Errorf("input %q: %w", bid, err)
			}
		case initialState(el) != nil:
			st = initialState(el)
		case optional:
			st = emptyState(str(el["type"]))
		default:
			return nil, fmt.Errorf("required input %q (action %q, label %q) has no value; Slack's client would refuse to submit", bid, aid, textOf(b["label"]))
		}
		state[bid] = map[string]any{aid: st}
	}
	for k := range values {
		if !used[k] {
			return nil, fmt.Errorf("no input block or action %q in view %s", k, v.id)
		}
	}
	return state, nil
}

// topViewLocked returns the user's visible modal if it is viewID.
func (s *Server) topViewLocked(userID, viewID string) (*viewRec, error) {
	stack := s.stacks[userID]
	if len(stack) == 0 {
		return nil, fmt.Errorf("user %s has no open modal", userID)
	}
	top := stack[len(stack)-1]
	if top.id != viewID {
		return nil, fmt.Errorf("view %s is not %s's visible modal (top is %s)", viewID, userID, top.id)
	}
	return top, nil
}

// SubmitView submits the user's visible modal viewID with values keyed by
// block_id (or action_id); see buildStateLocked for the encoding. Required
// inputs without a value make it fail, as Slack's client would refuse. The
// app's ack then drives the view stack: empty closes the view, errors keeps
// it (ViewErrors), update replaces it, push pushes, clear closes all.
func (s *Server) SubmitView(userID, viewID string, values map[string]string) (*Delivery, error) {
	s.mu.Lock()
	d, err := s.submitViewLocked(userID, viewID, values)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("submit view %s: %w", viewID, err)
	}
	s.waitSent(d)
	return d, nil
}

func (s *Server) submitViewLocked(userID, viewID string, values map[string]string) (*Delivery, error) {
	u, err := s.actorLocked(userID)
	if err != nil {
		return nil, err
	}
	v, err := s.topViewLocked(userID, viewID)
	if err != nil {
		return nil, err
	}
	if v.def["submit"] == nil {
		return nil, fmt.Errorf("view %s has no submit button", viewID)
	}
	state, err := s.buildStateLocked(v, values)
	if err != nil {
		return nil, err
	}
	payload := map[string]any{
		"type":                  "view_submission",
		"team":                  teamObj(),
		"user":                  userObj(u),
		"api_app_id":            appID,
		"token":                 "fake-verification-token",
		"trigger_id":            s.newTriggerLocked(u.ID),
		"view":                  s.viewJSONLocked(v, state),
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
	what := fmt.Sprintf("view_submission %s (%s) by %s", v.id, v.str("callback_id"), u.ID)
	d := s.enqueueLocked("interactive", payload, true, what, func(ack json.RawMessage) {
		s.applyViewAckLocked(v, what, ack)
	})
	s.bumpLocked()
	return d, nil
}

// popViewLocked closes v, which must be on top of its user's stack.
func (s *Server) popViewLocked(v *viewRec) {
	stack := s.stacks[v.userID]
	for i, x := range stack {
		if x == v {
			for _, y := range stack[i:] {
				y.closed = true
			}
			stack = stack[:i]
			break
		}
	}
	if len(stack) == 0 {
		delete(s.stacks, v.userID)
	} else {
		s.stacks[v.userID] = stack
	}
}

func (s *Server) applyViewAckLocked(v *viewRec, what string, ack json.RawMessage) {
	if v.closed {
		return
	}
	var resp struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if len(ack) > 0 {
		if err := json.Unmarshal(ack, &resp); err != nil {
			s.userErrors = append(s.userErrors, fmt.Sprintf("%s: ack payload is not a JSON object: %v", what, err))
			return
		}
	}
	fail := func(format string, args ...any) {
		s.userErrors = append(s.userErrors, what+": "+fmt.Sprintf(format, args...))
	}
	switch resp.ResponseAction {
	case "":
		v.errors = nil
		s.popViewLocked(v)
	case "errors":
		blocks, _ := v.def["blocks"].([]map[string]any)
		for k := range resp.Errors {
			ok := false
			for _, b := range blocks {
				if b["type"] == "input" && str(b["block_id"]) == k {
					ok = true
				}
			}
			if !ok {
				// Slack renders errors only against input blocks; anything
				// else fails the response.
				fail("response_action errors names %q, which is not an input block", k)
				return
			}
		}
		if len(resp.Errors) == 0 {
			fail("response_action errors with no errors")
			return
		}
		v.errors = resp.Errors
	case "update":
		def, aerr := checkView(resp.View, false)
		if aerr != nil {
			fail("response_action update with invalid view: %s %v", aerr.code, aerr.fields)
			return
		}
		v.def = def
		v.hash = s.newHashLocked()
		v.errors = nil
	case "push":
		def, aerr := checkView(resp.View, false)
		if aerr != nil {
			fail("response_action push with invalid view: %s %v", aerr.code, aerr.fields)
			return
		}
		v.errors = nil
		if _, aerr := s.pushViewLocked(v.userID, def); aerr != nil {
			fail("response_action push: %s", aerr.code)
		}
	case "clear":
		s.closeStackLocked(v.userID)
	default:
		fail("unknown response_action %q", resp.ResponseAction)
	}
}

// ClickViewButton clicks the button actionID in the user's open modal (or
// Home tab) viewID.
func (s *Server) ClickViewButton(userID, viewID, actionID string) (*Delivery, error) {
	s.mu.Lock()
	d, err := s.clickViewButtonLocked(userID, viewID, actionID)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("click %s in view %s: %w", actionID, viewID, err)
	}
	s.waitSent(d)
	return d, nil
}

func (s *Server) clickViewButtonLocked(userID, viewID, actionID string) (*Delivery, error) {
	u, err := s.actorLocked(userID)
	if err != nil {
		return nil, err
	}
	v, ok := s.views[viewID]
	if !ok || v.closed || v.userID != userID {
		return nil, fmt.Errorf("view %s is not open for %s", viewID, userID)
	}
	if v.typ == "modal" {
		if _, err := s.topViewLocked(userID, viewID); err != nil {
			return nil, err
		}
	}
	raw, _ := json.Marshal(v.def["blocks"])
	bid, el, found := findElement(raw, actionID)
	if !found {
		return nil, fmt.Errorf("no element with action_id %q in view %s", actionID, viewID)
	}
	if el["type"] != "button" {
		return nil, fmt.Errorf("element %q is a %v, not a button", actionID, el["type"])
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  userObj(u),
		"api_app_id":            appID,
		"token":                 "fake-verification-token",
		"container":             map[string]any{"type": "view", "view_id": v.id},
		"trigger_id":            s.newTriggerLocked(u.ID),
		"team":                  teamObj(),
		"enterprise":            nil,
		"is_enterprise_install": false,
		"view":                  s.viewJSONLocked(v, nil),
		"state":                 map[string]any{"values": map[string]any{}},
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": bid, "type": "button", "text": el["text"],
			"value": str(el["value"]), "action_ts": formatTS(s.now().UnixMicro()),
		}},
	}
	what := fmt.Sprintf("block_actions %s by %s in view %s", actionID, u.ID, v.id)
	d := s.enqueueLocked("interactive", payload, true, what, nil)
	s.bumpLocked()
	return d, nil
}

// CloseView is the user pressing Cancel on their visible modal viewID: the
// view closes and, only if it set notify_on_close, view_closed is sent.
// Without notification the returned Delivery is already complete.
func (s *Server) CloseView(userID, viewID string) (*Delivery, error) {
	return s.closeView(userID, viewID, false)
}

// ClearViews is the user pressing X: every modal in the stack closes, and
// view_closed (is_cleared true) is sent if the visible view set
// notify_on_close.
func (s *Server) ClearViews(userID string) (*Delivery, error) {
	s.mu.Lock()
	stack := s.stacks[userID]
	s.mu.Unlock()
	if len(stack) == 0 {
		return nil, fmt.Errorf("clear views: user %s has no open modal", userID)
	}
	return s.closeView(userID, stack[len(stack)-1].id, true)
}

func (s *Server) closeView(userID, viewID string, clear bool) (*Delivery, error) {
	s.mu.Lock()
	u, err := s.actorLocked(userID)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("close view %s: %w", viewID, err)
	}
	v, err := s.topViewLocked(userID, viewID)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("close view %s: %w", viewID, err)
	}
	notify := v.def["notify_on_close"] == true
	view := s.viewJSONLocked(v, map[string]any{})
	if clear {
		s.closeStackLocked(userID)
	} else {
		s.popViewLocked(v)
	}
	s.bumpLocked()
	if !notify {
		s.mu.Unlock()
		return completedDelivery(), nil
	}
	payload := map[string]any{
		"type": "view_closed", "team": teamObj(), "user": userObj(u), "api_app_id": appID,
		"token": "fake-verification-token", "view": view, "is_cleared": clear,
		"enterprise": nil, "is_enterprise_install": false,
	}
	d := s.enqueueLocked("interactive", payload, true, fmt.Sprintf("view_closed %s by %s", v.id, u.ID), nil)
	s.mu.Unlock()
	s.waitSent(d)
	return d, nil
}

// canWriteLocked checks that a person may post in c.
func canWrite(c *channel, userID string) error {
	switch {
	case c.archived:
		return fmt.Errorf("channel %s: is_archived", c.id)
	case !c.isMember(userID):
		return fmt.Errorf("%s is not in channel %s: not_in_channel", userID, c.id)
	}
	return nil
}

func (s *Server) userChannelLocked(userID, channelID string) (*channel, error) {
	if _, err := s.actorLocked(userID); err != nil {
		return nil, err
	}
	c, ok := s.channels[channelID]
	if !ok {
		return nil, fmt.Errorf("channel %s: channel_not_found", channelID)
	}
	return c, nil
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
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.userChannelLocked(userID, channelID)
	if err == nil {
		err = canWrite(c, userID)
	}
	if err != nil {
		return "", fmt.Errorf("post as %s in %s: %w", userID, channelID, err)
	}
	if text == "" || runeLen(text) > maxMessageText {
		return "", fmt.Errorf("post as %s in %s: text must have 1 to %d characters", userID, channelID, maxMessageText)
	}
	m := &message{user: userID, text: text, clientMsgID: s.newClientMsgIDLocked()}
	if threadTS != "" {
		parent, aerr := threadParent(c, threadTS)
		if aerr != nil {
			return "", fmt.Errorf("reply as %s in %s/%s: %w", userID, channelID, threadTS, aerr)
		}
		m.threadTS = parent
		if p := c.findMsg(parent); p.threadTS == "" {
			p.threadTS = p.ts
		}
	}
	s.addMessageLocked(c, m)
	s.emitMessageLocked(c, m)
	s.bumpLocked()
	return m.ts, nil
}

// EditMessage edits userID's own message and emits message_changed.
func (s *Server) EditMessage(userID, channelID, ts, text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.userChannelLocked(userID, channelID)
	if err != nil {
		return fmt.Errorf("edit %s: %w", ts, err)
	}
	m := c.findMsg(ts)
	switch {
	case m == nil:
		return fmt.Errorf("edit %s in %s: message_not_found", ts, channelID)
	case m.user != userID || m.botID != "":
		return fmt.Errorf("edit %s in %s: cant_update_message (not %s's message)", ts, channelID, userID)
	}
	prev := s.msgJSONLocked(c, m)
	m.text = text
	m.edited = true
	m.editedTS = formatTS(s.now().UnixMicro())
	s.emitChangedLocked(c, m, prev)
	s.bumpLocked()
	return nil
}

// DeleteMessage deletes a message as userID (its author, or an admin) and
// emits message_deleted.
func (s *Server) DeleteMessage(userID, channelID, ts string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.userChannelLocked(userID, channelID)
	if err != nil {
		return fmt.Errorf("delete %s: %w", ts, err)
	}
	m := c.findMsg(ts)
	switch {
	case m == nil:
		return fmt.Errorf("delete %s in %s: message_not_found", ts, channelID)
	case m.user != userID && !s.users[userID].IsAdmin:
		return fmt.Errorf("delete %s in %s: cant_delete_message", ts, channelID)
	}
	s.deleteMsgLocked(c, m)
	s.bumpLocked()
	return nil
}

// AddReaction adds :name: to a message as userID and emits reaction_added.
func (s *Server) AddReaction(userID, channelID, ts, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.userChannelLocked(userID, channelID)
	if err != nil {
		return fmt.Errorf("react %s: %w", name, err)
	}
	if c.private && !c.isMember(userID) {
		return fmt.Errorf("react %s in %s: channel_not_found", name, channelID)
	}
	m := c.findMsg(ts)
	if m == nil {
		return fmt.Errorf("react %s to %s: message_not_found", name, ts)
	}
	if err := s.addReactionLocked(c, m, userID, name); err != nil {
		return fmt.Errorf("react %s to %s: %w", name, ts, err)
	}
	s.bumpLocked()
	return nil
}

// PinMessage pins a message as userID (a member) and emits pin_added.
func (s *Server) PinMessage(userID, channelID, ts string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.userChannelLocked(userID, channelID)
	if err == nil {
		err = canWrite(c, userID)
	}
	if err != nil {
		return fmt.Errorf("pin %s: %w", ts, err)
	}
	m := c.findMsg(ts)
	switch {
	case m == nil:
		return fmt.Errorf("pin %s in %s: message_not_found", ts, channelID)
	case m.pinnedBy != "":
		return fmt.Errorf("pin %s in %s: already_pinned", ts, channelID)
	}
	s.pinLocked(c, m, userID)
	s.bumpLocked()
	return nil
}

// ShareFile uploads a text file as userID and shares it in channelID as a
// file_share message.
func (s *Server) ShareFile(userID, channelID, name, content string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.userChannelLocked(userID, channelID)
	if err == nil {
		err = canWrite(c, userID)
	}
	if err != nil {
		return "", fmt.Errorf("share file %q: %w", name, err)
	}
	f := &fileRec{id: s.newIDLocked("F"), name: name, title: name, user: userID, length: len(content),
		content: []byte(content), uploaded: true, channels: []string{c.id}, created: s.now()}
	s.files[f.id] = f
	s.fileOrder = append(s.fileOrder, f.id)
	m := &message{user: userID, subtype: "file_share", files: []string{f.id}, clientMsgID: s.newClientMsgIDLocked()}
	s.addMessageLocked(c, m)
	s.emitMessageLocked(c, m)
	s.bumpLocked()
	return f.id, nil
}

// NewTriggerID issues a fresh trigger_id for userID, as if they had just
// interacted. It lets unit tests call views.open without a Socket Mode round
// trip.
func (s *Server) NewTriggerID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked(userID)
}

// NewResponseURL issues a fresh response_url for a slash command userID ran
// in channelID, for unit tests of code that replies through it.
func (s *Server) NewResponseURL(userID, channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURLLocked(&responseURL{userID: userID, channelID: channelID})
}

// MessageShortcut runs the message shortcut callbackID on the message ts,
// as a user picking it from the message's "More actions" menu. Slack sends
// a message_action payload with a trigger_id and a response_url.
func (s *Server) MessageShortcut(userID, channelID, ts, callbackID string) (*Delivery, error) {
	s.mu.Lock()
	u, err := s.actorLocked(userID)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("shortcut %s: %w", callbackID, err)
	}
	c, m, ephemeral, err := s.messageForActionLocked(userID, channelID, ts)
	if err == nil && ephemeral {
		err = fmt.Errorf("message %s is ephemeral: shortcuts are not offered on it", ts)
	}
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("shortcut %s: %w", callbackID, err)
	}
	payload := map[string]any{
		"type":         "message_action",
		"callback_id":  callbackID,
		"user":         userObj(u),
		"team":         teamObj(),
		"api_app_id":   appID,
		"token":        "fake-verification-token",
		"action_ts":    formatTS(s.now().UnixMicro()),
		"message_ts":   m.ts,
		"message":      s.msgJSONLocked(c, m),
		"channel":      map[string]any{"id": c.id, "name": channelName(c)},
		"trigger_id":   s.newTriggerLocked(u.ID),
		"response_url": s.newResponseURLLocked(&responseURL{userID: u.ID, channelID: c.id}),
	}
	d := s.enqueueLocked("interactive", payload, true, fmt.Sprintf("message_action %s by %s on %s/%s", callbackID, u.ID, c.id, ts), nil)
	s.mu.Unlock()
	s.waitSent(d)
	return d, nil
}
