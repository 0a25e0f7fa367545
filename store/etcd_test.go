package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestOpenEtcd(t *testing.T) {
	ctx := context.Background()
	cli := SharedEtcd(t)
	open := func(prefix string, opts ...Option) (*DB, error) {
		return OpenEtcd(ctx, cli, prefix, testOptions(opts...)...)
	}
	put := func(k, v string) {
		t.Helper()
		if _, err := cli.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("OK", func(t *testing.T) {
		db := MustOpenEtcd(t)
		MustCreateIncident(t, db, &incident.Incident{Title: "kept"})
		if db.Backend() != "etcd" || db.Path() != "" || !strings.HasPrefix(db.name, "etcd /test/") {
			t.Fatalf("backend %s, path %q, name %q", db.Backend(), db.Path(), db.name)
		}
		db = backends[1].reopen(t, db)
		if inc, err := db.FindIncidentByID(ctx, 1); err != nil || inc.Title != "kept" {
			t.Fatalf("after reopening: %v, %v", inc, err)
		}
	})

	t.Run("TogetherOnAnEmptyPrefix", func(t *testing.T) {
		// Replicas starting at once create the schema once.
		prefix := NewEtcdPrefix()
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				db, err := open(prefix)
				if err == nil {
					err = db.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	})

	for name, tt := range map[string]struct {
		setup  func(prefix string)
		prefix string
		want   string
	}{
		"ErrPrefix": {prefix: "/no-slash", want: `the prefix must end in "/"`},
		"ErrNotOurs": {setup: func(p string) { put(p+"b/rotations/1", "x") },
			want: `the store is corrupt: it holds buckets "rotations" but no incidentbot metadata; if a migration into it was interrupted, delete the prefix (etcdctl del --prefix /test/`},
		"ErrForeign": {setup: func(p string) { put(p+"b/meta/app", "other") },
			want: `not an incidentbot database (its meta bucket names app "other")`},
		"ErrNewer": {setup: func(p string) { put(p+"b/meta/app", "incidentbot"); put(p+"b/meta/schema_version", string(itob(9))) },
			want: "created by a newer incidentbot (schema 9 > 3); upgrade incidentbot"},
		"ErrOlder": {setup: func(p string) { put(p+"b/meta/app", "incidentbot"); put(p+"b/meta/schema_version", string(itob(2))) },
			want: "schema 2, older than this incidentbot's (3), and the etcd backend has no migrations"},
		"ErrMigrating": {setup: func(p string) { put(p+"b/meta/migrating", "1") },
			want: "a migration into this store did not finish (meta/migrating is set): empty the store and migrate again"},
	} {
		t.Run(name, func(t *testing.T) {
			prefix := tt.prefix
			if prefix == "" {
				prefix = NewEtcdPrefix()
			}
			if tt.setup != nil {
				tt.setup(prefix)
			}
			_, err := open(prefix)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "open store etcd "+prefix+" at http://127.0.0.1:") {
				t.Fatalf("err = %v\nwant %q", err, tt.want)
			}
		})
	}

	t.Run("ErrTooFewOps", func(t *testing.T) {
		if _, err := open(NewEtcdPrefix(), WithMaxTxnOps(8)); err == nil || !strings.Contains(err.Error(), "at least 16 operations") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestDB_Fence: with a fence, writes need the leader's election key as it
// was when it won; without one, a fenced store writes nothing.
func TestDB_Fence(t *testing.T) {
	ctx := context.Background()
	cli := SharedEtcd(t)
	db := MustOpenEtcd(t, WithFencing())
	write := func() error {
		_, err := db.CreateIncident(ctx, &incident.Incident{Title: "x"}, incident.Change{})
		return err
	}
	if err := write(); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("without a fence: %v", err)
	}
	key := db.etcd.prefix + "election/leader"
	resp, err := cli.Put(ctx, key, "me")
	if err != nil {
		t.Fatal(err)
	}
	db.SetFence(key, resp.Header.Revision)
	if err := write(); err != nil {
		t.Fatalf("leader: %v", err)
	}
	// The lease ran out: the key is gone, or another replica's now.
	if _, err := cli.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := write(); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed: %v", err)
	}
	if _, err := cli.Put(ctx, key, "another"); err != nil {
		t.Fatal(err)
	}
	if err := write(); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("another leader: %v", err)
	}
	db.SetFence("", 0)
	if err := write(); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fence cleared: %v", err)
	}
	if n, _ := db.CountIncidents(ctx); n != 1 {
		t.Fatalf("%d incidents, want the leader's one", n)
	}
	// Reads go on.
	if _, err := db.FindIncidentByID(ctx, 1); err != nil {
		t.Fatal(err)
	}
}

// TestDB_write_SplitsForEtcd: a group that does not fit one etcd
// transaction commits in several; an op that fits none fails alone,
// naming the limit.
func TestDB_write_SplitsForEtcd(t *testing.T) {
	ctx := context.Background()
	db := MustOpenEtcd(t, WithMaxTxnOps(16))
	MustCreateIncident(t, db, &incident.Incident{})
	note := incident.Event{Kind: incident.EventNote}
	before := db.WriteTransactions()
	var wg sync.WaitGroup
	const writers = 12
	for range writers {
		wg.Go(func() {
			if _, err := db.AppendEvents(ctx, 1, note, note, note); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	evs, err := db.Events(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	MustDenseSeqs(t, evs, writers*3)
	t.Logf("%d ops in %d transactions", writers, db.WriteTransactions()-before)

	_, err = db.AppendEvents(ctx, 1, make([]incident.Event, 20)...)
	if !errors.Is(err, errTxnFull) || !strings.Contains(err.Error(), "store.etcd.max_txn_ops = 16") {
		t.Fatalf("err = %v", err)
	}
	if evs, _ := db.Events(ctx, 1); len(evs) != writers*3 {
		t.Fatalf("%d events after a refused append", len(evs))
	}
}

// TestEtcd_settle: a commit that got no answer is found applied or not,
// and one not applied can never apply later.
func TestEtcd_settle(t *testing.T) {
	ctx := context.Background()
	cli := SharedEtcd(t)
	db := MustOpenEtcd(t)
	kv := db.etcd
	revKey := kv.key(etcdRevKey)
	snapshot := func() (base, rev int64) {
		resp, err := cli.Get(ctx, revKey)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Kvs[0].ModRevision, resp.Header.Revision
	}

	// Applied, then another write: the first write after the snapshot is
	// ours.
	base, rev := snapshot()
	if _, err := cli.Put(ctx, revKey, "ours"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, revKey, "later"); err != nil {
		t.Fatal(err)
	}
	if ok, err := kv.settle(base, rev, []byte("ours")); err != nil || !ok {
		t.Fatalf("applied: %v, %v", ok, err)
	}

	// Another writer first: not ours.
	base, rev = snapshot()
	if _, err := cli.Put(ctx, revKey, "theirs"); err != nil {
		t.Fatal(err)
	}
	if ok, err := kv.settle(base, rev, []byte("ours")); err != nil || ok {
		t.Fatalf("another writer's: %v, %v", ok, err)
	}

	// Nothing written: settle writes P rev, so the lost commit, comparing
	// the old mod revision, can no longer apply.
	base, rev = snapshot()
	if ok, err := kv.settle(base, rev, []byte("ours")); err != nil || ok {
		t.Fatalf("lost: %v, %v", ok, err)
	}
	late, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(revKey), "=", base)).Then(clientv3.OpPut(revKey, "ours")).Commit()
	if err != nil || late.Succeeded {
		t.Fatalf("the lost commit applied after settling: %v", err)
	}
}

// TestDB_Version_OtherReplica: a write by another process changes
// Version, so that cached reads are dropped on every replica.
func TestDB_Version_OtherReplica(t *testing.T) {
	ctx := context.Background()
	a := MustOpenEtcd(t)
	b := MustOpenEtcdAt(t, a.etcd.prefix)
	v := a.Version()
	MustCreateIncident(t, b, &incident.Incident{Title: "by b"})
	deadline := time.Now().Add(10 * time.Second)
	for a.Version() == v {
		if time.Now().After(deadline) {
			t.Fatal("Version did not change after another replica wrote")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if inc, err := a.FindIncidentByID(ctx, 1); err != nil || inc.Title != "by b" {
		t.Fatalf("%v, %v", inc, err)
	}
}

// TestCopy copies generated stores both ways, bbolt → etcd → bbolt, and
// finds every bucket the same.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	src := MustOpenDB(t)
	const n = 40
	for i := range n {
		inc := &incident.Incident{Title: fmt.Sprint("incident ", i), Status: incident.StatusInvestigating, ChannelID: fmt.Sprint("C", i), WakeAt: epoch.Add(time.Duration(i) * time.Minute)}
		if i%3 == 0 {
			inc.Status = incident.StatusClosed
		}
		evs := make([]incident.Event, 1+i%7)
		for j := range evs {
			evs[j] = incident.Event{Kind: incident.EventNote, Text: strings.Repeat("x", 100*j)}
		}
		MustCreateIncident(t, src, inc, evs...)
	}
	if _, err := src.Apply(ctx, incident.Change{Effects: []incident.Effect{{Kind: "post", Lane: "/x"}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Receive(ctx, incident.Request{Kind: "slash"}, []string{"env:1"}); err != nil {
		t.Fatal(err)
	}
	if err := src.RememberKeys(ctx, epoch, []string{"a", "b", "c"}); err != nil {
		t.Fatal(err)
	}

	// Small etcd transactions: the copy takes many.
	mid := MustOpenEtcd(t, WithMaxTxnOps(32))
	want, err := Copy(ctx, mid, src)
	if err != nil {
		t.Fatal(err)
	}
	back := MustOpenDB(t)
	got, err := Copy(ctx, back, mid)
	if err != nil {
		t.Fatal(err)
	}
	if want.String() != got.String() {
		t.Fatalf("summaries differ:\n%s\n%s", want, got)
	}
	for _, bs := range want {
		if bs.Name == "timeline" && bs.Keys != 155 || bs.Name == "incidents" && (bs.Keys != n || bs.Sequence != n) {
			t.Fatalf("summary:\n%s", want)
		}
	}
	if a, b := MustDump(t, src), MustDump(t, back); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("the round trip changed the store")
	}
	// The copy works as a store: numbers go on.
	inc := MustCreateIncident(t, mid, &incident.Incident{Title: "next"})
	if inc.ID != n+1 {
		t.Fatalf("next incident on the copy: #%d", inc.ID)
	}

	t.Run("ErrNotEmpty", func(t *testing.T) {
		if _, err := Copy(ctx, mid, src); err == nil || !strings.Contains(err.Error(), "the destination already holds data (bucket incidents); copy into an empty store") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrSourceDamaged", func(t *testing.T) {
		bad := MustOpenEtcd(t)
		MustCreateIncident(t, bad, &incident.Incident{Status: incident.StatusInvestigating})
		damage(t, bad, func(t kvTx) error { return t.delete(bucketOpen, itob(1)) })
		_, err := Copy(ctx, MustOpenDB(t), bad)
		if err == nil || !strings.Contains(err.Error(), "the source fails its check, nothing was copied") {
			t.Fatalf("err = %v", err)
		}
		damage(t, bad, func(t kvTx) error { return t.put(bucketOpen, itob(1), nil) })
	})
	t.Run("CutShort", func(t *testing.T) {
		// A copy that stopped half way leaves its mark: Open refuses it.
		dst := MustOpenEtcd(t)
		damage(t, dst, func(t kvTx) error { return t.put(bucketMeta, keyMigrating, []byte("1")) })
		dst.Close()
		if _, err := OpenEtcd(ctx, SharedEtcd(t), dst.etcd.prefix); err == nil || !strings.Contains(err.Error(), "a migration into this store did not finish") {
			t.Fatalf("err = %v", err)
		}
		path := filepath.Join(t.TempDir(), "cut.db")
		f := MustOpenDBAt(t, path)
		damage(t, f, func(t kvTx) error { return t.put(bucketMeta, keyMigrating, []byte("1")) })
		f.Close()
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "a migration into this store did not finish") {
			t.Fatalf("bbolt: err = %v", err)
		}
	})
}

// TestDB_Backup_Etcd: a backup of an etcd store is a bbolt file holding
// the same records, taken while writes go on.
func TestDB_Backup_Etcd(t *testing.T) {
	ctx := context.Background()
	db := MustOpenEtcd(t)
	for range 5 {
		MustCreateIncident(t, db, &incident.Incident{Title: "a"}, incident.Event{Kind: incident.EventNote})
	}
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("backup: %d bytes, %v", n, err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := writeFileAtomic(path, func(f *os.File) error { _, err := f.Write(buf.Bytes()); return err }); err != nil {
		t.Fatal(err)
	}
	bdb := MustOpenDBAt(t, path)
	if a, b := MustDump(t, db), MustDump(t, bdb); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("the backup differs:\n%v\n%v", a, b)
	}
	if n, _ := bdb.CountIncidents(ctx); n != 5 {
		t.Fatalf("%d incidents in the backup", n)
	}
}
