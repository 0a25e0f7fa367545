package slackfake

import (
	"fmt"
	"strings"
	"time"
)

// What a user picks or types, as Slack encodes it in block_actions
// actions[] and in view_submission state.values.

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

// buildStateLocked turns test-supplied values (keyed by block_id, or by
// action_id when only one input block holds it) into view.state.values
// from the view's input blocks.
func (s *Server) buildStateLocked(v *viewRec, values map[string]string) (map[string]any, error) {
	blocks, _ := v.def["blocks"].([]map[string]any)
	// action_id is unique only within its block (slack-reference.md §9):
	// an action_id shared by several inputs cannot name one.
	actionBlocks := map[string]int{}
	blockIDs := map[string]bool{}
	for _, b := range blocks {
		if el, _ := b["element"].(map[string]any); b["type"] == "input" {
			actionBlocks[str(el["action_id"])]++
			blockIDs[str(b["block_id"])] = true
		}
	}
	for k := range values {
		if !blockIDs[k] && actionBlocks[k] > 1 {
			return nil, fmt.Errorf("action_id %q is in %d input blocks of view %s: key the value by block_id", k, actionBlocks[k], v.id)
		}
	}
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
		if !ok && actionBlocks[aid] == 1 {
			key = aid
			val, ok = values[aid]
		}
		optional := b["optional"] == true
		var st map[string]any
		chosen, wasChosen := v.chosen[bid][aid].(map[string]any)
		switch {
		case !ok && wasChosen:
			st = chosen
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
