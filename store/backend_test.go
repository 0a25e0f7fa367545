package store

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/incidentbot/incidentbot/store/etcdtest"
)

// The store suite: tests of what the store promises (its methods, the
// group commit, Check on records and indexes) run on both backends
// through eachBackend; tests of the bbolt file itself (its format, damage,
// migrations, backups by page) use MustOpenDB.

// testBackend opens stores of one backend.
type testBackend struct {
	name string
	// open opens a new, empty store with testOptions; cleanup checks and
	// closes it.
	open func(tb testing.TB, opts ...Option) *DB
	// reopen checks and closes db, then opens the same store again.
	reopen func(tb testing.TB, db *DB, opts ...Option) *DB
}

var backends = []testBackend{
	{"bbolt",
		func(tb testing.TB, opts ...Option) *DB { tb.Helper(); return MustOpenDB(tb, opts...) },
		func(tb testing.TB, db *DB, opts ...Option) *DB {
			tb.Helper()
			MustCloseDB(tb, db)
			return MustOpenDBAt(tb, db.Path(), opts...)
		}},
	{"etcd", MustOpenEtcd, func(tb testing.TB, db *DB, opts ...Option) *DB {
		tb.Helper()
		MustCloseDB(tb, db)
		return MustOpenEtcdAt(tb, db.etcd.prefix, opts...)
	}},
}

// eachBackend runs fn once per backend, as subtests named after them.
func eachBackend(t *testing.T, fn func(t *testing.T, b testBackend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// shared is the etcd of this test binary: one member in this process,
// started at first use and stopped by TestMain. Each store gets its own
// prefix.
var shared struct {
	once    sync.Once
	cluster *etcdtest.Cluster
	client  *clientv3.Client
	dir     string
	err     error
	stores  atomic.Int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cluster != nil {
		shared.client.Close()
		shared.cluster.Close()
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// SharedEtcd returns a client of this test binary's etcd, starting it.
func SharedEtcd(tb testing.TB) *clientv3.Client {
	tb.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "incidentbot-etcd-"); shared.err != nil {
			return
		}
		if shared.cluster, shared.err = etcdtest.New(shared.dir, etcdtest.Options{}); shared.err != nil {
			return
		}
		shared.client, shared.err = etcdtest.NewClient(shared.cluster.Endpoints())
	})
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.client
}

// NewEtcdPrefix returns a prefix no other store of this test binary uses.
func NewEtcdPrefix() string { return fmt.Sprintf("/test/%d/", shared.stores.Add(1)) }

// MustOpenEtcd opens a new store on the shared etcd, under a new prefix,
// with the test clock. Cleanup checks and closes it.
func MustOpenEtcd(tb testing.TB, opts ...Option) *DB {
	tb.Helper()
	return MustOpenEtcdAt(tb, NewEtcdPrefix(), opts...)
}

// MustOpenEtcdAt is MustOpenEtcd on prefix.
func MustOpenEtcdAt(tb testing.TB, prefix string, opts ...Option) *DB {
	tb.Helper()
	db, err := OpenEtcd(context.Background(), SharedEtcd(tb), prefix, testOptions(opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { MustCloseDB(tb, db) })
	return db
}
