package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// errCorruptStore marks an etcd store whose records or indexes are
// damaged (errCorruptFile is bbolt's).
var errCorruptStore = errors.New("the store is corrupt")

// DefaultEtcdPrefix is the key prefix of a store on etcd when none is
// configured.
const DefaultEtcdPrefix = "/incidentbot/"

// DefaultMaxTxnOps is etcd's default --max-txn-ops: the most keys one
// etcd transaction may write.
const DefaultMaxTxnOps = 128

// DefaultRequestTimeout bounds one request to etcd.
const DefaultRequestTimeout = 5 * time.Second

// WithMaxTxnOps sets the most operations the store puts in one etcd
// transaction: etcd's --max-txn-ops (default 128). Raise both together.
func WithMaxTxnOps(n int) Option { return func(o *options) { o.maxTxnOps = n } }

// WithRequestTimeout bounds each request to etcd, its attempts included
// (default 5 s).
func WithRequestTimeout(d time.Duration) Option { return func(o *options) { o.requestTimeout = d } }

// WithStall gives an etcd store a function to call when an attempt at a
// request gets no answer in time: the etcd client's member may be frozen
// or cut off (see package etcdhealth, whose Watcher.Stall moves the
// client to another member).
func WithStall(f func()) Option { return func(o *options) { o.stall = f } }

// DefaultAttemptTimeout bounds one attempt at a request to etcd.
const DefaultAttemptTimeout = time.Second

// WithAttemptTimeout bounds each attempt at a request to etcd (default
// 1 s): a member that does not answer within it is given up for another.
// It should be well under Slack's 3 s ack deadline, and well over the
// cluster's usual commit latency.
func WithAttemptTimeout(d time.Duration) Option { return func(o *options) { o.attemptTimeout = d } }

// WithFencing makes every write of an etcd store wait for a fence
// (SetFence): until one is set, and after it is cleared, writes fail with
// ErrNotLeader. Replicas that elect a leader open their store with it, so
// that only the leader writes.
func WithFencing() Option { return func(o *options) { o.fencing = true } }

// OpenEtcd opens the store kept in etcd under prefix (which must end in
// "/"), through client, which the caller keeps and closes after the store.
// An empty prefix creates the schema; a prefix written by a newer
// incidentbot, by another program, or by a migration that did not finish
// is refused. It reads a few keys.
//
// Several processes may open the same store. Their reads are consistent
// snapshots and their writes serializable (see kv_etcd.go), but the bot
// runs one writer, the leader, whose writes are fenced (WithFencing,
// SetFence).
func OpenEtcd(ctx context.Context, client *clientv3.Client, prefix string, opts ...Option) (*DB, error) {
	o := options{now: time.Now, migrations: migrations, maxTxnOps: DefaultMaxTxnOps, requestTimeout: DefaultRequestTimeout, attemptTimeout: DefaultAttemptTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	name := fmt.Sprintf("etcd %s at %s", prefix, strings.Join(client.Endpoints(), ","))
	if !strings.HasSuffix(prefix, "/") {
		return nil, fmt.Errorf("open store %s: the prefix must end in \"/\"", name)
	}
	if o.maxTxnOps < 16 {
		return nil, fmt.Errorf("open store %s: at least 16 operations per etcd transaction are needed, not %d", name, o.maxTxnOps)
	}
	kv := &etcdKV{c: client, prefix: prefix, timeout: o.requestTimeout, attempt: min(o.attemptTimeout, o.requestTimeout), stall: o.stall, maxOps: o.maxTxnOps, maxBytes: maxTxnBytes}
	db := &DB{kv: kv, etcd: kv, name: name, now: o.now, logger: o.logger.With("component", "store"), fencing: o.fencing}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	if err := db.initEtcd(len(o.migrations)); err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	db.watchWrites()
	if o.checkAtOpen {
		if err := db.Check(); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open store %s: %w", name, err)
		}
	}
	return db, nil
}

// initEtcd checks that the prefix holds our store at the current schema,
// or nothing: then it creates the schema.
func (db *DB) initEtcd(version int) error {
	fresh := false
	var from uint64
	err := db.view(func(r reader) error {
		if err := checkMeta(r); err != nil {
			return err
		}
		if r.get(bucketMeta, keyApp) != nil {
			from = btoi(r.get(bucketMeta, keySchemaVersion))
			return nil
		}
		names, err := r.t.buckets()
		if err != nil {
			return err
		}
		if len(names) > 0 {
			return fmt.Errorf("%w: it holds buckets %s but no incidentbot metadata; if a migration into it was interrupted, delete the prefix (etcdctl del --prefix %s) and migrate again", errCorruptStore, joinNames(names), db.etcd.prefix)
		}
		fresh = true
		return nil
	})
	switch {
	case err != nil:
		return err
	case fresh:
		// Replicas starting together may race to create it: the loser's
		// transaction runs again and finds it made.
		err = db.kv.update(func(t kvTx) error {
			if t.get(bucketMeta, keyApp) != nil {
				return nil
			}
			if err := t.put(bucketMeta, keyApp, appMarker); err != nil {
				return err
			}
			return t.put(bucketMeta, keySchemaVersion, itob(uint64(version)))
		})
		if err != nil {
			return fmt.Errorf("create the schema: %w", err)
		}
	case from > uint64(version):
		return fmt.Errorf("created by a newer incidentbot (schema %d > %d); upgrade incidentbot", from, version)
	case from < uint64(version):
		return fmt.Errorf("schema %d, older than this incidentbot's (%d), and the etcd backend has no migrations: copy it to a bbolt file with an incidentbot of its version (incidentbot migrate), open that file with this one, then migrate it back", from, version)
	}
	db.version = version
	return nil
}

// checkMeta refuses a store that is not ours or that a migration left
// unfinished; it accepts an empty one.
func checkMeta(r reader) error {
	if r.get(bucketMeta, keyMigrating) != nil {
		return fmt.Errorf("a migration into this store did not finish (meta/%s is set): empty the store and migrate again", keyMigrating)
	}
	app := r.get(bucketMeta, keyApp)
	switch {
	case app == nil:
		return nil
	case string(app) != string(appMarker):
		return errForeign{fmt.Sprintf("its meta bucket names app %q", app)}
	case len(r.get(bucketMeta, keySchemaVersion)) != 8:
		return errForeign{"its schema version is unreadable"}
	}
	return nil
}

// joinNames lists bucket names for a message, at most five.
func joinNames(names [][]byte) string {
	var out []string
	for i, n := range names {
		if i == 5 {
			out = append(out, "…")
			break
		}
		out = append(out, showKey(n))
	}
	return strings.Join(out, ", ")
}

// SetFence makes every later write of an etcd store conditional on this
// replica's leadership: the election key key must exist with create
// revision rev (concurrency.Election's Key and Rev). A replica whose lease
// ran out has lost the key, so its writes fail with ErrNotLeader. An
// empty key clears the fence: with WithFencing, writes then fail until the
// next SetFence. It does nothing on bbolt.
func (db *DB) SetFence(key string, rev int64) {
	if db.etcd == nil {
		return
	}
	if key == "" {
		db.etcd.fence.Store(nil)
		return
	}
	db.etcd.fence.Store(&fence{key: key, rev: rev})
}

// checkFence returns ErrNotLeader when writes need a fence and none is
// set.
func (db *DB) checkFence() error {
	if db.fencing && db.etcd != nil && db.etcd.fence.Load() == nil {
		return ErrNotLeader
	}
	return nil
}

// watchWrites bumps Version whenever any process commits a write to the
// store, so that what a replica caches is dropped when another one
// writes. Its own writes bump it as they commit.
func (db *DB) watchWrites() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	db.stopWatch = func() {
		cancel()
		wg.Wait()
	}
	revKey := db.etcd.key(etcdRevKey)
	wg.Go(func() {
		for ctx.Err() == nil {
			for wr := range db.etcd.c.Watch(clientv3.WithRequireLeader(ctx), revKey) {
				if err := wr.Err(); err != nil && !errors.Is(err, context.Canceled) {
					db.logger.Debug("watch the store's writes", "err", err)
				}
				// By two: Version stays even (see Version).
				db.writes.Add(2)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	})
}
