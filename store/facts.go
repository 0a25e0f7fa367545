package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// bucketFacts maps dueTime(DeclaredAt)|itob(id) to the facts record of
// every incident (incident.FactsOf): the statistics index. putIncident
// keeps it current in every write, so that figures over a window read
// only the window, a few dozen bytes per incident.
var bucketFacts = []byte("incident_facts")

var factsRecord = newRecordType("facts",
	strField(1, "severity", func(x *incident.Facts) *string { return &x.Severity }),
	strField(2, "status", func(x *incident.Facts) *incident.Status { return &x.Status }),
	strField(3, "type", func(x *incident.Facts) *string { return &x.Type }),
	strField(4, "service", func(x *incident.Facts) *string { return &x.Service }),
	boolField(5, "private", func(x *incident.Facts) *bool { return &x.Private }),
	boolField(6, "drill", func(x *incident.Facts) *bool { return &x.Drill }),
	timeField(7, "declared_at", func(x *incident.Facts) *time.Time { return &x.DeclaredAt }),
	timeField(8, "acknowledged_at", func(x *incident.Facts) *time.Time { return &x.AcknowledgedAt }),
	timeField(9, "mitigated_at", func(x *incident.Facts) *time.Time { return &x.MitigatedAt }),
	timeField(10, "resolved_at", func(x *incident.Facts) *time.Time { return &x.ResolvedAt }),
	intField(11, "updates", func(x *incident.Facts) *int { return &x.Updates }),
	intField(12, "late_updates", func(x *incident.Facts) *int { return &x.LateUpdates }),
	strField(13, "cause_category", func(x *incident.Facts) *string { return &x.CauseCategory }),
	strField(14, "cause_deploy", func(x *incident.Facts) *string { return &x.CauseDeploy }),
)

// factsEntry returns the statistics index entry of inc.
func factsEntry(inc *incident.Incident) (key, value []byte) {
	f := incident.FactsOf(inc)
	return key2(dueTime(inc.DeclaredAt), uint64(inc.ID)), factsRecord.marshal(&f)
}

// putFacts brings inc's statistics entry up to date; old (nil for a new
// incident) gives the DeclaredAt it was keyed on. An unchanged entry is
// not written again.
func putFacts(tx *wtx, old, inc *incident.Incident) error {
	b := bucket(tx, bucketFacts)
	key, value := factsEntry(inc)
	if old != nil && !old.DeclaredAt.Equal(inc.DeclaredAt) {
		if err := b.Delete(key2(dueTime(old.DeclaredAt), uint64(inc.ID))); err != nil {
			return err
		}
	}
	if bytes.Equal(b.Get(key), value) {
		return nil
	}
	return b.Put(key, value)
}

// EachFacts calls fn with the facts of every incident declared in [since,
// until) (until zero: no end), oldest first, in one read transaction,
// reading only the statistics index of that window. It stops at fn's
// first error and returns it as is; other errors are internal.
func (db *DB) EachFacts(ctx context.Context, since, until time.Time, fn func(incident.Facts) error) error {
	var fnErr error
	read := 0
	err := db.view(func(r reader) error {
		defer r.release()
		c := r.cursor(bucketFacts)
		var start []byte
		if !since.IsZero() {
			start = itob(dueTime(since))
		}
		k, v := c.first()
		if start != nil {
			k, v = c.seek(start)
		}
		for ; k != nil; k, v = c.next() {
			if read++; read%(20*releaseEvery) == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				r.release()
			}
			if len(k) != 16 {
				return fmt.Errorf("bucket %s: key %x is not time|id", bucketFacts, k)
			}
			if !until.IsZero() && btoi(k[:8]) >= dueTime(until) {
				break
			}
			f, err := decode(factsRecord, v, "facts of incident %d", btoi(k[8:]))
			if err != nil {
				return err
			}
			f.ID = int64(btoi(k[8:]))
			if fnErr = callEach(fn, f); fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	return walkError(fnErr, err, "incident facts")
}

// callEach calls a caller's callback of a walk inside view, marking its
// panics so that view re-raises them (see callFn).
func callEach[T any](fn func(T) error, x T) error {
	defer func() {
		if p := recover(); p != nil {
			panic(callerPanic{p})
		}
	}()
	return fn(x)
}

// walkError returns what a walk returns: the callback's error fnErr as
// is, any other error wrapped with what was walked.
func walkError(fnErr, err error, what string) error {
	switch {
	case fnErr != nil && err == fnErr:
		return err
	case err != nil:
		return fmt.Errorf("walk %s: %w", what, err)
	}
	return nil
}

// checkFacts checks that the statistics index holds exactly one current
// entry per incident.
func checkFacts(r reader, p *problems) {
	n := 0
	_ = r.forEach(bucketIncidents, func(k, v []byte) error {
		if len(k) != 8 {
			return nil // reported with the incidents
		}
		inc, err := unmarshalIncident(int64(btoi(k)), v)
		if err != nil {
			return nil // reported with the incidents
		}
		n++
		key, want := factsEntry(inc)
		if got := r.get(bucketFacts, key); !bytes.Equal(got, want) {
			p.key(bucketFacts, key, "the entry of incident %d is missing or stale", inc.ID)
		}
		return nil
	})
	m := 0
	_ = r.forEach(bucketFacts, func(_, _ []byte) error { m++; return nil })
	if m != n {
		p.add("bucket %s: %d entries for %d incidents", bucketFacts, m, n)
	}
}
