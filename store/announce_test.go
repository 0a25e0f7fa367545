package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// heard records what AnnounceEffects tells.
type heard struct {
	mu    sync.Mutex
	seqs  []uint64
	calls int
}

func (h *heard) hear(effs []incident.Effect) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	for _, e := range effs {
		h.seqs = append(h.seqs, e.Seq)
	}
}

func (h *heard) got() (seqs []uint64, calls int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.seqs), h.calls
}

func TestDB_AnnounceEffects(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()

		t.Run("InOrderBeforeWritersReturn", func(t *testing.T) {
			// Writers commit effects at once, in groups. Each finds its
			// effects announced when its write returns, and the
			// announcements list every effect once, in Seq order.
			db := b.open(t)
			MustCreateIncident(t, db, &incident.Incident{})
			var h heard
			stop := db.AnnounceEffects(h.hear)
			defer stop()
			const writers, each = 32, 10
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						effs := []incident.Effect{{Kind: "post", Lane: "room"}}
						if i%2 == 0 {
							effs = append(effs, incident.Effect{Kind: "dm", Lane: "dm:U1"})
						}
						_, ch, err := db.UpdateIncident(ctx, 1, func(*incident.Incident) (incident.Change, error) {
							return incident.Change{Effects: effs}, nil
						})
						if err != nil {
							t.Error(err)
							return
						}
						seqs, _ := h.got()
						for _, e := range ch.Effects {
							if !slices.Contains(seqs, e.Seq) {
								t.Errorf("writer %d: effect %d not announced when its write returned", w, e.Seq)
							}
						}
					}
				})
			}
			wg.Wait()
			seqs, calls := h.got()
			if want := writers * each * 3 / 2; len(seqs) != want {
				t.Fatalf("%d effects announced, want %d", len(seqs), want)
			}
			for i := 1; i < len(seqs); i++ {
				if seqs[i] <= seqs[i-1] {
					t.Fatalf("announced %d after %d", seqs[i], seqs[i-1])
				}
			}
			pending, err := db.PendingEffects(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) != len(seqs) || pending[len(pending)-1].Seq != seqs[len(seqs)-1] {
				t.Errorf("%d effects stored, the last %d; %d announced", len(pending), pending[len(pending)-1].Seq, len(seqs))
			}
			t.Logf("%d writes announced in %d calls", writers*each, calls)
		})

		t.Run("OnlyWhatCommits", func(t *testing.T) {
			// In a group where one op fails after enqueuing its effects,
			// the transaction runs again without it: its effects are never
			// announced, the others' once.
			db := b.open(t)
			var h heard
			defer db.AnnounceEffects(h.hear)()
			enqueue := func(kind string, then error) txFunc {
				return func(reader, time.Time) (applyFunc, error) {
					return func(tx *wtx) error {
						if _, err := enqueueEffects(tx, time.Time{}, 0, []incident.Effect{{Kind: kind, Lane: "/x"}}); err != nil {
							return err
						}
						return then
					}, nil
				}
			}
			res := runQueued(t, db, []namedOp{
				{"a", enqueue("a", nil)},
				{"bad", enqueue("bad", errors.New("apply failed"))},
				{"b", enqueue("b", nil)},
			})
			if res.errs["a"] != "<nil>" || res.errs["b"] != "<nil>" || res.errs["bad"] != "apply failed" {
				t.Fatalf("results %v", res.errs)
			}
			pending, err := db.PendingEffects(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			var stored []uint64
			for _, e := range pending {
				stored = append(stored, e.Seq)
			}
			seqs, calls := h.got()
			if !slices.Equal(seqs, stored) || len(stored) != 2 || calls != 1 {
				t.Errorf("announced %v in %d calls; stored %v", seqs, calls, stored)
			}
		})

		t.Run("Stop", func(t *testing.T) {
			db := b.open(t)
			var kept, stopped heard
			defer db.AnnounceEffects(kept.hear)()
			stop := db.AnnounceEffects(stopped.hear)
			MustApplyEffects(t, db, 1)
			stop()
			stop() // twice is harmless
			MustApplyEffects(t, db, 1)
			if seqs, _ := stopped.got(); len(seqs) != 1 {
				t.Errorf("a stopped subscriber heard %v", seqs)
			}
			if seqs, _ := kept.got(); len(seqs) != 2 {
				t.Errorf("the other subscriber heard %v", seqs)
			}
		})

		t.Run("PanickingSubscriber", func(t *testing.T) {
			// A subscriber's panic must not stop the group commit, whose
			// writers wait for the leader that runs it.
			db := b.open(t)
			var h heard
			defer db.AnnounceEffects(func([]incident.Effect) { panic("boom") })()
			defer db.AnnounceEffects(h.hear)()
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() { MustApplyEffects(t, db, 2) })
			}
			wg.Wait()
			if seqs, _ := h.got(); len(seqs) != 16 {
				t.Errorf("heard %d effects, want 16", len(seqs))
			}
		})
	})
}

// MustApplyEffects stores n effects that belong to no incident.
func MustApplyEffects(tb testing.TB, db *DB, n int) []incident.Effect {
	tb.Helper()
	effs := make([]incident.Effect, n)
	for i := range effs {
		effs[i] = incident.Effect{Kind: fmt.Sprint("k", i), Lane: "/test"}
	}
	ch, err := db.Apply(context.Background(), incident.Change{Effects: effs})
	if err != nil {
		tb.Error(err)
	}
	return ch.Effects
}
