package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// ExportFilter selects the incidents ForEachIncident visits.
type ExportFilter struct {
	// Since keeps incidents declared at or after it; zero keeps all.
	Since time.Time
	// IncludePrivate keeps private incidents, which are left out by
	// default: an export is often published.
	IncludePrivate bool
	// Statuses keeps incidents with one of these statuses; empty keeps
	// all.
	Statuses []incident.Status
}

// ForEachIncident calls fn for every incident matching f, oldest (lowest
// ID) first, with its whole timeline, all inside one read transaction: a
// consistent snapshot, even of the live database of a running bot, while
// writes go on. It holds one incident and its events at a time, so its
// memory does not grow with the number of incidents. fn must not keep
// inc or events beyond its call if it wants memory to stay flat; it must
// not block for long: the snapshot keeps the pages that later writes
// free from being reused until it ends (the file grows meanwhile), and a
// write that must grow the file past its memory map waits for it (see
// mmapReserve: for a large file, not before the file doubles).
//
// It keeps the process's resident memory flat too: the pages of the file
// it has read are released as it goes (releaseMapped).
//
// It stops at the first error from fn and returns it unwrapped, and when
// ctx is done. Other errors are internal.
func (db *DB) ForEachIncident(ctx context.Context, f ExportFilter, fn func(inc *incident.Incident, events []incident.Event) error) error {
	var fnErr error
	err := db.view(func(r reader) error {
		defer r.release()
		read := 0
		c := r.cursor(bucketIncidents)
		for k, v := c.first(); k != nil; k, v = c.next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if read++; read%releaseEvery == 0 {
				r.release()
			}
			if len(k) != 8 {
				return fmt.Errorf("bucket incidents: key %x is not an incident ID", k)
			}
			inc, err := unmarshalIncident(int64(btoi(k)), v)
			if err != nil {
				return err
			}
			if !f.Since.IsZero() && inc.DeclaredAt.Before(f.Since) ||
				inc.Private && !f.IncludePrivate ||
				len(f.Statuses) > 0 && !slices.Contains(f.Statuses, inc.Status) {
				continue
			}
			evs, err := readEvents(r, inc.ID, nil)
			if err != nil {
				return err
			}
			if fnErr = callFn(fn, inc, evs); fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	switch {
	case fnErr != nil && err == fnErr:
		return err
	case err != nil:
		return fmt.Errorf("walk incidents: %w", err)
	}
	return nil
}

// releaseEvery is how many incidents ForEachIncident reads between
// releases of the pages it read (see releaseMapped): about 30 MB.
const releaseEvery = 2000

// callFn calls a caller's callback inside view, marking its panics so that
// view re-raises them instead of reporting a corrupt read.
func callFn(fn func(*incident.Incident, []incident.Event) error, inc *incident.Incident, evs []incident.Event) error {
	defer func() {
		if p := recover(); p != nil {
			panic(callerPanic{p})
		}
	}()
	return fn(inc, evs)
}
