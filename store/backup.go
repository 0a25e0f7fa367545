package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the database to w and returns the
// number of bytes written. It runs in a read transaction, so writes go on
// meanwhile; the copy is the state at its start. An etcd store is written
// as a bbolt database file holding the same records (see Copy), which
// Open reads and `incidentbot migrate` copies back.
func (db *DB) Backup(w io.Writer) (int64, error) {
	if db.etcd != nil {
		n, err := db.backupEtcd(w)
		if err != nil {
			return n, fmt.Errorf("backup store %s: %w", db.name, err)
		}
		return n, nil
	}
	var n int64
	err := db.view(func(r reader) error {
		var err error
		n, err = r.bolt().WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup store %s: %w", db.name, err)
	}
	return n, nil
}

// BackupFile copies the database at src, which no running incidentbot may
// hold, to dst atomically: it writes a temporary file next to dst, syncs
// it and renames it. It refuses a locked, damaged or foreign src.
func BackupFile(ctx context.Context, src, dst string) (err error) {
	wrap := func(err error) error { return fmt.Errorf("backup store %q to %q: %w", src, dst, err) }
	if err := ctx.Err(); err != nil {
		return wrap(err)
	}
	if _, err := os.Stat(src); err != nil {
		return wrap(err)
	}
	if _, _, err := verifyFile(src); err != nil {
		return fmt.Errorf("open store %q: %w", src, err)
	}
	bdb, err := openBolt(src, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("open store %q: the database is locked by another process (is incidentbot already running?)", src)
	case errors.Is(err, fs.ErrPermission):
		return wrap(err)
	case errors.Is(err, errCorruptFile):
		return fmt.Errorf("open store %q: %w", src, err)
	case err != nil:
		return fmt.Errorf("open store %q: not an incidentbot database (%v)", src, err)
	}
	defer bdb.Close()
	err = writeFileAtomic(dst, func(f *os.File) error {
		return bdb.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta == nil || string(meta.Get(keyApp)) != string(appMarker) {
				return errForeign{"no incidentbot metadata"}
			}
			_, err := tx.WriteTo(ctxWriter{ctx, f})
			return err
		})
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// ctxWriter stops a long copy when ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (w ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.w.Write(p)
}
