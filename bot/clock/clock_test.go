package clock_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/clock"
)

func TestFake_After(t *testing.T) {
	start := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	c := clock.NewFake(start)
	now := c.After(0)
	select {
	case got := <-now:
		if !got.Equal(start) {
			t.Fatalf("After(0) = %v", got)
		}
	default:
		t.Fatal("After(0) did not fire at once")
	}
	late, early := c.After(2*time.Second), c.After(time.Second)
	if c.Waiters() != 2 {
		t.Fatalf("waiters = %d", c.Waiters())
	}
	c.Add(999 * time.Millisecond)
	select {
	case <-early:
		t.Fatal("fired before its time")
	case <-late:
		t.Fatal("fired before its time")
	default:
	}
	c.Add(time.Millisecond)
	if got := <-early; !got.Equal(start.Add(time.Second)) {
		t.Fatalf("early fired at %v", got)
	}
	select {
	case <-late:
		t.Fatal("late fired early")
	default:
	}
	c.Set(start.Add(time.Hour))
	if got := <-late; !got.Equal(start.Add(time.Hour)) {
		t.Fatalf("late fired at %v", got)
	}
	if c.Waiters() != 0 {
		t.Fatalf("waiters = %d", c.Waiters())
	}
}
