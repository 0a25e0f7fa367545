package store

import (
	"context"
	"os"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// checkFixture makes a store with an open incident (war room C1, a wake
// time), a closed one (war room C2), an open one with neither, events, an
// effect, a request and deduplication keys.
func checkFixture(t *testing.T, b testBackend) *DB {
	t.Helper()
	ctx := context.Background()
	db := b.open(t)
	note := incident.Event{Kind: incident.EventNote, Text: "n"}
	MustCreateIncident(t, db, &incident.Incident{Title: "a", Status: incident.StatusInvestigating, ChannelID: "C1", WakeAt: epoch}, note, note)
	MustCreateIncident(t, db, &incident.Incident{Title: "b", Status: incident.StatusClosed, ChannelID: "C2"}, note)
	MustCreateIncident(t, db, &incident.Incident{Title: "c", Status: incident.StatusResolved})
	if _, err := db.Apply(ctx, incident.Change{Effects: []incident.Effect{{Kind: "post"}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Receive(ctx, incident.Request{Kind: "slash"}, []string{"env:1", "trigger:1"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestDB_Check(t *testing.T) {
	eachBackend(t, testCheck)
	t.Run("bbolt/AtOpen", func(t *testing.T) {
		db := checkFixture(t, backends[0])
		if err := db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketOpen).Delete(itob(1)) }); err != nil {
			t.Fatal(err)
		}
		path := db.Path()
		db.Close()
		_, err := Open(path, testOptions(WithCheckAtOpen(true))...)
		if err == nil || !strings.HasPrefix(err.Error(), `open store "`+path+`": check store "`+path+`": the database file is corrupt: 2 problems:`) {
			t.Fatalf("err = %v", err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatal(err)
		}
	})
}

// damage writes to db's records directly, past the store's rules.
func damage(tb testing.TB, db *DB, fn func(t kvTx) error) {
	tb.Helper()
	if err := db.kv.update(fn); err != nil {
		tb.Fatal(err)
	}
}

// testCheck: Check finds every damage to records and indexes, on either
// backend, naming the bucket and key.
func testCheck(t *testing.T, b testBackend) {
	put := func(bucket []byte, k, v []byte) func(t kvTx) error {
		return func(t kvTx) error { return t.put(bucket, k, v) }
	}
	del := func(bucket []byte, k []byte) func(t kvTx) error {
		return func(t kvTx) error { return t.delete(bucket, k) }
	}
	badRecord := func(bucket, k []byte) func(t kvTx) error {
		return func(t kvTx) error {
			v := append([]byte(nil), t.get(bucket, k)...)
			v[len(v)/2] ^= 0x20
			return t.put(bucket, k, v)
		}
	}
	corrupt := "the database file is corrupt: "
	if b.name == "etcd" {
		corrupt = "the store is corrupt: "
	}
	for name, tt := range map[string]struct {
		damage func(t kvTx) error
		want   []string
	}{
		"OpenMissing": {del(bucketOpen, itob(1)), []string{
			"bucket open: 1 entries for 2 open incidents", "bucket open: its count (sequence) is 2, but it holds 1 entries"}},
		"OpenClosed": {put(bucketOpen, itob(2), nil), []string{
			"bucket open, key 0000000000000002: incident 2 is not open"}},
		"OpenDangling": {put(bucketOpen, itob(9), nil), []string{
			"bucket open, key 0000000000000009: incident 9 does not exist"}},
		"OpenCount": {func(t kvTx) error { return t.setSequence(bucketOpen, 7) }, []string{
			"bucket open: its count (sequence) is 7, but it holds 2 entries"}},
		"DueMissing": {del(bucketDue, key2(dueTime(epoch), 1)), []string{
			"bucket due: 0 entries for 1 incidents with a WakeAt"}},
		"DueWrongTime": {func(t kvTx) error {
			if err := t.delete(bucketDue, key2(dueTime(epoch), 1)); err != nil {
				return err
			}
			return t.put(bucketDue, key2(dueTime(epoch)+1, 1), nil)
		}, []string{"bucket due, key " + hexKey(key2(dueTime(epoch)+1, 1)) + ": incident 1 wakes at another time"}},
		"DueNoWake": {put(bucketDue, key2(dueTime(epoch), 3), nil), []string{
			"bucket due, key " + hexKey(key2(dueTime(epoch), 3)) + ": incident 3 has no WakeAt"}},
		"ChannelDangling": {put(bucketByChannel, []byte("C9"), itob(9)), []string{
			`bucket by_channel, key "C9": incident 9 does not exist`}},
		"ChannelWrong": {put(bucketByChannel, []byte("C1"), itob(2)), []string{
			`bucket by_channel, key "C1": incident 2 has war room "C2"`}},
		"ChannelMissing": {del(bucketByChannel, []byte("C2")), []string{
			"bucket by_channel: 1 entries for 2 incidents with a war room"}},
		"TimelineGap": {del(bucketTimeline, key2(1, 1)), []string{
			"bucket timeline, key 00000000000000010000000000000002: event 2 of incident 1 follows event 0"}},
		"TimelineOrphan": {put(bucketTimeline, key2(9, 1), marshalEvent(&incident.Event{Kind: incident.EventNote})), []string{
			"bucket timeline, key 00000000000000090000000000000001: incident 9 does not exist"}},
		"IncidentCorrupt": {badRecord(bucketIncidents, itob(2)), []string{
			"bucket incidents, key 0000000000000002: decode incident 2: corrupt record: checksum mismatch"}},
		"EventCorrupt": {badRecord(bucketTimeline, key2(1, 2)), []string{
			"bucket timeline, key 00000000000000010000000000000002: decode event 1/2: corrupt record: checksum mismatch"}},
		"EffectCorrupt": {badRecord(bucketOutbox, itob(1)), []string{
			"bucket outbox, key 0000000000000001: decode effect 1: corrupt record: checksum mismatch"}},
		"RequestCorrupt": {badRecord(bucketInbox, itob(1)), []string{
			"bucket inbox, key 0000000000000001: decode request 1: corrupt record: checksum mismatch"}},
		"RequestBeyondSequence": {put(bucketInbox, itob(5), marshalRequest(&incident.Request{Kind: "x"})), []string{
			"bucket inbox, key 0000000000000005: beyond the last number handed out (1)"}},
		"SeenWithoutTime": {put(bucketSeen, []byte("env:2"), itob(1)), []string{
			"bucket seen_time: 2 entries for 3 keys in bucket seen"}},
		"SeenTimeDangling": {put(bucketSeenTime, seenTimeKey(itob(5), []byte("env:3")), nil), []string{
			`key "env:3" is seen at another time in bucket seen`}},
		"UnknownBucket": {func(t kvTx) error {
			if tx := t.bolt(); tx != nil {
				_, err := tx.CreateBucket([]byte("rotations"))
				return err
			}
			return t.put([]byte("rotations"), []byte("r1"), nil)
		}, []string{
			`bucket "rotations" is not part of schema 3`}},
		"Schema": {put(bucketMeta, keySchemaVersion, itob(2)), []string{
			`bucket meta, key "schema_version": schema version 0000000000000002, want 3`}},
	} {
		t.Run(name, func(t *testing.T) {
			db := checkFixture(t, b)
			damage(t, db, tt.damage)
			err := db.Check()
			if err == nil {
				t.Fatal("Check passed")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check error lacks %q:\n%v", w, err)
				}
			}
			if !strings.HasPrefix(err.Error(), "check store "+db.name+": "+corrupt) {
				t.Errorf("err = %v", err)
			}
			db.Close() // before cleanup's Check
		})
	}

	t.Run("Many", func(t *testing.T) {
		db := checkFixture(t, b)
		damage(t, db, func(t kvTx) error {
			for i := range 70 {
				if err := t.put(bucketOpen, itob(uint64(100+i)), nil); err != nil {
					return err
				}
			}
			return nil
		})
		err := db.Check()
		if err == nil || !strings.Contains(err.Error(), ": 72 problems:") || !strings.HasSuffix(err.Error(), "\n… and 22 more") {
			t.Fatalf("err = %v", err)
		}
		db.Close()
	})

	t.Run("WhileWriting", func(t *testing.T) {
		// Check reads a snapshot: writes go on meanwhile.
		ctx := context.Background()
		db := checkFixture(t, b)
		stop := make(chan struct{})
		done := make(chan error)
		go func() {
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				if _, err := db.AppendEvents(ctx, 1, incident.Event{Kind: incident.EventNote, Text: strings.Repeat("x", 500)}); err != nil {
					done <- err
					return
				}
			}
		}()
		for range 20 {
			if err := db.Check(); err != nil && !strings.Contains(err.Error(), "changed too fast") {
				t.Fatal(err)
			}
		}
		close(stop)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})

}

func hexKey(k []byte) string { return showKey(k) }
