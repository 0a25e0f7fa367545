package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestKV_SameAsBolt runs the same random transactions on both backends
// (puts, deletes, sequences, and every cursor move, on the whole bucket
// and within prefixes, before and after writes in the same transaction)
// and requires the same answers: bbolt is the reference for the etcd
// backend's snapshot pages, buffered writes and cache. On etcd, some
// transactions run in a second process, as a replica would.
func TestKV_SameAsBolt(t *testing.T) {
	bucketKV := []byte("kv")
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 99))
			bdb, err := Open(filepath.Join(t.TempDir(), "kv.db"), testOptions()...)
			if err != nil {
				t.Fatal(err)
			}
			defer bdb.Close()
			if err := bdb.bolt.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucketKV); return err }); err != nil {
				t.Fatal(err)
			}
			// A small etcd limit, so that some transactions are full.
			edb, err := OpenEtcd(context.Background(), SharedEtcd(t), NewEtcdPrefix(), testOptions(WithMaxTxnOps(64))...)
			if err != nil {
				t.Fatal(err)
			}
			defer edb.Close()
			// Another process on the same store, whose writes edb's cache
			// must notice.
			other, err := OpenEtcd(context.Background(), SharedEtcd(t), edb.etcd.prefix, testOptions(WithMaxTxnOps(64))...)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()

			// Keys: a few prefixes of IDs (8 bytes) and composite keys
			// (16 bytes), dense and sparse, and short text keys.
			keyOf := func() []byte {
				switch rng.IntN(3) {
				case 0:
					return itob(uint64(rng.IntN(200)))
				case 1:
					return key2(uint64(rng.IntN(6)), uint64(rng.IntN(40)))
				}
				return []byte(fmt.Sprintf("C%03d", rng.IntN(60)))
			}
			prefixOf := func() []byte {
				switch rng.IntN(4) {
				case 0:
					return nil
				case 1:
					return itob(uint64(rng.IntN(6)))
				case 2:
					return []byte("C0")
				}
				k := keyOf()
				return k[:rng.IntN(len(k))+1]
			}

			for txn := range 25 {
				// Each transaction: some writes, then cursors, or a read.
				type step struct {
					op     string
					k, v   []byte
					prefix []byte
					moves  []string
				}
				var steps []step
				writable := rng.IntN(4) > 0
				for range rng.IntN(40) + 1 {
					switch r := rng.IntN(10); {
					case writable && r < 4:
						steps = append(steps, step{op: "put", k: keyOf(), v: []byte(fmt.Sprint(txn, rng.IntN(1000)))})
					case writable && r < 6:
						steps = append(steps, step{op: "delete", k: keyOf()})
					case writable && r < 7:
						steps = append(steps, step{op: "seq", v: itob(uint64(rng.IntN(100)))})
					case r < 8:
						steps = append(steps, step{op: "get", k: keyOf()})
					default:
						st := step{op: "cursor", prefix: prefixOf()}
						for range rng.IntN(12) + 1 {
							m := []string{"first", "last", "next", "prev", "seek"}[rng.IntN(5)]
							if m == "seek" {
								m += " " + string(keyOf())
							}
							st.moves = append(st.moves, m)
						}
						steps = append(steps, st)
					}
				}
				run := func(db *DB) (out []string, err error) {
					fn := func(t kvTx) error {
						for _, st := range steps {
							switch st.op {
							case "put":
								if err := t.put(bucketKV, st.k, st.v); err != nil {
									out = append(out, "put: "+errText(err))
								}
							case "delete":
								if err := t.delete(bucketKV, st.k); err != nil {
									out = append(out, "delete: "+errText(err))
								}
							case "seq":
								if err := t.setSequence(bucketKV, btoi(st.v)); err != nil {
									out = append(out, "seq: "+errText(err))
								}
								out = append(out, fmt.Sprint("seq ", t.sequence(bucketKV)))
							case "get":
								out = append(out, fmt.Sprintf("get %x = %q", st.k, t.get(bucketKV, st.k)))
							case "cursor":
								c := t.cursor(bucketKV, st.prefix)
								for _, m := range st.moves {
									var k, v []byte
									switch {
									case m == "first":
										k, v = c.first()
									case m == "last":
										k, v = c.last()
									case m == "next":
										k, v = c.next()
									case m == "prev":
										k, v = c.prev()
									default:
										k, v = c.seek([]byte(strings.TrimPrefix(m, "seek ")))
									}
									out = append(out, fmt.Sprintf("%x %s: %x = %q", st.prefix, m, k, v))
								}
							}
						}
						return nil
					}
					if writable {
						err = db.kv.update(fn)
					} else {
						err = db.kv.view(fn)
					}
					return out, err
				}
				want, err := run(bdb)
				if err != nil {
					t.Fatal(err)
				}
				etcdDB := edb
				if rng.IntN(5) == 0 {
					etcdDB = other
				}
				got, err := run(etcdDB)
				if err != nil {
					t.Fatal(err)
				}
				for i := range max(len(want), len(got)) {
					w, g := nth(want, i), nth(got, i)
					if w != g && !strings.HasPrefix(g, "put: the transaction is full") && !strings.HasPrefix(g, "delete: the transaction is full") {
						t.Fatalf("transaction %d, answer %d:\nbbolt %s\netcd  %s\nafter:\n%s", txn, i, w, g, strings.Join(want[max(0, i-6):i], "\n"))
					}
					if strings.Contains(g, "transaction is full") {
						// The etcd transaction lost a write bbolt kept:
						// the two stores differ from here on.
						return
					}
				}
			}
		})
	}
}

func errText(err error) string {
	s := err.Error()
	if i := strings.Index(s, ":"); i > 0 {
		return s[:i]
	}
	return s
}

func nth(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(nothing)"
}
