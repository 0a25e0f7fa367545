// Package storetest helps tests and benchmarks that use a real store:
// Open gives a store in a temporary directory that is checked and closed
// at cleanup, and Generate fills one with realistic incidents.
package storetest

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// Epoch is the time of Open's default clock: 2000-01-01 UTC.
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Open opens a new store in tb.TempDir(), with the clock fixed at Epoch
// and fsync off. opts come after those defaults, so store.WithNow with a
// fake clock's Now replaces the fixed clock. At cleanup it runs Check,
// failing the test on any problem, and closes the store (closing it
// earlier is harmless).
func Open(tb testing.TB, opts ...store.Option) *store.DB {
	tb.Helper()
	return OpenAt(tb, filepath.Join(tb.TempDir(), "incidentbot.db"), opts...)
}

// OpenAt is Open on path.
func OpenAt(tb testing.TB, path string, opts ...store.Option) *store.DB {
	tb.Helper()
	all := append([]store.Option{store.WithNow(func() time.Time { return Epoch }), store.WithNoSync(true)}, opts...)
	db, err := store.Open(path, all...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { CheckAndClose(tb, db) })
	return db
}

// CheckAndClose runs Check and Close, failing tb on an error. A store
// already closed is left alone.
func CheckAndClose(tb testing.TB, db *store.DB) {
	tb.Helper()
	if err := db.Check(); errors.Is(err, store.ErrClosed) {
		return
	} else if err != nil {
		tb.Error(err)
	}
	if err := db.Close(); err != nil {
		tb.Error(err)
	}
}
