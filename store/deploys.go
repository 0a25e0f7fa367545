package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Deploy buckets and key layouts.
var (
	// bucketDeploys maps a deploy's Key (intake.DeployKey) to a deploy
	// record.
	bucketDeploys = []byte("deploys")
	// bucketDeploysByService maps ServiceKey(service)|0x00|dueTime(time)|Key
	// to an empty value: a service's deploys in time order.
	bucketDeploysByService = []byte("deploys_by_service")
	// bucketDeploysByTime maps dueTime(time)|Key to an empty value: every
	// deploy in time order, for figures over a window.
	bucketDeploysByTime = []byte("deploys_by_time")
)

var deployRecord = newRecordType("deploy",
	strField(1, "id", func(x *incident.Deploy) *string { return &x.ID }),
	strField(2, "service", func(x *incident.Deploy) *string { return &x.Service }),
	strField(3, "version", func(x *incident.Deploy) *string { return &x.Version }),
	strField(4, "environment", func(x *incident.Deploy) *string { return &x.Environment }),
	timeField(5, "time", func(x *incident.Deploy) *time.Time { return &x.Time }),
	strField(6, "link", func(x *incident.Deploy) *string { return &x.Link }),
	strField(7, "commit", func(x *incident.Deploy) *string { return &x.Commit }),
	strField(8, "author", func(x *incident.Deploy) *string { return &x.Author }),
	timeField(9, "received_at", func(x *incident.Deploy) *time.Time { return &x.ReceivedAt }),
)

// deployServiceKey is d's key in deploys_by_service.
func deployServiceKey(d incident.Deploy) []byte {
	svc := incident.ServiceKey(d.Service)
	k := make([]byte, 0, len(svc)+1+8+len(d.Key))
	k = append(append(k, svc...), 0)
	k = append(k, itob(dueTime(d.Time))...)
	return append(k, d.Key...)
}

// deployTimeKey is d's key in deploys_by_time.
func deployTimeKey(d incident.Deploy) []byte {
	return append(itob(dueTime(d.Time)), d.Key...)
}

// RecordDeploy stores d once per d.Key, with its index entries, and
// reports whether it is new: a deploy sent again is not recorded again.
// Returns EINVALID for a key or service bbolt cannot index; other errors
// are internal.
func (db *DB) RecordDeploy(ctx context.Context, d incident.Deploy) (bool, error) {
	if d.Key == "" || len(deployServiceKey(d)) > bolt.MaxKeySize {
		return false, incident.Errorf(incident.EINVALID, "A deploy needs a key, and a service and key of at most %d bytes together.", bolt.MaxKeySize-9)
	}
	d.Time, d.ReceivedAt = d.Time.UTC(), d.ReceivedAt.UTC()
	var recorded bool
	err := db.write(ctx, func(r reader, _ time.Time) (applyFunc, error) {
		recorded = false
		if r.get(bucketDeploys, []byte(d.Key)) != nil {
			return nil, nil
		}
		return func(tx *wtx) error {
			if err := bucket(tx, bucketDeploys).Put([]byte(d.Key), deployRecord.marshal(&d)); err != nil {
				return err
			}
			if err := bucket(tx, bucketDeploysByService).Put(deployServiceKey(d), nil); err != nil {
				return err
			}
			if err := bucket(tx, bucketDeploysByTime).Put(deployTimeKey(d), nil); err != nil {
				return err
			}
			recorded = true
			return nil
		}, nil
	})
	if err != nil {
		return false, fmt.Errorf("record deploy %s: %w", d.Key, err)
	}
	return recorded, nil
}

// readDeploy decodes the deploy stored under key.
func readDeploy(r reader, key []byte) (incident.Deploy, error) {
	v := r.get(bucketDeploys, key)
	if v == nil {
		return incident.Deploy{}, incident.Errorf(incident.ENOTFOUND, "That deployment is not recorded.")
	}
	d, err := decode(deployRecord, v, "deploy %q", key)
	d.Key = string(key)
	return d, err
}

// FindDeploy returns the deploy recorded under key, or ENOTFOUND.
func (db *DB) FindDeploy(ctx context.Context, key string) (*incident.Deploy, error) {
	var d incident.Deploy
	err := db.view(func(r reader) error {
		var err error
		d, err = readDeploy(r, []byte(key))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// RecentDeploys returns up to limit deploys of service (any spelling of
// it, see incident.ServiceKey), newest first, reading only those. Errors
// are internal.
func (db *DB) RecentDeploys(ctx context.Context, service string, limit int) ([]incident.Deploy, error) {
	prefix := append([]byte(incident.ServiceKey(service)), 0)
	var out []incident.Deploy
	err := db.view(func(r reader) error {
		c := r.cursor(bucketDeploysByService)
		// The first key past the prefix (its 0 separator raised to 1),
		// then back.
		end := bytes.Clone(prefix)
		end[len(end)-1] = 1
		k, _ := c.seek(end)
		if k == nil {
			k, _ = c.last()
		} else {
			k, _ = c.prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.prev() {
			if len(k) < len(prefix)+8 {
				return fmt.Errorf("bucket %s: malformed key %x", bucketDeploysByService, k)
			}
			d, err := readDeploy(r, k[len(prefix)+8:])
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recent deploys of %q: %w", service, err)
	}
	return out, nil
}

// EachDeploy calls fn with every deploy whose time is in [since, until)
// (until zero: no end), oldest first, in one read transaction, reading
// only those. It stops at fn's first error and returns it as is.
func (db *DB) EachDeploy(ctx context.Context, since, until time.Time, fn func(incident.Deploy) error) error {
	var fnErr error
	err := db.view(func(r reader) error {
		c := r.cursor(bucketDeploysByTime)
		for k, _ := c.seek(itob(dueTime(since))); k != nil; k, _ = c.next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if len(k) < 8 {
				return fmt.Errorf("bucket %s: malformed key %x", bucketDeploysByTime, k)
			}
			if !until.IsZero() && btoi(k[:8]) >= dueTime(until) {
				break
			}
			d, err := readDeploy(r, k[8:])
			if err != nil {
				return err
			}
			if fnErr = callEach(fn, d); fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	return walkError(fnErr, err, "deploys")
}

// checkDeploys checks every deploy record and that both indexes hold
// exactly its entries.
func checkDeploys(r reader, p *problems) {
	want := map[string]bool{}
	_ = r.forEach(bucketDeploys, func(k, v []byte) error {
		d, err := decode(deployRecord, v, "deploy %q", k)
		if err != nil {
			p.key(bucketDeploys, k, "%v", err)
			return nil
		}
		d.Key = string(k)
		want["s"+string(deployServiceKey(d))] = true
		want["t"+string(deployTimeKey(d))] = true
		return nil
	})
	for _, idx := range []struct {
		name []byte
		tag  string
	}{{bucketDeploysByService, "s"}, {bucketDeploysByTime, "t"}} {
		_ = r.forEach(idx.name, func(k, v []byte) error {
			if !want[idx.tag+string(k)] || len(v) != 0 {
				p.key(idx.name, k, "no deploy has this entry")
			}
			delete(want, idx.tag+string(k))
			return nil
		})
	}
	if len(want) > 0 {
		p.add("%d deploy index entries are missing", len(want))
	}
}
