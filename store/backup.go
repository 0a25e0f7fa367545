package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backup writes a consistent copy of the database to w and returns the
// number of bytes written. It runs in a read transaction, so writes go on
// meanwhile; the copy is the state at its start.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup store %q: %w", db.path, err)
	}
	return n, nil
}

// BackupFile copies the database at src, which no running incidentbot may
// hold, to dst atomically: it writes a temporary file next to dst, syncs
// it and renames it. It refuses a locked or foreign src.
func BackupFile(ctx context.Context, src, dst string) (err error) {
	wrap := func(err error) error { return fmt.Errorf("backup store %q to %q: %w", src, dst, err) }
	if err := ctx.Err(); err != nil {
		return wrap(err)
	}
	if _, err := os.Stat(src); err != nil {
		return wrap(err)
	}
	bdb, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("open store %q: the database is locked by another process (is incidentbot already running?)", src)
	case errors.Is(err, fs.ErrPermission):
		return wrap(err)
	case err != nil:
		return fmt.Errorf("open store %q: not an incidentbot database (%v)", src, err)
	}
	defer bdb.Close()
	if err := checkSize(bdb, src); err != nil {
		return wrap(err)
	}

	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return wrap(err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	err = bdb.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || string(meta.Get(keyApp)) != string(appMarker) {
			return errForeign{"no incidentbot metadata"}
		}
		_, err := tx.WriteTo(ctxWriter{ctx, tmp})
		return err
	})
	if err != nil {
		return wrap(err)
	}
	if err = tmp.Sync(); err != nil {
		return wrap(err)
	}
	if err = tmp.Close(); err != nil {
		return wrap(err)
	}
	if err = os.Chmod(tmp.Name(), 0o600); err != nil {
		return wrap(err)
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return wrap(err)
	}
	if d, derr := os.Open(filepath.Dir(dst)); derr == nil {
		_ = d.Sync() // make the rename durable; best effort
		_ = d.Close()
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
