package slackfake

import (
	"encoding/json"
	"fmt"
)

// SentEvent is one Events API event the fake sent the app, with how its
// delivery ended so far. Slack keeps the same record: it retries an event
// until the app acks one of its deliveries, and counts the failures on the
// app's Event Subscriptions page (slack-reference.md §1.3).
type SentEvent struct {
	EventID string
	Type    string          // the inner event's type: reaction_added, message, …
	Event   json.RawMessage // the inner event
	// Acked is set once the app acked one delivery of it in time; Failed
	// once Slack gave up (every retry unacked). Neither: still in flight.
	Acked, Failed bool
	// Deliveries counts the envelopes that carried it: the first attempt
	// and Slack's retries, sent or waiting for a socket.
	Deliveries int
	// Delivery tracks it, for Wait and Redeliver.
	Delivery *Delivery
}

type sentEvent struct {
	id    string
	typ   string
	inner json.RawMessage
	d     *Delivery
}

func (s *Server) recordSentLocked(id string, inner map[string]any, d *Delivery) {
	raw, _ := json.Marshal(inner)
	s.sent = append(s.sent, &sentEvent{id: id, typ: fmt.Sprint(inner["type"]), inner: raw, d: d})
}

// SentEvents returns every Events API event sent to the app, in the order
// they happened, with their delivery outcome: a test of event handling can
// tell an event the app acknowledged (it must take effect) from one Slack
// gave up on.
func (s *Server) SentEvents() []SentEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	count := map[*Delivery]int{}
	for _, e := range s.envelopes {
		if !e.duplicate {
			count[e.d]++
		}
	}
	out := make([]SentEvent, 0, len(s.sent))
	for _, e := range s.sent {
		out = append(out, SentEvent{
			EventID: e.id, Type: e.typ, Event: append(json.RawMessage(nil), e.inner...),
			Acked: e.d.acked != nil, Failed: e.d.finished && e.d.acked == nil, Deliveries: count[e.d], Delivery: e.d,
		})
	}
	return out
}
