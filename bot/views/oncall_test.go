package views

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/playbooks"
)

func TestPageDM(t *testing.T) {
	e, inc := testEnv(), testIncident()
	inc.Operator = "U3"
	blocks, text := e.PageDM(inc, PageInfo{User: "U3", Level: 1, Until: t0.Add(25 * time.Minute)})
	golden(t, "page_operator", blocks)
	if text != "You are paged for incident #42" {
		t.Errorf("text = %q", text)
	}
	blocks, _ = e.PageDM(inc, PageInfo{User: "U5", Level: 3, Group: "S1"})
	golden(t, "page_group", blocks)
	// A private incident's title goes to its operator only.
	inc.Private = true
	b, _ := e.PageDM(inc, PageInfo{User: "U4", Level: 2, Rotation: "secondary"})
	if s := string(mustJSON(t, b)); strings.Contains(s, "Checkout") || !strings.Contains(s, "a private incident (#42)") {
		t.Errorf("a private page to a non-operator shows:\n%s", s)
	}
}

func TestHandoffDM(t *testing.T) {
	e := testEnv()
	at := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	pbs, err := playbooks.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	steps := playbooks.Steps(playbooks.OnCall(pbs, "primary"))
	steps = append(steps, steps[:3]...) // 12 steps: two groups of checkboxes
	b := HandoffBrief{
		Incoming:  true,
		Handoff:   oncall.HandoffCheck{Rotation: "primary", At: at, Incoming: "U2", Outgoing: "U1", Deadline: at.Add(30 * time.Minute), Checked: []string{string(steps[1].ID)}},
		Until:     at.Add(7 * 24 * time.Hour),
		Loc:       time.UTC,
		Open:      []*incident.Incident{testIncident()},
		MoreOpen:  3,
		Overdue:   []OverdueItem{{Incident: 42, Item: incident.ActionItem{ID: 1, Text: "Alert on &lt;lag&gt;", Owner: "U2", CreatedAt: t0}}},
		Checklist: steps,
	}
	blocks, _ := e.HandoffDM(b)
	golden(t, "handoff_incoming", blocks)
	b.Incoming = false
	blocks, _ = e.HandoffDM(b)
	golden(t, "handoff_outgoing", blocks)
	if g, v := ParseChecklistBlock(ChecklistBlock(1, "primary", at)); g != 1 || v != HandoffValue("primary", at) {
		t.Errorf("checklist block round trip: %d %q", g, v)
	}
	if rot, got, ok := ParseHandoffValue(HandoffValue("primary", at.Add(123))); !ok || rot != "primary" || !got.Equal(at.Add(123)) {
		t.Errorf("handoff value round trip: %q %v %v", rot, got, ok)
	}
	for _, bad := range []string{"", "primary", "primary@x", "@1"} {
		if _, _, ok := ParseHandoffValue(bad); ok {
			t.Errorf("ParseHandoffValue(%q) accepted", bad)
		}
	}
	if g, v := ParseChecklistBlock("oncall_checklist_x|y"); g != 0 || v != "" {
		t.Errorf("a bad block id parsed: %d %q", g, v)
	}
}

func TestOverrideModal(t *testing.T) {
	v := testEnv().OverrideModal(OverrideForm{Rotations: []string{"primary", "secondary"}, Rotation: "secondary", User: "U1", Metadata: "{}"})
	golden(t, "override_modal", v.Blocks.BlockSet)
	if v.CallbackID != CallbackOncall {
		t.Errorf("callback %q", v.CallbackID)
	}
}
