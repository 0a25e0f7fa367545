package postmortem_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

// The people in the stories.
const (
	alice = "U01ALICE"
	bob   = "U02BOB"
	carol = "U03CAROL"
	dave  = "U04DAVE"
	eve   = "U05EVE"
)

var names = map[string]string{alice: "Alice", bob: "Bob", carol: "Carol", dave: "Dave", eve: "Eve *the* <admin>"}

func userName(id string) string { return names[id] }

// start is the fixed clock of every story: 2026-03-04 09:00 UTC.
var start = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// story builds an incident and its timeline through the domain's own
// commands, so the events carry the fields production writes.
type story struct {
	tb     testing.TB
	p      incident.Policy
	inc    *incident.Incident
	events []incident.Event
	now    time.Time
}

// MustDeclare starts a story: incident 42 declared at start.
func MustDeclare(tb testing.TB, r incident.DeclareRequest) *story {
	tb.Helper()
	s := &story{tb: tb, p: incident.DefaultPolicy(), now: start}
	inc, evs, err := incident.Declare(s.p, r, s.now)
	if err != nil {
		tb.Fatal(err)
	}
	inc.ID = 42
	s.inc = inc
	s.append(evs)
	return s
}

func (s *story) append(evs []incident.Event) {
	for _, e := range evs {
		e.IncidentID = s.inc.ID
		e.Seq = uint64(len(s.events) + 1)
		s.events = append(s.events, e)
	}
}

// at moves the clock to start+d.
func (s *story) at(d time.Duration) *story {
	s.now = start.Add(d)
	return s
}

// do runs a domain command at the story's clock.
func (s *story) do(f func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error)) *story {
	s.tb.Helper()
	evs, err := f(s.inc, s.p, s.now)
	if err != nil {
		s.tb.Fatal(err)
	}
	s.append(evs)
	return s
}

// add appends an event no domain command makes (channel, postmortem,
// unknown kinds).
func (s *story) add(actor string, kind incident.EventKind, text string, fields map[string]string) *story {
	s.append([]incident.Event{{At: s.now, Actor: actor, Kind: kind, Text: text, Fields: fields}})
	return s
}

func (s *story) update(actor string, u incident.Update) *story {
	s.tb.Helper()
	return s.do(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		return inc.PostUpdate(p, actor, u, now)
	})
}

func (s *story) note(actor, text string) *story {
	s.tb.Helper()
	return s.do(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		return inc.AddNote(p, actor, text, now)
	})
}

func (s *story) resolve(actor, text string) *story {
	s.tb.Helper()
	return s.do(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		return inc.Resolve(p, actor, text, now)
	})
}

func (s *story) task(actor, text, owner string) *story {
	s.tb.Helper()
	return s.do(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		_, evs, err := inc.AddTask(p, actor, text, owner, now)
		return evs, err
	})
}

// remind runs the reminder scheduler at the story's clock.
func (s *story) remind() *story {
	s.tb.Helper()
	_, evs, ok := s.inc.NextReminder(s.p, s.now)
	if !ok {
		s.tb.Fatalf("no reminder due at %s", s.now)
	}
	s.append(evs)
	return s
}

func (s *story) options(loc *time.Location) postmortem.Options {
	return postmortem.Options{Location: loc, Policy: s.p, UserName: userName, Now: s.now.Add(time.Hour)}
}
