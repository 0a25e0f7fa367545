package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_FirstTime(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	for i, want := range []bool{true, false, false} {
		if got, err := db.FirstTime(ctx, "Ev1", epoch); err != nil || got != want {
			t.Fatalf("call %d: %v, %v", i, got, err)
		}
	}
	if got, _ := db.FirstTime(ctx, "Ev2", epoch.Add(time.Hour)); !got {
		t.Fatal("Ev2 not new")
	}
	if _, err := db.FirstTime(ctx, "", epoch); incident.ErrorCode(err) != incident.EINVALID {
		t.Fatalf("empty key: %v", err)
	}
	n, err := db.PruneSeen(ctx, epoch.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if got, _ := db.FirstTime(ctx, "Ev1", epoch); !got {
		t.Fatal("pruned key not new")
	}
	if got, _ := db.FirstTime(ctx, "Ev2", epoch); got {
		t.Fatal("Ev2 was pruned")
	}

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		firsts := 0
		for range 20 {
			wg.Go(func() {
				ok, err := db.FirstTime(ctx, "dup", epoch)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					firsts++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if firsts != 1 {
			t.Fatalf("%d callers saw the key first", firsts)
		}
	})
}
