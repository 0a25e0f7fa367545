package slackfake

import (
	"fmt"
)

// ChooseInView makes userID choose value in the input block blockID of
// their visible modal viewID, an input with dispatch_action set: Slack
// then sends block_actions at once, with the view and the choice, so that
// the app can update the view while the person fills it in ("dispatch_action:
// A boolean that indicates whether or not the use of elements in this block
// should dispatch a block_actions payload", Block Kit reference, input
// block). Values are encoded as for SubmitView. An input without
// dispatch_action sends nothing in Slack, so it is refused here.
func (s *Server) ChooseInView(userID, viewID, blockID, value string) (*Delivery, error) {
	return s.inTopView(fmt.Sprintf("choose %q in %s of view %s", value, blockID, viewID), userID, viewID, func(u *User, v *viewRec) (*Delivery, error) {
		blocks, _ := v.def["blocks"].([]map[string]any)
		var input map[string]any
		for _, b := range blocks {
			if b["type"] == "input" && str(b["block_id"]) == blockID {
				input = b
			}
		}
		switch {
		case input == nil:
			return nil, fmt.Errorf("no input block %q in view %s", blockID, viewID)
		case input["dispatch_action"] != true:
			return nil, fmt.Errorf("input %q of view %s has no dispatch_action: Slack sends nothing until the view is submitted", blockID, viewID)
		}
		el, _ := input["element"].(map[string]any)
		sel, err := s.selectionLocked(el, value)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", blockID, err)
		}
		aid := str(el["action_id"])
		action := map[string]any{"action_id": aid, "block_id": blockID, "action_ts": formatTS(s.now().UnixMicro())}
		for k, x := range sel {
			action[k] = x
		}
		if v.chosen == nil {
			v.chosen = map[string]map[string]any{}
		}
		v.chosen[blockID] = map[string]any{aid: sel}
		// The payload's state holds every dispatching input chosen so far.
		state := map[string]any{}
		for b, c := range v.chosen {
			state[b] = c
		}
		payload := s.interactionLocked("block_actions", u, map[string]any{
			"container":  map[string]any{"type": "view", "view_id": v.id},
			"trigger_id": s.newTriggerLocked(u.ID),
			"view":       s.viewJSONLocked(v, state),
			"state":      map[string]any{"values": state},
			"actions":    []any{action},
		})
		what := fmt.Sprintf("block_actions %s by %s in view %s", aid, u.ID, v.id)
		return s.enqueueLocked("interactive", payload, true, what, nil), nil
	})
}
