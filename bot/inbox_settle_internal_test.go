package bot

import (
	"context"
	"testing"
	"time"
)

// TestInbox_Settle: a request's check waits for the requests of its
// incident acknowledged before it, however many, and for no other
// incident's; past its bound it goes on without them.
func TestInbox_Settle(t *testing.T) {
	ctx := context.Background()
	in := newInbox(nil, 1)
	if !in.settle(ctx, 0, time.Hour) || !in.settle(ctx, 7, time.Hour) {
		t.Fatal("waited with nothing to wait for")
	}
	in.opened(7)
	in.opened(7)
	in.opened(8)
	if in.settle(ctx, 7, time.Millisecond) {
		t.Fatal("settled with two requests unprocessed")
	}
	settled := make(chan bool)
	go func() { settled <- in.settle(ctx, 7, time.Hour) }()
	in.mu.Lock()
	in.processedLocked(7)
	in.processedLocked(8) // another incident's: no matter
	in.mu.Unlock()
	select {
	case <-settled:
		t.Fatal("settled with one request unprocessed")
	case <-time.After(20 * time.Millisecond):
	}
	in.mu.Lock()
	in.processedLocked(7)
	in.mu.Unlock()
	if !<-settled {
		t.Error("not settled once both requests were processed")
	}
	if len(in.open) != 0 {
		t.Errorf("counts left: %v", in.open)
	}
}
