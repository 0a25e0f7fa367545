package store

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// AppendEvents appends events to incident id's timeline without changing
// the incident, through the same group commit as UpdateIncident. It
// returns the stored events, with IncidentID, Seq and (when zero) At set.
// Returns ENOTFOUND when the incident does not exist.
func (db *DB) AppendEvents(ctx context.Context, id int64, events ...incident.Event) ([]incident.Event, error) {
	var out []incident.Event
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		if r.get(bucketIncidents, itob(uint64(id))) == nil {
			return nil, incident.Errorf(incident.ENOTFOUND, "Incident #%d does not exist.", id)
		}
		return func(tx *wtx) error {
			var err error
			out, err = appendEvents(tx, id, now, events)
			return err
		}, nil
	})
	switch {
	case incident.ErrorCode(err) == incident.ENOTFOUND:
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("append events to incident %d: %w", id, err)
	}
	return out, nil
}

// Events returns incident id's timeline in order. Returns ENOTFOUND when
// the incident does not exist.
func (db *DB) Events(ctx context.Context, id int64) ([]incident.Event, error) {
	var evs []incident.Event
	err := db.view(func(r reader) error {
		if r.get(bucketIncidents, itob(uint64(id))) == nil {
			return incident.Errorf(incident.ENOTFOUND, "Incident #%d does not exist.", id)
		}
		var err error
		evs, err = readEvents(r, id, nil)
		return err
	})
	switch {
	case incident.ErrorCode(err) == incident.ENOTFOUND:
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("events of incident %d: %w", id, err)
	}
	return evs, nil
}

// readEvents appends incident id's timeline to evs: a prefix scan.
func readEvents(r reader, id int64, evs []incident.Event) ([]incident.Event, error) {
	c := r.cursorIn(bucketTimeline, itob(uint64(id)))
	for k, v := c.first(); k != nil; k, v = c.next() {
		if len(k) != 16 {
			return nil, fmt.Errorf("bucket timeline: key %x is not incident|seq", k)
		}
		e, err := unmarshalEvent(id, btoi(k[8:]), v)
		if err != nil {
			return nil, fmt.Errorf("bucket timeline: key %x: %w", k, err)
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// appendEvents stores events after the last one of incident id and returns
// them as stored. Sequence numbers continue from the timeline's last key
// for id (a Seek, not a scan), which is exact because writes are
// serialised.
func appendEvents(tx *wtx, id int64, now time.Time, events []incident.Event) ([]incident.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	b := bucket(tx, bucketTimeline)
	seq := lastSeq(b.CursorIn(itob(uint64(id))), id)
	out := make([]incident.Event, len(events))
	for i, e := range events {
		seq++
		e.IncidentID, e.Seq = id, seq
		if e.At.IsZero() {
			e.At = now
		}
		e.At = utc(e.At)
		if err := b.Put(key2(uint64(id), seq), marshalEvent(&e)); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// lastSeq returns the highest event seq of incident id, or 0; c is a
// cursor on id's events.
func lastSeq(c cursor, id int64) uint64 {
	if k, _ := c.last(); len(k) == 16 && btoi(k[:8]) == uint64(id) {
		return btoi(k[8:])
	}
	return 0
}

// utc returns t in UTC without a monotonic reading; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
