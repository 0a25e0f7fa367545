// Package store implements incident.Store on an embedded bbolt file.
//
// One process owns the file: bbolt locks it exclusively, so a second
// incidentbot on the same file fails to open within the lock timeout.
// Writes from concurrent goroutines share transactions through a group
// commit (see commit.go); a lone writer commits at once.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Bucket names and key layouts. Keys built from numbers are 8-byte
// big-endian (itob), so byte order is numeric order.
var (
	// bucketMeta holds "schema_version" (itob) and "app" ("incidentbot").
	bucketMeta = []byte("meta")
	// bucketIncidents maps itob(id) to a JSON incidentRecord. Its
	// NextSequence gives incident numbers 1, 2, 3…
	bucketIncidents = []byte("incidents")
	// bucketTimeline maps itob(incidentID)|itob(seq) to a JSON eventRecord.
	// seq counts from 1 per incident, without gaps.
	bucketTimeline = []byte("timeline")
	// bucketOpen maps itob(id) to an empty value for every incident that is
	// not closed.
	bucketOpen = []byte("open")
	// bucketDue maps dueKey(WakeAt)|itob(id) to an empty value: exactly one
	// entry per incident whose WakeAt is set.
	bucketDue = []byte("due")
	// bucketByChannel maps a war-room channel ID to itob(id).
	bucketByChannel = []byte("by_channel")
	// bucketSeen maps a FirstTime key to the time it was first seen
	// (itob of UnixNano).
	bucketSeen = []byte("seen")
	// bucketOutbox maps itob(seq) to a JSON effectRecord; its NextSequence
	// numbers the effects.
	bucketOutbox = []byte("outbox")
	// bucketInbox maps itob(seq) to a JSON requestRecord: requests
	// acknowledged to Slack and not yet processed.
	bucketInbox = []byte("inbox")

	allBuckets = [][]byte{bucketMeta, bucketIncidents, bucketTimeline, bucketOpen,
		bucketDue, bucketByChannel, bucketSeen, bucketOutbox, bucketInbox}

	keySchemaVersion = []byte("schema_version")
	keyApp           = []byte("app")
	appMarker        = []byte("incidentbot")
)

// migrations upgrade the schema: migrations[i] moves a database from
// version i to i+1, and len(migrations) is the version this binary writes.
// Append new migrations; never edit or reorder released ones.
var migrations = []func(tx *bolt.Tx) error{
	// 0 → 1: the initial buckets.
	func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 1 → 2: the inbox of acknowledged requests. An older binary must not
	// open a database whose inbox it would ignore.
	func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketInbox)
		return err
	},
}

// DB is the bbolt-backed incident store. It is safe for concurrent use.
type DB struct {
	bolt   *bolt.DB
	path   string
	now    func() time.Time
	logger *slog.Logger

	// group commit state, guarded by mu (see commit.go).
	mu      sync.Mutex
	queue   []*op
	leading bool
	// groups counts group transactions run, for tests.
	groups atomic.Int64
}

var _ incident.Store = (*DB)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	now        func() time.Time
	logger     *slog.Logger
	timeout    time.Duration
	noSync     bool
	migrations []func(tx *bolt.Tx) error
}

// WithNow sets the clock. The store reads it once per write transaction
// and stores times in UTC. The default is time.Now.
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTimeout sets how long Open waits for another process to release the
// file lock. The default is one second; zero waits for ever.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithNoSync skips fsync on commit. A crash can then lose or corrupt data:
// use it only in tests and benchmarks.
func WithNoSync(noSync bool) Option { return func(o *options) { o.noSync = noSync } }

// withMigrations replaces the migration list (tests only).
func withMigrations(ms []func(tx *bolt.Tx) error) Option {
	return func(o *options) { o.migrations = ms }
}

// Open opens the database at path, creating the file and its directory if
// needed, and brings its schema up to date. It refuses a file locked by
// another process, a file that is not an incidentbot database, and a
// database written by a newer incidentbot.
func Open(path string, opts ...Option) (*DB, error) {
	o := options{now: time.Now, timeout: time.Second, migrations: migrations}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	wrap := func(format string, args ...any) error {
		return fmt.Errorf("open store %q: "+format, append([]any{path}, args...)...)
	}

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, wrap("directory %q is not writable: %v; choose another store.path", dir, reason(err))
	}
	fi, statErr := os.Stat(path)
	if statErr == nil && fi.IsDir() {
		return nil, wrap("it is a directory; store.path must name a file")
	}

	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.timeout, NoSync: o.noSync})
	switch {
	case err == nil:
	case errors.Is(err, berrors.ErrTimeout):
		return nil, wrap("the database is locked by another process (is incidentbot already running?)")
	case errors.Is(err, fs.ErrPermission) && errors.Is(statErr, fs.ErrNotExist):
		return nil, wrap("directory %q is not writable: %v; choose another store.path", dir, reason(err))
	case errors.Is(err, fs.ErrPermission):
		return nil, wrap("file is not writable: %v; check its owner and mode", reason(err))
	case statErr == nil:
		// bbolt could not read an existing file: wrong magic, bad
		// checksums, too short.
		return nil, wrap("not an incidentbot database (%v)", err)
	default:
		return nil, wrap("%w", err)
	}

	db := &DB{bolt: bdb, path: path, now: o.now, logger: o.logger.With("component", "store")}
	if err := db.init(o.migrations); err != nil {
		_ = bdb.Close()
		return nil, wrap("%w", err)
	}
	return db, nil
}

// reason returns the bare cause of a file-system error, e.g.
// "permission denied", without repeating the path.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// errForeign marks a file that bbolt can open but that is not ours.
type errForeign struct{ why string }

func (e errForeign) Error() string { return "not an incidentbot database (" + e.why + ")" }

// init checks that the file is ours, runs the migrations and creates every
// bucket, in one transaction. A corrupt file may make bbolt fault or
// panic; both are turned into errors.
func (db *DB) init(ms []func(tx *bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = errForeign{fmt.Sprintf("corrupt file: %v", r)}
		}
	}()
	if err := checkSize(db.bolt, db.path); err != nil {
		return err
	}
	var from, to int
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			var names []string
			_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, fmt.Sprintf("%q", name))
				return nil
			})
			if len(names) > 0 {
				slices.Sort(names)
				if len(names) > 5 {
					names = append(names[:5], "…")
				}
				return errForeign{fmt.Sprintf("a bbolt file with buckets %v and no incidentbot metadata", names)}
			}
		} else {
			if app := meta.Get(keyApp); string(app) != string(appMarker) {
				return errForeign{fmt.Sprintf("its meta bucket names app %q", app)}
			}
			v := meta.Get(keySchemaVersion)
			if len(v) != 8 {
				return errForeign{"its schema version is unreadable"}
			}
			from = int(btoi(v))
		}
		to = len(ms)
		if from > to {
			return fmt.Errorf("created by a newer incidentbot (schema %d > %d); upgrade incidentbot", from, to)
		}
		for i := from; i < to; i++ {
			if err := ms[i](tx); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", i, i+1, err)
			}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta = tx.Bucket(bucketMeta)
		if err := meta.Put(keyApp, appMarker); err != nil {
			return err
		}
		return meta.Put(keySchemaVersion, itob(uint64(to)))
	})
	if err != nil {
		return err
	}
	if from != to {
		db.logger.Info("store schema migrated", "path", db.path, "from", from, "to", to)
	}
	return nil
}

// checkSize refuses a truncated file: bbolt maps it as is, and reading a
// page past its end would crash the process.
func checkSize(bdb *bolt.DB, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return bdb.View(func(tx *bolt.Tx) error {
		if need := tx.Size(); fi.Size() < need {
			return errForeign{fmt.Sprintf("the file is truncated: %d bytes, its header says %d", fi.Size(), need)}
		}
		return nil
	})
}

// Close waits for running transactions and closes the file.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close store %q: %w", db.path, err)
	}
	return nil
}

// WriteTransactions counts the write transactions run so far: concurrent
// writes share one through the group commit.
func (db *DB) WriteTransactions() int64 { return db.groups.Load() }

// Path returns the file the store was opened on.
func (db *DB) Path() string { return db.path }

// Check verifies the integrity of the whole file (bbolt tx.Check): every
// page reachable once, freelist consistent. It reads the whole file.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("check store %q: %w", db.path, errors.Join(errs...))
		}
		return nil
	})
}

// itob encodes v as 8 big-endian bytes.
func itob(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// btoi decodes 8 big-endian bytes.
func btoi(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// key2 returns itob(a)|itob(b).
func key2(a, b uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, a)
	binary.BigEndian.PutUint64(k[8:], b)
	return k
}
