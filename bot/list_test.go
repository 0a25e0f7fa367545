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

// TestList_FollowsChanges: the first page is remembered between lists, but
// never past a change: a new incident shows at once, a closed one leaves.
func TestList_FollowsChanges(t *testing.T) {
	h := newHarness(t)
	if got := string(h.slash(h.carol, h.general, "list")); !strings.Contains(got, "No open incidents") {
		t.Fatalf("empty list:\n%s", got)
	}
	inc, ch := h.declare(h.alice, "Queue backs up")
	if got := string(h.slash(h.carol, h.general, "list")); !strings.Contains(got, "Queue backs up") || !strings.Contains(got, "Open incidents (1)") {
		t.Errorf("after a declaration:\n%s", got)
	}
	// Time alone changes the list: an update falls due with nothing
	// written to the store.
	h.settle()
	h.clock.Set(h.incident(inc.ID).NextUpdateDue)
	if got := string(h.slash(h.carol, h.general, "list")); !strings.Contains(got, "update overdue") {
		t.Errorf("once the update is due, the list does not say so:\n%s", got)
	}
	h.slash(h.alice, ch.ID, "resolve")
	h.waitFor("resolved", func() bool { return h.incident(inc.ID).Status == incident.StatusResolved })
	if got := string(h.slash(h.carol, h.general, "list")); !strings.Contains(got, "resolved") {
		t.Errorf("after resolve, the list shows the old status:\n%s", got)
	}
	h.slash(h.alice, ch.ID, "close")
	h.waitFor("closed", func() bool { return h.incident(inc.ID).Status == incident.StatusClosed })
	if got := string(h.slash(h.carol, h.general, "list")); !strings.Contains(got, "No open incidents") {
		t.Errorf("after close:\n%s", got)
	}
	h.expectResolved(inc)
	h.expectClosed(inc)
}
