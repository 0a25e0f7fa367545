package slackfake

import (
	"encoding/json"
	"fmt"
)

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
	return s.inTopView("submit view "+viewID, userID, viewID, func(u *User, v *viewRec) (*Delivery, error) {
		if v.def["submit"] == nil {
			return nil, fmt.Errorf("view %s has no submit button", viewID)
		}
		state, err := s.buildStateLocked(v, values)
		if err != nil {
			return nil, err
		}
		payload := s.interactionLocked("view_submission", u, map[string]any{
			"trigger_id":    s.newTriggerLocked(u.ID),
			"view":          s.viewJSONLocked(v, state),
			"response_urls": []any{},
		})
		what := fmt.Sprintf("view_submission %s (%s) by %s", v.id, v.str("callback_id"), u.ID)
		return s.enqueueLocked("interactive", payload, true, what, func(ack json.RawMessage) {
			s.applyViewAckLocked(v, what, ack)
		}), nil
	})
}

// inTopView runs act, under drive, on userID's visible modal, which must
// be viewID.
func (s *Server) inTopView(what, userID, viewID string, act func(u *User, v *viewRec) (*Delivery, error)) (*Delivery, error) {
	return s.drive(what, func() (*Delivery, error) {
		u, err := s.actorLocked(userID)
		if err != nil {
			return nil, err
		}
		v, err := s.topViewLocked(userID, viewID)
		if err != nil {
			return nil, err
		}
		return act(u, v)
	})
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
	return s.inTopView("close view "+viewID, userID, viewID, func(u *User, v *viewRec) (*Delivery, error) {
		notify := v.def["notify_on_close"] == true
		view := s.viewJSONLocked(v, map[string]any{})
		if clear {
			s.closeStackLocked(userID)
		} else {
			s.popViewLocked(v)
		}
		if !notify {
			return completedDelivery(), nil
		}
		payload := s.interactionLocked("view_closed", u, map[string]any{"view": view, "is_cleared": clear})
		return s.enqueueLocked("interactive", payload, true, fmt.Sprintf("view_closed %s by %s", v.id, u.ID), nil), nil
	})
}
