package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestSchemaVersion(t *testing.T) {
	if len(migrations) != schemaVersion {
		t.Fatalf("%d migrations, but schemaVersion is %d", len(migrations), schemaVersion)
	}
	for i, m := range migrations {
		if (m.update == nil) == (m.rewrite == nil) {
			t.Errorf("migration %d → %d must set exactly one of update and rewrite", i, i+1)
		}
	}
}

// copyTestdata copies testdata/name into a new directory as
// incidentbot.db and returns its path.
func copyTestdata(tb testing.TB, name string) string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "incidentbot.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// rawSchema reads meta/schema_version of a closed file with bbolt.
func rawSchema(tb testing.TB, path string) uint64 {
	tb.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer bdb.Close()
	var v uint64
	_ = bdb.View(func(tx *bolt.Tx) error {
		v = btoi(tx.Bucket(bucketMeta).Get(keySchemaVersion))
		return nil
	})
	return v
}

// TestOpen_OldSchemas opens a database written by each earlier schema
// (testdata/README.md says how they were made), migrates it and serves it:
// what it held reads back, new writes work, Check passes.
func TestOpen_OldSchemas(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for _, v := range []int{1, 2} {
		t.Run(filepath.Base("schema"+string(rune('0'+v))), func(t *testing.T) {
			path := copyTestdata(t, "schema"+string(rune('0'+v))+".db")
			db := MustOpenDBAt(t, path) // Cleanup runs Check

			// A backup of the old file, named after its version and the
			// clock, opens as the old schema.
			backup := path + ".schema" + string(rune('0'+v)) + "-20000101T000000Z.bak"
			if got := rawSchema(t, backup); got != uint64(v) {
				t.Fatalf("backup %s has schema %d", backup, got)
			}
			if db.version != schemaVersion {
				t.Fatalf("version %d after migrating", db.version)
			}

			// Incident 1: closed, with its war room, cause, task, pin and
			// announcement.
			inc, err := db.FindIncidentByChannel(ctx, "C0001")
			if err != nil {
				t.Fatal(err)
			}
			want := &incident.Incident{
				ID: 1, Title: "Checkout errors in eu-west", Severity: "major", Status: incident.StatusClosed,
				Impact: "Some customers cannot pay", Cause: "Provider certificate rotation", Resolution: "Failed over to the second provider",
				DeclaredBy: "U0001", Operator: "U0001", Spokesperson: "U0002",
				ChannelID: "C0001", ChannelName: "inc-1-checkout-errors", CardTS: "1772614800.000100",
				Announcements: []incident.Announcement{{ChannelID: "C0ANN", TS: "1772614801.000200"}},
				Pinned:        []string{"1772615520.000300"},
				ActionItems:   []incident.ActionItem{{ID: 1, Text: "Alert on provider latency", Owner: "U0003", CreatedBy: "U0001", CreatedAt: t0.Add(13 * time.Minute)}},
			}
			got := *inc
			got.Rev, got.DeclaredAt, got.AcknowledgedAt, got.MitigatedAt, got.ResolvedAt, got.ClosedAt, got.UpdatedAt, got.NextUpdateDue, got.Updates = 0, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, 0
			if !reflect.DeepEqual(&got, want) {
				t.Fatalf("incident 1\n got %+v\nwant %+v", &got, want)
			}
			if !inc.DeclaredAt.Equal(t0) || !inc.ClosedAt.Equal(t0.Add(30*time.Minute)) {
				t.Fatalf("times %v %v", inc.DeclaredAt, inc.ClosedAt)
			}
			if v == 2 && inc.Rev != 8 {
				t.Fatalf("Rev = %d, want 8", inc.Rev)
			}
			evs, err := db.Events(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			MustDenseSeqs(t, evs, 10)
			if e := evs[5]; e.Kind != incident.EventMessagePinned || e.Text != "failover done, error rate 0.1%" || e.Field("ts") != "1772615520.000300" || !e.At.Equal(t0.Add(12*time.Minute)) {
				t.Fatalf("event 6 = %+v", e)
			}

			// Incident 2: open, private, a reminder pending delivery.
			inc, err = db.FindIncidentByID(ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !inc.Private || inc.Status != incident.StatusInvestigating || len(inc.Pending) != 1 || inc.Pending[0].Stage != incident.StageEscalated || inc.WakeAt.IsZero() {
				t.Fatalf("incident 2 = %+v", inc)
			}
			// Both open incidents are indexed and counted.
			if n, err := db.CountOpen(ctx); err != nil || n != 2 {
				t.Fatalf("CountOpen = %d, %v", n, err)
			}
			open, err := db.FindIncidents(ctx, incident.Filter{OpenOnly: true})
			if err != nil || len(open) != 2 || open[0].ID != 3 || open[1].ID != 2 {
				t.Fatalf("open = %v, %v", open, err)
			}
			due, err := db.DueIncidents(ctx, t0.Add(48*time.Hour), 0)
			if err != nil || !slices.Equal(due, []int64{2, 3}) {
				t.Fatalf("due = %v, %v", due, err)
			}

			// Outbox and inbox.
			effs, err := db.PendingEffects(ctx, 0)
			if err != nil || len(effs) != 1 {
				t.Fatalf("effects %+v, %v", effs, err)
			}
			reqs, err := db.Requests(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			switch v {
			case 1:
				if e := effs[0]; e.Seq != 1 || e.Kind != "post" || e.IncidentID != 2 || string(e.Payload) != `{"channel":"C0ANN","text":"Incident #2 declared"}` {
					t.Fatalf("effect %+v", e)
				}
				if len(reqs) != 0 {
					t.Fatalf("requests %+v", reqs)
				}
			case 2:
				if e := effs[0]; e.Seq != 2 || e.Lane != "inc:3" || e.Attempts != 2 || !e.NotBefore.Equal(t0.Add(4*time.Hour+time.Minute)) {
					t.Fatalf("effect %+v", e)
				}
				if len(reqs) != 1 || reqs[0].Seq != 1 || reqs[0].Kind != "slash" || reqs[0].Attempts != 1 || !strings.Contains(string(reqs[0].Payload), "looking at the index") {
					t.Fatalf("requests %+v", reqs)
				}
			}
			// Deduplication keys survived.
			if _, dup, err := db.Receive(ctx, incident.Request{Kind: "slash"}, []string{"env:E001"}); err != nil || !dup {
				t.Fatalf("env:E001 forgotten: dup %v, %v", dup, err)
			}

			// New writes continue the numbering.
			MustCreateIncident(t, db, &incident.Incident{Title: "after the upgrade", ChannelID: "C0009"})
			if inc, _ := db.FindIncidentByChannel(ctx, "C0009"); inc == nil || inc.ID != 4 {
				t.Fatalf("new incident %+v", inc)
			}
			if evs, err := db.AppendEvents(ctx, 1, incident.Event{Kind: incident.EventNote}); err != nil || evs[0].Seq != 11 {
				t.Fatalf("append: %+v, %v", evs, err)
			}
			ch, err := db.Apply(ctx, incident.Change{Effects: []incident.Effect{{Kind: "post"}}, Done: []uint64{effs[0].Seq}})
			if err != nil || ch.Effects[0].Seq != uint64(v+1) {
				t.Fatalf("apply: %+v, %v", ch, err)
			}
			seq, dup, err := db.Receive(ctx, incident.Request{Kind: "slash"}, []string{"env:new"})
			if err != nil || dup || seq != uint64(2*v-1) {
				t.Fatalf("receive: %d %v %v", seq, dup, err)
			}
			if n, _ := db.PruneSeen(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)); n < 3 {
				t.Fatalf("pruned %d keys", n)
			}
			MustCloseDB(t, db)

			// Migrated once: reopening does not back up again.
			MustCloseDB(t, MustOpenDBAt(t, path, WithNow(func() time.Time { return epoch.Add(time.Hour) })))
			if baks, _ := filepath.Glob(path + ".*"); len(baks) != 1 {
				t.Fatalf("files next to the database: %v", baks)
			}
		})
	}
}

// TestOpen_MigrationFails: a rewrite that fails, before copying or in the
// middle, leaves the old file whole and says where the backup is.
func TestOpen_MigrationFails(t *testing.T) {
	for name, tt := range map[string]struct {
		damage func(tx *bolt.Tx) error
		want   string
	}{
		"UnknownBucket": {
			func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("rotations")); return err },
			`migrate schema 2 to 3: unknown bucket "rotations": not an incidentbot schema-2 database`,
		},
		"BadRecord": {
			func(tx *bolt.Tx) error {
				return tx.Bucket(bucketTimeline).Put(key2(2, 3), []byte(`{"v":1,"at":"yesterday"}`))
			},
			`migrate schema 2 to 3: timeline: key 00000000000000020000000000000003: decode event 2/3: parsing time "yesterday"`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := copyTestdata(t, "schema2.db")
			bdb, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(tt.damage); err != nil {
				t.Fatal(err)
			}
			if err := bdb.Close(); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			_, err = Open(path, testOptions()...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasSuffix(err.Error(), "(a backup of the file before migrating is in "+path+".schema2-20000101T000000Z.bak)") {
				t.Fatalf("err = %v", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("a failed migration changed the file")
			}
			if _, err := os.Stat(path + ".migrating"); !os.IsNotExist(err) {
				t.Fatalf("temporary file left: %v", err)
			}
		})
	}
}

// TestOpen_NewerData: an older incidentbot never reads, and so never drops,
// what a newer one wrote. A newer schema is refused at open; a record
// with a field this version does not know is refused when read.
func TestOpen_NewerData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "incidentbot.db")

	// A "newer incidentbot": one more migration, and incident records with
	// a field 99 (a string).
	db, err := Open(path, testOptions(withMigrations(append(slices.Clone(migrations), migration{update: func(*bolt.Tx) error { return nil }})))...)
	if err != nil {
		t.Fatal(err)
	}
	MustCreateIncident(t, db, &incident.Incident{Title: "from the future"})
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIncidents)
		rec := b.Get(itob(1))
		body := binary.AppendUvarint(slices.Clone(rec[:len(rec)-4]), 99<<2|wireBytes)
		body = append(body, 1, 'x')
		return b.Put(itob(1), binary.LittleEndian.AppendUint32(body, crc32.Checksum(body, castagnoli)))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err = Open(path, testOptions()...)
	want := `open store "` + path + `": created by a newer incidentbot (schema 4 > 3); upgrade incidentbot`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}

	// Past the schema check (a file edited by hand), the record itself is
	// refused, naming what it does not know.
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = bdb.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchemaVersion, itob(schemaVersion)) })
	bdb.Close()
	db, err = Open(path, testOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.FindIncidentByID(ctx, 1)
	if err == nil || err.Error() != "decode incident 1: incident has field 99, which this incidentbot does not know: it was written by a newer version; upgrade incidentbot" {
		t.Fatalf("err = %v", err)
	}
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "bucket incidents, key 0000000000000001: decode incident 1: incident has field 99") {
		t.Fatalf("Check: %v", err)
	}
}
