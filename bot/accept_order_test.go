package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// TestAccept_BackToBackSeverityChanges: severity changes sent one right
// after another's ack, with nothing settled between them. Each is checked
// against the incident as the ones acknowledged before it leave it: none
// is refused as "already critical" because the one before still waits in
// the inbox, and each ack names the severity it sets.
func TestAccept_BackToBackSeverityChanges(t *testing.T) {
	h := newHarness(t)
	inc, ch := h.declare(h.alice, "--sev major Checkout errors")
	h.settle()
	sevs := []string{"critical", "major", "critical", "major", "critical", "major"}
	for i, sev := range sevs {
		got := ackText(t, h.slash(h.alice, ch.ID, "sev "+sev))
		if want := fmt.Sprintf("Incident #%d is now *%s*", inc.ID, sev); !strings.Contains(got, want) {
			t.Errorf("change %d (sev %s): ack %q, want %q", i+1, sev, got, want)
		}
	}
	h.settle()
	if got := h.incident(inc.ID).Severity; got != "major" {
		t.Errorf("severity %s, want major", got)
	}
	var changes []string
	for _, e := range h.events(inc.ID) {
		if e.Kind == incident.EventSeverityChanged {
			changes = append(changes, e.Field("from")+">"+e.Field("to"))
		}
	}
	want := "major>critical critical>major major>critical critical>major major>critical critical>major"
	if got := strings.Join(changes, " "); got != want {
		t.Errorf("timeline severity changes %s, want %s", got, want)
	}
	up, down := "from *major* to *critical*", "from *critical* to *major*"
	h.allowRepeats = append(h.allowRepeats, up, down)
	for range len(sevs) / 2 {
		h.expectRoomAndThread(inc, up)
		h.expectRoomAndThread(inc, down)
	}
	// The war room shows them in the order they were made.
	var room []string
	for _, m := range h.fake.Messages(ch.ID) {
		switch s := render(m); {
		case strings.Contains(s, up):
			room = append(room, "major>critical")
		case strings.Contains(s, down):
			room = append(room, "critical>major")
		}
	}
	if got := strings.Join(room, " "); got != want {
		t.Errorf("the war room shows %s, want %s", got, want)
	}
}
