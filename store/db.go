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
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Bucket names and key layouts (schema 3). Keys built from numbers are
// 8-byte big-endian (itob), so byte order is numeric order. Values are
// records as codec.go describes.
var (
	// bucketMeta holds "schema_version" (itob) and "app" ("incidentbot").
	bucketMeta = []byte("meta")
	// bucketIncidents maps itob(id) to an incident record. Its
	// NextSequence gives incident numbers 1, 2, 3…
	bucketIncidents = []byte("incidents")
	// bucketTimeline maps itob(incidentID)|itob(seq) to an event record.
	// seq counts from 1 per incident, without gaps.
	bucketTimeline = []byte("timeline")
	// bucketOpen maps itob(id) to an empty value for every incident whose
	// status is open (OpenStatus). Its sequence is the number of entries,
	// kept up to date in every write, so counting reads one number.
	bucketOpen = []byte("open")
	// bucketDue maps dueKey(WakeAt)|itob(id) to an empty value: exactly one
	// entry per incident whose WakeAt is set.
	bucketDue = []byte("due")
	// bucketByChannel maps a war-room channel ID to itob(id).
	bucketByChannel = []byte("by_channel")
	// bucketSeen maps a deduplication key to the time it was first seen
	// (itob of UnixNano).
	bucketSeen = []byte("seen")
	// bucketSeenTime maps itob(UnixNano)|key to an empty value for every
	// entry of bucketSeen, so that pruning reads only what it removes.
	bucketSeenTime = []byte("seen_time")
	// bucketOutbox maps itob(seq) to an effect record; its NextSequence
	// numbers the effects.
	bucketOutbox = []byte("outbox")
	// bucketInbox maps itob(seq) to a request record: requests
	// acknowledged to Slack and not yet processed.
	bucketInbox = []byte("inbox")

	allBuckets = slices.Concat([][]byte{bucketMeta, bucketIncidents, bucketTimeline, bucketOpen,
		bucketDue, bucketByChannel, bucketSeen, bucketSeenTime, bucketOutbox, bucketInbox,
		bucketSubscriptions,
		// Alerts, deploys and the statistics index (alerts.go, deploys.go,
		// facts.go).
		bucketAlertGroups, bucketDeploys, bucketDeploysByService, bucketDeploysByTime, bucketFacts},
		oncallBuckets, // issue 13 (store/oncall.go)
		// Issue 15: the daily email digest (store/digest.go).
		[][]byte{bucketDigestMail},
	)

	// numbering are the buckets whose sequence numbers something (or
	// counts, for open); the others keep 0 (Check).
	numbering = [][]byte{bucketIncidents, bucketOpen, bucketOutbox, bucketInbox, bucketOncallOverrides}

	keySchemaVersion = []byte("schema_version")
	keyApp           = []byte("app")
	// keyMigrating is set in the meta bucket of a store that
	// `incidentbot migrate` is filling, and removed when it is done: Open
	// refuses a store where it is left.
	keyMigrating = []byte("migrating")
	appMarker    = []byte("incidentbot")
)

// appendFill is the FillPercent of buckets whose keys only grow (new
// incidents, events, effects, requests, seen times). bbolt's default (0.5)
// splits a full page in two half pages, which for keys that only grow
// leaves every page half empty for ever; filling pages completely halves
// the size of those buckets. A key inserted in the middle (an event of an
// older incident) splits one page, which later appends fill again.
const appendFill = 1.0

// appendOnly reports whether bucket name only grows at its end, so that
// bbolt fills its pages (appendFill). Add a new bucket here when its keys
// only grow.
func appendOnly(name []byte) bool {
	switch string(name) {
	case "incidents", "timeline", "outbox", "inbox", "seen_time":
		return true
	}
	return false
}

// DB is the incident store, on a bbolt file (Open) or on etcd (OpenEtcd).
// It is safe for concurrent use.
type DB struct {
	// kv runs the transactions of either backend; bolt is the file of the
	// bbolt backend (nil on etcd), etcd the etcd backend (nil on bbolt).
	kv   backend
	bolt *bolt.DB
	etcd *etcdKV
	path string
	// name says which store this is in errors: the quoted path, or etcd's
	// endpoints and prefix.
	name   string
	now    func() time.Time
	logger *slog.Logger
	// version is the schema of the file once open.
	version int

	// group commit state, guarded by mu (see commit.go).
	mu      sync.Mutex
	queue   []*op
	leading bool
	// subs hear the effects of each commit (see AnnounceEffects).
	subs []*effectSub
	// groups counts group transactions run, for tests.
	groups atomic.Int64
	// writes changes after every write transaction: see Version.
	writes atomic.Uint64
	closed atomic.Bool
	// fencing makes writes wait for a fence (etcd; see SetFence).
	fencing bool
	// stopWatch stops the watch of other processes' writes (etcd).
	stopWatch func()
	// movedFn returns a channel closed when the etcd client moves to
	// another member (WithMoved), or is nil.
	movedFn func() <-chan struct{}
}

// ErrClosed is returned by Check on a closed store.
var ErrClosed = errors.New("the store is closed")

// ErrLocked is wrapped by Open's error when another process (a running
// bot) holds the database.
var ErrLocked = errors.New("the database is locked by another process (is incidentbot already running?)")

var _ incident.Store = (*DB)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	now         func() time.Time
	logger      *slog.Logger
	timeout     time.Duration
	noSync      bool
	checkAtOpen bool
	migrations  []migration
	// etcd only: see etcd.go.
	maxTxnOps                      int
	requestTimeout, attemptTimeout time.Duration
	stall                          func(sent time.Time)
	moved                          func() <-chan struct{}
	fencing                        bool
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

// WithCheckAtOpen makes Open run Check before returning, and refuse the
// file if it fails. Check reads the whole file: about 6 s per gigabyte
// from the page cache, more from a cold disk (see Check), so it is off by
// default; Open alone reads a few pages whatever the size.
func WithCheckAtOpen(check bool) Option { return func(o *options) { o.checkAtOpen = check } }

// withMigrations replaces the migration list (tests only).
func withMigrations(ms []migration) Option {
	return func(o *options) { o.migrations = ms }
}

// Open opens the database at path, creating the file and its directory if
// needed, and brings its schema up to date (see schema.go; a backup is
// written next to the file before any migration).
//
// It refuses a file locked by another process, a file that is not an
// incidentbot database, a damaged file bbolt would crash on (truncated,
// both meta pages bad, a root or freelist page out of range) and a
// database written by a newer incidentbot. What Open reads does not grow
// with the file: the two meta pages, the freelist, the root of every
// bucket (0.12 ms for 1k, 10k or 100k incidents). Damage deeper in the
// file (a flipped byte in a data page) is found by Check, which reads
// everything, at about 6 s per gigabyte: WithCheckAtOpen runs it first.
// A read that meets damage returns an error rather than crash (see view),
// with one exception bbolt leaves open: a branch page rewritten to point
// back up its own tree makes bbolt's cursor loop until memory runs out.
// Run Check after a crash of the machine or a disk error, and from a
// daily job.
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
	var damaged []string
	if statErr == nil {
		var err error
		_, damaged, err = verifyFile(path)
		if err != nil {
			return nil, wrap("%w", err)
		}
	}

	var size int64
	if statErr == nil {
		size = fi.Size()
	}
	bdb, err := openBolt(path, &bolt.Options{Timeout: o.timeout, NoSync: o.noSync, InitialMmapSize: mmapReserve(size)})
	switch {
	case err == nil:
	case errors.Is(err, berrors.ErrTimeout):
		return nil, wrap("%w", ErrLocked)
	case errors.Is(err, fs.ErrPermission) && errors.Is(statErr, fs.ErrNotExist):
		return nil, wrap("directory %q is not writable: %v; choose another store.path", dir, reason(err))
	case errors.Is(err, fs.ErrPermission):
		return nil, wrap("file is not writable: %v; check its owner and mode", reason(err))
	case errors.Is(err, errCorruptFile):
		return nil, wrap("%w", err)
	case statErr == nil:
		// bbolt could not read an existing file.
		return nil, wrap("not an incidentbot database (%v)", err)
	default:
		return nil, wrap("%w", err)
	}

	db := &DB{bolt: bdb, path: path, name: strconv.Quote(path), now: o.now, logger: o.logger.With("component", "store")}
	db.kv = boltKV{db}
	if len(damaged) > 0 {
		db.logger.Warn("a meta page of the database is damaged; bbolt uses the other one, which may lack the last transaction",
			"path", path, "damage", joinReasons(damaged))
	}
	if err := db.init(o.migrations); err != nil {
		_ = db.bolt.Close()
		return nil, wrap("%w", err)
	}
	if o.checkAtOpen {
		if err := db.Check(); err != nil {
			_ = db.bolt.Close()
			return nil, fmt.Errorf("open store %q: %w", path, err)
		}
	}
	return db, nil
}

// mmapReserve is the memory map to reserve at open for a file of size
// bytes. A write that needs a larger map waits for every read transaction
// to end, so a long read (an export, a backup, Check) holds up writers
// until it ends. For a file of 16 MB or more (bbolt's allocation step,
// past which its growth is the same either way), reserving twice the file
// means writes go on until the file doubles. Smaller files keep bbolt's
// default (the file size rounded up to a power of two): reading them
// takes milliseconds, and reserving more would make bbolt grow them in
// 16 MB steps. The reserve is address space, not memory.
func mmapReserve(size int64) int {
	const step = 16 << 20
	if strconv.IntSize < 64 || size < step {
		return 0
	}
	return int(2 * size)
}

// openBolt is bolt.Open made safe for a damaged file: a fault or panic in
// it becomes an error, and the file it opened is closed (releasing its
// lock).
func openBolt(path string, o *bolt.Options) (bdb *bolt.DB, err error) {
	var file *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				_ = file.Close()
			}
			bdb, err = nil, fmt.Errorf("%w: bbolt failed reading it (%v); restore a backup", errCorruptFile, r)
		}
	}()
	return bolt.Open(path, 0o600, o)
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

// errForeign marks a file that is not an incidentbot database.
type errForeign struct{ why string }

func (e errForeign) Error() string { return "not an incidentbot database (" + e.why + ")" }

// init checks that the file is ours and brings its schema up to date. A
// new file gets the current schema directly; an older one is migrated.
func (db *DB) init(ms []migration) error {
	var from int
	fresh := false
	err := db.view(func(r reader) error {
		meta := r.bolt().Bucket(bucketMeta)
		if meta == nil {
			var names []string
			_ = r.bolt().ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, fmt.Sprintf("%q", name))
				return nil
			})
			ours := 0
			for _, name := range allBuckets {
				if r.bolt().Bucket(name) != nil {
					ours++
				}
			}
			if ours > 0 {
				return fmt.Errorf("%w: it has incidentbot's buckets but no meta bucket; restore a backup", errCorruptFile)
			}
			if len(names) > 0 {
				slices.Sort(names)
				if len(names) > 5 {
					names = append(names[:5], "…")
				}
				return errForeign{fmt.Sprintf("a bbolt file with buckets %v and no incidentbot metadata", names)}
			}
			fresh = true
			return nil
		}
		if err := checkMeta(r); err != nil {
			return err
		}
		if app := meta.Get(keyApp); string(app) != string(appMarker) {
			return errForeign{fmt.Sprintf("its meta bucket names app %q", app)}
		}
		v := meta.Get(keySchemaVersion)
		if len(v) != 8 {
			return errForeign{"its schema version is unreadable"}
		}
		from = int(btoi(v))
		return nil
	})
	if err != nil {
		return err
	}
	to := len(ms)
	switch {
	case fresh:
		err = db.bolt.Update(func(tx *bolt.Tx) error { return createSchema(tx, to) })
	case from > to:
		return fmt.Errorf("created by a newer incidentbot (schema %d > %d); upgrade incidentbot", from, to)
	case from < to:
		err = db.migrate(ms, from)
	}
	if err != nil {
		return err
	}
	db.version = to
	return db.view(func(r reader) error {
		for _, name := range allBuckets {
			if r.bolt().Bucket(name) == nil {
				return fmt.Errorf("%w: bucket %s is missing; restore a backup", errCorruptFile, name)
			}
		}
		return nil
	})
}

// createSchema makes the buckets of the current schema in a new file.
func createSchema(tx *bolt.Tx, version int) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return setSchema(tx, version)
}

// setSchema marks the file as ours, at version.
func setSchema(tx *bolt.Tx, version int) error {
	meta := tx.Bucket(bucketMeta)
	if err := meta.Put(keyApp, appMarker); err != nil {
		return err
	}
	return meta.Put(keySchemaVersion, itob(uint64(version)))
}

// Close waits for running transactions and closes the file.
func (db *DB) Close() error {
	db.closed.Store(true)
	if db.stopWatch != nil {
		db.stopWatch()
	}
	if err := db.kv.close(); err != nil {
		return fmt.Errorf("close store %s: %w", db.name, err)
	}
	return nil
}

// WriteTransactions counts the write transactions run so far: concurrent
// writes share one through the group commit.
func (db *DB) WriteTransactions() int64 { return db.groups.Load() }

// Version changes whenever a write may have changed the database: a
// result read after Version returned an even v is still current while
// Version returns v. It is odd while a write transaction runs, whose
// commit a reader may already see: a result read then may be stale
// before Version moves on, so cache nothing under an odd Version.
func (db *DB) Version() uint64 { return db.writes.Load() }

// Backend returns "bbolt" or "etcd".
func (db *DB) Backend() string {
	if db.etcd != nil {
		return "etcd"
	}
	return "bbolt"
}

// maxWrites is the most keys one op may write, 0 when the backend sets
// no limit (bbolt). An op that writes a list of unbounded length (a bulk
// import, a pruning) splits it into ops of at most this many writes.
func (db *DB) maxWrites() int {
	if db.etcd != nil {
		return db.etcd.maxOps - 1 // P rev is written too
	}
	return 0
}

// chunks splits s into slices of at most n elements; n <= 0 gives s whole.
func chunks[T any](s []T, n int) iter.Seq[[]T] {
	if n <= 0 {
		return func(yield func([]T) bool) { yield(s) }
	}
	return slices.Chunk(s, n)
}

// Path returns the file the store was opened on, "" on etcd.
func (db *DB) Path() string { return db.path }

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
