package store

import "testing"

// SetPruneBatch lets external tests lower pruneBatch; it returns a
// function that restores it.
func SetPruneBatch(n int) (restore func()) {
	old := pruneBatch
	pruneBatch = n
	return func() { pruneBatch = old }
}

// EachBackend runs fn once per backend, for external tests: open opens a
// new empty store (checked and closed at cleanup), reopen closes db and
// opens the same store again.
func EachBackend(t *testing.T, fn func(t *testing.T, open func(tb testing.TB) *DB, reopen func(tb testing.TB, db *DB) *DB)) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		fn(t, func(tb testing.TB) *DB { tb.Helper(); return b.open(tb) },
			func(tb testing.TB, db *DB) *DB { tb.Helper(); return b.reopen(tb, db) })
	})
}
