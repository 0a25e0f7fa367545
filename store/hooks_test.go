package store

// SetPruneBatch lets external tests lower pruneBatch; it returns a
// function that restores it.
func SetPruneBatch(n int) (restore func()) {
	old := pruneBatch
	pruneBatch = n
	return func() { pruneBatch = old }
}
