package incident

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// AddTask records an action item.
func (inc *Incident) AddTask(p Policy, actor, text, owner string, now time.Time) (ActionItem, []Event, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return ActionItem{}, nil, Errorf(EINVALID, "An action item needs text, e.g. `/incident task add an alert on queue depth @alice`.")
	}
	id := 1
	for _, t := range inc.ActionItems {
		id = max(id, t.ID+1)
	}
	t := ActionItem{ID: id, Text: text, Owner: owner, CreatedBy: actor, CreatedAt: now}
	inc.ActionItems = append(inc.ActionItems, t)
	inc.touch(p, now)
	return t, []Event{newEvent(EventTaskAdded, actor, now, text, "task", strconv.Itoa(id), "owner", owner)}, nil
}

// SetTaskDone marks action item id done (or not done).
func (inc *Incident) SetTaskDone(p Policy, actor string, id int, done bool, now time.Time) ([]Event, error) {
	i := slices.IndexFunc(inc.ActionItems, func(t ActionItem) bool { return t.ID == id })
	if i < 0 {
		return nil, Errorf(ENOTFOUND, "Incident #%d has no action item %d; `/incident tasks` lists them.", inc.ID, id)
	}
	t := &inc.ActionItems[i]
	if t.Done == done {
		state := "open"
		if done {
			state = "done"
		}
		return nil, Errorf(EINVALID, "Action item %d is already %s.", id, state)
	}
	t.Done, t.DoneBy, t.DoneAt = done, actor, now
	kind := EventTaskDone
	if !done {
		kind, t.DoneBy, t.DoneAt = EventTaskReopened, "", time.Time{}
	}
	inc.touch(p, now)
	return []Event{newEvent(kind, actor, now, t.Text, "task", strconv.Itoa(id))}, nil
}

// OpenTasks counts action items not yet done.
func (inc *Incident) OpenTasks() int {
	n := 0
	for _, t := range inc.ActionItems {
		if !t.Done {
			n++
		}
	}
	return n
}
