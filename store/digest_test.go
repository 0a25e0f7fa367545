package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// TestDB_DigestMail: each address gets each digest once, its record and
// its effect in one transaction; a long list is split into transactions
// etcd takes; older digests are pruned; Check reads the records.
func TestDB_DigestMail(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		// 16 operations a transaction: 7 addresses each on etcd.
		db := b.open(t, WithMaxTxnOps(16))
		day1 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
		day2 := day1.Add(24 * time.Hour)
		mails := func(to []string) []incident.Effect {
			var effs []incident.Effect
			for _, addr := range to {
				effs = append(effs, incident.Effect{Kind: "send_email", Lane: "mail:" + addr, Payload: []byte(`{"to":"` + addr + `"}`)})
			}
			return effs
		}
		var to []string
		for i := range 40 {
			to = append(to, fmt.Sprintf("Person%02d@example.com", i))
		}
		queued, err := db.QueueDigestMail(ctx, day1, to[:30], mails(to[:30]))
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) != 30 || queued[0].Seq == 0 || queued[0].IncidentID != 0 {
			t.Fatalf("queued %d effects: %+v", len(queued), queued[:min(1, len(queued))])
		}
		// Again, with ten more: only the ten are queued.
		again, err := db.QueueDigestMail(ctx, day1, to, mails(to))
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 10 || !strings.Contains(string(again[0].Payload), "Person30@") {
			t.Fatalf("queued again: %d", len(again))
		}
		pending, err := db.PendingEffects(ctx, 0)
		if err != nil || len(pending) != 40 {
			t.Fatalf("%d effects pending, %v", len(pending), err)
		}
		got, err := db.DigestMailed(ctx, day1)
		if err != nil || len(got) != 40 || !slices.Contains(got, "person07@example.com") {
			t.Fatalf("mailed %d: %v %v", len(got), got, err)
		}
		if got, _ := db.DigestMailed(ctx, day2); len(got) != 0 {
			t.Errorf("day 2 mailed already: %v", got)
		}
		// The next day's digest is its own; the first one's records go.
		if q, err := db.QueueDigestMail(ctx, day2, to[:1], mails(to[:1])); err != nil || len(q) != 1 {
			t.Fatalf("day 2: %d, %v", len(q), err)
		}
		if n, err := db.PruneDigestMail(ctx, day2); err != nil || n != 40 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		if got, _ := db.DigestMailed(ctx, day1); len(got) != 0 {
			t.Errorf("day 1 left after pruning: %d", len(got))
		}
		db = b.reopen(t, db, WithMaxTxnOps(16))
		if got, _ := db.DigestMailed(ctx, day2); !slices.Equal(got, []string{"person00@example.com"}) {
			t.Errorf("day 2 after reopening: %v", got)
		}
		if _, err := db.QueueDigestMail(ctx, day2, to[:2], mails(to[:1])); err == nil {
			t.Error("more addresses than effects were taken")
		}
	})
}

// TestDB_DigestMailConcurrent: two runs of the same digest at once (the
// schedule and the catch-up at start) queue each address once.
func TestDB_DigestMailConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
		to := []string{"a@example.com", "b@example.com", "c@example.com"}
		effs := make([]incident.Effect, len(to))
		for i := range to {
			effs[i] = incident.Effect{Kind: "send_email", Lane: "mail:" + to[i], Payload: []byte("{}")}
		}
		results := make(chan int, 8)
		for range 8 {
			go func() {
				q, err := db.QueueDigestMail(ctx, at, to, effs)
				if err != nil {
					t.Error(err)
				}
				results <- len(q)
			}()
		}
		total := 0
		for range 8 {
			total += <-results
		}
		if total != len(to) {
			t.Errorf("%d mails queued by 8 runs, want %d", total, len(to))
		}
	})
}
