package oncall

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// fmtHandoff is a handoff on one line:
// "2026-03-09 09:00 CET UALICE (since 2026-03-02 09:00) → UBOB until 2026-03-16 09:00".
func fmtHandoff(h Handoff) string {
	const f = "2006-01-02 15:04"
	out := "nobody"
	if !h.Outgoing.Member.IsZero() {
		out = fmt.Sprintf("%s (since %s)", h.Outgoing.Member.UserID, h.Outgoing.Start.Format(f))
	}
	in := h.Incoming.Member.UserID
	if h.Incoming.FromOverride() {
		in += "*"
	}
	return fmt.Sprintf("%s %s → %s until %s", h.At.Format(f+" MST"), out, in, h.Incoming.End.Format(f))
}

func TestSchedule_Handoffs(t *testing.T) {
	r := weekly(t)
	tests := []struct {
		name      string
		overrides []Override
		from, to  string
		want      []string
	}{
		{
			name: "weekly at 09:00 local across DST, from the first turn",
			from: "2026-03-01 00:00", to: "2026-04-06 09:01",
			want: []string{
				"2026-03-02 09:00 CET nobody → UALICE until 2026-03-09 09:00",
				"2026-03-09 09:00 CET UALICE (since 2026-03-02 09:00) → UBOB until 2026-03-16 09:00",
				"2026-03-16 09:00 CET UBOB (since 2026-03-09 09:00) → UCAROL until 2026-03-23 09:00",
				"2026-03-23 09:00 CET UCAROL (since 2026-03-16 09:00) → UDAN until 2026-03-30 09:00",
				"2026-03-30 09:00 CEST UDAN (since 2026-03-23 09:00) → UALICE until 2026-04-06 09:00",
				"2026-04-06 09:00 CEST UALICE (since 2026-03-30 09:00) → UBOB until 2026-04-13 09:00",
			},
		},
		{
			name: "the window is half-open: a handoff at from counts, one at to does not",
			from: "2026-03-09 09:00", to: "2026-03-16 09:00",
			want: []string{"2026-03-09 09:00 CET UALICE (since 2026-03-02 09:00) → UBOB until 2026-03-16 09:00"},
		},
		{
			name:      "an override is handed to and back",
			overrides: []Override{cover(t, 1, xavi, "2026-03-17 09:00", "2026-03-17 21:00")},
			from:      "2026-03-16 00:00", to: "2026-03-24 00:00",
			want: []string{
				"2026-03-16 09:00 CET UBOB (since 2026-03-09 09:00) → UCAROL until 2026-03-17 09:00",
				"2026-03-17 09:00 CET UCAROL (since 2026-03-16 09:00) → UXAVI* until 2026-03-17 21:00",
				"2026-03-17 21:00 CET UXAVI (since 2026-03-17 09:00) → UCAROL until 2026-03-23 09:00",
				"2026-03-23 09:00 CET UCAROL (since 2026-03-17 21:00) → UDAN until 2026-03-30 09:00",
			},
		},
		{
			name:      "an override by the person whose turn it is is no handoff",
			overrides: []Override{cover(t, 1, carol, "2026-03-18 09:00", "2026-03-19 09:00")},
			from:      "2026-03-16 00:00", to: "2026-03-24 00:00",
			want: []string{
				"2026-03-16 09:00 CET UBOB (since 2026-03-09 09:00) → UCAROL until 2026-03-23 09:00",
				"2026-03-23 09:00 CET UCAROL (since 2026-03-16 09:00) → UDAN until 2026-03-30 09:00",
			},
		},
		{
			name:      "taking over early runs on into one's own turn",
			overrides: []Override{cover(t, 1, dan, "2026-03-22 09:00", "2026-03-23 09:00")},
			from:      "2026-03-20 00:00", to: "2026-03-24 00:00",
			want: []string{"2026-03-22 09:00 CET UCAROL (since 2026-03-16 09:00) → UDAN* until 2026-03-30 09:00"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Schedule{Rotation: r, Overrides: tt.overrides}
			var got []string
			for _, h := range s.Handoffs(MustTime(t, r.Location, tt.from), MustTime(t, r.Location, tt.to)) {
				got = append(got, fmtHandoff(h))
				if h.Key() != NewHandoffCheck(h, 0).Key() {
					t.Errorf("handoff key %q differs from its check's %q", h.Key(), NewHandoffCheck(h, 0).Key())
				}
			}
			equalLines(t, got, tt.want)
		})
	}
}

func TestSchedule_NextHandoff(t *testing.T) {
	r := weekly(t)
	now := MustTime(t, r.Location, "2026-03-04 10:00")
	h, ok := Schedule{Rotation: r}.NextHandoff(now)
	if got, want := fmtHandoff(h), "2026-03-09 09:00 CET UALICE (since 2026-03-02 09:00) → UBOB until 2026-03-16 09:00"; !ok || got != want {
		t.Errorf("NextHandoff = %s, %v; want %s", got, ok, want)
	}
	// Strictly after: at the handoff itself, the next one is a week on.
	if h2, _ := (Schedule{Rotation: r}).NextHandoff(h.At); !h2.At.Equal(MustTime(t, r.Location, "2026-03-16 09:00")) {
		t.Errorf("NextHandoff at a handoff = %s, want the following one", fmtHandoff(h2))
	}
	if n, _ := (Schedule{Rotation: r}).Next(now); n.Member.UserID != bob {
		t.Errorf("Next = %s, want bob", fmtShift(n))
	}

	solo := r
	solo.Members = users(alice)
	if h, ok := (Schedule{Rotation: solo}).NextHandoff(now); ok {
		t.Errorf("a one-person rotation has a handoff: %s", fmtHandoff(h))
	}
	s := Schedule{Rotation: solo, Overrides: []Override{cover(t, 1, xavi, "2026-05-01 09:00", "2026-05-02 09:00")}}
	if h, ok := s.NextHandoff(now); !ok || h.Incoming.Member.UserID != xavi {
		t.Errorf("NextHandoff with an override = %s, %v; want xavi", fmtHandoff(h), ok)
	}

	// An 8h rotation finds its next handoff within the shift.
	sun := r
	sun.Shift = 8 * time.Hour
	if h, _ := (Schedule{Rotation: sun}).NextHandoff(now); !h.At.Equal(MustTime(t, r.Location, "2026-03-04 17:00")) {
		t.Errorf("8h NextHandoff = %s, want 17:00", fmtHandoff(h))
	}
}

func TestHandoffCheck(t *testing.T) {
	r := weekly(t)
	h, _ := Schedule{Rotation: r}.NextHandoff(MustTime(t, r.Location, "2026-03-04 10:00"))
	c := NewHandoffCheck(h, 30*time.Minute)
	if c.Incoming != bob || c.Outgoing != alice {
		t.Fatalf("check for %s → %s, want alice → bob", c.Outgoing, c.Incoming)
	}
	due, ok := c.Due()
	if !ok || !due.Equal(h.At.Add(30*time.Minute)) {
		t.Fatalf("Due = %s, %v; want 30m after the handoff", due, ok)
	}

	t.Run("escalates once when unconfirmed", func(t *testing.T) {
		c := c
		var fired []time.Time
		for at := h.At; at.Before(h.At.Add(2 * time.Hour)); at = at.Add(time.Minute) {
			var esc bool
			if c, esc = c.Tick(at); esc {
				fired = append(fired, at)
			}
		}
		if len(fired) != 1 || !fired[0].Equal(due) {
			t.Errorf("escalated at %v, want once at %s", fired, due)
		}
		// A late confirmation is still recorded.
		c, err := c.Confirm(bob, h.At.Add(3*time.Hour))
		if err != nil || c.ConfirmedBy != bob {
			t.Errorf("late Confirm = %+v, %v", c, err)
		}
	})
	t.Run("confirmed in time never escalates", func(t *testing.T) {
		c, err := c.Confirm(bob, h.At.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Due(); ok {
			t.Error("a confirmed check is still due")
		}
		if _, esc := c.Tick(h.At.Add(time.Hour)); esc {
			t.Error("a confirmed check escalated")
		}
		_, err = c.Confirm(bob, h.At.Add(20*time.Minute))
		MustErrorMessage(t, err, incident.ECONFLICT, "<@UBOB> already confirmed", "09:10")
	})
	t.Run("ErrNotIncoming", func(t *testing.T) {
		_, err := c.Confirm(alice, h.At.Add(time.Minute))
		MustErrorMessage(t, err, incident.EUNAUTHORIZED, "for <@UBOB>", "only they")
	})
	t.Run("lapses once the incoming turn is over", func(t *testing.T) {
		end := h.Incoming.End
		confirmed, err := c.Confirm(bob, h.At.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		escalated, _ := c.Tick(due)
		for _, tt := range []struct {
			name  string
			c     HandoffCheck
			now   time.Time
			lapse bool
		}{
			{"during the turn", c, due.Add(time.Minute), false},
			{"at its end", c, end, true},
			{"after its end", c, end.Add(time.Hour), true},
			{"confirmed", confirmed, end, false},
			{"escalated already", escalated, end, false},
			{"no window", NewHandoffCheck(h, 0), end, false},
		} {
			got, ok := tt.c.Lapse(end, tt.now)
			if ok != tt.lapse {
				t.Errorf("%s: Lapse = %v, want %v", tt.name, ok, tt.lapse)
				continue
			}
			if !ok {
				if !reflect.DeepEqual(got, tt.c) {
					t.Errorf("%s: a check that did not lapse changed: %+v", tt.name, got)
				}
				continue
			}
			if _, due := got.Due(); due {
				t.Errorf("%s: a lapsed check is still due", tt.name)
			}
			if _, esc := got.Tick(tt.now); esc {
				t.Errorf("%s: a lapsed check escalated", tt.name)
			}
			if c, err := got.Confirm(bob, tt.now); err != nil || c.ConfirmedBy != bob {
				t.Errorf("%s: confirming a lapsed check = %+v, %v", tt.name, c, err)
			}
		}
	})
	t.Run("no window, no escalation", func(t *testing.T) {
		c := NewHandoffCheck(h, 0)
		if _, ok := c.Due(); ok {
			t.Error("a check without a window is due")
		}
		if _, esc := c.Tick(h.At.Add(24 * time.Hour)); esc {
			t.Error("a check without a window escalated")
		}
	})
}
