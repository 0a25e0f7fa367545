package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// bucketDigestMail maps itob(dueTime(at))|address to a digest mail
// record: the email digest due at time at was queued for address (lower
// case), its outbox effect written in the same transaction. So each
// address gets each digest once, whatever crashes and restarts; the
// entries of older digests are pruned.
var bucketDigestMail = []byte("digest_mail")

// digestMailEntry is one address's digest queued.
type digestMailEntry struct {
	QueuedAt time.Time
	Effect   uint64 // the Seq of its outbox effect
}

var digestMailRecord = newRecordType("digest_mail",
	timeField(1, "queued_at", func(x *digestMailEntry) *time.Time { return &x.QueuedAt }),
	uintField(2, "effect", func(x *digestMailEntry) *uint64 { return &x.Effect }),
)

func digestMailKey(at time.Time, addr string) []byte {
	return append(itob(dueTime(at)), strings.ToLower(addr)...)
}

// DigestMailed returns the addresses (in lower case) the digest due at at
// was queued for. Errors are internal.
func (db *DB) DigestMailed(ctx context.Context, at time.Time) ([]string, error) {
	var out []string
	err := db.view(func(r reader) error {
		prefix := itob(dueTime(at))
		c := r.cursorIn(bucketDigestMail, prefix)
		for k, _ := c.seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.next() {
			out = append(out, string(k[8:]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("digest mailed at %s: %w", at.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

// QueueDigestMail queues the digest due at at: for each address to[i]
// that has not had it, it records the address and enqueues effs[i], in
// one transaction, and returns the effects it enqueued, as stored. A long
// list is split into several transactions, each address with its effect.
// Errors are internal; to and effs must be as long.
func (db *DB) QueueDigestMail(ctx context.Context, at time.Time, to []string, effs []incident.Effect) ([]incident.Effect, error) {
	if len(to) != len(effs) {
		return nil, fmt.Errorf("queue digest mail: %d addresses for %d effects", len(to), len(effs))
	}
	var out []incident.Effect
	for _, part := range db.digestParts(effs) {
		queued, err := db.queueDigestPart(ctx, at, to[part[0]:part[1]], effs[part[0]:part[1]])
		if err != nil {
			return out, fmt.Errorf("queue digest mail at %s: %w", at.UTC().Format(time.RFC3339), err)
		}
		out = append(out, queued...)
	}
	return out, nil
}

// digestParts splits effs into [from, to) ranges that one transaction
// takes on this backend: two keys an address (its entry and its effect)
// and half of etcd's request size, besides the outbox's sequence.
func (db *DB) digestParts(effs []incident.Effect) [][2]int {
	maxN, maxBytes := len(effs), 0
	if n := db.maxWrites(); n > 0 {
		maxN = max(1, (n-2)/2)
	}
	if db.etcd != nil {
		maxBytes = db.etcd.maxBytes / 2
	}
	var parts [][2]int
	from, size := 0, 0
	for i, e := range effs {
		size += len(e.Payload) + 64
		if i > from && (i-from == maxN || (maxBytes > 0 && size > maxBytes)) {
			parts = append(parts, [2]int{from, i})
			from, size = i, len(e.Payload)+64
		}
	}
	if from < len(effs) {
		parts = append(parts, [2]int{from, len(effs)})
	}
	return parts
}

// queueDigestPart is one transaction of QueueDigestMail.
func (db *DB) queueDigestPart(ctx context.Context, at time.Time, to []string, effs []incident.Effect) ([]incident.Effect, error) {
	var out []incident.Effect
	err := db.write(ctx, func(r reader, now time.Time) (applyFunc, error) {
		var todo []int
		for i, addr := range to {
			if r.get(bucketDigestMail, digestMailKey(at, addr)) == nil {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			return nil, nil
		}
		return func(tx *wtx) error {
			out = out[:0]
			b := bucket(tx, bucketDigestMail)
			for _, i := range todo {
				stored, err := enqueueEffects(tx, now, 0, effs[i:i+1])
				if err != nil {
					return err
				}
				e := digestMailEntry{QueuedAt: now, Effect: stored[0].Seq}
				if err := b.Put(digestMailKey(at, to[i]), digestMailRecord.marshal(&e)); err != nil {
					return err
				}
				out = append(out, stored[0])
			}
			return nil
		}, nil
	})
	return out, err
}

// PruneDigestMail removes the entries of the digests due before before:
// only the latest digest is ever caught up on. Errors are internal.
func (db *DB) PruneDigestMail(ctx context.Context, before time.Time) (int, error) {
	var keys [][]byte
	err := db.view(func(r reader) error {
		end := itob(dueTime(before))
		c := r.cursor(bucketDigestMail)
		for k, _ := c.first(); k != nil && bytes.Compare(k[:min(8, len(k))], end) < 0; k, _ = c.next() {
			keys = append(keys, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune digest mail: %w", err)
	}
	n := 0
	for part := range chunks(keys, db.maxWrites()) {
		err := db.write(ctx, func(_ reader, _ time.Time) (applyFunc, error) {
			return func(tx *wtx) error {
				b := bucket(tx, bucketDigestMail)
				for _, k := range part {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				return nil
			}, nil
		})
		if err != nil {
			return n, fmt.Errorf("prune digest mail: %w", err)
		}
		n += len(part)
	}
	return n, nil
}
