package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestDB_Backup(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	const incidents = 3
	for range incidents {
		MustCreateIncident(t, db, &incident.Incident{Title: "a"})
	}

	// Writers append while backups are taken.
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := db.AppendEvents(ctx, int64(w%incidents+1), incident.Event{Kind: incident.EventNote, Text: strings.Repeat("y", 300)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	dir := t.TempDir()
	var paths []string
	seen := 0
	for i := range 3 {
		// Wait for more writes between backups.
		for {
			evs, err := db.Events(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) >= seen+20 {
				break
			}
		}
		path := filepath.Join(dir, "backup"+string(rune('0'+i))+".db")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.Backup(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Stat(path); fi.Size() != n {
			t.Fatalf("Backup reported %d bytes, wrote %d", n, fi.Size())
		}
		paths = append(paths, path)
		evs, err := db.Events(ctx, 1) // at least what the backup holds
		if err != nil {
			t.Fatal(err)
		}
		seen = len(evs)
	}
	stop.Store(true)
	wg.Wait()

	prev := 0
	for _, path := range paths {
		b := MustOpenDBAt(t, path) // Cleanup runs Check
		if err := b.Check(); err != nil {
			t.Fatal(err)
		}
		total := 0
		for id := int64(1); id <= incidents; id++ {
			evs, err := b.Events(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			MustDenseSeqs(t, evs, len(evs))
			total += len(evs)
		}
		if total <= prev {
			t.Fatalf("backup %s has %d events, the one before %d", path, total, prev)
		}
		prev = total
	}
}

func TestBackupFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "incidentbot.db")
	dst := filepath.Join(dir, "backups", "copy.db")
	if err := os.Mkdir(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	db := MustOpenDBAt(t, src)
	MustCreateIncident(t, db, &incident.Incident{Title: "kept"}, incident.Event{Kind: incident.EventDeclared})

	t.Run("ErrLocked", func(t *testing.T) {
		err := BackupFile(ctx, src, dst)
		want := `open store "` + src + `": the database is locked by another process (is incidentbot already running?)`
		if err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %s", err, want)
		}
		if _, err := os.Stat(dst); !os.IsNotExist(err) {
			t.Fatalf("dst exists: %v", err)
		}
	})

	t.Run("OK", func(t *testing.T) {
		MustCloseDB(t, db)
		if err := os.WriteFile(dst, []byte("old backup"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := BackupFile(ctx, src, dst); err != nil {
			t.Fatal(err)
		}
		b := MustOpenDBAt(t, dst)
		if inc, err := b.FindIncidentByID(ctx, 1); err != nil || inc.Title != "kept" {
			t.Fatalf("inc = %v, err = %v", inc, err)
		}
		if entries, _ := os.ReadDir(filepath.Dir(dst)); len(entries) != 1 {
			t.Fatalf("temporary files left: %v", entries)
		}
	})

	t.Run("ErrForeign", func(t *testing.T) {
		text := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(text, []byte("not a database\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := BackupFile(ctx, text, filepath.Join(dir, "x.db"))
		if err == nil || !strings.Contains(err.Error(), "not an incidentbot database") {
			t.Fatalf("err = %v", err)
		}
	})
}
