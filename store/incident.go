package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

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
	var stored *incident.Incident
	var out incident.Change
	err := db.write(ctx, func(tx *bolt.Tx, now time.Time, dirty func()) error {
		b := tx.Bucket(bucketIncidents)
		if inc.ChannelID != "" {
			if err := checkChannelFree(tx, inc.ChannelID, 0); err != nil {
				return err
			}
		}
		dirty()
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		c := *inc // putIncident copies what it keeps
		c.ID = int64(seq)
		c.Rev = 1
		if stored, err = putIncident(tx, nil, &c); err != nil {
			return err
		}
		out, err = applyChange(tx, now, c.ID, ch)
		return err
	})
	if err != nil {
		return incident.Change{}, fmt.Errorf("create incident: %w", err)
	}
	*inc = *stored
	return out, nil
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
	var out *incident.Incident
	var outCh incident.Change
	var fnErr error
	err := db.write(ctx, func(tx *bolt.Tx, now time.Time, dirty func()) error {
		fnErr = nil
		inc, err := findIncident(tx, id) // freshly decoded: fn may change it freely
		if err != nil {
			return err
		}
		// old keeps what the indexes are keyed on.
		old := &incident.Incident{Status: inc.Status, WakeAt: inc.WakeAt, ChannelID: inc.ChannelID}
		rev := inc.Rev
		ch, err := fn(inc)
		if err != nil {
			fnErr = err
			return err
		}
		inc.ID, inc.Rev = id, rev+1
		if inc.ChannelID != "" && inc.ChannelID != old.ChannelID {
			if err := checkChannelFree(tx, inc.ChannelID, id); err != nil {
				return err
			}
		}
		dirty()
		if out, err = putIncident(tx, old, inc); err != nil {
			return err
		}
		outCh, err = applyChange(tx, now, id, ch)
		return err
	})
	switch {
	case fnErr != nil && err == fnErr:
		return nil, incident.Change{}, err
	case incident.ErrorCode(err) == incident.ENOTFOUND || incident.ErrorCode(err) == incident.ECONFLICT:
		return nil, incident.Change{}, err
	case err != nil:
		return nil, incident.Change{}, fmt.Errorf("update incident %d: %w", id, err)
	}
	return out, outCh, nil
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
	err := db.write(ctx, func(tx *bolt.Tx, now time.Time, dirty func()) error {
		dirty()
		var err error
		out, err = applyChange(tx, now, 0, ch)
		return err
	})
	if err != nil {
		return incident.Change{}, fmt.Errorf("apply change: %w", err)
	}
	return out, nil
}

// applyChange writes ch inside tx for incident id (0: none) and returns it
// as stored.
func applyChange(tx *bolt.Tx, now time.Time, id int64, ch incident.Change) (incident.Change, error) {
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
	outbox := tx.Bucket(bucketOutbox)
	for _, seq := range ch.Done {
		if err := outbox.Delete(itob(seq)); err != nil {
			return out, err
		}
	}
	out.Done = append([]uint64(nil), ch.Done...)
	if ch.Request != 0 {
		if err := tx.Bucket(bucketInbox).Delete(itob(ch.Request)); err != nil {
			return out, err
		}
		out.Request = ch.Request
	}
	return out, nil
}

// FindIncidentByID returns incident id, or ENOTFOUND.
func (db *DB) FindIncidentByID(ctx context.Context, id int64) (*incident.Incident, error) {
	var inc *incident.Incident
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		inc, err = findIncident(tx, id)
		return err
	})
	return inc, err
}

// FindIncidentByChannel returns the incident whose war room is channelID,
// or ENOTFOUND.
func (db *DB) FindIncidentByChannel(ctx context.Context, channelID string) (*incident.Incident, error) {
	var inc *incident.Incident
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketByChannel).Get([]byte(channelID))
		if len(v) != 8 || channelID == "" {
			return incident.Errorf(incident.ENOTFOUND, "This channel is not an incident's war room.")
		}
		var err error
		inc, err = findIncident(tx, int64(btoi(v)))
		return err
	})
	return inc, err
}

// FindIncidents lists incidents matching f, newest (highest ID) first.
// With f.OpenOnly it reads only the open index. Errors are internal.
func (db *DB) FindIncidents(ctx context.Context, f incident.Filter) ([]*incident.Incident, error) {
	var out []*incident.Incident
	err := db.bolt.View(func(tx *bolt.Tx) error {
		incidents := tx.Bucket(bucketIncidents)
		src := incidents
		if f.OpenOnly {
			src = tx.Bucket(bucketOpen)
		}
		c := src.Cursor()
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			id := int64(btoi(k))
			data := incidents.Get(k)
			if data == nil {
				return fmt.Errorf("open index names missing incident %d", id)
			}
			inc, err := unmarshalIncident(id, data)
			if err != nil {
				return err
			}
			if !f.Since.IsZero() && inc.DeclaredAt.Before(f.Since) {
				continue
			}
			out = append(out, inc)
			if f.Limit > 0 && len(out) >= f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find incidents: %w", err)
	}
	return out, nil
}

// DueIncidents returns the IDs of incidents whose WakeAt is at or before
// now, earliest first, at most limit of them (limit <= 0: no cap). It reads
// only the due index, up to now. Errors are internal.
func (db *DB) DueIncidents(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	var ids []int64
	end := dueTime(now)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.First(); k != nil && btoi(k[:8]) <= end; k, _ = c.Next() {
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
func findIncident(tx *bolt.Tx, id int64) (*incident.Incident, error) {
	data := tx.Bucket(bucketIncidents).Get(itob(uint64(id)))
	if data == nil {
		return nil, incident.Errorf(incident.ENOTFOUND, "Incident #%d does not exist.", id)
	}
	return unmarshalIncident(id, data)
}

// checkChannelFree returns ECONFLICT when channelID is the war room of an
// incident other than id.
func checkChannelFree(tx *bolt.Tx, channelID string, id int64) error {
	if v := tx.Bucket(bucketByChannel).Get([]byte(channelID)); len(v) == 8 && int64(btoi(v)) != id {
		return incident.Errorf(incident.ECONFLICT, "Channel <#%s> is already the war room of incident #%d.", channelID, btoi(v))
	}
	return nil
}

// putIncident stores inc and moves its index entries from old (nil for a
// new incident) to inc; only old's Status, WakeAt and ChannelID are read. It returns the incident as stored.
func putIncident(tx *bolt.Tx, old, inc *incident.Incident) (*incident.Incident, error) {
	id := uint64(inc.ID)
	key := itob(id)
	rec := toIncidentRecord(inc)
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if err := tx.Bucket(bucketIncidents).Put(key, data); err != nil {
		return nil, err
	}
	stored := rec.incident(inc.ID)

	// open: every incident not ended (closed or cancelled).
	if open := tx.Bucket(bucketOpen); stored.Status.Ended() {
		if err := open.Delete(key); err != nil {
			return nil, err
		}
	} else if old == nil || old.Status.Ended() {
		if err := open.Put(key, nil); err != nil {
			return nil, err
		}
	}

	// due: one entry per non-zero WakeAt.
	due := tx.Bucket(bucketDue)
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
	byChannel := tx.Bucket(bucketByChannel)
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
	return stored, nil
}

// dueTime encodes t for the due index: UnixNano with the sign bit flipped,
// so that byte order is time order for any time, even before 1970.
func dueTime(t time.Time) uint64 { return uint64(t.UnixNano()) ^ (1 << 63) }
