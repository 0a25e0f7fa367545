package store

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_Receive(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		req := incident.Request{Kind: "slash", Payload: []byte(`{"text":"declare x"}`)}
		seq, dup, err := db.Receive(ctx, req, []string{"env:E1", "trigger:T1"})
		if err != nil || dup || seq != 1 {
			t.Fatalf("first: seq %d dup %v err %v", seq, dup, err)
		}
		// Any key seen before makes it a duplicate, and nothing is stored.
		for _, keys := range [][]string{{"env:E1"}, {"env:E2", "trigger:T1"}} {
			if seq, dup, err := db.Receive(ctx, req, keys); err != nil || !dup || seq != 0 {
				t.Fatalf("%v: seq %d dup %v err %v", keys, seq, dup, err)
			}
		}
		if seen, err := db.Seen(ctx, []string{"env:E9", "trigger:T1"}); err != nil || !seen {
			t.Fatalf("Seen = %v, %v; want a recorded key seen", seen, err)
		}
		if seen, err := db.Seen(ctx, []string{"env:E9"}); err != nil || seen {
			t.Fatalf("Seen = %v, %v; want an unknown key unseen", seen, err)
		}
		if _, _, err := db.Receive(ctx, req, []string{""}); incident.ErrorCode(err) != incident.EINVALID {
			t.Fatalf("empty key: %v", err)
		}
		got, err := db.Requests(ctx, 0)
		want := []incident.Request{{Seq: 1, Kind: "slash", Payload: req.Payload, ReceivedAt: epoch}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("requests %+v, %v\nwant %+v", got, err, want)
		}
		if err := db.RetryRequest(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Requests(ctx, 0); got[0].Attempts != 1 {
			t.Fatalf("attempts = %d", got[0].Attempts)
		}
		if err := db.RetryRequest(ctx, 9); err != nil {
			t.Fatalf("retrying a finished request: %v", err)
		}
		// Keys without a request (nothing to do) are remembered too.
		if _, dup, _ := db.Receive(ctx, incident.Request{Kind: "event"}, []string{"event:Ev2"}); dup {
			t.Fatal("Ev2 seen")
		}

		// Pruning forgets old keys only.
		db.now = func() time.Time { return epoch.Add(time.Hour) }
		if _, dup, _ := db.Receive(ctx, incident.Request{Kind: "event"}, []string{"event:Ev3"}); dup {
			t.Fatal("Ev3 seen")
		}
		n, err := db.PruneSeen(ctx, epoch.Add(time.Minute))
		if err != nil || n != 3 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		if _, dup, _ := db.Receive(ctx, req, []string{"env:E1"}); dup {
			t.Fatal("a pruned key still counts")
		}
		if _, dup, _ := db.Receive(ctx, req, []string{"event:Ev3"}); !dup {
			t.Fatal("Ev3 was pruned")
		}

		t.Run("Concurrent", func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			firsts := 0
			for range 20 {
				wg.Go(func() {
					_, dup, err := db.Receive(ctx, req, []string{"env:dup"})
					if err != nil {
						t.Error(err)
					}
					if !dup {
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
	})
}
