package incident

import (
	"slices"
	"strings"
	"time"
)

// AddNote appends a note to the timeline. Anyone in the war room may.
func (inc *Incident) AddNote(p Policy, actor, text string, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("add notes"); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Errorf(EINVALID, "A note needs text, e.g. `/incident note rolled back deploy 1234`.")
	}
	inc.touch(p, now)
	return []Event{newEvent(EventNote, actor, now, text)}, nil
}

// PinnedMessage is a war-room message added to the timeline.
type PinnedMessage struct {
	TS        string
	Author    string
	Text      string
	Permalink string
	Files     []string // links to attached files
}

// PinMessage adds a war-room message to the timeline once, however many
// times it is pinned or reacted to.
func (inc *Incident) PinMessage(p Policy, actor string, m PinnedMessage, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("add to its timeline"); err != nil {
		return nil, err
	}
	if slices.Contains(inc.Pinned, m.TS) {
		return nil, nil
	}
	inc.Pinned = append(inc.Pinned, m.TS)
	inc.touch(p, now)
	return []Event{newEvent(EventMessagePinned, actor, now, m.Text, "ts", m.TS, "author", m.Author,
		"permalink", m.Permalink, "files", strings.Join(m.Files, " "))}, nil
}

// IsPinned reports whether the message ts is on the timeline.
func (inc *Incident) IsPinned(ts string) bool { return slices.Contains(inc.Pinned, ts) }

// EditPinned records a new text for a message on the timeline.
func (inc *Incident) EditPinned(p Policy, actor, ts, text string, now time.Time) ([]Event, error) {
	if !inc.IsPinned(ts) {
		return nil, nil
	}
	inc.touch(p, now)
	return []Event{newEvent(EventMessageEdited, actor, now, text, "ts", ts)}, nil
}

// DeletePinned marks a message on the timeline as deleted.
func (inc *Incident) DeletePinned(p Policy, actor, ts string, now time.Time) ([]Event, error) {
	if !inc.IsPinned(ts) {
		return nil, nil
	}
	inc.touch(p, now)
	return []Event{newEvent(EventMessageDeleted, actor, now, "", "ts", ts)}, nil
}
