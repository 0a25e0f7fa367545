package store

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// OpenStatus reports whether the store counts an incident with status s as
// open: in the open index, in CountOpen and in FindIncidents with
// OpenOnly. Every status is open but closed and cancelled (an incident
// declared by mistake), which are final. Resolved is open: its war room is
// still in use until it is closed.
func OpenStatus(s incident.Status) bool { return !s.Ended() }

// CreateIncident assigns inc.ID (the incidents bucket's next sequence:
// 1, 2, 3…), stores inc and applies ch, in one transaction: its events
// are appended to the new incident's timeline, its effects (IncidentID 0
// becomes the new ID) enqueued, its done effects and request removed. On
// success *inc is the stored incident (ID set, Rev 1, times in UTC) and the
// returned Change has events with IncidentID, Seq and At, effects with Seq.
//
// Returns ECONFLICT when inc.ChannelID is already another incident's war
// room; other errors are internal.
func (db *DB) CreateIncident(ctx context.Context, inc *incident.Incident, ch incident.Change) (incident.Change, error) {
	outs, err := db.CreateIncidents(ctx, []*incident.Incident{inc}, []incident.Change{ch})
	if err != nil {
		return incident.Change{}, fmt.Errorf("create incident: %w", err)
	}
	return outs[0], nil
}

// CreateIncidents is CreateIncident for many incidents in one
// transaction: chs[i] goes with incs[i]. It is for tools and tests that
// fill a store (imports, benchmarks, storetest.Generate); the bot's
// concurrent writes share transactions through the group commit anyway.
// Either every incident is stored or none. Returns ECONFLICT when two war
// rooms clash.
func (db *DB) CreateIncidents(ctx context.Context, incs []*incident.Incident, chs []incident.Change) ([]incident.Change, error) {
	if len(chs) != len(incs) {
		return nil, fmt.Errorf("create incidents: %d incidents but %d changes", len(incs), len(chs))
	}
	stored := make([]*incident.Incident, len(incs))
	outs := make([]incident.Change, len(incs))
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		rooms := map[string]bool{}
		for _, inc := range incs {
			if inc.ChannelID == "" {
				continue
			}
			if err := checkChannelFree(r, inc.ChannelID, 0); err != nil {
				return nil, err
			}
			if rooms[inc.ChannelID] {
				return nil, incident.Errorf(incident.ECONFLICT, "Channel <#%s> is the war room of two new incidents.", inc.ChannelID)
			}
			rooms[inc.ChannelID] = true
		}
		return func(tx *wtx) error {
			for i, inc := range incs {
				seq, err := bucket(tx, bucketIncidents).NextSequence()
				if err != nil {
					return err
				}
				c := *inc // putIncident copies what it keeps
				c.ID, c.Rev = int64(seq), 1
				if stored[i], err = putIncident(tx, nil, &c); err != nil {
					return err
				}
				if outs[i], err = applyChange(tx, now, c.ID, chs[i]); err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	if err != nil {
		return nil, err
	}
	for i, inc := range incs {
		*inc = *stored[i]
	}
	return outs, nil
}

// UpdateIncident loads incident id, calls fn with a fresh copy of it, and
// stores the changed incident (its Rev incremented), its indexes and the
// Change fn returns, in one transaction shared with concurrent writers. It
// returns the stored incident and the Change as stored (events with
// IncidentID, Seq and At; effects with Seq).
//
// If fn returns an error nothing is written and the error is returned
// unwrapped, so domain errors keep their code. fn may be called more than
// once if the shared transaction has to be retried, so it must do nothing
// but change inc. Returns ENOTFOUND when the incident does not exist,
// ECONFLICT when fn gives it a channel that belongs to another incident.
func (db *DB) UpdateIncident(ctx context.Context, id int64, fn func(inc *incident.Incident) (incident.Change, error)) (*incident.Incident, incident.Change, error) {
	u := updateOf(id, fn)
	u.finish(db.write(ctx, u.tx))
	return u.Incident, u.Change, u.Err
}

// UpdateIncidents is UpdateIncident for each of ids, all queued at once so
// that they share one transaction; each incident's change stands or fails
// alone. The results are in the order of ids.
func (db *DB) UpdateIncidents(ctx context.Context, ids []int64, fn func(inc *incident.Incident) (incident.Change, error)) []incident.Updated {
	us := make([]*update, len(ids))
	fns := make([]txFunc, len(ids))
	for i, id := range ids {
		us[i] = updateOf(id, fn)
		fns[i] = us[i].tx
	}
	out := make([]incident.Updated, len(ids))
	for i, err := range db.writeMany(ctx, fns) {
		us[i].finish(err)
		out[i] = us[i].Updated
	}
	return out
}

// update is one incident's change in a write transaction.
type update struct {
	incident.Updated
	id    int64
	fn    func(inc *incident.Incident) (incident.Change, error)
	fnErr error
}

func updateOf(id int64, fn func(inc *incident.Incident) (incident.Change, error)) *update {
	return &update{Updated: incident.Updated{ID: id}, id: id, fn: fn}
}

func (u *update) tx(r reader, now time.Time) (applyFunc, error) {
	u.fnErr = nil
	inc, err := findIncident(r, u.id) // freshly decoded: fn may change it freely
	if err != nil {
		return nil, err
	}
	// old keeps what the indexes are keyed on.
	old := &incident.Incident{Status: inc.Status, WakeAt: inc.WakeAt, ChannelID: inc.ChannelID, DeclaredAt: inc.DeclaredAt}
	rev := inc.Rev
	ch, err := u.fn(inc)
	if err != nil {
		u.fnErr = err
		return nil, err
	}
	inc.ID, inc.Rev = u.id, rev+1
	if inc.ChannelID != "" && inc.ChannelID != old.ChannelID {
		if err := checkChannelFree(r, inc.ChannelID, u.id); err != nil {
			return nil, err
		}
	}
	return func(tx *wtx) error {
		var err error
		if u.Incident, err = putIncident(tx, old, inc); err != nil {
			return err
		}
		u.Change, err = applyChange(tx, now, u.id, ch)
		return err
	}, nil
}

// finish sets the outcome from the write's error: fn's errors unwrapped,
// so domain errors keep their code.
func (u *update) finish(err error) {
	switch {
	case u.fnErr != nil && err == u.fnErr:
	case incident.ErrorCode(err) == incident.ENOTFOUND || incident.ErrorCode(err) == incident.ECONFLICT:
	case err != nil:
		err = fmt.Errorf("update incident %d: %w", u.id, err)
	}
	if err != nil {
		u.Incident, u.Change = nil, incident.Change{}
	}
	u.Err = err
}

// Apply writes a change that touches no incident: effects to enqueue,
// effects done, a request finished. Returns EINVALID when ch has events;
// other errors are internal.
func (db *DB) Apply(ctx context.Context, ch incident.Change) (incident.Change, error) {
	if len(ch.Events) > 0 {
		return incident.Change{}, incident.Errorf(incident.EINVALID, "Timeline events need an incident.")
	}
	if ch.Empty() {
		return ch, nil
	}
	var out incident.Change
	err := db.write(ctx, func(_ reader, now time.Time) (applyFunc, error) {
		return func(tx *wtx) error {
			var err error
			out, err = applyChange(tx, now, 0, ch)
			return err
		}, nil
	})
	if err != nil {
		return incident.Change{}, fmt.Errorf("apply change: %w", err)
	}
	return out, nil
}

// applyChange writes ch inside tx for incident id (0: none) and returns it
// as stored.
func applyChange(tx *wtx, now time.Time, id int64, ch incident.Change) (incident.Change, error) {
	var out incident.Change
	var err error
	if len(ch.Events) > 0 {
		if out.Events, err = appendEvents(tx, id, now, ch.Events); err != nil {
			return out, err
		}
	}
	if out.Effects, err = enqueueEffects(tx, now, id, ch.Effects); err != nil {
		return out, err
	}
	outbox := bucket(tx, bucketOutbox)
	for _, seq := range ch.Done {
		if err := outbox.Delete(itob(seq)); err != nil {
			return out, err
		}
	}
	out.Done = append([]uint64(nil), ch.Done...)
	if ch.Request != 0 {
		if err := bucket(tx, bucketInbox).Delete(itob(ch.Request)); err != nil {
			return out, err
		}
		out.Request = ch.Request
	}
	return out, nil
}

// FindIncidentByID returns incident id, or ENOTFOUND.
func (db *DB) FindIncidentByID(ctx context.Context, id int64) (*incident.Incident, error) {
	var inc *incident.Incident
	err := db.view(func(r reader) error {
		var err error
		inc, err = findIncident(r, id)
		return err
	})
	return inc, err
}

// FindIncidentByChannel returns the incident whose war room is channelID,
// or ENOTFOUND.
func (db *DB) FindIncidentByChannel(ctx context.Context, channelID string) (*incident.Incident, error) {
	var inc *incident.Incident
	err := db.view(func(r reader) error {
		v := r.get(bucketByChannel, []byte(channelID))
		if len(v) != 8 || channelID == "" {
			return incident.Errorf(incident.ENOTFOUND, "This channel is not an incident's war room.")
		}
		var err error
		inc, err = findIncident(r, int64(btoi(v)))
		return err
	})
	return inc, err
}

// FindIncidents lists incidents matching f, newest (highest ID) first.
// With f.OpenOnly it reads only the open index. It stops reading at
// f.Limit matches. Errors are internal.
func (db *DB) FindIncidents(ctx context.Context, f incident.Filter) ([]*incident.Incident, error) {
	incs, _, err := db.findIncidents(ctx, f, 0, false)
	if err != nil {
		return nil, fmt.Errorf("find incidents: %w", err)
	}
	return incs, nil
}

// DefaultPageSize is the page size of FindIncidentsPage when the filter
// sets no limit.
const DefaultPageSize = 25

// FindIncidentsPage lists one page of the incidents matching f, newest
// first: up to f.Limit (DefaultPageSize when 0) incidents whose ID is
// below before, or the newest ones when before is 0. next is the cursor
// of the following page (the last ID returned), 0 when no incident is
// left. It reads the page and one incident more, plus with f.Since the
// incidents it skips. Errors are internal.
func (db *DB) FindIncidentsPage(ctx context.Context, f incident.Filter, before int64) (incs []*incident.Incident, next int64, err error) {
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	incs, next, err = db.findIncidents(ctx, f, before, true)
	if err != nil {
		return nil, 0, fmt.Errorf("find incidents page: %w", err)
	}
	return incs, next, nil
}

// findIncidents reads matches of f with IDs below before (0: all), newest
// first, up to f.Limit. With peek it also reports whether another match
// follows, as next.
func (db *DB) findIncidents(ctx context.Context, f incident.Filter, before int64, peek bool) (out []*incident.Incident, next int64, err error) {
	err = db.view(func(r reader) error {
		src := bucketIncidents
		if f.OpenOnly {
			src = bucketOpen
		}
		c := r.cursor(src)
		var k []byte
		if before > 0 {
			if k, _ = c.seek(itob(uint64(before))); k != nil {
				k, _ = c.prev()
			} else {
				k, _ = c.last()
			}
		} else {
			k, _ = c.last()
		}
		for ; k != nil; k, _ = c.prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			id := int64(btoi(k))
			data := r.get(bucketIncidents, k)
			if data == nil {
				return fmt.Errorf("bucket %s: key %x: incident %d does not exist", src, k, id)
			}
			inc, err := unmarshalIncident(id, data)
			if err != nil {
				return err
			}
			if !f.Since.IsZero() && inc.DeclaredAt.Before(f.Since) {
				continue
			}
			if f.Limit > 0 && len(out) >= f.Limit {
				next = out[len(out)-1].ID
				return nil
			}
			out = append(out, inc)
			if f.Limit > 0 && len(out) >= f.Limit && !peek {
				return nil
			}
		}
		return nil
	})
	return out, next, err
}

// CountOpen returns the number of open incidents (OpenStatus), reading one
// number whatever the size of the store. Errors are internal.
func (db *DB) CountOpen(ctx context.Context) (int, error) {
	return db.count(bucketOpen, "count open incidents")
}

// CountIncidents returns the number of incidents ever declared: incidents
// are never deleted, so it is the last incident number. Errors are
// internal.
func (db *DB) CountIncidents(ctx context.Context) (int, error) {
	return db.count(bucketIncidents, "count incidents")
}

// count reads the sequence of bucket name.
func (db *DB) count(name []byte, what string) (int, error) {
	var n uint64
	err := db.view(func(r reader) error {
		n = r.sequence(name)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}

// DueIncidents returns the IDs of incidents whose WakeAt is at or before
// now, earliest first, at most limit of them (limit <= 0: no cap). It reads
// only the due index, up to now. Errors are internal.
func (db *DB) DueIncidents(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	var ids []int64
	end := dueTime(now)
	err := db.view(func(r reader) error {
		c := r.cursor(bucketDue)
		for k, _ := c.first(); k != nil && btoi(k[:8]) <= end; k, _ = c.next() {
			ids = append(ids, int64(btoi(k[8:])))
			if limit > 0 && len(ids) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due incidents: %w", err)
	}
	return ids, nil
}

// findIncident loads incident id, or returns ENOTFOUND.
func findIncident(r reader, id int64) (*incident.Incident, error) {
	data := r.get(bucketIncidents, itob(uint64(id)))
	if data == nil {
		return nil, incident.Errorf(incident.ENOTFOUND, "Incident #%d does not exist.", id)
	}
	return unmarshalIncident(id, data)
}

// checkChannelFree returns ECONFLICT when channelID is the war room of an
// incident other than id.
func checkChannelFree(r reader, channelID string, id int64) error {
	if v := r.get(bucketByChannel, []byte(channelID)); len(v) == 8 && int64(btoi(v)) != id {
		return incident.Errorf(incident.ECONFLICT, "Channel <#%s> is already the war room of incident #%d.", channelID, btoi(v))
	}
	return nil
}

// putIncident stores inc and moves its index entries from old (nil for a
// new incident) to inc; only old's Status, WakeAt, ChannelID and
// DeclaredAt are read.
// It returns the incident as stored.
func putIncident(tx *wtx, old, inc *incident.Incident) (*incident.Incident, error) {
	id := uint64(inc.ID)
	key := itob(id)
	data := marshalIncident(inc)
	if err := bucket(tx, bucketIncidents).Put(key, data); err != nil {
		return nil, err
	}
	stored, err := unmarshalIncident(inc.ID, data)
	if err != nil {
		return nil, err
	}

	// open: every incident whose status is open, and their count.
	wasOpen, isOpen := old != nil && OpenStatus(old.Status), OpenStatus(stored.Status)
	if wasOpen != isOpen {
		open := bucket(tx, bucketOpen)
		n := open.Sequence()
		if isOpen {
			err, n = open.Put(key, nil), n+1
		} else {
			err, n = open.Delete(key), n-1
		}
		if err != nil {
			return nil, err
		}
		if err := open.SetSequence(n); err != nil {
			return nil, err
		}
	}

	// due: one entry per non-zero WakeAt.
	due := bucket(tx, bucketDue)
	if old != nil && !old.WakeAt.IsZero() && !old.WakeAt.Equal(stored.WakeAt) {
		if err := due.Delete(key2(dueTime(old.WakeAt), id)); err != nil {
			return nil, err
		}
	}
	if !stored.WakeAt.IsZero() && (old == nil || !old.WakeAt.Equal(stored.WakeAt)) {
		if err := due.Put(key2(dueTime(stored.WakeAt), id), nil); err != nil {
			return nil, err
		}
	}

	// by_channel: the war room.
	byChannel := bucket(tx, bucketByChannel)
	if old != nil && old.ChannelID != "" && old.ChannelID != stored.ChannelID {
		if err := byChannel.Delete([]byte(old.ChannelID)); err != nil {
			return nil, err
		}
	}
	if stored.ChannelID != "" && (old == nil || old.ChannelID != stored.ChannelID) {
		if err := byChannel.Put([]byte(stored.ChannelID), key); err != nil {
			return nil, err
		}
	}

	// incident_facts: the statistics index (facts.go).
	if err := putFacts(tx, old, stored); err != nil {
		return nil, err
	}
	return stored, nil
}

// dueTime encodes t for the due index: UnixNano with the sign bit flipped,
// so that byte order is time order for any time, even before 1970.
func dueTime(t time.Time) uint64 { return uint64(t.UnixNano()) ^ (1 << 63) }
