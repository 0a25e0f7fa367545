package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// BucketSummary describes one bucket of a store: what Copy verifies.
type BucketSummary struct {
	Name string
	// Keys is the number of keys; Sequence the bucket's sequence.
	Keys     int
	Sequence uint64
	// Checksum is the SHA-256 of every key and value in order, each
	// preceded by its length.
	Checksum [32]byte
}

// Summary describes every bucket of a store, in allBuckets order.
type Summary []BucketSummary

// String lists the buckets, one per line.
func (s Summary) String() string {
	var b strings.Builder
	for _, bs := range s {
		fmt.Fprintf(&b, "%-10s %8d keys  sequence %-8d sha256 %x\n", bs.Name, bs.Keys, bs.Sequence, bs.Checksum[:8])
	}
	return b.String()
}

// summer sums one bucket as its keys go by.
type summer struct {
	bs BucketSummary
	h  hash.Hash
}

func newSummer(name []byte) *summer {
	return &summer{bs: BucketSummary{Name: string(name)}, h: sha256.New()}
}

func (s *summer) add(k, v []byte) {
	var n [binary.MaxVarintLen64]byte
	s.h.Write(n[:binary.PutUvarint(n[:], uint64(len(k)))])
	s.h.Write(k)
	s.h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	s.h.Write(v)
	s.bs.Keys++
}

func (s *summer) done(seq uint64) BucketSummary {
	s.bs.Sequence = seq
	copy(s.bs.Checksum[:], s.h.Sum(nil))
	return s.bs
}

// Summarize reads every bucket of the store in one snapshot. The meta
// bucket is summed without keyMigrating.
func (db *DB) Summarize(ctx context.Context) (Summary, error) {
	var out Summary
	err := db.view(func(r reader) error {
		out = nil
		for _, name := range allBuckets {
			s := newSummer(name)
			c := r.cursor(name)
			for k, v := c.first(); k != nil; k, v = c.next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				if bytes.Equal(name, bucketMeta) && bytes.Equal(k, keyMigrating) {
					continue
				}
				s.add(k, v)
			}
			out = append(out, s.done(r.sequence(name)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("summarize store %s: %w", db.name, err)
	}
	return out, nil
}

// copyChunkBytes bounds what one transaction of a copy writes to bbolt.
const copyChunkBytes = 32 << 20

// Copy copies every record of src into dst, which must hold nothing yet
// (a store just created), then checks dst (Check) and compares every
// bucket of both (key counts, sequences, checksums of every key and
// value). It reads src in one snapshot and writes dst in transactions that
// fit its backend; meanwhile dst is marked (meta/migrating) so that a
// copy cut short is refused by Open rather than taken for a whole store.
// Nothing may write to src meanwhile: on bbolt the file lock sees to it,
// on etcd the caller (incidentbot migrate checks that no replica leads).
// It returns src's summary.
func Copy(ctx context.Context, dst, src *DB) (Summary, error) {
	wrap := func(err error) error { return fmt.Errorf("copy store %s to %s: %w", src.name, dst.name, err) }
	if src.version != dst.version {
		return nil, wrap(fmt.Errorf("schema %d to schema %d", src.version, dst.version))
	}
	if err := dst.checkEmpty(); err != nil {
		return nil, wrap(err)
	}
	if err := src.Check(); err != nil {
		return nil, wrap(fmt.Errorf("the source fails its check, nothing was copied: %w", err))
	}
	if err := dst.kv.update(func(t kvTx) error { return t.put(bucketMeta, keyMigrating, []byte("1")) }); err != nil {
		return nil, wrap(err)
	}
	var want Summary
	err := src.view(func(r reader) error {
		var err error
		want, err = copyRecords(ctx, dst, r)
		return err
	})
	if err == nil {
		err = dst.kv.update(func(t kvTx) error { return t.delete(bucketMeta, keyMigrating) })
	}
	if err != nil {
		return nil, wrap(fmt.Errorf("%w; the destination is incomplete and marked so: empty it before trying again", err))
	}
	if err := dst.Check(); err != nil {
		return nil, wrap(fmt.Errorf("the copy fails its check: %w", err))
	}
	got, err := dst.Summarize(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	for i := range want {
		if want[i] != got[i] {
			return nil, wrap(fmt.Errorf("bucket %s differs after the copy: %d keys, sequence %d in the source, %d keys, sequence %d in the copy (or their checksums differ)",
				want[i].Name, want[i].Keys, want[i].Sequence, got[i].Keys, got[i].Sequence))
		}
	}
	return want, nil
}

// checkEmpty refuses a store that holds anything but its meta bucket.
func (db *DB) checkEmpty() error {
	return db.view(func(r reader) error {
		if err := checkMeta(r); err != nil {
			return err
		}
		for _, name := range allBuckets {
			if bytes.Equal(name, bucketMeta) {
				continue
			}
			if k, _ := r.cursor(name).first(); k != nil || r.sequence(name) != 0 {
				return fmt.Errorf("the destination already holds data (bucket %s); copy into an empty store", name)
			}
		}
		return nil
	})
}

// copyRecords copies every bucket but meta from the snapshot r into dst,
// and returns r's summary (meta included).
func copyRecords(ctx context.Context, dst *DB, r reader) (Summary, error) {
	type kv struct {
		bucket, k, v []byte
	}
	// A chunk fits one transaction of dst: on etcd, its limits as the
	// backend counts them (full keys and values).
	maxKeys, maxBytes, prefix := 1<<20, copyChunkBytes, 0
	if dst.etcd != nil {
		maxKeys, maxBytes, prefix = dst.maxWrites(), dst.etcd.maxBytes, len(dst.etcd.prefix)
	}
	var chunk []kv
	size := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := dst.kv.update(func(t kvTx) error {
			for _, e := range chunk {
				if err := t.put(e.bucket, e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
		chunk, size = chunk[:0], 0
		return err
	}
	var out Summary
	for _, name := range allBuckets {
		s := newSummer(name)
		c := r.cursor(name)
		for k, v := c.first(); k != nil; k, v = c.next() {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s.add(k, v)
			if bytes.Equal(name, bucketMeta) {
				continue // dst has its own, of the same schema
			}
			if len(chunk) >= maxKeys || size+prefix+len(etcdBuckets)+len(name)+1+len(k)+len(v) > maxBytes {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			chunk = append(chunk, kv{name, bytes.Clone(k), bytes.Clone(v)})
			size += prefix + len(etcdBuckets) + len(name) + 1 + len(k) + len(v)
		}
		out = append(out, s.done(r.sequence(name)))
	}
	if err := flush(); err != nil {
		return nil, err
	}
	err := dst.kv.update(func(t kvTx) error {
		for _, bs := range out {
			if bs.Sequence != 0 {
				if err := t.setSequence([]byte(bs.Name), bs.Sequence); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// backupEtcd writes the etcd store to w as a bbolt database file: the
// same records and sequences, which Open reads like any incidentbot file
// and which `incidentbot migrate` copies back.
func (db *DB) backupEtcd(w io.Writer) (int64, error) {
	dir, err := os.MkdirTemp("", "incidentbot-backup-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	dst, err := Open(filepath.Join(dir, "incidentbot.db"), WithNoSync(true), WithNow(db.now))
	if err != nil {
		return 0, err
	}
	if _, err := Copy(context.Background(), dst, db); err != nil {
		dst.Close()
		return 0, err
	}
	if err := dst.Close(); err != nil {
		return 0, err
	}
	f, err := os.Open(dst.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}
