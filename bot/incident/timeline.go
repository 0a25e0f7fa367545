package incident

import "time"

// Entry is one line of an incident's timeline as people read it.
type Entry struct {
	Event
	// Pin is the final state of the message a pin, edit or deletion entry
	// is about; nil for other entries.
	Pin *PinState
}

// PinState is a pinned message at the end of the timeline: its edits are
// folded into it and a deletion hides its text.
type PinState struct {
	Text    string
	Edited  bool
	Deleted bool
}

// Timeline is the projection of an incident's events that every reader
// shows (the Slack timeline, the postmortem): edits and deletions of a
// pinned message fold into the entry of its pin, and SpansDays says whether
// times need their date.
type Timeline struct {
	Entries []Entry
	// SpansDays is true when the events, the resolution or the closing
	// fall on another day than the declaration, in the reader's zone.
	SpansDays bool
}

// Project builds the timeline of inc from its events, in order, for a
// reader in loc.
func Project(inc *Incident, events []Event, loc *time.Location) Timeline {
	if loc == nil {
		loc = time.UTC
	}
	pins := map[string]*PinState{}
	pinned := map[string]bool{}
	for _, e := range events {
		ts := e.Field("ts")
		switch e.Kind {
		case EventMessagePinned:
			p := pins[ts]
			if p == nil {
				p = &PinState{}
				pins[ts] = p
			}
			if !p.Edited {
				p.Text = e.Text
			}
			pinned[ts] = true
		case EventMessageEdited:
			p := pins[ts]
			if p == nil {
				p = &PinState{}
				pins[ts] = p
			}
			p.Text, p.Edited = e.Text, true
		case EventMessageDeleted:
			if p := pins[ts]; p != nil {
				p.Deleted = true
			} else {
				pins[ts] = &PinState{Deleted: true}
			}
		}
	}
	tl := Timeline{Entries: make([]Entry, 0, len(events))}
	y, m, d := inc.DeclaredAt.In(loc).Date()
	otherDay := func(t time.Time) bool {
		if t.IsZero() {
			return false
		}
		ty, tm, td := t.In(loc).Date()
		return ty != y || tm != m || td != d
	}
	var last time.Time // events are in order: compare dates only when time moves
	for _, e := range events {
		if !tl.SpansDays && !e.At.Equal(last) {
			last = e.At
			tl.SpansDays = otherDay(e.At)
		}
		ts := e.Field("ts")
		switch e.Kind {
		case EventMessageEdited, EventMessageDeleted:
			if pinned[ts] {
				continue // shown on the pin's entry
			}
			// An edit of a message whose pin is not on the timeline keeps its
			// own entry, with the message's final state.
			tl.Entries = append(tl.Entries, Entry{Event: e, Pin: pins[ts]})
			continue
		case EventMessagePinned:
			tl.Entries = append(tl.Entries, Entry{Event: e, Pin: pins[ts]})
			continue
		}
		tl.Entries = append(tl.Entries, Entry{Event: e})
	}
	tl.SpansDays = tl.SpansDays || otherDay(inc.ResolvedAt) || otherDay(inc.ClosedAt)
	return tl
}
