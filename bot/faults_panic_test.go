package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/store"
)

// panicky delivers every effect but those of kind "boom", which panic.
type panicky struct {
	db        *store.DB
	mu        sync.Mutex
	abandoned []string
}

func (p *panicky) Deliver(ctx context.Context, e incident.Effect, recheck bool) error {
	if e.Kind == "boom" {
		panic(fmt.Sprintf("a bug in effect %d", e.Seq))
	}
	_, err := p.db.Apply(context.WithoutCancel(ctx), incident.Change{Done: []uint64{e.Seq}})
	return err
}

func (p *panicky) Abandon(ctx context.Context, e incident.Effect, cause error) error {
	p.mu.Lock()
	p.abandoned = append(p.abandoned, e.Kind+": "+cause.Error())
	p.mu.Unlock()
	_, err := p.db.Apply(ctx, incident.Change{Done: []uint64{e.Seq}})
	return err
}

// A delivery that panics is a bug in one effect; it must not end the
// process, or the effect replayed at the next start ends it again and no
// incident gets anything from Slack any more. It is abandoned, reported
// once, and the other effects go out.
func TestFaults_PanickingDeliveryIsAbandoned(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "incidentbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Apply(ctx, incident.Change{Effects: []incident.Effect{
		{Kind: "boom", Lane: "/a"}, {Kind: "fine", Lane: "/a"}, {Kind: "fine", Lane: "/b"},
	}}); err != nil {
		t.Fatal(err)
	}
	p := &panicky{db: db}
	w := outbound.NewWorker(outbound.WorkerOptions{Store: db, Deliverer: p})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(rctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	for w.Pending() > 0 || len(mustPending(t, db)) > 0 {
		if err := w.WaitIdle(wctx); err != nil {
			t.Fatalf("the outbox did not drain: %v", err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(p.abandoned) != 1 {
		t.Errorf("abandoned %v, want the panicking effect once", p.abandoned)
	}
}

func mustPending(t *testing.T, db *store.DB) []incident.Effect {
	t.Helper()
	effs, err := db.PendingEffects(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return effs
}
