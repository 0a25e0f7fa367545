package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// TestList_Pages: a long list is paged within Slack's limits, newest
// first, each page saying where the next is.
func TestList_Pages(t *testing.T) {
	h := newHarness(t)
	p := h.sb.Options.Policy
	for i := range 45 {
		inc, evs, err := incident.Declare(p, incident.DeclareRequest{Title: fmt.Sprintf("Broken thing %02d", i+1), DeclaredBy: h.alice, Private: i == 44}, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.db.CreateIncident(h.ctx(), inc, incident.Change{Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	page := func(user, args string) string {
		t.Helper()
		return string(h.slash(user, h.general, "list"+args))
	}
	// Carol cannot see the private #45: she sees #44 down to #25, then
	// #24 to #5, then #4 to #1.
	one := page(h.carol, "")
	if !strings.Contains(one, "Broken thing 44") || strings.Contains(one, "Broken thing 24") || strings.Contains(one, "private incident") {
		t.Errorf("page 1:\n%s", one)
	}
	if !strings.Contains(one, "list --page 2") || !strings.Contains(one, "45 open in the workspace") {
		t.Errorf("page 1 does not lead on:\n%s", one)
	}
	two := page(h.carol, " --page 2")
	if !strings.Contains(two, "Broken thing 24") || !strings.Contains(two, "Broken thing 05") || strings.Contains(two, "Broken thing 04") {
		t.Errorf("page 2:\n%s", two)
	}
	three := page(h.carol, " --page 3")
	if !strings.Contains(three, "Broken thing 01") || strings.Contains(three, "--page 4") {
		t.Errorf("page 3:\n%s", three)
	}
	if four := page(h.carol, " --page 4"); !strings.Contains(four, "There is no page 4") {
		t.Errorf("page 4:\n%s", four)
	}
	// Alice declared the private one and is its operator: it is first for
	// her.
	if mine := page(h.alice, ""); !strings.Contains(mine, "#45") {
		t.Errorf("the operator does not see her private incident:\n%s", mine)
	}
}
