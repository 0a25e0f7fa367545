package postmortem_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

// TestDraft_Paged follows an incident whose operator was paged and did not
// answer: the secondary acknowledged after 12 minutes. The time to
// acknowledge is those 12 minutes (not 0, the declaration), and the
// timeline tells the paging.
func TestDraft_Paged(t *testing.T) {
	r := declare("Queue stuck", "major", "")
	r.Operator = bob // on call, named by the bot: not the declarer
	s := MustDeclare(t, r)
	if !s.inc.AcknowledgedAt.IsZero() {
		t.Fatalf("acknowledged at declaration: %v", s.inc.AcknowledgedAt)
	}
	s.inc.Page = &incident.Page{Policy: "default", Level: 1, Target: incident.PageTarget{Users: []string{bob}}, StartedAt: start, PagedAt: start, State: incident.PagePaging}
	s.append([]incident.Event{incident.PagedEvent(start, 1, 0, s.inc.Page.Target)})
	s.at(5 * time.Minute)
	s.inc.Page.Level, s.inc.Page.Target = 2, incident.PageTarget{Users: []string{carol}, Rotation: "secondary"}
	s.append([]incident.Event{incident.PageSkippedEvent(s.now, 2, 0, "tertiary"), incident.PagedEvent(s.now, 2, 0, s.inc.Page.Target)})
	s.at(12 * time.Minute).do(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
		return inc.AcknowledgePage(p, carol, now)
	})
	if s.inc.Operator != carol {
		t.Errorf("operator = %s, want carol, who answered", s.inc.Operator)
	}
	m := postmortem.ComputeMetrics(s.inc, s.events)
	if m.TimeToAcknowledge != 12*time.Minute {
		t.Errorf("time to acknowledge = %v, want 12m", m.TimeToAcknowledge)
	}
	md, err := postmortem.Draft(s.inc, s.events, s.options(time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**09:00** incidentbot — paged Bob, level 1",
		"**09:05** incidentbot — skipped level 2: nobody on call in tertiary",
		"**09:05** incidentbot — paged Carol (on call in secondary), level 2",
		"**09:12** Carol — acknowledged the page after 12m",
		"**09:12** Carol — took the operator role, replacing Bob",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the draft lacks %q:\n%s", want, md)
		}
	}
}
