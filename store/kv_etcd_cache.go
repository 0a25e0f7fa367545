package store

import (
	"bytes"
	"sync"
)

// The write cache of the etcd backend.
//
// Every read of a write transaction is a round trip to etcd, and the
// group commit runs its ops one after the other, so a group of ops each
// reading a few keys would spend its time waiting. But every write to the
// store also writes P rev: while P rev's mod revision is the one this
// process's last commit gave it, nobody else has written, and what this
// process read or wrote since is still what etcd holds. The cache keeps
// that, for write transactions only (reads keep their own snapshot):
// values by key, and the last key of a prefix (the last event of an
// incident), kept up to date by this process's own commits and dropped
// whole as soon as P rev is found moved.
type etcdCache struct {
	mu sync.Mutex
	// rev is P rev's mod revision the entries are valid at; 0: none.
	rev int64
	// vals maps a full key to its value, nil when absent.
	vals map[string][]byte
	// lasts maps bucket\x00prefix to the last key under the prefix, nil
	// when there is none.
	lasts map[string]*kvPair
}

// maxCached bounds the entries kept; past it the cache starts over.
const maxCached = 200_000

// reset empties the cache and makes it valid at rev.
func (c *etcdCache) reset(rev int64) {
	c.rev, c.vals, c.lasts = rev, map[string][]byte{}, map[string]*kvPair{}
}

// begin makes the cache valid for a transaction that read P rev at mod
// revision base: kept if nothing was written since it was last valid,
// emptied otherwise.
func (c *etcdCache) begin(base int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev != base || base == 0 || len(c.vals)+len(c.lasts) > maxCached {
		c.reset(base)
	}
}

// get returns the cached value of k for a transaction at base.
func (c *etcdCache) get(base int64, k string) (v []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev != base || base == 0 {
		return nil, false
	}
	v, ok = c.vals[k]
	return v, ok
}

// put records what a transaction at base read.
func (c *etcdCache) put(base int64, k string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev == base && base != 0 {
		c.vals[k] = v
	}
}

func lastsKey(bucket, prefix []byte) string { return string(bucket) + "\x00" + string(prefix) }

func (c *etcdCache) last(base int64, bucket, prefix []byte) (*kvPair, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev != base || base == 0 {
		return nil, false
	}
	p, ok := c.lasts[lastsKey(bucket, prefix)]
	return p, ok
}

func (c *etcdCache) putLast(base int64, bucket, prefix []byte, p *kvPair) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev == base && base != 0 {
		c.lasts[lastsKey(bucket, prefix)] = p
	}
}

// committed applies the writes of a transaction at base that committed at
// revision rev (P rev's new mod revision).
func (c *etcdCache) committed(base, rev int64, writes map[string]*etcdWrite) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rev != base || base == 0 {
		c.reset(0)
		return
	}
	for k, w := range writes {
		if w.deleted {
			c.vals[k] = nil
		} else {
			c.vals[k] = w.value
		}
	}
	for lk, last := range c.lasts {
		bucket, prefix, _ := bytes.Cut([]byte(lk), []byte{0})
		for _, w := range writes {
			if w.rel == nil || !bytes.Equal(w.bucket, bucket) || !bytes.HasPrefix(w.rel, prefix) {
				continue
			}
			switch {
			case w.deleted && last != nil && bytes.Equal(w.rel, last.k):
				// The last one gone: which one is last now is not known.
				delete(c.lasts, lk)
			case !w.deleted && (last == nil || bytes.Compare(w.rel, last.k) >= 0):
				last = &kvPair{w.rel, w.value}
				c.lasts[lk] = last
			}
			if _, ok := c.lasts[lk]; !ok {
				break
			}
		}
	}
	c.rev = rev
}

// drop empties the cache: after a conflict or a commit of unknown fate.
func (c *etcdCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reset(0)
}

func (t *etcdTx) cachedLast(bucket, prefix []byte) (*kvPair, bool) {
	if !t.writable {
		return nil, false
	}
	return t.kv.cache.last(t.base, bucket, prefix)
}

func (t *etcdTx) cacheLast(bucket, prefix []byte, p *kvPair) {
	if t.writable && t.err == nil {
		t.kv.cache.putLast(t.base, bucket, prefix, p)
	}
}
