package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func eachFacts(t *testing.T, db *DB, since, until time.Time) []incident.Facts {
	t.Helper()
	var out []incident.Facts
	if err := db.EachFacts(context.Background(), since, until, func(f incident.Facts) error {
		out = append(out, f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDB_Facts checks that the statistics index follows every write of an
// incident, in declaration order, and that a window reads only itself.
func TestDB_Facts(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		ctx := context.Background()
		db := b.open(t)
		// Declared out of ID order, as an import may do.
		for i, h := range []int{5, 1, 3} {
			MustCreateIncident(t, db, &incident.Incident{Title: "x", Severity: "major", Status: incident.StatusInvestigating,
				Service: "Payments", DeclaredAt: epoch.Add(time.Duration(h) * time.Hour), Drafts: i})
		}
		got := eachFacts(t, db, time.Time{}, time.Time{})
		var ids []int64
		for _, f := range got {
			ids = append(ids, f.ID)
		}
		if !slices.Equal(ids, []int64{2, 3, 1}) || got[0].Service != "payments" || got[0].Severity != "major" {
			t.Fatalf("facts %+v", got)
		}
		if w := eachFacts(t, db, epoch.Add(2*time.Hour), epoch.Add(5*time.Hour)); len(w) != 1 || w[0].ID != 3 {
			t.Errorf("window: %+v", w)
		}
		_, _, err := db.UpdateIncident(ctx, 3, func(inc *incident.Incident) (incident.Change, error) {
			inc.Status, inc.ResolvedAt, inc.Updates, inc.LateUpdates = incident.StatusResolved, epoch.Add(4*time.Hour), 3, 1
			inc.CauseCategory, inc.CauseDeploy = incident.CauseChange, "deploy:1"
			return incident.Change{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f := eachFacts(t, db, epoch.Add(3*time.Hour), epoch.Add(4*time.Hour))
		if len(f) != 1 || f[0].Status != incident.StatusResolved || f[0].Updates != 3 || f[0].CauseDeploy != "deploy:1" {
			t.Errorf("after the update: %+v", f)
		}
		// A declaration time that moves (an import fixing its data) moves
		// the entry.
		_, _, err = db.UpdateIncident(ctx, 1, func(inc *incident.Incident) (incident.Change, error) {
			inc.DeclaredAt = epoch.Add(-time.Hour)
			return incident.Change{}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if all := eachFacts(t, db, time.Time{}, time.Time{}); len(all) != 3 || all[0].ID != 1 {
			t.Errorf("after moving incident 1: %+v", all)
		}
		if err := db.Check(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDB_CheckFacts(t *testing.T) {
	db := MustOpenDB(t)
	inc := MustCreateIncident(t, db, &incident.Incident{Title: "x", Status: incident.StatusInvestigating, DeclaredAt: epoch})
	key, good := factsEntry(inc)
	for _, tc := range []struct {
		name   string
		damage func(b *bolt.Bucket) error
		want   string
	}{
		{"Stale", func(b *bolt.Bucket) error {
			f := incident.FactsOf(inc)
			f.Severity = "critical"
			return b.Put(key, factsRecord.marshal(&f))
		}, "the entry of incident 1 is missing or stale"},
		{"Missing", func(b *bolt.Bucket) error { return b.Delete(key) }, "0 entries for 1 incidents"},
		{"Extra", func(b *bolt.Bucket) error { return b.Put(key2(5, 9), good) }, "2 entries for 1 incidents"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.bolt.Update(func(tx *bolt.Tx) error { return tc.damage(tx.Bucket(bucketFacts)) }); err != nil {
				t.Fatal(err)
			}
			if err := db.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
			err := db.bolt.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketFacts)
				_ = b.Delete(key2(5, 9))
				return b.Put(key, good)
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
