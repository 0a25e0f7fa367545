package leader

import "time"

// NewTermForTest returns a term on a given clock.
func NewTermForTest(key string, rev int64, now func() time.Time, ttl time.Duration) *Term {
	return &Term{key: key, rev: rev, margin: margin(ttl), now: now}
}

// Renewed records a renewal sent at sent, for ttl.
func (t *Term) Renewed(sent time.Time, ttl time.Duration) { t.renewed(sent, ttl) }
