package bot_test

import (
	"strings"
	"testing"
)

// TestHarness_ConsumeAndIgnore checks the strict message check itself: an
// expectation consumes one message, so two identical messages need two
// expectations; an updated message is no new one; what is ignored, or
// answered in a slash command's ack, is accounted for.
func TestHarness_ConsumeAndIgnore(t *testing.T) {
	h := newHarness(t)
	inc, ch := h.declare(h.alice, "Harness check")
	h.settle()
	if left := h.unaccounted(); len(left) != 0 {
		t.Fatalf("the war-room setup is not covered by the defaults:\n%s", strings.Join(left, "\n"))
	}

	// The same message twice: one expectation takes one of them.
	h.fake.JoinChannel(h.carol, ch.ID)
	for range 2 {
		h.slash(h.carol, ch.ID, "note the same words")
	}
	first := h.expectEphemeral(ch.ID, h.carol, "Added to the timeline")
	second := h.expectEphemeral(ch.ID, h.carol, "Added to the timeline")
	if first.TS == second.TS {
		t.Fatalf("one message (%s) satisfied two expectations", first.TS)
	}

	// A message nobody expected is listed, with where it is.
	h.slash(h.alice, ch.ID, "role spokesperson <@"+h.bob+"|bob>")
	h.settle()
	left := strings.Join(h.unaccounted(), "\n")
	for _, want := range []string{"is now the *spokesperson*", "DM ", "with " + h.bob, "You are the spokesperson of incident #1"} {
		if !strings.Contains(left, want) {
			t.Errorf("unaccounted messages lack %q:\n%s", want, left)
		}
	}
	// Ignored, they are accounted for; expect* still consumes them.
	h.ignoreDMs(h.bob, "You are the spokesperson")
	h.ignore(ch.ID, "is now the *spokesperson*")
	if left := h.unaccounted(); len(left) != 0 {
		t.Errorf("ignored messages still listed:\n%s", strings.Join(left, "\n"))
	}
	h.expectDM(h.bob, "You are the spokesperson")

	// An edit in place is no new message: the card cannot be expected
	// twice, but expectEdited reads its new state.
	h.expectMessage(ch.ID, "*Spokesperson*", "*Declared*")
	h.slash(h.alice, ch.ID, "sev critical")
	h.expectEdited(ch.ID, "*Spokesperson*", "critical")
	if _, ok := h.consumeFirst("test", h.fake.Messages(ch.ID), []string{"*Spokesperson*", "*Declared*"}); ok {
		t.Error("the edited card was consumed a second time")
	}
	h.expectRoomAndThread(inc, "from *major* to *critical*")
}
