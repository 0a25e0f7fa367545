package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// epoch is the pinned test clock.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func testOptions(extra ...Option) []Option {
	return append([]Option{WithNow(func() time.Time { return epoch }), WithNoSync(true)}, extra...)
}

// MustOpenDB opens a new store in a temporary directory with the clock
// pinned to 2000-01-01 UTC. Cleanup checks the file and closes it.
func MustOpenDB(tb testing.TB, opts ...Option) *DB {
	tb.Helper()
	return MustOpenDBAt(tb, filepath.Join(tb.TempDir(), "incidentbot.db"), opts...)
}

// MustOpenDBAt is MustOpenDB on a given path.
func MustOpenDBAt(tb testing.TB, path string, opts ...Option) *DB {
	tb.Helper()
	db, err := Open(path, testOptions(opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { MustCloseDB(tb, db) })
	return db
}

// MustCloseDB checks and closes db; closing twice is harmless.
func MustCloseDB(tb testing.TB, db *DB) {
	tb.Helper()
	if err := db.Check(); err != nil && !errors.Is(err, ErrClosed) {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

func TestOpen(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a", "b", "incidentbot.db")
		db := MustOpenDBAt(t, path)
		if db.Path() != path {
			t.Fatalf("Path() = %q", db.Path())
		}
		err := db.bolt.View(func(tx *bolt.Tx) error {
			for _, name := range allBuckets {
				if tx.Bucket(name) == nil {
					t.Errorf("bucket %s missing", name)
				}
			}
			meta := tx.Bucket(bucketMeta)
			if got := btoi(meta.Get(keySchemaVersion)); got != uint64(len(migrations)) {
				t.Errorf("schema_version = %d", got)
			}
			if got := string(meta.Get(keyApp)); got != "incidentbot" {
				t.Errorf("app = %q", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "incidentbot.db")
		db := MustOpenDBAt(t, path)
		MustCreateIncident(t, db, &incident.Incident{Title: "x"})
		MustCloseDB(t, db)
		db = MustOpenDBAt(t, path)
		if _, err := db.FindIncidentByID(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("EmptyFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "incidentbot.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		MustOpenDBAt(t, path)
	})

	t.Run("ErrLocked", func(t *testing.T) {
		db := MustOpenDB(t)
		start := time.Now()
		_, err := Open(db.Path(), testOptions()...)
		elapsed := time.Since(start)
		want := `open store "` + db.Path() + `": the database is locked by another process (is incidentbot already running?)`
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
		if elapsed < 900*time.Millisecond || elapsed > 3*time.Second {
			t.Fatalf("gave up after %v, want about 1s", elapsed)
		}
	})

	t.Run("ErrForeign", func(t *testing.T) {
		dir := t.TempDir()
		good := MustOpenDB(t)
		for range 20 {
			MustCreateIncident(t, good, &incident.Incident{Title: strings.Repeat("x", 2000)})
		}
		var backup bytes.Buffer
		if _, err := good.Backup(&backup); err != nil {
			t.Fatal(err)
		}
		randomBytes := make([]byte, 64<<10)
		_, _ = rand.Read(randomBytes)

		// A bbolt file from another application.
		foreign := filepath.Join(dir, "foreign.db")
		bdb, err := bolt.Open(foreign, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := bdb.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("widgets"))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := bdb.Close(); err != nil {
			t.Fatal(err)
		}
		foreignData, err := os.ReadFile(foreign)
		if err != nil {
			t.Fatal(err)
		}
		// A bbolt file with a meta bucket of its own.
		if bdb, err = bolt.Open(foreign, 0o600, nil); err != nil {
			t.Fatal(err)
		}
		if err := bdb.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket(bucketMeta)
			if err != nil {
				return err
			}
			return b.Put(keyApp, []byte("otherbot"))
		}); err != nil {
			t.Fatal(err)
		}
		if err := bdb.Close(); err != nil {
			t.Fatal(err)
		}
		otherMeta, err := os.ReadFile(foreign)
		if err != nil {
			t.Fatal(err)
		}

		for name, data := range map[string][]byte{
			"Text":     []byte("store:\n  path: /var/lib/incidentbot\n"),
			"Random":   randomBytes,
			"SQLite":   append([]byte("SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20"), make([]byte, 8192)...),
			"Bolt":     foreignData,
			"BoltMeta": otherMeta,
		} {
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(dir, name+".db")
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
				db, err := Open(path, testOptions()...)
				if err == nil {
					db.Close()
					t.Fatal("opened a foreign file")
				}
				want := `open store "` + path + `": not an incidentbot database (`
				if !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("err = %v, want prefix %s", err, want)
				}
				t.Log(err)
				// The file is left as it was.
				if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
					t.Fatal("Open changed a foreign file")
				}
			})
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "incidentbot.db")
		future := append(slices.Clone(migrations), migration{update: func(*bolt.Tx) error { return nil }})
		db, err := Open(path, testOptions(withMigrations(future))...)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		_, err = Open(path, testOptions()...)
		want := fmt.Sprintf(`open store "%s": created by a newer incidentbot (schema %d > %d); upgrade incidentbot`, path, len(migrations)+1, len(migrations))
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
	})

	t.Run("ErrNotWritable", func(t *testing.T) {
		// A path under a regular file fails even for root.
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(file, "sub", "incidentbot.db")
		_, err := Open(path, testOptions()...)
		want := `open store "` + path + `": directory "` + filepath.Dir(path) + `" is not writable: not a directory; choose another store.path`
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
	})

	t.Run("ErrPermission", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root can write anywhere")
		}
		dir := filepath.Join(t.TempDir(), "ro")
		if err := os.Mkdir(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "incidentbot.db")
		_, err := Open(path, testOptions()...)
		want := `open store "` + path + `": directory "` + dir + `" is not writable: permission denied; choose another store.path`
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
	})
}

func TestOpen_Migrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidentbot.db")
	db := MustOpenDBAt(t, path)
	MustCreateIncident(t, db, &incident.Incident{Title: "before"})
	MustCloseDB(t, db)

	// A fake next migration that adds a bucket and sees the old data.
	var ran int
	fake := migration{update: func(tx *bolt.Tx) error {
		ran++
		if tx.Bucket(bucketIncidents).Get(itob(1)) == nil {
			t.Error("migration does not see incident 1")
		}
		_, err := tx.CreateBucket([]byte("rotations"))
		return err
	}}
	ms := append(slices.Clone(migrations), fake)
	db, err := Open(path, testOptions(withMigrations(ms))...)
	if err != nil {
		t.Fatal(err)
	}
	if ran != 1 {
		t.Fatalf("migration ran %d times", ran)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("rotations")) == nil {
			t.Error("migration not applied")
		}
		if v := btoi(tx.Bucket(bucketMeta).Get(keySchemaVersion)); v != uint64(len(ms)) {
			t.Errorf("schema_version = %d, want %d", v, len(ms))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), `bucket "rotations" is not part of schema`) {
		t.Fatalf("Check accepted a bucket it does not know: %v", err)
	}
	db.Close()

	// Already up to date: it does not run again.
	db, err = Open(path, testOptions(withMigrations(ms))...)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if ran != 1 {
		t.Fatalf("migration ran %d times", ran)
	}

	t.Run("ErrMigration", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "incidentbot.db")
		MustCloseDB(t, MustOpenDBAt(t, path))
		bad := append(slices.Clone(migrations), migration{update: func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("half")); err != nil {
				return err
			}
			return errors.New("boom")
		}})
		if _, err := Open(path, testOptions(withMigrations(bad))...); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migrate schema %d to %d: boom", len(migrations), len(migrations)+1)) {
			t.Fatalf("err = %v", err)
		}
		// Nothing of the failed migration is left.
		db := MustOpenDBAt(t, path)
		_ = db.bolt.View(func(tx *bolt.Tx) error {
			if tx.Bucket([]byte("half")) != nil {
				t.Error("failed migration was committed")
			}
			return nil
		})
	})
}
