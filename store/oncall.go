package store

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
)

// On-call buckets (issue 13) and their key layouts. Overrides and handoffs
// are few (a team sets a few overrides a week and hands over once a shift),
// but they pile up for ever, so what is read often goes through an index:
// the overrides still in force, the handoffs still waiting for a deadline.
var (
	// bucketOncallRotations maps a rotation name to its state record
	// (layout, handoffs handled through).
	bucketOncallRotations = []byte("oncall_rotations")
	// bucketOncallOverrides maps itob(id) to an override record; its
	// NextSequence numbers the overrides 1, 2, 3…
	bucketOncallOverrides = []byte("oncall_overrides")
	// bucketOncallOverrideEnds maps dueTime(To)|itob(id) to an empty value,
	// one per override, so that the overrides in force after a time are
	// read without the history.
	bucketOncallOverrideEnds = []byte("oncall_override_ends")
	// bucketOncallHandoffs maps handoffKey(rotation, At) to a handoff check
	// record.
	bucketOncallHandoffs = []byte("oncall_handoffs")
	// bucketOncallHandoffsDue maps dueTime(Deadline)|handoffKey to an empty
	// value for every check that still waits for its deadline (neither
	// confirmed nor escalated).
	bucketOncallHandoffsDue = []byte("oncall_handoffs_due")

	oncallBuckets = [][]byte{bucketOncallRotations, bucketOncallOverrides, bucketOncallOverrideEnds,
		bucketOncallHandoffs, bucketOncallHandoffsDue}
)

// Record tables of the on-call data: new types, so their tags start at 1.
var pageRecord = newRecordType("page",
	strField(1, "policy", func(x *incident.Page) *string { return &x.Policy }),
	intField(2, "level", func(x *incident.Page) *int { return &x.Level }),
	intField(3, "pass", func(x *incident.Page) *int { return &x.Pass }),
	stringsField(4, "target_users", func(x *incident.Page) *[]string { return &x.Target.Users }),
	strField(5, "target_usergroup", func(x *incident.Page) *string { return &x.Target.UserGroup }),
	strField(6, "target_rotation", func(x *incident.Page) *string { return &x.Target.Rotation }),
	timeField(7, "started_at", func(x *incident.Page) *time.Time { return &x.StartedAt }),
	timeField(8, "paged_at", func(x *incident.Page) *time.Time { return &x.PagedAt }),
	timeField(9, "acked_at", func(x *incident.Page) *time.Time { return &x.AckedAt }),
	strField(10, "acked_by", func(x *incident.Page) *string { return &x.AckedBy }),
	timeField(11, "ended_at", func(x *incident.Page) *time.Time { return &x.EndedAt }),
	strField(12, "state", func(x *incident.Page) *incident.PageState { return &x.State }),
	timeField(13, "escalate_at", func(x *incident.Page) *time.Time { return &x.EscalateAt }),
)

var overrideRecord = newRecordType("override",
	strField(1, "rotation", func(x *oncall.Override) *string { return &x.Rotation }),
	strField(2, "user", func(x *oncall.Override) *string { return &x.User }),
	timeField(3, "from", func(x *oncall.Override) *time.Time { return &x.From }),
	timeField(4, "to", func(x *oncall.Override) *time.Time { return &x.To }),
	strField(5, "created_by", func(x *oncall.Override) *string { return &x.CreatedBy }),
	timeField(6, "created_at", func(x *oncall.Override) *time.Time { return &x.CreatedAt }),
	strField(7, "swap", func(x *oncall.Override) *string { return &x.Swap }),
	strField(8, "removed_by", func(x *oncall.Override) *string { return &x.RemovedBy }),
	timeField(9, "removed_at", func(x *oncall.Override) *time.Time { return &x.RemovedAt }),
)

var memberRecord = newRecordType("member",
	strField(1, "user_id", func(x *oncall.Member) *string { return &x.UserID }),
	strField(2, "email", func(x *oncall.Member) *string { return &x.Email }),
)

var epochRecord = newRecordType("epoch",
	timeField(1, "from", func(x *oncall.Epoch) *time.Time { return &x.From }),
	listField(2, "members", func(x *oncall.Epoch) *[]oncall.Member { return &x.Members }, memberRecord),
	intField(3, "offset", func(x *oncall.Epoch) *int { return &x.Offset }),
)

var rotationStateRecord = newRecordType("rotation_state",
	strField(1, "grid", func(x *oncall.RotationState) *string { return &x.Layout.Grid }),
	listField(2, "epochs", func(x *oncall.RotationState) *[]oncall.Epoch { return &x.Layout.Epochs }, epochRecord),
	timeField(3, "handled_through", func(x *oncall.RotationState) *time.Time { return &x.HandledThrough }),
)

var handoffCheckRecord = newRecordType("handoff_check",
	strField(1, "rotation", func(x *oncall.HandoffCheck) *string { return &x.Rotation }),
	timeField(2, "at", func(x *oncall.HandoffCheck) *time.Time { return &x.At }),
	strField(3, "incoming", func(x *oncall.HandoffCheck) *string { return &x.Incoming }),
	strField(4, "outgoing", func(x *oncall.HandoffCheck) *string { return &x.Outgoing }),
	timeField(5, "deadline", func(x *oncall.HandoffCheck) *time.Time { return &x.Deadline }),
	timeField(6, "confirmed_at", func(x *oncall.HandoffCheck) *time.Time { return &x.ConfirmedAt }),
	strField(7, "confirmed_by", func(x *oncall.HandoffCheck) *string { return &x.ConfirmedBy }),
	timeField(8, "escalated_at", func(x *oncall.HandoffCheck) *time.Time { return &x.EscalatedAt }),
	stringsField(9, "checked", func(x *oncall.HandoffCheck) *[]string { return &x.Checked }),
)

// callerError carries the error of a caller's function out of a write:
// outcome returns it as is, so that a domain error keeps its code.
type callerError struct{ error }

func (e callerError) Unwrap() error { return e.error }

// outcome is what a write method returns for err: nil, the caller's own
// error as is, ENOTFOUND as is (the answer to a lookup), or the store's
// error wrapped with what it was doing.
func outcome(err error, format string, args ...any) error {
	var ce callerError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return ce.error
	case incident.ErrorCode(err) == incident.ENOTFOUND:
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// handoffKey is the key of a handoff check: the rotation name, a zero
// byte (names never hold one), then itob of the handoff's Unix nanoseconds
// with the sign bit flipped, so that a rotation's handoffs sort by time.
func handoffKey(rotation string, at time.Time) []byte {
	k := make([]byte, 0, len(rotation)+9)
	k = append(k, rotation...)
	k = append(k, 0)
	return append(k, itob(dueTime(at))...)
}

// overrideEndKey is the end-index key of override id ending at to.
func overrideEndKey(to time.Time, id int64) []byte { return key2(dueTime(to), uint64(id)) }

// OncallOverrides returns the overrides whose end is after endAfter
// (removed ones included, for the audit), in order of ID. It reads the end
// index from endAfter on, so ended overrides cost nothing. Errors are
// internal.
func (db *DB) OncallOverrides(ctx context.Context, endAfter time.Time) ([]oncall.Override, error) {
	var out []oncall.Override
	err := db.view(func(r reader) error {
		var err error
		out, err = overridesEndingAfter(r, endAfter)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read on-call overrides: %w", err)
	}
	return out, nil
}

func overridesEndingAfter(r reader, endAfter time.Time) ([]oncall.Override, error) {
	var out []oncall.Override
	c := r.cursor(bucketOncallOverrideEnds)
	start := itob(dueTime(endAfter) + 1)
	for k, _ := c.seek(start); k != nil; k, _ = c.next() {
		if len(k) != 16 {
			return nil, fmt.Errorf("%w: override end key %x", errCorruptRecord, k)
		}
		o, err := findOverride(r, int64(btoi(k[8:])))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b oncall.Override) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// OncallOverride returns override id, or ENOTFOUND.
func (db *DB) OncallOverride(ctx context.Context, id int64) (oncall.Override, error) {
	var o oncall.Override
	err := db.view(func(r reader) error {
		var err error
		o, err = findOverride(r, id)
		return err
	})
	if err != nil && incident.ErrorCode(err) != incident.ENOTFOUND {
		err = fmt.Errorf("read override %d: %w", id, err)
	}
	return o, err
}

func findOverride(r reader, id int64) (oncall.Override, error) {
	v := r.get(bucketOncallOverrides, itob(uint64(id)))
	if v == nil {
		return oncall.Override{}, incident.Errorf(incident.ENOTFOUND, "There is no override #%d; `/incident oncall overrides` lists them.", id)
	}
	o, err := decode(overrideRecord, v, "override %d", id)
	o.ID = id
	return o, err
}

// putOverride stores o and moves its end-index entry from old (nil for a
// new override).
func putOverride(tx *wtx, old *oncall.Override, o oncall.Override) error {
	ends := bucket(tx, bucketOncallOverrideEnds)
	if old != nil && !old.To.Equal(o.To) {
		if err := ends.Delete(overrideEndKey(old.To, old.ID)); err != nil {
			return err
		}
	}
	if err := ends.Put(overrideEndKey(o.To, o.ID), nil); err != nil {
		return err
	}
	return bucket(tx, bucketOncallOverrides).Put(itob(uint64(o.ID)), overrideRecord.marshal(&o))
}

// AddOncallOverrides stores new overrides. fn receives the overrides whose
// end is after since (what a new override may overlap) and returns those
// to add, with a change (effects, the request it finishes) written in the
// same transaction; its error is returned as is and nothing is written.
// The check and the write are one transaction, so two overlapping
// overrides set at once cannot both pass. It returns the overrides as
// stored, with their IDs, and the change as stored.
func (db *DB) AddOncallOverrides(ctx context.Context, since time.Time, fn func(current []oncall.Override) ([]oncall.Override, incident.Change, error)) ([]oncall.Override, incident.Change, error) {
	var added []oncall.Override
	var outCh incident.Change
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		current, err := overridesEndingAfter(r, since)
		if err != nil {
			return nil, err
		}
		adds, ch, err := fn(current)
		if err != nil {
			return nil, callerError{err}
		}
		if len(ch.Events) > 0 {
			return nil, incident.Errorf(incident.EINVALID, "Timeline events need an incident.")
		}
		return func(tx *wtx) error {
			added = added[:0]
			b := bucket(tx, bucketOncallOverrides)
			for _, o := range adds {
				seq, err := b.NextSequence()
				if err != nil {
					return err
				}
				o.ID = int64(seq)
				o = utcOverride(o)
				if err := putOverride(tx, nil, o); err != nil {
					return err
				}
				added = append(added, o)
			}
			outCh, err = applyChange(tx, now, 0, ch)
			return err
		}, nil
	})
	if err := outcome(err, "add on-call overrides"); err != nil {
		return nil, incident.Change{}, err
	}
	return added, outCh, nil
}

// UpdateOncallOverrides loads the overrides ids (ENOTFOUND for one that
// does not exist), and stores what fn returns for them (the same IDs:
// removals are kept, marked, for the audit), with its change, in one
// transaction. fn's error is returned as is.
func (db *DB) UpdateOncallOverrides(ctx context.Context, ids []int64, fn func(os []oncall.Override) ([]oncall.Override, incident.Change, error)) ([]oncall.Override, incident.Change, error) {
	var out []oncall.Override
	var outCh incident.Change
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		old := make([]oncall.Override, len(ids))
		for i, id := range ids {
			o, err := findOverride(r, id)
			if err != nil {
				return nil, err
			}
			old[i] = o
		}
		upd, ch, err := fn(slices.Clone(old))
		if err != nil {
			return nil, callerError{err}
		}
		if len(upd) != len(old) || len(ch.Events) > 0 {
			return nil, fmt.Errorf("update overrides: fn returned %d overrides for %d, and %d events", len(upd), len(old), len(ch.Events))
		}
		return func(tx *wtx) error {
			out = out[:0]
			for i, o := range upd {
				o.ID = old[i].ID
				o = utcOverride(o)
				if err := putOverride(tx, &old[i], o); err != nil {
					return err
				}
				out = append(out, o)
			}
			var err error
			outCh, err = applyChange(tx, now, 0, ch)
			return err
		}, nil
	})
	if err := outcome(err, "update on-call overrides %v", ids); err != nil {
		return nil, incident.Change{}, err
	}
	return out, outCh, nil
}

func utcOverride(o oncall.Override) oncall.Override {
	o.From, o.To, o.CreatedAt, o.RemovedAt = utc(o.From), utc(o.To), utc(o.CreatedAt), utc(o.RemovedAt)
	return o
}

// OncallRotations returns the stored state of every rotation by name.
// Errors are internal.
func (db *DB) OncallRotations(ctx context.Context) (map[string]oncall.RotationState, error) {
	out := map[string]oncall.RotationState{}
	err := db.view(func(r reader) error {
		c := r.cursor(bucketOncallRotations)
		for k, v := c.first(); k != nil; k, v = c.next() {
			st, err := decode(rotationStateRecord, v, "rotation %q", k)
			if err != nil {
				return err
			}
			out[string(k)] = st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read on-call rotations: %w", err)
	}
	return out, nil
}

// UpdateOncallRotation reads the state of rotation (zero when none is
// stored), lets fn change it and return new handoff checks and a change,
// and writes all three in one transaction. A check whose key is stored
// already is left as it is: handling a handoff twice adds nothing. fn may
// run more than once and must do nothing else; its error is returned as
// is.
func (db *DB) UpdateOncallRotation(ctx context.Context, rotation string, fn func(st *oncall.RotationState) ([]oncall.HandoffCheck, incident.Change, error)) (incident.Change, error) {
	if rotation == "" || len(rotation) > bolt.MaxKeySize-9 || bytes.IndexByte([]byte(rotation), 0) >= 0 {
		return incident.Change{}, incident.Errorf(incident.EINVALID, "%q is not a rotation name.", rotation)
	}
	var outCh incident.Change
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		var st oncall.RotationState
		if v := r.get(bucketOncallRotations, []byte(rotation)); v != nil {
			var err error
			if st, err = decode(rotationStateRecord, v, "rotation %q", rotation); err != nil {
				return nil, err
			}
		}
		checks, ch, err := fn(&st)
		if err != nil {
			return nil, callerError{err}
		}
		if len(ch.Events) > 0 {
			return nil, incident.Errorf(incident.EINVALID, "Timeline events need an incident.")
		}
		var fresh []oncall.HandoffCheck
		for _, c := range checks {
			if c.Rotation != rotation {
				return nil, fmt.Errorf("handoff check of rotation %q stored under %q", c.Rotation, rotation)
			}
			if r.get(bucketOncallHandoffs, handoffKey(c.Rotation, c.At)) == nil {
				fresh = append(fresh, c)
			}
		}
		st.HandledThrough = utc(st.HandledThrough)
		return func(tx *wtx) error {
			if err := bucket(tx, bucketOncallRotations).Put([]byte(rotation), rotationStateRecord.marshal(&st)); err != nil {
				return err
			}
			for _, c := range fresh {
				if err := putHandoffCheck(tx, nil, c); err != nil {
					return err
				}
			}
			var err error
			outCh, err = applyChange(tx, now, 0, ch)
			return err
		}, nil
	})
	if err := outcome(err, "update rotation %q", rotation); err != nil {
		return incident.Change{}, err
	}
	return outCh, nil
}

// putHandoffCheck stores c and moves its due-index entry from old (nil for
// a new check).
func putHandoffCheck(tx *wtx, old *oncall.HandoffCheck, c oncall.HandoffCheck) error {
	c.At, c.Deadline, c.ConfirmedAt, c.EscalatedAt = utc(c.At), utc(c.Deadline), utc(c.ConfirmedAt), utc(c.EscalatedAt)
	key := handoffKey(c.Rotation, c.At)
	due := bucket(tx, bucketOncallHandoffsDue)
	if old != nil {
		if d, ok := old.Due(); ok {
			if err := due.Delete(append(itob(dueTime(d)), key...)); err != nil {
				return err
			}
		}
	}
	if d, ok := c.Due(); ok {
		if err := due.Put(append(itob(dueTime(d)), key...), nil); err != nil {
			return err
		}
	}
	return bucket(tx, bucketOncallHandoffs).Put(key, handoffCheckRecord.marshal(&c))
}

func findHandoffCheck(r reader, rotation string, at time.Time) (oncall.HandoffCheck, error) {
	v := r.get(bucketOncallHandoffs, handoffKey(rotation, at))
	if v == nil {
		return oncall.HandoffCheck{}, incident.Errorf(incident.ENOTFOUND, "There is no handoff of %s at %s.", rotation, at.UTC().Format(time.RFC3339))
	}
	return decode(handoffCheckRecord, v, "handoff %s/%d", rotation, at.Unix())
}

// FindHandoffCheck returns the check of rotation's handoff at at, or
// ENOTFOUND.
func (db *DB) FindHandoffCheck(ctx context.Context, rotation string, at time.Time) (oncall.HandoffCheck, error) {
	var c oncall.HandoffCheck
	err := db.view(func(r reader) error {
		var err error
		c, err = findHandoffCheck(r, rotation, at)
		return err
	})
	if err != nil && incident.ErrorCode(err) != incident.ENOTFOUND {
		err = fmt.Errorf("read handoff %s: %w", rotation, err)
	}
	return c, err
}

// DueHandoffChecks returns up to limit handoff checks whose deadline is at
// or before now and that are neither confirmed nor escalated, earliest
// first, reading only the due index. Errors are internal.
func (db *DB) DueHandoffChecks(ctx context.Context, now time.Time, limit int) ([]oncall.HandoffCheck, error) {
	var out []oncall.HandoffCheck
	err := db.view(func(r reader) error {
		c := r.cursor(bucketOncallHandoffsDue)
		end := dueTime(now)
		for k, _ := c.first(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.next() {
			if len(k) < 8+10 || btoi(k[:8]) > end {
				break
			}
			v := r.get(bucketOncallHandoffs, k[8:])
			if v == nil {
				return fmt.Errorf("%w: handoff due entry %x has no check", errCorruptRecord, k)
			}
			hc, err := decode(handoffCheckRecord, v, "handoff %x", k[8:])
			if err != nil {
				return err
			}
			out = append(out, hc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read due handoffs: %w", err)
	}
	return out, nil
}

// UpdateHandoffCheck loads the check of rotation's handoff at at
// (ENOTFOUND when there is none), lets fn change it and return a change,
// and writes both in one transaction. fn's error is returned as is and
// nothing is written.
func (db *DB) UpdateHandoffCheck(ctx context.Context, rotation string, at time.Time, fn func(c *oncall.HandoffCheck) (incident.Change, error)) (oncall.HandoffCheck, incident.Change, error) {
	var out oncall.HandoffCheck
	var outCh incident.Change
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		old, err := findHandoffCheck(r, rotation, at)
		if err != nil {
			return nil, err
		}
		c := old
		c.Checked = slices.Clone(old.Checked)
		ch, err := fn(&c)
		if err != nil {
			return nil, callerError{err}
		}
		if len(ch.Events) > 0 {
			return nil, incident.Errorf(incident.EINVALID, "Timeline events need an incident.")
		}
		c.Rotation, c.At = old.Rotation, old.At
		return func(tx *wtx) error {
			if err := putHandoffCheck(tx, &old, c); err != nil {
				return err
			}
			out = c
			var err error
			outCh, err = applyChange(tx, now, 0, ch)
			return err
		}, nil
	})
	if err := outcome(err, "update handoff %s", rotation); err != nil {
		return oncall.HandoffCheck{}, incident.Change{}, err
	}
	return out, outCh, nil
}

// checkOncall checks the on-call buckets: records decode, the end index
// holds one entry per override at its end, the due index one entry per
// check waiting for its deadline.
func checkOncall(r reader, p *problems) {
	_ = r.forEach(bucketOncallRotations, func(k, v []byte) error {
		if err := rotationStateRecord.validate(v); err != nil {
			p.key(bucketOncallRotations, k, "decode rotation state: %v", err)
		}
		return nil
	})
	last := r.sequence(bucketOncallOverrides)
	ends := map[string]bool{}
	_ = r.forEach(bucketOncallOverrides, func(k, v []byte) error {
		if len(k) != 8 || btoi(k) == 0 || btoi(k) > last {
			p.key(bucketOncallOverrides, k, "not an override ID handed out (last %d)", last)
			return nil
		}
		o, err := decode(overrideRecord, v, "override %d", btoi(k))
		if err != nil {
			p.key(bucketOncallOverrides, k, "%v", err)
			return nil
		}
		ends[string(overrideEndKey(o.To, int64(btoi(k))))] = true
		return nil
	})
	checkIndex(r, p, bucketOncallOverrideEnds, ends, "no override ends here", "overrides")
	due := map[string]bool{}
	_ = r.forEach(bucketOncallHandoffs, func(k, v []byte) error {
		c, err := decode(handoffCheckRecord, v, "handoff %x", k)
		switch {
		case err != nil:
			p.key(bucketOncallHandoffs, k, "%v", err)
		case !bytes.Equal(k, handoffKey(c.Rotation, c.At)):
			p.key(bucketOncallHandoffs, k, "holds the handoff of %s at %s", c.Rotation, c.At.Format(time.RFC3339))
		default:
			if d, ok := c.Due(); ok {
				due[string(append(itob(dueTime(d)), k...))] = true
			}
		}
		return nil
	})
	checkIndex(r, p, bucketOncallHandoffsDue, due, "no handoff waits for this deadline", "handoffs waiting")
}

// checkIndex checks that index holds exactly the keys of want, each with
// an empty value; stray says what an entry not wanted lacks, and what
// counts the records the index is for.
func checkIndex(r reader, p *problems, index []byte, want map[string]bool, stray, what string) {
	n := 0
	_ = r.forEach(index, func(k, v []byte) error {
		n++
		if !want[string(k)] || len(v) != 0 {
			p.key(index, k, "%s", stray)
		}
		return nil
	})
	if n != len(want) {
		p.add("bucket %s: %d entries for %d %s", index, n, len(want), what)
	}
}
