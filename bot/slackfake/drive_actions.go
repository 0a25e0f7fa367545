package slackfake

import (
	"encoding/json"
	"fmt"
)

// element is an interactive element found in a blocks array, with the
// block_id of the block that holds it.
type element struct {
	blockID string
	el      map[string]any
}

// findElements returns the elements with actionID (actions elements,
// section accessories and input elements), in the block blockID only when
// blockID is not empty. action_id is unique only within its block (Block
// Kit reference, "action_id"; slack-reference.md §9), so several blocks of
// one message or view may hold the same action_id.
func findElements(blocks json.RawMessage, blockID, actionID string) []element {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return nil
	}
	var out []element
	for _, b := range list {
		bid := str(b["block_id"])
		if blockID != "" && bid != blockID {
			continue
		}
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
				out = append(out, element{bid, m})
			}
		}
	}
	return out
}

// findElement returns the one element with actionID (in blockID if given),
// failing when there is none or, without blockID, several: the caller must
// then say which block it means.
func findElement(blocks json.RawMessage, blockID, actionID, where string) (element, error) {
	found := findElements(blocks, blockID, actionID)
	switch {
	case len(found) == 0 && blockID != "":
		return element{}, fmt.Errorf("no element with action_id %q in block %q of %s", actionID, blockID, where)
	case len(found) == 0:
		return element{}, fmt.Errorf("no element with action_id %q in %s", actionID, where)
	case len(found) > 1:
		var ids []string
		for _, f := range found {
			ids = append(ids, f.blockID)
		}
		return element{}, fmt.Errorf("action_id %q is in %d blocks of %s (%q): name the block_id (ClickButtonIn, SelectInMessageIn, ClickViewButtonIn)", actionID, len(found), where, ids)
	}
	return found[0], nil
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

// messageActionLocked sends a block_actions payload for an action in a
// message.
func (s *Server) messageActionLocked(u *User, c *channel, m *message, ephemeral bool, action, state map[string]any) *Delivery {
	container := map[string]any{"type": "message", "message_ts": m.ts, "channel_id": c.id, "is_ephemeral": ephemeral}
	if m.threadTS != "" && m.threadTS != m.ts {
		container["thread_ts"] = m.threadTS
	}
	payload := s.interactionLocked("block_actions", u, map[string]any{
		"container":    container,
		"trigger_id":   s.newTriggerLocked(u.ID),
		"channel":      map[string]any{"id": c.id, "name": channelName(c)},
		"state":        map[string]any{"values": state},
		"response_url": s.newResponseURLLocked(&responseURL{userID: u.ID, channelID: c.id, messageTS: m.ts, ephemeral: ephemeral}),
		"actions":      []any{action},
	})
	// Slack leaves the message out for ephemeral sources.
	if !ephemeral {
		payload["message"] = s.msgJSONLocked(c, m)
	}
	what := fmt.Sprintf("block_actions %s by %s on %s/%s", action["action_id"], u.ID, c.id, m.ts)
	return s.enqueueLocked("interactive", payload, true, what, nil)
}

// buttonAction is the actions[] entry of a button click.
func (s *Server) buttonAction(e element) (map[string]any, error) {
	if e.el["type"] != "button" {
		return nil, fmt.Errorf("element %q is a %v, not a button (use SelectInMessage)", str(e.el["action_id"]), e.el["type"])
	}
	action := map[string]any{
		"action_id": str(e.el["action_id"]), "block_id": e.blockID, "type": "button", "text": e.el["text"],
		"value": str(e.el["value"]), "action_ts": formatTS(s.now().UnixMicro()),
	}
	if st, ok := e.el["style"]; ok {
		action["style"] = st
	}
	return action, nil
}

// ClickButton clicks the button with actionID in the message messageTS (a
// channel message or an ephemeral shown to userID). It fails when several
// blocks of the message hold that action_id: use ClickButtonIn.
func (s *Server) ClickButton(userID, channelID, messageTS, actionID string) (*Delivery, error) {
	return s.ClickButtonIn(userID, channelID, messageTS, "", actionID)
}

// ClickButtonIn clicks the button actionID in the block blockID of the
// message messageTS; an empty blockID means the only block that holds
// actionID.
func (s *Server) ClickButtonIn(userID, channelID, messageTS, blockID, actionID string) (*Delivery, error) {
	return s.inMessage("click "+actionID, userID, channelID, messageTS, blockID, actionID,
		func(u *User, c *channel, m *message, eph bool, e element) (*Delivery, error) {
			action, err := s.buttonAction(e)
			if err != nil {
				return nil, err
			}
			return s.messageActionLocked(u, c, m, eph, action, map[string]any{}), nil
		})
}

// SelectInMessage picks value in the select menu (static_select option
// value, users_select user ID, conversations_select channel ID, overflow or
// radio option, comma-separated for multi-selects and checkboxes) with
// actionID in a message. It fails when several blocks hold actionID: use
// SelectInMessageIn.
func (s *Server) SelectInMessage(userID, channelID, messageTS, actionID, value string) (*Delivery, error) {
	return s.SelectInMessageIn(userID, channelID, messageTS, "", actionID, value)
}

// SelectInMessageIn is SelectInMessage for the element in block blockID.
func (s *Server) SelectInMessageIn(userID, channelID, messageTS, blockID, actionID, value string) (*Delivery, error) {
	return s.inMessage(fmt.Sprintf("select %q in %s", value, actionID), userID, channelID, messageTS, blockID, actionID,
		func(u *User, c *channel, m *message, eph bool, e element) (*Delivery, error) {
			if e.el["type"] == "button" {
				return nil, fmt.Errorf("element %q is a button (use ClickButton)", actionID)
			}
			sel, err := s.selectionLocked(e.el, value)
			if err != nil {
				return nil, err
			}
			action := map[string]any{"action_id": actionID, "block_id": e.blockID, "action_ts": formatTS(s.now().UnixMicro())}
			for k, v := range sel {
				action[k] = v
			}
			if p, ok := e.el["placeholder"]; ok {
				action["placeholder"] = p
			}
			state := map[string]any{e.blockID: map[string]any{actionID: sel}}
			return s.messageActionLocked(u, c, m, eph, action, state), nil
		})
}

// inMessage runs act, under drive, on the element actionID (in blockID, if
// given) of a message userID can see.
func (s *Server) inMessage(what, userID, channelID, messageTS, blockID, actionID string,
	act func(u *User, c *channel, m *message, eph bool, e element) (*Delivery, error)) (*Delivery, error) {
	return s.drive(what, func() (*Delivery, error) {
		u, err := s.actorLocked(userID)
		if err != nil {
			return nil, err
		}
		c, m, eph, err := s.messageForActionLocked(userID, channelID, messageTS)
		if err != nil {
			return nil, err
		}
		e, err := findElement(m.blocks, blockID, actionID, "message "+messageTS)
		if err != nil {
			return nil, err
		}
		return act(u, c, m, eph, e)
	})
}

// ClickViewButton clicks the button actionID in the user's open modal (or
// Home tab) viewID. It fails when several blocks hold actionID: use
// ClickViewButtonIn.
func (s *Server) ClickViewButton(userID, viewID, actionID string) (*Delivery, error) {
	return s.ClickViewButtonIn(userID, viewID, "", actionID)
}

// ClickViewButtonIn clicks the button actionID in block blockID of viewID.
func (s *Server) ClickViewButtonIn(userID, viewID, blockID, actionID string) (*Delivery, error) {
	return s.drive(fmt.Sprintf("click %s in view %s", actionID, viewID), func() (*Delivery, error) {
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
		e, err := findElement(raw, blockID, actionID, "view "+viewID)
		if err != nil {
			return nil, err
		}
		action, err := s.buttonAction(e)
		if err != nil {
			return nil, err
		}
		payload := s.interactionLocked("block_actions", u, map[string]any{
			"container":  map[string]any{"type": "view", "view_id": v.id},
			"trigger_id": s.newTriggerLocked(u.ID),
			"view":       s.viewJSONLocked(v, nil),
			"state":      map[string]any{"values": map[string]any{}},
			"actions":    []any{action},
		})
		what := fmt.Sprintf("block_actions %s by %s in view %s", actionID, u.ID, v.id)
		return s.enqueueLocked("interactive", payload, true, what, nil), nil
	})
}
