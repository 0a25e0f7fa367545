package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// ErrNotAcked is what Delivery.Wait returns when the app did not ack the
// envelope (nor, for events, any of its retries) before the ack timeout.
var ErrNotAcked = errors.New("slackfake: envelope not acked before the ack timeout")

// Ack is one ack frame received from the app.
type Ack struct {
	EnvelopeID string
	Type       string // envelope type: events_api, slash_commands, interactive
	Payload    json.RawMessage
	Time       time.Time // when the ack frame arrived
	// SentAt is when the envelope (this delivery of it) was written to the
	// socket; Time.Sub(SentAt) is the app's ack latency.
	SentAt time.Time
	Late   bool // arrived after the ack timeout; Slack ignored it
	// Duplicate marks the ack of a redelivered envelope (Redeliver):
	// Slack ignores its payload, the first ack having counted.
	Duplicate bool
}

// Delivery tracks one envelope (and, for events, its retries) until the app
// acks it or Slack gives up.
type Delivery struct {
	// EnvelopeID is the envelope_id of the first delivery attempt.
	EnvelopeID string

	sent     chan struct{} // closed when the first attempt is written to a socket
	done     chan struct{}
	finished bool // guarded by Server.mu
	ack      json.RawMessage
	err      error
	conn     *wsConn   // socket of the first attempt, nil while queued
	acked    *envelope // the attempt the app acked in time, for Redeliver
}

// Wait blocks until the envelope is acked (returning the ack payload, nil
// when the ack carried none) or Slack gave up on it (ErrNotAcked), or ctx
// ends. A nil or already-complete Delivery (for example CloseView on a view
// without notify_on_close) returns at once.
func (d *Delivery) Wait(ctx context.Context) (json.RawMessage, error) {
	if d == nil {
		return nil, nil
	}
	select {
	case <-d.done:
		return d.ack, d.err
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for ack of %s: %w", d.EnvelopeID, ctx.Err())
	}
}

func completedDelivery() *Delivery {
	d := &Delivery{sent: make(chan struct{}), done: make(chan struct{}), finished: true}
	close(d.sent)
	close(d.done)
	return d
}

// finishLocked records the outcome; the fields are written before done is
// closed, so Wait reads them safely.
func (d *Delivery) finishLocked(ack json.RawMessage, err error) {
	if d.finished {
		return
	}
	d.finished = true
	d.ack, d.err = ack, err
	close(d.done)
}

type envelope struct {
	id, typ      string
	payload      json.RawMessage
	accepts      bool
	retryAttempt int
	retryReason  string
	d            *Delivery
	sent         chan struct{}
	sentAt       atomic.Int64 // UnixNano of the last write to a socket
	acked        bool
	timedOut     bool
	duplicate    bool // sent again by Redeliver after it was acked
	// onAck applies the ack payload (slash command reply, view_submission
	// response_action). It runs with s.mu held, only for timely acks.
	onAck func(payload json.RawMessage)
	// what describes the envelope for UserErrors.
	what string
}

func (e *envelope) frame() []byte {
	b, _ := json.Marshal(map[string]any{
		"envelope_id":              e.id,
		"type":                     e.typ,
		"payload":                  e.payload,
		"accepts_response_payload": e.accepts,
		"retry_attempt":            e.retryAttempt,
		"retry_reason":             e.retryReason,
	})
	return b
}

func (s *Server) newEnvelopeIDLocked() string {
	s.seq["envelope"]++
	return fmt.Sprintf("%08x-%s-4000-8000-%012x", s.seq["envelope"], s.instance[:4], s.seq["envelope"])
}

// enqueueLocked creates an envelope with a new Delivery and sends it (or
// queues it until a socket connects).
func (s *Server) enqueueLocked(typ string, payload any, accepts bool, what string, onAck func(json.RawMessage)) *Delivery {
	raw, _ := json.Marshal(payload)
	env := &envelope{id: s.newEnvelopeIDLocked(), typ: typ, payload: raw, accepts: accepts, sent: make(chan struct{}), onAck: onAck, what: what}
	env.d = &Delivery{EnvelopeID: env.id, sent: env.sent, done: make(chan struct{})}
	s.envelopes[env.id] = env
	s.sendLocked(env)
	return env.d
}

// sendLocked hands env to one connected socket, round robin, and starts its
// ack deadline. With no socket connected it waits in s.pending, as Slack
// holds events for a briefly disconnected app.
func (s *Server) sendLocked(env *envelope) {
	for range len(s.conns) {
		c := s.conns[s.rr%len(s.conns)]
		s.rr++
		f := outFrame{data: env.frame(), sent: env.sent, sentAt: &env.sentAt}
		lost := s.dropAfter == 1
		if lost {
			// DropSocketsAfter: the connection dies with env in flight.
			// Frames queued before it are still written; env is not.
			f = outFrame{abort: true}
		}
		if !c.enqueue(f) {
			continue // a dying or stalled socket: try the next one
		}
		if s.dropAfter > 0 {
			s.dropAfter--
		}
		if lost {
			s.conns = slices.DeleteFunc(s.conns, func(x *wsConn) bool { return x == c })
		}
		if env.d.conn == nil {
			env.d.conn = c
		}
		s.log.Debug("slackfake: envelope sent", "envelope_id", env.id, "type", env.typ, "retry_attempt", env.retryAttempt)
		s.afterFuncLocked(s.ackTimeout, func() { s.ackDeadline(env) })
		return
	}
	s.pending = append(s.pending, env)
}

// ackDeadline runs when env's ack timeout passes: events are redelivered (up
// to 3 retries, same payload and event_id, new envelope_id); interactions
// are not retried and count as an error the user saw.
func (s *Server) ackDeadline(env *envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.acked || env.d.finished {
		return
	}
	env.timedOut = true
	defer s.bumpLocked()
	if env.duplicate {
		// A test's extra delivery: nobody acted, nobody saw an error.
		env.d.finishLocked(nil, ErrNotAcked)
		return
	}
	if env.typ == "events_api" && env.retryAttempt < 3 {
		re := &envelope{
			id: s.newEnvelopeIDLocked(), typ: env.typ, payload: env.payload, accepts: env.accepts,
			retryAttempt: env.retryAttempt + 1, retryReason: "timeout", d: env.d, sent: make(chan struct{}), what: env.what,
		}
		s.envelopes[re.id] = re
		s.sendLocked(re)
		return
	}
	if env.typ != "events_api" {
		msg := fmt.Sprintf("%s: not acked within %s (envelope %s)", env.what, s.ackTimeout, env.id)
		s.userErrors = append(s.userErrors, msg)
		s.log.Warn("slackfake: user saw an error", "reason", msg)
	}
	env.d.finishLocked(nil, ErrNotAcked)
}

// handleAckFrame processes one text frame from the app.
func (s *Server) handleAckFrame(data []byte, received time.Time) {
	// Slack silently drops responses of 20 KB or more; so does the fake.
	if len(data) >= 20*1024 {
		s.log.Warn("slackfake: ack frame of 20KB or more ignored", "bytes", len(data))
		return
	}
	var a struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		s.log.Warn("slackfake: malformed frame from app", "err", err, "frame", truncate(string(data), 200))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropAcks > 0 {
		// A lost ack, as on a flaky network: Slack never sees it and
		// redelivers the envelope.
		s.dropAcks--
		return
	}
	env, ok := s.envelopes[a.EnvelopeID]
	if !ok {
		if a.EnvelopeID != "" { // acking hello sends an empty envelope_id; harmless
			s.log.Warn("slackfake: ack for unknown envelope", "envelope_id", a.EnvelopeID)
		}
		return
	}
	if string(a.Payload) == "null" {
		a.Payload = nil
	}
	late := env.timedOut || env.d.finished
	var sentAt time.Time
	if n := env.sentAt.Load(); n != 0 {
		sentAt = time.Unix(0, n)
	}
	s.acks = append(s.acks, Ack{EnvelopeID: env.id, Type: env.typ, Payload: a.Payload, Time: received, SentAt: sentAt, Late: late, Duplicate: env.duplicate})
	defer s.bumpLocked()
	if env.acked || late {
		return
	}
	env.acked = true
	env.d.acked = env
	if env.onAck != nil {
		env.onAck(a.Payload)
	}
	env.d.finishLocked(a.Payload, nil)
}

// emitLocked delivers an Events API event about channel c, as Slack does:
// only when the app subscribes to it (message events per conversation
// type: message.channels, message.groups, message.im) and only for
// conversations the bot is a member of (Events API reference, "Event
// subscriptions"; slack-reference.md §6.2).
func (s *Server) emitLocked(c *channel, ev map[string]any) {
	if !c.isMember(botUserID) || !s.subscribed(subscriptionFor(c, ev)) {
		return
	}
	s.emitEventLocked(ev)
}

func (s *Server) emitEventLocked(ev map[string]any) *Delivery {
	now := s.now()
	payload := map[string]any{
		"token":      "fake-verification-token",
		"team_id":    teamID,
		"api_app_id": appID,
		"event":      ev,
		"type":       "event_callback",
		"event_id":   s.newIDLocked("Ev" + strings.ToUpper(s.instance)),
		"event_time": now.Unix(),
		"authorizations": []map[string]any{{
			"enterprise_id": nil, "team_id": teamID, "user_id": botUserID, "is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-fake-" + teamID,
	}
	d := s.enqueueLocked("events_api", payload, false, fmt.Sprintf("event %v", ev["type"]), nil)
	s.recordSentLocked(payload["event_id"].(string), ev, d)
	return d
}

// emitMessageLocked sends the message event for a new message (plus
// app_mention when a person mentions the bot).
func (s *Server) emitMessageLocked(c *channel, m *message) {
	ev := s.msgJSONLocked(c, m)
	ev["channel"] = c.id
	ev["channel_type"] = c.channelType()
	ev["event_ts"] = m.ts
	if m.clientMsgID != "" {
		ev["client_msg_id"] = m.clientMsgID
	}
	s.emitLocked(c, ev)
	if m.botID == "" && m.subtype == "" && strings.Contains(m.text, "<@"+botUserID) && !c.im {
		mention := map[string]any{
			"type": "app_mention", "user": m.user, "text": m.text, "ts": m.ts,
			"channel": c.id, "event_ts": m.ts, "team": teamID,
		}
		if m.threadTS != "" && m.threadTS != m.ts {
			mention["thread_ts"] = m.threadTS
		}
		s.emitLocked(c, mention)
	}
}

// emitChangedLocked sends message_changed after an edit.
func (s *Server) emitChangedLocked(c *channel, m *message, prev map[string]any) {
	ts := formatTS(s.now().UnixMicro())
	s.emitLocked(c, map[string]any{
		"type":             "message",
		"subtype":          "message_changed",
		"hidden":           true,
		"channel":          c.id,
		"channel_type":     c.channelType(),
		"ts":               ts,
		"event_ts":         ts,
		"message":          s.msgJSONLocked(c, m),
		"previous_message": prev,
	})
}

// postSystemLocked stores a channel_join/channel_topic/… message and emits
// its event.
func (s *Server) postSystemLocked(c *channel, userID, subtype, text string, extra map[string]any) *message {
	m := &message{user: userID, subtype: subtype, text: text, extra: extra}
	s.addMessageLocked(c, m)
	s.emitMessageLocked(c, m)
	return m
}

// DropNextAcks makes the fake lose the next n ack frames, so that Slack's
// redelivery of unacked envelopes can be tested against an app that acks
// at once.
func (s *Server) DropNextAcks(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAcks += n
}

// SendEvent delivers an arbitrary Events API inner event, wrapped as Slack
// wraps it, whatever the app subscribes to. Tests use it for events the
// fake does not produce itself, such as types slack-go cannot parse, which
// the app must still ack.
func (s *Server) SendEvent(inner map[string]any) *Delivery {
	s.mu.Lock()
	d := s.emitEventLocked(inner)
	s.mu.Unlock()
	s.waitSent(d)
	return d
}

// Redeliver sends an envelope the app already acked once more, with the
// same envelope_id, payload and retry fields, as Slack was seen to do for
// envelopes of any type (slackapi/bolt-js#2487; slack-reference.md §10): a
// test of the app's inbound dedupe. The app must ack it again (an ack is
// always owed); its payload is ignored, the first ack having counted, and
// a missing ack is neither retried nor a user error. The returned Delivery
// tracks that second ack.
func (s *Server) Redeliver(d *Delivery) (*Delivery, error) {
	return s.drive("redeliver", func() (*Delivery, error) {
		if d == nil || d.acked == nil {
			return nil, errors.New("only an envelope the app acked can be redelivered")
		}
		orig := d.acked
		dup := &envelope{
			id: orig.id, typ: orig.typ, payload: orig.payload, accepts: orig.accepts,
			retryAttempt: orig.retryAttempt, retryReason: orig.retryReason,
			sent: make(chan struct{}), what: orig.what + " (redelivered)", duplicate: true,
		}
		dup.d = &Delivery{EnvelopeID: dup.id, sent: dup.sent, done: make(chan struct{})}
		s.envelopes[dup.id] = dup
		s.sendLocked(dup)
		return dup.d, nil
	})
}
