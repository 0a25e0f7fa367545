package store_test

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// BenchmarkScaleStats computes the figures of /incident stats from the
// statistics index at 1k, 10k and 100k incidents: over the last 30 days
// (window30d, what the command does by default: the window's entries
// only), over everything (all, the walk /metrics makes after a write),
// against listing every incident record the way the index spares us
// (incidents: FindIncidentsPage through the whole history).
//
//	go test -run '^$' -bench 'ScaleStats' -benchtime 20x ./store/
func BenchmarkScaleStats(b *testing.B) {
	sevs := incident.DefaultPolicy().SeverityNames()
	b.Run("window30d", func(b *testing.B) {
		benchRead(b, func(ctx context.Context, db *store.DB, n int) error {
			_, err := incident.ComputeStats(ctx, db, incident.StatsQuery{Since: benchNow.AddDate(0, 0, -30)}, sevs)
			return err
		})
	})
	b.Run("all", func(b *testing.B) {
		benchRead(b, func(ctx context.Context, db *store.DB, n int) error {
			s, err := incident.ComputeStats(ctx, db, incident.StatsQuery{}, sevs)
			if err == nil && s.Incidents+s.Cancelled+s.Drills != n {
				b.Fatalf("%d incidents counted of %d", s.Incidents, n)
			}
			return err
		})
	})
	b.Run("incidents", func(b *testing.B) {
		benchRead(b, func(ctx context.Context, db *store.DB, n int) error {
			var before int64
			for {
				_, next, err := db.FindIncidentsPage(ctx, incident.Filter{Limit: 500}, before)
				if err != nil || next == 0 {
					return err
				}
				before = next
			}
		})
	})
}
