package reports

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

type replayPage struct {
	page
	ID            int64
	IncidentTitle string
	ReportHref    string
	ScriptHref    string
	Step, Steps   int
	Rel           string
	PrevHref      string
	NextHref      string
	Current       replayStep
	Status        string
	Severity      string
	Roles         []roleHolder
	Latest        *replayStep
	SoFar         []replayStep
	Remaining     string
}

type replayStep struct {
	Rel, Clock, ISO string
	Actor, Text     string
	Href            string
	Current         bool
}

type roleHolder struct{ Role, Holder string }

func (s *Site) serveReplay(w http.ResponseWriter, r *http.Request) {
	const root = "../../"
	rep, err := s.reportFor(r)
	if err != nil {
		s.fail(w, r, root, err)
		return
	}
	n := len(rep.Events)
	if n == 0 {
		s.fail(w, r, root, incident.Errorf(incident.ENOTFOUND, "Postmortem #%d has no timeline to replay.", rep.ID))
		return
	}
	step, err := parseStep(r.URL.Query().Get("step"), n)
	if err != nil {
		s.fail(w, r, root, err)
		return
	}
	s.render(w, r, http.StatusOK, "replay", s.replay(rep, step))
}

// parseStep reads the 1-based step number; empty means the first.
func parseStep(raw string, n int) (int, error) {
	if raw == "" {
		return 1, nil
	}
	step, err := strconv.Atoi(raw)
	if err != nil || step < 1 || step > n {
		if rs := []rune(raw); len(rs) > 20 {
			raw = string(rs[:20]) + "…"
		}
		return 0, incident.Errorf(incident.EINVALID, "There is no step %q in this replay; its steps are 1 to %d.", raw, n)
	}
	return step, nil
}

// replay lays out step (1-based) of rep's timeline: the event, the state
// just after it, and only the events up to it, so the audience learns
// things in the order the responders did.
func (s *Site) replay(rep *Report, step int) replayPage {
	events := rep.Events
	base := rep.DeclaredAt
	if base.IsZero() {
		base = events[0].At
	}
	at := func(i int) replayStep {
		e := events[i]
		text := e.Text
		if e.Kind == KindUpdate {
			text = "posted an update: " + text
		}
		return replayStep{
			Rel:   relTime(e.At.Sub(base)),
			Clock: e.At.In(s.loc).Format("15:04 MST"),
			ISO:   iso(e.At),
			Actor: e.Actor, Text: text,
			Href:    "?step=" + strconv.Itoa(i+1),
			Current: i == step-1,
		}
	}
	cur := events[step-1]
	p := replayPage{
		page:          page{Title: fmt.Sprintf("Replay #%d, step %d", rep.ID, step), Root: "../../"},
		ID:            rep.ID,
		IncidentTitle: rep.Title,
		ReportHref:    "../" + strconv.FormatInt(rep.ID, 10),
		ScriptHref:    "../../static/replay.js",
		Step:          step,
		Steps:         len(events),
		Current:       at(step - 1),
		Status:        cur.Status,
		Severity:      cur.Severity,
	}
	p.Rel = p.Current.Rel
	if step > 1 {
		p.PrevHref = "?step=" + strconv.Itoa(step-1)
	}
	if step < len(events) {
		p.NextHref = "?step=" + strconv.Itoa(step+1)
		p.Remaining = "1 more event to come."
		if left := len(events) - step; left > 1 {
			p.Remaining = fmt.Sprintf("%d more events to come.", left)
		}
	}
	for i := range step {
		p.SoFar = append(p.SoFar, at(i))
		if events[i].Kind == KindUpdate {
			u := at(i)
			u.Text = events[i].Text
			p.Latest = &u
		}
	}
	for _, role := range roleNames(events) {
		p.Roles = append(p.Roles, roleHolder{Role: role, Holder: cur.Roles[role]})
	}
	return p
}

// roleNames lists every role named anywhere in the timeline, the domain's
// roles first, so a role shows as "nobody" before anyone takes it.
func roleNames(events []ReplayEvent) []string {
	order := map[string]int{string(incident.RoleOperator): 0, string(incident.RoleSpokesperson): 1}
	var names []string
	for _, e := range events {
		for role := range e.Roles {
			if !slices.Contains(names, role) {
				names = append(names, role)
			}
		}
	}
	rank := func(r string) int {
		if o, ok := order[r]; ok {
			return o
		}
		return len(order)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b)) })
	return names
}

// relTime writes d as T+H:MM (T-H:MM before the declaration), hours
// unbounded: a brown bag counts from the start, not by the clock.
func relTime(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	m := int(d / time.Minute)
	return fmt.Sprintf("T%s%d:%02d", sign, m/60, m%60)
}
