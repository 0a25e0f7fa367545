// Package clock provides a settable clock for tests and for the demo's
// simulated time. Everything time-based in incidentbot reads a
// func() time.Time; production passes time.Now.
package clock

import (
	"sync"
	"time"
)

// Fake is a clock that only moves when told to. It is safe for concurrent
// use.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a clock reading t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now returns the current fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Fake) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Fake) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
