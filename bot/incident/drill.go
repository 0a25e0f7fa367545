package incident

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// NotReached is the value of a time-to figure of a scorecard for a
// milestone the drill never reached.
const NotReached time.Duration = -1

// Scorecard is how a team did in one drill: how fast the roles were
// filled and the first update went out, whether updates kept their
// promised times, how much of the checklist was done, and how long the
// drill took to resolve. Teams compare scorecards over time to see their
// response get faster.
type Scorecard struct {
	Incident   int64
	Title      string
	DeclaredAt time.Time
	// Private drills are compared without their titles.
	Private bool
	// Playbooks are the playbooks that ran on the drill.
	Playbooks []string
	// Times from the declaration; NotReached when never reached.
	TimeToOperator     time.Duration
	TimeToSpokesperson time.Duration
	TimeToFirstUpdate  time.Duration
	TimeToResolve      time.Duration
	// Updates posted by their promised time, and after it.
	UpdatesOnTime int
	UpdatesLate   int
	// Checklist steps done of all, and of those required before resolve.
	StepsDone    int
	Steps        int
	RequiredDone int
	Required     int
}

// Score computes the scorecard of inc (a drill or not) from its fields
// and its timeline, events in order as incident.Store.Events returns them.
func Score(inc *Incident, events []Event) Scorecard {
	c := Scorecard{
		Incident: inc.ID, Title: inc.Title, DeclaredAt: inc.DeclaredAt, Private: inc.Private,
		Playbooks:          slices.Clone(inc.Playbooks),
		TimeToOperator:     NotReached,
		TimeToSpokesperson: NotReached,
		TimeToFirstUpdate:  NotReached,
		TimeToResolve:      NotReached,
	}
	first := func(d *time.Duration, at time.Time) {
		if *d == NotReached {
			*d = max(0, at.Sub(inc.DeclaredAt))
		}
	}
	for _, e := range events {
		switch e.Kind {
		case EventRoleAssigned, EventHandoffAccepted:
			if e.Field("to") == "" {
				continue
			}
			switch Role(e.Field("role")) {
			case RoleOperator:
				first(&c.TimeToOperator, e.At)
			case RoleSpokesperson:
				first(&c.TimeToSpokesperson, e.At)
			}
		case EventUpdatePosted:
			first(&c.TimeToFirstUpdate, e.At)
			if e.Field("late") == "true" {
				c.UpdatesLate++
			} else {
				c.UpdatesOnTime++
			}
		}
	}
	if !inc.ResolvedAt.IsZero() {
		c.TimeToResolve = max(0, inc.ResolvedAt.Sub(inc.DeclaredAt))
	}
	for _, s := range inc.Checklist {
		c.Steps++
		if s.Done {
			c.StepsDone++
		}
		if s.Required {
			c.Required++
			if s.Done {
				c.RequiredDone++
			}
		}
	}
	return c
}

// Figure is one line of a scorecard: what is measured and the result.
type Figure struct {
	Label, Value string
}

// Figures are the scorecard's results in words, in the order the Slack
// message and the postmortem show them.
func (c Scorecard) Figures() []Figure {
	dur := func(d time.Duration) string {
		if d == NotReached {
			return "not reached"
		}
		return FormatDuration(d)
	}
	updates := fmt.Sprintf("%d on time, %d late", c.UpdatesOnTime, c.UpdatesLate)
	if c.UpdatesOnTime+c.UpdatesLate == 0 {
		updates = "none posted"
	}
	steps := fmt.Sprintf("%d of %d", c.StepsDone, c.Steps)
	if c.Required > 0 {
		steps += fmt.Sprintf(" (%d of %d required before resolve)", c.RequiredDone, c.Required)
	}
	if c.Steps == 0 {
		steps = "no checklist"
	}
	return []Figure{
		{"Time to an operator", dur(c.TimeToOperator)},
		{"Time to a spokesperson", dur(c.TimeToSpokesperson)},
		{"Time to the first update", dur(c.TimeToFirstUpdate)},
		{"Updates", updates},
		{"Checklist steps done", steps},
		{"Time to resolve", dur(c.TimeToResolve)},
	}
}

// ScoreDrills returns the scorecards of the drills among incs, oldest
// first: what /incident stats --drills compares. Cancelled drills are left
// out; events holds each incident's timeline by ID (a drill without an
// entry is scored from its fields alone).
func ScoreDrills(incs []*Incident, events map[int64][]Event) []Scorecard {
	var out []Scorecard
	for _, inc := range incs {
		if inc.Drill && inc.Status != StatusCancelled {
			out = append(out, Score(inc, events[inc.ID]))
		}
	}
	slices.SortStableFunc(out, func(a, b Scorecard) int {
		return cmp.Or(a.DeclaredAt.Compare(b.DeclaredAt), cmp.Compare(a.Incident, b.Incident))
	})
	return out
}
