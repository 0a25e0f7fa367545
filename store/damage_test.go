package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// damageFixture is a closed database with a few hundred records over
// several pages, an overflow page and a pending effect, plus what it
// held before and after its last transaction.
type damageFixture struct {
	data          []byte
	before, after map[string]string
	meta          fileMeta
}

func newDamageFixture(t *testing.T) damageFixture {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "good.db")
	db := MustOpenDBAt(t, path)
	for i := range 40 {
		inc := &incident.Incident{Title: fmt.Sprintf("incident %d", i), Status: incident.StatusInvestigating, ChannelID: fmt.Sprintf("C%03d", i), WakeAt: epoch}
		if i%3 == 0 {
			inc.Status = incident.StatusClosed
		}
		if i == 7 {
			inc.Impact = strings.Repeat("a long impact statement ", 400) // an overflow page
		}
		var evs []incident.Event
		for j := range 12 {
			evs = append(evs, incident.Event{Kind: incident.EventNote, Actor: "U1", Text: fmt.Sprintf("note %d of incident %d", j, i)})
		}
		MustCreateIncident(t, db, inc, evs...)
	}
	if _, err := db.Apply(ctx, incident.Change{Effects: []incident.Effect{{Kind: "post", Payload: []byte("hello")}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Receive(ctx, incident.Request{Kind: "slash"}, []string{"env:1", "trigger:1"}); err != nil {
		t.Fatal(err)
	}
	before := MustDump(t, db)
	if _, err := db.AppendEvents(ctx, 2, incident.Event{Kind: incident.EventNote, Text: "the last transaction"}); err != nil {
		t.Fatal(err)
	}
	after := MustDump(t, db)
	MustCloseDB(t, db)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := verifyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return damageFixture{data: data, before: before, after: after, meta: m}
}

// openDamaged writes data to a new file and opens it. It returns the store
// (nil with an error).
func openDamaged(t *testing.T, dir, name string, data []byte) (*DB, string, error) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, testOptions()...)
	return db, path, err
}

// TestOpen_Damaged: a truncated or damaged file is refused with a clear
// error or served correctly, never a crash (a SIGBUS or a panic would
// kill this test binary) and never silently wrong.
func TestOpen_Damaged(t *testing.T) {
	fx := newDamageFixture(t)
	ps := int(fx.meta.pageSize)
	hw := int(fx.meta.pgid) * ps
	dir := t.TempDir()

	t.Run("Truncated", func(t *testing.T) {
		for _, size := range []int{1, 79, 100, ps - 1, ps, ps + 1, 2 * ps, 3 * ps, hw / 2, hw - ps, hw - 1, hw, len(fx.data) - 1} {
			if size > len(fx.data) {
				continue
			}
			db, path, err := openDamaged(t, dir, fmt.Sprintf("cut-%d.db", size), fx.data[:size])
			switch {
			case size >= hw:
				// bbolt preallocates: what is cut is past the pages in
				// use, and nothing is lost.
				if err != nil {
					t.Fatalf("%d bytes: %v", size, err)
				}
				if err := db.Check(); err != nil {
					t.Fatalf("%d bytes: %v", size, err)
				}
				if got := MustDump(t, db); !reflect.DeepEqual(got, fx.after) {
					t.Fatalf("%d bytes: data changed", size)
				}
				db.Close()
			case size < 80:
				want := fmt.Sprintf(`open store %q: not an incidentbot database (too short to be a database: %d bytes)`, path, size)
				if err == nil || err.Error() != want {
					t.Fatalf("%d bytes: err = %v\nwant %s", size, err, want)
				}
			case size < ps+80:
				// Only the first meta page is whole.
				want := fmt.Sprintf(`open store %q: the database file is corrupt: the file is truncated: %d bytes, but its header says %d pages of %d bytes (%d bytes); restore a backup`, path, size, fx.meta.pgid, ps, hw)
				if err == nil || err.Error() != want {
					t.Fatalf("%d bytes: err = %v\nwant %s", size, err, want)
				}
			default:
				if !errors.Is(err, errCorruptFile) || !strings.Contains(err.Error(), "the file is truncated") {
					t.Fatalf("%d bytes: err = %v", size, err)
				}
			}
			t.Logf("%d bytes: %v", size, err)
		}
	})

	t.Run("Meta", func(t *testing.T) {
		// One damaged meta page: bbolt uses the other one. Damage to the
		// newest loses the last transaction, whose pages are still
		// intact; damage to the older loses nothing.
		newest := int(fx.meta.page)
		for page := range 2 {
			for _, off := range []int{16, 20, 24, 40, 56, 70} { // magic, version, page size, root, freelist/pgid, checksum
				data := flip(fx.data, page*ps+off)
				db, _, err := openDamaged(t, dir, fmt.Sprintf("meta-%d-%d.db", page, off), data)
				if err != nil {
					t.Fatalf("meta page %d, byte %d: %v", page, off, err)
				}
				if err := db.Check(); err != nil {
					t.Fatalf("meta page %d, byte %d: %v", page, off, err)
				}
				want := fx.after
				if page == newest {
					want = fx.before
				}
				if got := MustDump(t, db); !reflect.DeepEqual(got, want) {
					t.Fatalf("meta page %d, byte %d: not the data of the other meta page", page, off)
				}
				db.Close()
			}
		}
		// Both: refused.
		db, path, err := openDamaged(t, dir, "meta-both.db", flip(flip(fx.data, 16), ps+16))
		want := fmt.Sprintf(`open store %q: not an incidentbot database (not a bbolt file: %d bytes)`, path, len(fx.data))
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v\nwant %s", err, want)
		}
		_ = db
		_, path, err = openDamaged(t, dir, "meta-both-sum.db", flip(flip(fx.data, 70), ps+70))
		want = fmt.Sprintf(`open store %q: the database file is corrupt: no valid meta page (meta page 0: checksum mismatch; meta page 1: checksum mismatch); restore a backup`, path)
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v\nwant %s", err, want)
		}
	})

	t.Run("DataPages", func(t *testing.T) {
		// A flipped bit anywhere in a data page: Open refuses the file,
		// or Check reports the damage, or the data is exactly what was
		// stored (the bit was in free space) and every read works.
		detected, harmless := 0, 0
		for page := 2; page < int(fx.meta.pgid); page++ {
			for _, off := range []int{8, 10, 12, 16, 20, 100, 1000, 3000} {
				at := page*ps + off
				data := flip(fx.data, at)
				db, path, err := openDamaged(t, dir, "data.db", data)
				if err != nil {
					if !errors.Is(err, errCorruptFile) {
						t.Fatalf("page %d byte %d: err = %v", page, off, err)
					}
					detected++
					continue
				}
				if err := db.Check(); err != nil {
					detected++
					if !strings.Contains(err.Error(), "the database file is corrupt") {
						t.Fatalf("page %d byte %d: %v", page, off, err)
					}
				} else {
					readEverything(db)
					if got := MustDump(t, db); !reflect.DeepEqual(got, fx.after) {
						t.Fatalf("page %d byte %d: the data changed and Check passed", page, off)
					}
					harmless++
				}
				db.Close()
				os.Remove(path)
			}
		}
		t.Logf("%d pages: %d flips detected, %d harmless (free space)", fx.meta.pgid, detected, harmless)
		if detected == 0 {
			t.Fatal("no damage detected")
		}
	})
}

// readEverything calls every read method, ignoring errors: on a damaged
// file they may fail, but must not crash.
func readEverything(db *DB) {
	ctx := context.Background()
	_, _ = db.FindIncidents(ctx, incident.Filter{})
	_, _ = db.FindIncidentByID(ctx, 8)
	_, _ = db.Events(ctx, 8)
	_, _ = db.FindIncidents(ctx, incident.Filter{OpenOnly: true})
	_, _ = db.FindIncidentByChannel(ctx, "C001")
	_, _ = db.DueIncidents(ctx, epoch, 0)
	_, _ = db.PendingEffects(ctx, 0)
	_, _ = db.Requests(ctx, 0)
	_, _ = db.CountOpen(ctx)
	_ = db.ForEachIncident(ctx, ExportFilter{IncludePrivate: true}, func(*incident.Incident, []incident.Event) error { return nil })
}

// flip returns a copy of data with the lowest bit of byte at flipped.
func flip(data []byte, at int) []byte {
	out := append([]byte(nil), data...)
	out[at] ^= 1
	return out
}

// FuzzOpen opens arbitrary files: Open and Check either work or return an
// error, never crash or hang, and on a file Check passes every read works.
// (On a file Check rejects, a read that reaches a damaged branch page can
// make bbolt loop: see Open.)
func FuzzOpen(f *testing.F) {
	path := filepath.Join(f.TempDir(), "seed.db")
	db := MustOpenDBAt(f, path)
	MustCreateIncident(f, db, &incident.Incident{Title: "a", ChannelID: "C1", WakeAt: epoch}, incident.Event{Kind: incident.EventNote, Text: "x"})
	if _, _, err := db.Receive(context.Background(), incident.Request{Kind: "k"}, []string{"env:1"}); err != nil {
		f.Fatal(err)
	}
	MustCloseDB(f, db)
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:4096])
	f.Add([]byte("not a database"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.db")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(path)
		db, err := Open(path, testOptions()...)
		if err != nil {
			return
		}
		if db.Check() == nil {
			readEverything(db)
		}
		db.Close()
	})
}
