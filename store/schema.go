package store

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/store/internal/schema2"
)

// Schema versions and migrations.
//
// meta/schema_version says which layout and record format a file has.
// Every change of what a record means or holds, and of any bucket or key
// layout, appends a migration and so bumps the version: an incidentbot
// refuses a file whose version is above len(migrations), so an older
// binary never reads records whose fields it would drop. The record
// format byte (codec.go) is a second guard for a record that slips past.
//
//	1  860e22b: incidents, timeline, open/due/by_channel indexes, seen,
//	   outbox; JSON records with "v":1
//	2  the inbox of acknowledged requests; effects get a lane
//	3  binary records with checksums (codec.go), append-only buckets
//	   filled, the seen_time index, the open count; the file is rewritten
//	   and compacted
//
// Before migrating, Open writes a copy of the file next to it, named
// <file>.schema<old version>-<UTC time>.bak (e.g.
// incidentbot.db.schema2-20261130T101500Z.bak), with Tx.WriteTo. Backups
// are never pruned by incidentbot: they are made once per upgrade that
// changes the schema, and deleting a pre-upgrade copy is the operator's
// decision. Open logs the path of each one.
//
// A migration either updates the file in place in one write transaction
// (a new bucket), or rewrites it: every record is copied into a new file,
// converted, in transactions of bounded size, and the new file replaces
// the old one by a rename. A rewrite needs free space for the backup and
// the new file (each at most the size of the old one); a crash during it
// leaves the old file whole and the migration runs again at the next
// start.

// schemaVersion is the schema this incidentbot writes.
const schemaVersion = 3

// migration moves a database from version i to i+1 (migrations[i]).
// Exactly one of update and rewrite is set.
type migration struct {
	// update changes the file in place, in one write transaction.
	update func(tx *bolt.Tx) error
	// rewrite copies the database in src into dst, converting it.
	rewrite func(src *bolt.Tx, dst *copier) error
}

// migrations upgrade the schema: migrations[i] moves a database from
// version i to i+1, and len(migrations) is the version this binary writes.
// Append new migrations; never edit or reorder released ones. A new file
// is created at the current version directly (createSchema).
var migrations = []migration{
	// 0 → 1: the initial buckets.
	{update: func(tx *bolt.Tx) error {
		for _, name := range []string{"meta", "incidents", "timeline", "open", "due", "by_channel", "seen", "outbox"} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	}},
	// 1 → 2: the inbox of acknowledged requests. An older binary must not
	// open a database whose inbox it would ignore.
	{update: func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("inbox"))
		return err
	}},
	// 2 → 3: binary records, filled pages, the seen_time index, the open
	// count; rewritten into a compact file.
	{rewrite: migrate2to3},
}

// migrate runs ms[from:], after writing a backup of the file.
func (db *DB) migrate(ms []migration, from int) error {
	backup, err := db.backupBeforeMigration(from)
	if err != nil {
		return fmt.Errorf("back up before migrating schema %d: %w; nothing was changed", from, err)
	}
	db.logger.Info("store backed up before migration", "path", db.path, "backup", backup, "schema", from)
	start := time.Now()
	for i := from; i < len(ms); i++ {
		m := ms[i]
		if m.update != nil {
			err = db.bolt.Update(func(tx *bolt.Tx) error {
				if err := m.update(tx); err != nil {
					return err
				}
				return setSchema(tx, i+1)
			})
		} else {
			err = db.rewrite(m.rewrite, i+1)
		}
		if err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w (a backup of the file before migrating is in %s)", i, i+1, err, backup)
		}
	}
	db.logger.Info("store schema migrated", "path", db.path, "from", from, "to", len(ms), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// backupBeforeMigration writes a consistent copy of the file next to it
// and returns its path.
func (db *DB) backupBeforeMigration(version int) (string, error) {
	name := fmt.Sprintf("%s.schema%d-%s.bak", db.path, version, db.now().UTC().Format("20060102T150405Z"))
	err := writeFileAtomic(name, func(f *os.File) error {
		return db.bolt.View(func(tx *bolt.Tx) error {
			_, err := tx.WriteTo(f)
			return err
		})
	})
	return name, err
}

// writeFileAtomic writes path through a temporary file in the same
// directory, synced and renamed, so that path is either absent, its old
// self, or complete.
func writeFileAtomic(path string, write func(f *os.File) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a rename in dir durable; best effort.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// rewrite runs fn from the open file into a new one at version, then puts
// the new file in place of the old and reopens it.
func (db *DB) rewrite(fn func(src *bolt.Tx, dst *copier) error, version int) error {
	tmp := db.path + ".migrating"
	_ = os.Remove(tmp) // left by a crash during an earlier attempt
	// The new file is at most as large as the old one: reserving that much
	// map up front spares the copy a remap at every doubling.
	var size int64
	if fi, err := os.Stat(db.path); err == nil {
		size = fi.Size()
	}
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true, InitialMmapSize: int(size)})
	if err != nil {
		return err
	}
	cp := &copier{db: dst}
	err = db.bolt.View(func(src *bolt.Tx) error { return fn(src, cp) })
	if err == nil {
		err = cp.update(func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucketIfNotExists(bucketMeta); err != nil {
				return err
			}
			return setSchema(tx, version)
		})
	}
	if err == nil {
		err = cp.commit()
	}
	if err == nil {
		err = dst.Sync()
	}
	cp.rollback() // after a failure: Close waits for an open transaction
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	noSync := db.bolt.NoSync
	if err := db.bolt.Close(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, db.path); err != nil {
		return err
	}
	syncDir(filepath.Dir(db.path))
	if fi, err := os.Stat(db.path); err == nil {
		size = fi.Size()
	}
	bdb, err := openBolt(db.path, &bolt.Options{Timeout: time.Second, NoSync: noSync, InitialMmapSize: mmapReserve(size)})
	if err != nil {
		return fmt.Errorf("reopen after rewriting: %w", err)
	}
	db.bolt = bdb
	return nil
}

// copier writes a new file for a rewrite, committing every copyTxBytes so
// that memory stays bounded whatever the size of the database. Keys are
// expected in order within each bucket, so every bucket is filled like an
// append-only one.
type copier struct {
	db   *bolt.DB
	tx   *bolt.Tx
	size int
}

// copyTxBytes bounds the data written by one transaction of a rewrite.
const copyTxBytes = 32 << 20

func (c *copier) begin() error {
	if c.tx != nil {
		return nil
	}
	tx, err := c.db.Begin(true)
	c.tx, c.size = tx, 0
	return err
}

// put stores key/value in bucket name, creating it.
func (c *copier) put(name, key, value []byte) error {
	if c.size > copyTxBytes {
		if err := c.commit(); err != nil {
			return err
		}
	}
	if err := c.begin(); err != nil {
		return err
	}
	b, err := c.tx.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	b.FillPercent = 1.0
	c.size += len(key) + len(value)
	return b.Put(key, value)
}

// update runs fn in the current transaction.
func (c *copier) update(fn func(tx *bolt.Tx) error) error {
	if err := c.begin(); err != nil {
		return err
	}
	return fn(c.tx)
}

func (c *copier) commit() error {
	if c.tx == nil {
		return nil
	}
	tx := c.tx
	c.tx = nil
	return tx.Commit()
}

func (c *copier) rollback() {
	if c.tx != nil {
		_ = c.tx.Rollback()
		c.tx = nil
	}
}

// migrate2to3 rewrites a schema-2 database: JSON records become binary
// ones, the indexes are rebuilt from the incidents (so a damaged index is
// repaired, not copied), the seen_time index and the open count are new.
// It refuses a bucket it does not know rather than drop it.
func migrate2to3(src *bolt.Tx, dst *copier) error {
	known := map[string]bool{}
	for _, name := range []string{"meta", "incidents", "timeline", "open", "due", "by_channel", "seen", "outbox", "inbox"} {
		known[name] = true
	}
	err := src.ForEach(func(name []byte, _ *bolt.Bucket) error {
		if !known[string(name)] {
			return fmt.Errorf("unknown bucket %q: not an incidentbot schema-2 database", name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range allBuckets {
		if err := dst.update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(name); return err }); err != nil {
			return err
		}
	}
	// convert copies bucket name record by record: keys must be keyLen
	// bytes (0: any), fn returns the new value. With parallel, fn runs on
	// every CPU over chunks of records (it must then be safe for that);
	// the records are still written in key order. Keys and values point
	// into the read transaction's memory map, valid until it ends.
	convert := func(name string, keyLen int, what string, parallel bool, fn func(k, v []byte) ([]byte, error)) error {
		b := src.Bucket([]byte(name))
		if b == nil {
			return fmt.Errorf("bucket %s is missing", name)
		}
		type record struct{ k, v, out []byte }
		var chunk []record
		var errs []error
		flush := func() error {
			workers := 1
			if parallel {
				workers = runtime.GOMAXPROCS(0)
			}
			errs = append(errs[:0], make([]error, len(chunk))...)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := w; i < len(chunk); i += workers {
						chunk[i].out, errs[i] = fn(chunk[i].k, chunk[i].v)
					}
				})
			}
			wg.Wait()
			for i, r := range chunk {
				if errs[i] != nil {
					return fmt.Errorf("%s: key %s: %w", name, showKey(r.k), errs[i])
				}
				if err := dst.put([]byte(name), r.k, r.out); err != nil {
					return err
				}
			}
			chunk = chunk[:0]
			return nil
		}
		err := b.ForEach(func(k, v []byte) error {
			if keyLen > 0 && len(k) != keyLen {
				return fmt.Errorf("%s: key %x is not %s", name, k, what)
			}
			chunk = append(chunk, record{k: k, v: v})
			if len(chunk) < 4096 {
				return nil
			}
			return flush()
		})
		if err != nil {
			return err
		}
		return flush()
	}

	// Incidents, and the index entries derived from them.
	var open, due [][]byte
	var facts [][2][]byte
	type channel struct {
		id  string
		inc int64
	}
	var channels []channel
	err = convert("incidents", 8, "an incident ID", false, func(k, v []byte) ([]byte, error) {
		id := int64(btoi(k))
		inc, err := schema2.UnmarshalIncident(id, v)
		if err != nil {
			return nil, err
		}
		if OpenStatus(inc.Status) {
			open = append(open, itob(uint64(id)))
		}
		if !inc.WakeAt.IsZero() {
			due = append(due, key2(dueTime(inc.WakeAt), uint64(id)))
		}
		if inc.ChannelID != "" {
			channels = append(channels, channel{inc.ChannelID, id})
		}
		fk, fv := factsEntry(inc)
		facts = append(facts, [2][]byte{fk, fv})
		return marshalIncident(inc), nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(due, bytes.Compare)
	slices.SortFunc(channels, func(a, b channel) int { return cmp.Compare(a.id, b.id) })
	for i, c := range channels {
		if i > 0 && channels[i-1].id == c.id {
			return fmt.Errorf("incidents %d and %d both have war room %s", channels[i-1].inc, c.inc, c.id)
		}
		if err := dst.put(bucketByChannel, []byte(c.id), itob(uint64(c.inc))); err != nil {
			return err
		}
	}
	for _, idx := range []struct {
		name []byte
		keys [][]byte
	}{{bucketOpen, open}, {bucketDue, due}} {
		for _, k := range idx.keys {
			if err := dst.put(idx.name, k, nil); err != nil {
				return err
			}
		}
	}
	slices.SortFunc(facts, func(a, b [2][]byte) int { return bytes.Compare(a[0], b[0]) })
	for _, f := range facts {
		if err := dst.put(bucketFacts, f[0], f[1]); err != nil {
			return err
		}
	}

	// Timeline, outbox and inbox: records converted.
	err = convert("timeline", 16, "incident|seq", true, func(k, v []byte) ([]byte, error) {
		e, err := schema2.UnmarshalEvent(int64(btoi(k[:8])), btoi(k[8:]), v)
		return marshalEvent(&e), err
	})
	if err != nil {
		return err
	}
	err = convert("outbox", 8, "a sequence number", true, func(k, v []byte) ([]byte, error) {
		e, err := schema2.UnmarshalEffect(btoi(k), v)
		return marshalEffect(&e), err
	})
	if err != nil {
		return err
	}
	err = convert("inbox", 8, "a sequence number", true, func(k, v []byte) ([]byte, error) {
		r, err := schema2.UnmarshalRequest(btoi(k), v)
		return marshalRequest(&r), err
	})
	if err != nil {
		return err
	}

	// Deduplication keys, and their new time index.
	var byTime [][]byte
	err = convert("seen", 0, "", false, func(k, v []byte) ([]byte, error) {
		if len(v) != 8 {
			return nil, fmt.Errorf("value %x is not a time", v)
		}
		byTime = append(byTime, seenTimeKey(v, k))
		return v, nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(byTime, bytes.Compare)
	for _, k := range byTime {
		if err := dst.put(bucketSeenTime, k, nil); err != nil {
			return err
		}
	}

	// Sequences: incident numbers, effect and request numbers go on.
	return dst.update(func(tx *bolt.Tx) error {
		for _, name := range []string{"incidents", "outbox", "inbox"} {
			if err := tx.Bucket([]byte(name)).SetSequence(src.Bucket([]byte(name)).Sequence()); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketOpen).SetSequence(uint64(len(open))); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyApp, appMarker)
	})
}
