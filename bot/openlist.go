package bot

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// openHead remembers the first page of open incidents and their count, as
// of one store version. When something breaks, many people ask
// `/incident list` at once; they all get the same page, read once, and
// the answer is built inside the ack without waiting on the disk. Any
// write to the store changes its version and so retires the page.
type openHead struct {
	mu      sync.Mutex
	valid   bool
	version uint64
	incs    []*incident.Incident // read-only: shared by every reader
	next    int64
	count   int
}

// firstOpen returns the first page of open incidents (newest first, up to
// listPage+1), the cursor of the next page, and how many are open in all.
// The incidents are shared: callers must not change them.
func (a *App) firstOpen(ctx context.Context) ([]*incident.Incident, int64, int, error) {
	h := &a.openHead
	v := a.store.Version() // before reading: a write after it is caught next time
	h.mu.Lock()
	if h.valid && h.version == v {
		incs, next, count := h.incs, h.next, h.count
		h.mu.Unlock()
		return incs, next, count, nil
	}
	h.mu.Unlock()
	incs, next, err := a.store.FindIncidentsPage(ctx, incident.Filter{OpenOnly: true, Limit: listPage + 1}, 0)
	if err != nil {
		return nil, 0, 0, err
	}
	count, err := a.store.CountOpen(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	h.mu.Lock()
	h.valid, h.version, h.incs, h.next, h.count = true, v, incs, next, count
	h.mu.Unlock()
	return incs, next, count, nil
}

// listCache remembers rendered `/incident list` replies of one store
// version, so that a crowd asking at once costs one rendering. A reply
// that weighed no private incident is the same for everyone and is kept
// once; any other is kept per person and channel.
type listCache struct {
	mu      sync.Mutex
	version uint64
	entries map[listKey]listEntry
}

type listKey struct {
	page          int
	user, channel string // "" when the reply is everyone's
}

type listEntry struct {
	payload json.RawMessage
	until   time.Time // when its times or "overdue" marks go stale
}

// maxListEntries bounds the cache; past it, it starts again.
const maxListEntries = 256

func (c *listCache) get(version uint64, now time.Time, page int, user, channel string) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version {
		return nil, false
	}
	for _, k := range []listKey{{page, "", ""}, {page, user, channel}} {
		if e, ok := c.entries[k]; ok && now.Before(e.until) {
			return e.payload, true
		}
	}
	return nil, false
}

func (c *listCache) put(version uint64, k listKey, e listEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != version || c.entries == nil || len(c.entries) >= maxListEntries {
		c.version, c.entries = version, make(map[listKey]listEntry)
	}
	c.entries[k] = e
}

// listValidUntil is when a list of incs rendered at now goes stale: the
// next local midnight (times of day then need their date), or the first
// update to fall due (the line gains its overdue mark).
func listValidUntil(incs []*incident.Incident, now time.Time, loc *time.Location) time.Time {
	ln := now.In(loc)
	until := time.Date(ln.Year(), ln.Month(), ln.Day()+1, 0, 0, 0, 0, loc)
	for _, inc := range incs {
		if d := inc.NextUpdateDue; inc.Status.Open() && d.After(now) && d.Before(until) {
			until = d
		}
	}
	return until
}
