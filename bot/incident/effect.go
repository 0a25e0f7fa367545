package incident

import "time"

// Effect is an outbound intent: something to do outside the database (a
// Slack call, later an email), recorded in the same transaction as the
// change that causes it and delivered afterwards by the outbound worker.
// So a crash or an outage delays an effect but never loses it, and a change
// is never published without being stored. The domain does not interpret
// Kind or Payload: the Slack surface does.
type Effect struct {
	// Seq numbers the effect; the store assigns it, increasing. It is the
	// effect's identity: what is sent carries it, so that a delivery whose
	// answer was lost can be recognised instead of repeated.
	Seq uint64
	// Lane orders delivery: effects with the same lane are delivered one at
	// a time, in Seq order. Effects in different lanes go out concurrently.
	Lane string
	// Kind names what to do, for the code that delivers it.
	Kind string
	// IncidentID is the incident the effect is about, or 0.
	IncidentID int64
	// Payload holds the effect's arguments.
	Payload []byte
	// Attempts counts failed deliveries; NotBefore is when to try again.
	Attempts  int
	NotBefore time.Time
	// CreatedAt is when the effect was recorded (the store's clock when
	// zero).
	CreatedAt time.Time
}

// Request is an inbound request that was acknowledged to Slack and is not
// yet processed: the inbox. Requests are stored before their ack, so that
// what Slack was told we received survives a crash; the change that
// processes one removes it in the same transaction, so it takes effect
// exactly once.
type Request struct {
	// Seq numbers the request; the store assigns it.
	Seq uint64
	// Kind and Payload are opaque to the domain.
	Kind    string
	Payload []byte
	// ReceivedAt is when it was stored (the store's clock when zero).
	ReceivedAt time.Time
	// Attempts counts processing attempts that failed for an internal
	// reason (a Slack read that timed out, say).
	Attempts int
}

// Change is what one use case writes atomically with an incident: its
// timeline events, the effects it causes, the effects it completes and the
// request it finishes.
type Change struct {
	Events  []Event
	Effects []Effect
	// Done lists outbox effects completed by this change. Completing an
	// effect that is already gone is not an error.
	Done []uint64
	// Request is the inbox request this change finishes; 0 for none.
	Request uint64
}

// Empty reports whether the change writes nothing.
func (c Change) Empty() bool {
	return len(c.Events) == 0 && len(c.Effects) == 0 && len(c.Done) == 0 && c.Request == 0
}

// With returns c with the events and effects of o appended.
func (c Change) With(o Change) Change {
	c.Events = append(c.Events, o.Events...)
	c.Effects = append(c.Effects, o.Effects...)
	c.Done = append(c.Done, o.Done...)
	if o.Request != 0 {
		c.Request = o.Request
	}
	return c
}
