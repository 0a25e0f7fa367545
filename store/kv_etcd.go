package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The etcd backend.
//
// Key layout, under the store's prefix P (which ends in "/"):
//
//	P b/<bucket>/<key>   a bucket's key and its value, as in bbolt
//	P s/<bucket>         the bucket's sequence, 8 bytes big-endian
//	P rev                the ID of the last write transaction
//	P election/…         the leader election (package store/leader)
//
// Transactions are optimistic. A read transaction reads every key at one
// revision, a consistent snapshot. A write transaction reads P rev first,
// at revision R, reads everything else at R, buffers its writes (reads
// see them), and commits them in one etcd Txn that also writes P rev, if
// P rev was not written since R. So every write transaction conflicts with
// every other one that committed meanwhile: write transactions are
// serializable, whatever they read (a range included: no phantom can slip
// in). A conflict runs the transaction again on a fresh snapshot. Finer
// conflicts (the mod revision of each key read, a version per bucket for
// ranges) would let writers of unrelated keys proceed at once, but the
// store has one writer, the leader, which already joins its concurrent
// writes into one transaction (commit.go), and they would cost a compare
// per key read where etcd allows 128 operations per Txn by default.
//
// Fencing: while a fence is set (SetFence, by the leader), the commit also
// requires the leader's election key to exist with the create revision it
// had when this replica won. A leader whose lease ran out has lost that
// key, so its writes fail with ErrNotLeader instead of landing after the
// new leader's.
//
// An etcd Txn that fails without an answer (a timeout, a lost connection)
// may or may not have been applied. The backend then settles it: it
// writes P rev itself if nothing wrote it since R (so the lost Txn can
// never apply), or else reads which transaction wrote it first after R.
//
// PORTING a store file written for bbolt to both backends:
//   - apply functions take tx *wtx instead of tx *bolt.Tx; bucket(tx, name)
//     and tx.Bucket(name) return a bucket with bbolt's Put, Delete, Get,
//     Sequence, SetSequence and NextSequence;
//   - cursors (reader.cursor, or Cursor() in an apply function) move with
//     first, last, next, prev and seek;
//   - a walk of a whole bucket uses r.forEach, not bolt's ForEach;
//   - the bucket goes in allBuckets (and appendOnly if its keys only grow);
//     nothing else is needed on etcd, where a bucket is a key prefix;
//   - one op should write at most a few dozen keys: an etcd commit takes
//     at most store.etcd.max_txn_ops keys (128 by default).

// etcdKV is the etcd backend.
type etcdKV struct {
	c      *clientv3.Client
	prefix string
	// timeout bounds one request to etcd, its attempts included; attempt
	// bounds each attempt (see read).
	timeout, attempt time.Duration
	// stall, if set, is called when an attempt gets no answer in time.
	stall func(sent time.Time)
	// maxOps and maxBytes bound one commit: etcd's --max-txn-ops (128 by
	// default) and --max-request-bytes (1.5 MiB), less what a commit adds.
	maxOps   int
	maxBytes int
	fence    atomic.Pointer[fence]
	// cache keeps what write transactions read (kv_etcd_cache.go).
	cache etcdCache
}

// fence is the election key a leader's writes require.
type fence struct {
	key string
	rev int64
}

// ErrNotLeader is returned by the writes of an etcd-backed store whose
// replica is not the leader (it never was, or its lease ran out): another
// replica serves Slack and holds the store.
var ErrNotLeader = errors.New("this replica is not the leader: its writes are refused (fenced) so that they cannot land after the new leader's")

// maxTxnBytes is what the backend puts in one commit, under etcd's
// default --max-request-bytes (1.5 MiB).
const maxTxnBytes = 1 << 20

func (kv *etcdKV) key(parts ...[]byte) string {
	n := len(kv.prefix)
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, kv.prefix...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return string(b)
}

var (
	etcdBuckets   = []byte("b/")
	etcdSequences = []byte("s/")
	etcdRevKey    = []byte("rev")
	slash         = []byte("/")
)

// bucketStart returns the first key of bucket: P b/<bucket>/.
func (kv *etcdKV) bucketStart(bucket []byte) string { return kv.key(etcdBuckets, bucket, slash) }

// attemptCtx returns the context of attempt n (from 0) at a request that
// must end by deadline. Each attempt may take twice as long as the one
// before: the first is short, so that a silent member costs little, and
// the next ones leave a cluster that is merely slow (a loaded machine, a
// slow disk) the time it needs. Every attempt requires a Raft leader, so
// that a member cut off from the others fails it at once rather than at
// its timeout.
func (kv *etcdKV) attemptCtx(deadline time.Time, n int) (context.Context, context.CancelFunc) {
	if d := time.Now().Add(kv.attempt << min(n, 8)); d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	return clientv3.WithRequireLeader(ctx), cancel
}

// retryPause is the wait between two attempts at a request.
const retryPause = 50 * time.Millisecond

// read runs call, a request that changes nothing, until it succeeds,
// fails for good, or kv.timeout passes. The first attempt gets
// kv.attempt, each next one twice as long as the one before (attemptCtx).
// A member that does not answer (its process frozen, the network to it
// cut) costs one attempt: the stall moves the client to another member
// (package etcdhealth), where the next attempt goes. Without attempts,
// one silent member would hold a command past Slack's 3 s ack deadline.
func (kv *etcdKV) read(call func(ctx context.Context) error) error {
	deadline := time.Now().Add(kv.timeout)
	for n := 0; ; n++ {
		sent := time.Now()
		ctx, cancel := kv.attemptCtx(deadline, n)
		err := call(ctx)
		cancel()
		kv.stalled(err, sent)
		if err == nil || !transient(err) || !time.Now().Add(retryPause).Before(deadline) {
			return err
		}
		time.Sleep(retryPause)
	}
}

// stalled calls kv.stall when err says an attempt sent at sent got no
// answer in time.
func (kv *etcdKV) stalled(err error, sent time.Time) {
	if kv.stall != nil && err != nil && (errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded) {
		kv.stall(sent)
	}
}

// transient reports whether err may go away on another attempt: no
// answer in time, no connection, no Raft leader for the moment.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	for _, e := range []error{rpctypes.ErrNoLeader, rpctypes.ErrLeaderChanged, rpctypes.ErrTimeout,
		rpctypes.ErrTimeoutDueToLeaderFail, rpctypes.ErrTimeoutDueToConnectionLost, rpctypes.ErrTimeoutWaitAppliedIndex,
		rpctypes.ErrNotCapable, rpctypes.ErrStopped, rpctypes.ErrTooManyRequests} {
		if errors.Is(err, e) {
			return true
		}
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

func (kv *etcdKV) view(fn func(t kvTx) error) error {
	t := &etcdTx{kv: kv}
	err := fn(t)
	if t.err != nil {
		return t.err
	}
	return err
}

// errConflict means a write transaction met a concurrent commit.
var errConflict = errors.New("conflict")

// maxConflicts bounds how often one transaction runs again after
// conflicts; with one writer per store it never comes near.
const maxConflicts = 100

func (kv *etcdKV) update(fn func(t kvTx) error) error {
	for attempt := 1; ; attempt++ {
		t := &etcdTx{kv: kv, writable: true, writes: map[string]*etcdWrite{}}
		if err := t.begin(); err != nil {
			return err
		}
		err := fn(t)
		switch {
		case t.err != nil:
			return t.err
		case err != nil:
			return err
		case len(t.writes) == 0:
			return nil
		}
		err = t.commit()
		if !errors.Is(err, errConflict) {
			return err
		}
		if attempt == maxConflicts {
			return fmt.Errorf("%d conflicting writes in a row: is another program writing under etcd prefix %q?", attempt, kv.prefix)
		}
	}
}

func (kv *etcdKV) close() error { return nil }

// etcdWrite is one buffered write: a value, or a deletion. bucket and rel
// name the key (nil for a sequence).
type etcdWrite struct {
	value       []byte
	deleted     bool
	bucket, rel []byte
}

// etcdTx is one transaction. Its first read fixes the revision it reads
// at (rev); a write transaction fixes it in begin.
type etcdTx struct {
	kv       *etcdKV
	rev      int64
	writable bool
	// base is P rev's mod revision at rev (0: absent): the commit
	// requires it unchanged.
	base int64
	// err is the first failed read. Reads after it return nothing, and the
	// transaction returns it instead of whatever its function concluded
	// from reads that failed.
	err error
	// writes are the buffered writes by full key; overlay lists their
	// keys per bucket (relative), sorted, for cursors.
	writes  map[string]*etcdWrite
	overlay map[string][]string
	bytes   int
}

func (t *etcdTx) bolt() *bolt.Tx { return nil }

// fail records the first failed read.
func (t *etcdTx) fail(err error) {
	if t.err == nil {
		t.err = fmt.Errorf("read from etcd (prefix %q): %w", t.kv.prefix, err)
	}
}

// begin fixes the snapshot of a write transaction: P rev's revision.
func (t *etcdTx) begin() error {
	var resp *clientv3.GetResponse
	err := t.kv.read(func(ctx context.Context) (err error) {
		resp, err = t.kv.c.Get(ctx, t.kv.key(etcdRevKey))
		return err
	})
	if err != nil {
		return fmt.Errorf("begin a transaction on etcd (prefix %q): %w", t.kv.prefix, err)
	}
	t.rev = resp.Header.Revision
	if len(resp.Kvs) > 0 {
		t.base = resp.Kvs[0].ModRevision
	}
	t.kv.cache.begin(t.base)
	return nil
}

// get reads op at the transaction's revision, fixing it at the first read.
// Reads at a fixed revision are served by any member that has it
// (serializable); a member lagging behind is asked again linearizably.
func (t *etcdTx) range_(key string, opts ...clientv3.OpOption) *clientv3.GetResponse {
	if t.err != nil {
		return nil
	}
	if t.rev == 0 {
		var resp *clientv3.GetResponse
		err := t.kv.read(func(ctx context.Context) (err error) {
			resp, err = t.kv.c.Get(ctx, key, opts...)
			return err
		})
		if err != nil {
			t.fail(err)
			return nil
		}
		t.rev = resp.Header.Revision
		return resp
	}
	opts = append(opts, clientv3.WithRev(t.rev))
	var resp *clientv3.GetResponse
	err := t.kv.read(func(ctx context.Context) (err error) {
		resp, err = t.kv.c.Get(ctx, key, append(opts, clientv3.WithSerializable())...)
		if errors.Is(err, rpctypes.ErrFutureRev) {
			resp, err = t.kv.c.Get(ctx, key, opts...)
		}
		return err
	})
	if err != nil {
		if errors.Is(err, rpctypes.ErrCompacted) {
			err = fmt.Errorf("%w (the transaction's snapshot, revision %d, was compacted away while it ran; try again)", err, t.rev)
		}
		t.fail(err)
		return nil
	}
	return resp
}

// getKey returns the value of a full key, or nil.
func (t *etcdTx) getKey(k string) []byte {
	if w, ok := t.writes[k]; ok {
		return w.value
	}
	if t.writable {
		if v, ok := t.kv.cache.get(t.base, k); ok {
			return v
		}
	}
	resp := t.range_(k)
	if resp == nil {
		return nil
	}
	var v []byte
	if len(resp.Kvs) > 0 {
		if v = resp.Kvs[0].Value; v == nil {
			v = []byte{}
		}
	}
	if t.writable && t.err == nil {
		t.kv.cache.put(t.base, k, v)
	}
	return v
}

func (t *etcdTx) get(bucket, key []byte) []byte {
	return t.getKey(t.kv.key(etcdBuckets, bucket, slash, key))
}

func (t *etcdTx) sequence(bucket []byte) uint64 {
	if v := t.getKey(t.kv.key(etcdSequences, bucket)); len(v) == 8 {
		return btoi(v)
	}
	return 0
}

// buckets finds the buckets holding keys, one request per bucket: each
// skips to the first key past the bucket before.
func (t *etcdTx) buckets() ([][]byte, error) {
	var names [][]byte
	from := t.kv.key(etcdBuckets)
	end := clientv3.GetPrefixRangeEnd(from)
	for {
		resp := t.range_(from, clientv3.WithRange(end), clientv3.WithLimit(1), clientv3.WithKeysOnly())
		if resp == nil {
			return nil, t.err
		}
		if len(resp.Kvs) == 0 {
			return names, nil
		}
		rest := resp.Kvs[0].Key[len(t.kv.key(etcdBuckets)):]
		name, _, ok := bytes.Cut(rest, slash)
		if !ok {
			return nil, fmt.Errorf("etcd key %q is not bucket/key", resp.Kvs[0].Key)
		}
		names = append(names, append([]byte(nil), name...))
		from = clientv3.GetPrefixRangeEnd(t.kv.key(etcdBuckets, name, slash))
	}
}

// write buffers w to full key k.
func (t *etcdTx) write(k string, w *etcdWrite) error {
	if !t.writable {
		return errReadOnly
	}
	old, exists := t.writes[k]
	size := len(k) + len(w.value)
	if exists {
		size -= len(k) + len(old.value)
	} else if len(t.writes)+2 > t.kv.maxOps { // room for P rev
		return fmt.Errorf("%w: %d keys written (etcd's --max-txn-ops, store.etcd.max_txn_ops = %d)", errTxnFull, len(t.writes), t.kv.maxOps)
	}
	if t.bytes+size > t.kv.maxBytes {
		return fmt.Errorf("%w: %d bytes written (etcd's --max-request-bytes)", errTxnFull, t.bytes)
	}
	t.bytes += size
	t.writes[k] = w
	if !exists && w.rel != nil {
		if t.overlay == nil {
			t.overlay = map[string][]string{}
		}
		keys := t.overlay[string(w.bucket)]
		i, _ := slices.BinarySearch(keys, string(w.rel))
		t.overlay[string(w.bucket)] = slices.Insert(keys, i, string(w.rel))
	}
	return nil
}

func (t *etcdTx) put(bucket, key, value []byte) error {
	if len(key) == 0 {
		return fmt.Errorf("put in bucket %s: empty key", bucket)
	}
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{} // present, empty: not nil, which means absent
	}
	return t.write(t.kv.key(etcdBuckets, bucket, slash, key), &etcdWrite{value: v, bucket: bucket, rel: bytes.Clone(key)})
}

func (t *etcdTx) delete(bucket, key []byte) error {
	return t.write(t.kv.key(etcdBuckets, bucket, slash, key), &etcdWrite{deleted: true, bucket: bucket, rel: bytes.Clone(key)})
}

func (t *etcdTx) setSequence(bucket []byte, n uint64) error {
	return t.write(t.kv.key(etcdSequences, bucket), &etcdWrite{value: itob(n)})
}

// commit writes the buffered writes and P rev in one etcd Txn.
func (t *etcdTx) commit() error {
	kv := t.kv
	revKey := kv.key(etcdRevKey)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(revKey), "=", t.base)}
	f := kv.fence.Load()
	var elseOps []clientv3.Op
	if f != nil {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(f.key), "=", f.rev))
		elseOps = append(elseOps, clientv3.OpGet(f.key))
	}
	keys := make([]string, 0, len(t.writes))
	for k := range t.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ops := make([]clientv3.Op, 0, len(keys)+1)
	for _, k := range keys {
		if w := t.writes[k]; w.deleted {
			ops = append(ops, clientv3.OpDelete(k))
		} else {
			ops = append(ops, clientv3.OpPut(k, string(w.value)))
		}
	}
	ops = append(ops, clientv3.OpPut(revKey, string(id)))

	// One attempt: a Txn that gets no answer may have been applied, and
	// is settled below instead of being sent again.
	sent := time.Now()
	ctx, cancel := kv.attemptCtx(sent.Add(kv.timeout), 0)
	resp, err := kv.c.Txn(ctx).If(cmps...).Then(ops...).Else(elseOps...).Commit()
	cancel()
	kv.stalled(err, sent)
	if err == nil && resp.Succeeded {
		kv.cache.committed(t.base, resp.Header.Revision, t.writes)
		return nil
	}
	kv.cache.drop()
	switch {
	case err == nil:
	case definite(err):
		return fmt.Errorf("etcd refused the transaction (%d keys, %d bytes): %w", len(keys), t.bytes, err)
	default:
		// The Txn may have been applied: settle it.
		committed, serr := kv.settle(t.base, t.rev, id)
		switch {
		case serr != nil:
			return fmt.Errorf("etcd did not answer a commit (%v), and whether it was applied is unknown: %w", err, serr)
		case committed:
			return nil
		case f != nil && !kv.holds(f):
			return ErrNotLeader
		}
		return errConflict
	}
	if f != nil {
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if len(kvs) == 0 || kvs[0].CreateRevision != f.rev {
			return ErrNotLeader
		}
	}
	return errConflict
}

// definite reports whether err means etcd did not apply the request.
func definite(err error) bool {
	for _, e := range []error{rpctypes.ErrTooManyOps, rpctypes.ErrRequestTooLarge, rpctypes.ErrEmptyKey,
		rpctypes.ErrDuplicateKey, rpctypes.ErrKeyNotFound, rpctypes.ErrPermissionDenied, rpctypes.ErrAuthNotEnabled,
		rpctypes.ErrInvalidAuthToken, rpctypes.ErrUserEmpty, rpctypes.ErrAuthFailed, rpctypes.ErrNoSpace} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// settleFor bounds how long settle tries to learn a Txn's fate.
const settleFor = 30 * time.Second

// settle learns whether the commit that wrote id to P rev, if P rev's mod
// revision was still base, was applied. rev is the revision the
// transaction read at.
func (kv *etcdKV) settle(base, rev int64, id []byte) (committed bool, err error) {
	revKey := kv.key(etcdRevKey)
	deadline := time.Now().Add(settleFor)
	abort := make([]byte, 16)
	_, _ = rand.Read(abort)
	for n := 0; ; n++ {
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("no answer")
			}
			return false, err
		}
		sent := time.Now()
		ctx, cancel := kv.attemptCtx(deadline, n)
		// If P rev is still at base, writing it makes the lost Txn fail
		// for ever.
		var resp *clientv3.TxnResponse
		resp, err = kv.c.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(revKey), "=", base)).
			Then(clientv3.OpPut(revKey, string(abort))).Commit()
		if err == nil && resp.Succeeded {
			cancel()
			return false, nil
		}
		if err == nil {
			// P rev moved: the first write after base tells whose it was.
			var first []byte
			first, err = kv.firstWriteAfter(ctx, revKey, max(base, rev))
			if err == nil {
				cancel()
				return bytes.Equal(first, id), nil
			}
		}
		cancel()
		kv.stalled(err, sent)
		time.Sleep(retryPause)
	}
}

// firstWriteAfter returns the value of the first write of key after
// revision rev, which must exist.
func (kv *etcdKV) firstWriteAfter(ctx context.Context, key string, rev int64) ([]byte, error) {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for wr := range kv.c.Watch(wctx, key, clientv3.WithRev(rev+1)) {
		if err := wr.Err(); err != nil {
			return nil, err
		}
		for _, ev := range wr.Events {
			return ev.Kv.Value, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("the watch ended")
}

// holds reports whether fence f still holds, as far as etcd answers.
func (kv *etcdKV) holds(f *fence) bool {
	var resp *clientv3.GetResponse
	err := kv.read(func(ctx context.Context) (err error) {
		resp, err = kv.c.Get(ctx, f.key)
		return err
	})
	return err == nil && len(resp.Kvs) > 0 && resp.Kvs[0].CreateRevision == f.rev
}

// etcdCursor walks one bucket, or the keys of a bucket under a prefix:
// the snapshot, read a page at a time, merged with the transaction's
// buffered writes.
//
// etcd pushes a limit down only on ranges in ascending key order: a
// descending range reads every key in it before it sorts them. So a
// cursor going down asks for keys only (an in-memory walk of etcd's
// index) and then reads the values of the page it keeps; a cursor scoped
// to a prefix keeps that walk within the prefix (an incident's events).
type etcdCursor struct {
	t      *etcdTx
	bucket []byte
	// base starts every key of the bucket (P b/<bucket>/): keys are given
	// relative to it. prefix scopes the cursor (relative); from and to
	// are the full keys around its range.
	base     string
	prefix   []byte
	from, to string
	// pos is the key the cursor is on, relative; nil when it is not on a
	// key: then past says a seek went past the end, where prev finds the
	// last key. A move that finds nothing leaves the cursor where it was,
	// as bbolt's does.
	pos  []byte
	past bool
	// page holds every snapshot key in [lo, hi] (relative), sorted; loInf
	// and hiInf stand for the ends of the cursor's range. loaded is false
	// before the first read and when the cursor has moved past the page.
	loaded       bool
	page         []*kvPair
	lo, hi       []byte
	loInf, hiInf bool
	// fetch is the size of the next page: it grows as the cursor goes on.
	fetch int64
}

type kvPair struct{ k, v []byte }

func (t *etcdTx) cursor(bucket, prefix []byte) cursor {
	base := t.kv.bucketStart(bucket)
	from, to := base+string(prefix), clientv3.GetPrefixRangeEnd(base+string(prefix))
	return &etcdCursor{t: t, bucket: bucket, base: base, prefix: prefix, from: from, to: to, fetch: 16}
}

// covers reports whether the page knows every snapshot key next to x in
// the direction asked (inf: from the range's start, or end).
func (c *etcdCursor) covers(x []byte, inf, up bool) bool {
	switch {
	case !c.loaded:
		return false
	case inf && up:
		return c.loInf
	case inf:
		return c.hiInf
	}
	return (c.loInf || bytes.Compare(x, c.lo) >= 0) && (c.hiInf || bytes.Compare(x, c.hi) <= 0)
}

// keep makes the page resp's keys, known to be all the keys between lo
// and hi (nil with inf: the range's ends).
func (c *etcdCursor) keep(kvs []*mvccpb.KeyValue, lo []byte, loInf bool, hi []byte, hiInf bool) {
	c.page = c.page[:0]
	for _, kv := range kvs {
		c.page = append(c.page, &kvPair{kv.Key[len(c.base):], kv.Value})
	}
	slices.SortFunc(c.page, func(a, b *kvPair) int { return bytes.Compare(a.k, b.k) })
	c.loaded, c.lo, c.loInf, c.hi, c.hiInf = true, lo, loInf, hi, hiInf
}

// nextFetch returns the size of the page to read and grows the next one.
func (c *etcdCursor) nextFetch() int64 {
	n := c.fetch
	c.fetch = min(c.fetch*4, 1024)
	return n
}

// loadUp reads the page of snapshot keys from x up (inf: from the range's
// start).
func (c *etcdCursor) loadUp(x []byte, inf bool) {
	from := c.from
	if !inf && c.base+string(x) > from {
		from = c.base + string(x)
	}
	limit := c.nextFetch()
	resp := c.t.range_(from, clientv3.WithRange(c.to), clientv3.WithLimit(limit))
	if resp == nil {
		c.keep(nil, nil, true, nil, true) // the read failed: nothing more
		return
	}
	if int64(len(resp.Kvs)) == limit {
		c.keep(resp.Kvs, x, inf, resp.Kvs[len(resp.Kvs)-1].Key[len(c.base):], false)
	} else {
		c.keep(resp.Kvs, x, inf, nil, true)
	}
}

// loadDown reads the page of snapshot keys from x down (inf: from the
// range's end), x included.
func (c *etcdCursor) loadDown(x []byte, inf bool) {
	to := c.to
	if !inf && c.base+string(x)+"\x00" < to {
		to = c.base + string(x) + "\x00"
	}
	limit := c.nextFetch()
	desc := []clientv3.OpOption{clientv3.WithLimit(limit), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	if c.prefix != nil {
		// Within a prefix: the values too, in one request.
		resp := c.t.range_(c.from, append(desc, clientv3.WithRange(to))...)
		c.keepDown(resp, x, inf, limit)
		return
	}
	// The whole bucket: keys only, first from a window below x when its
	// first 8 bytes are a number (IDs, times), where a page of dense keys
	// lies; then from the bucket's start.
	desc = append(desc, clientv3.WithKeysOnly())
	var resp *clientv3.GetResponse
	if !inf && len(x) >= 8 {
		low := itob(btoi(x[:8]) - min(btoi(x[:8]), uint64(4*limit)))
		if from := c.base + string(low); from > c.from {
			resp = c.t.range_(from, append(desc, clientv3.WithRange(to))...)
			if resp != nil && int64(len(resp.Kvs)) < limit {
				resp = nil
			}
		}
	}
	if resp == nil {
		resp = c.t.range_(c.from, append(desc, clientv3.WithRange(to))...)
	}
	if resp != nil && len(resp.Kvs) > 0 {
		// The values of the page: exactly the keys between its ends.
		low := string(resp.Kvs[len(resp.Kvs)-1].Key)
		resp = c.t.range_(low, clientv3.WithRange(to), clientv3.WithLimit(int64(len(resp.Kvs))))
	}
	c.keepDown(resp, x, inf, limit)
}

func (c *etcdCursor) keepDown(resp *clientv3.GetResponse, x []byte, inf bool, limit int64) {
	switch {
	case resp == nil:
		c.keep(nil, nil, true, nil, true)
	case int64(len(resp.Kvs)) == limit:
		lowest := slices.MinFunc(resp.Kvs, func(a, b *mvccpb.KeyValue) int { return bytes.Compare(a.Key, b.Key) })
		c.keep(resp.Kvs, lowest.Key[len(c.base):], false, x, inf)
	default:
		c.keep(resp.Kvs, nil, true, x, inf)
	}
}

// snapGE returns the first snapshot key above x (at or above unless
// strict); inf means from the range's start.
func (c *etcdCursor) snapGE(x []byte, strict, inf bool) *kvPair {
	for {
		if !c.covers(x, inf, true) {
			c.loadUp(x, inf)
		}
		i := 0
		if !inf {
			i = sort.Search(len(c.page), func(i int) bool {
				d := bytes.Compare(c.page[i].k, x)
				return d > 0 || d == 0 && !strict
			})
		}
		if i < len(c.page) {
			return c.page[i]
		}
		if c.hiInf {
			return nil
		}
		// Past the page: go on from its end.
		x, strict, inf = c.hi, true, false
		c.loaded = false
	}
}

// snapLE returns the last snapshot key below x (at or below unless
// strict); inf means from the range's end.
func (c *etcdCursor) snapLE(x []byte, strict, inf bool) *kvPair {
	if inf && c.prefix != nil {
		if last, ok := c.t.cachedLast(c.bucket, c.prefix); ok {
			return last
		}
	}
	for {
		if !c.covers(x, inf, false) {
			c.loadDown(x, inf)
			if inf && c.prefix != nil {
				var last *kvPair
				if len(c.page) > 0 {
					last = c.page[len(c.page)-1]
				}
				c.t.cacheLast(c.bucket, c.prefix, last)
			}
		}
		i := len(c.page) - 1
		if !inf {
			i = sort.Search(len(c.page), func(i int) bool {
				d := bytes.Compare(c.page[i].k, x)
				return d > 0 || d == 0 && strict
			}) - 1
		}
		if i >= 0 {
			return c.page[i]
		}
		if c.loInf {
			return nil
		}
		x, strict, inf = c.lo, true, false
		c.loaded = false
	}
}

// overlayGE and overlayLE are snapGE and snapLE on the buffered writes.
func (c *etcdCursor) overlayGE(x []byte, strict, inf bool) []byte {
	keys := c.t.overlay[string(c.bucket)]
	if inf {
		x, strict = c.prefix, false
	}
	i := sort.Search(len(keys), func(i int) bool {
		d := bytes.Compare([]byte(keys[i]), x)
		return d > 0 || d == 0 && !strict
	})
	if i < len(keys) && strings.HasPrefix(keys[i], string(c.prefix)) {
		return []byte(keys[i])
	}
	return nil
}

func (c *etcdCursor) overlayLE(x []byte, strict, inf bool) []byte {
	keys := c.t.overlay[string(c.bucket)]
	var i int
	if inf {
		// The last key with the prefix: before the first key past them.
		end := clientv3.GetPrefixRangeEnd(string(c.prefix))
		i = len(keys) - 1
		if c.prefix != nil && end != "\x00" {
			i = sort.SearchStrings(keys, end) - 1
		}
	} else {
		i = sort.Search(len(keys), func(i int) bool {
			d := bytes.Compare([]byte(keys[i]), x)
			return d > 0 || d == 0 && strict
		}) - 1
	}
	if i >= 0 && strings.HasPrefix(keys[i], string(c.prefix)) {
		return []byte(keys[i])
	}
	return nil
}

// move finds the next key from x up (or down) in the snapshot merged
// with the buffered writes, and stands on it.
func (c *etcdCursor) move(x []byte, strict, inf, up bool) ([]byte, []byte) {
	for {
		var s *kvPair
		var o []byte
		if up {
			s, o = c.snapGE(x, strict, inf), c.overlayGE(x, strict, inf)
		} else {
			s, o = c.snapLE(x, strict, inf), c.overlayLE(x, strict, inf)
		}
		switch {
		case s == nil && o == nil:
			return nil, nil
		case o != nil && (s == nil || closer(o, s.k, up)):
			w := c.t.writes[c.base+string(o)]
			if w.deleted {
				// Deleted by this transaction: go on past it.
				x, strict, inf = o, true, false
				continue
			}
			c.pos, c.past = o, false
			return o, w.value
		default:
			c.pos, c.past = s.k, false
			return s.k, s.v
		}
	}
}

// closer reports whether the buffered key o comes before the snapshot key
// s in the direction of the move; at the same key the buffered write wins.
func closer(o, s []byte, up bool) bool {
	d := bytes.Compare(o, s)
	return d == 0 || up && d < 0 || !up && d > 0
}

func (c *etcdCursor) first() ([]byte, []byte) { return c.jump(c.move(nil, false, true, true)) }
func (c *etcdCursor) last() ([]byte, []byte)  { return c.jump(c.move(nil, false, true, false)) }

// jump leaves the cursor on no key when first or last found none.
func (c *etcdCursor) jump(k, v []byte) ([]byte, []byte) {
	if k == nil {
		c.pos, c.past = nil, false
	}
	return k, v
}

func (c *etcdCursor) seek(k []byte) ([]byte, []byte) {
	if bytes.Compare(k, c.prefix) < 0 {
		return c.first()
	}
	k, v := c.move(k, false, false, true)
	if k == nil {
		c.pos, c.past = nil, true
	}
	return k, v
}

func (c *etcdCursor) next() ([]byte, []byte) {
	if c.pos == nil {
		return nil, nil
	}
	return c.move(c.pos, true, false, true)
}

func (c *etcdCursor) prev() ([]byte, []byte) {
	if c.pos == nil {
		if c.past {
			return c.last()
		}
		return nil, nil
	}
	return c.move(c.pos, true, false, false)
}
