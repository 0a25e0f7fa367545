package store_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// Benchmarks of the store at scale: 1k, 10k and 100k generated incidents
// (storetest.Generate: 10% open, about 30 events each), the same data
// written in schema 3 (the current format) and in schema 2 (JSON records,
// bbolt's default fill, written by internal/schema2 as the old store did).
// Run them with, for instance:
//
//	go test -run '^$' -bench 'Scale' -benchtime 200x ./store/
//
// with -short for 1k and 10k only. The generated files are cached in
// $TMPDIR/incidentbot-store-bench/<benchData>/ between runs (100k takes a
// few minutes to generate); delete it to start over.

// benchData names the generator's output: change it when the generator
// changes, so that cached files are not reused.
const benchData = "gen3"

// benchNow is the generator's clock: the newest incident is declared then.
var benchNow = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

func benchSizes() []int {
	if testing.Short() {
		return []int{1_000, 10_000}
	}
	return []int{1_000, 10_000, 100_000}
}

// benchFiles holds the cached files of one size.
type benchFiles struct {
	new, old, migrated string
}

var benchMu sync.Mutex

// files returns the cached files for n incidents, generating what is
// missing.
func files(b *testing.B, n int) benchFiles {
	benchMu.Lock()
	defer benchMu.Unlock()
	dir := filepath.Join(os.TempDir(), "incidentbot-store-bench", benchData)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	f := benchFiles{
		new:      filepath.Join(dir, fmt.Sprintf("schema3-%d.db", n)),
		old:      filepath.Join(dir, fmt.Sprintf("schema2-%d.db", n)),
		migrated: filepath.Join(dir, fmt.Sprintf("migrated-%d.db", n)),
	}
	o := storetest.GenOptions{Seed: 1, Now: benchNow}
	cached(b, f.new, fmt.Sprintf("generated %d incidents in schema 3", n), func(tmp string) {
		db, err := store.Open(tmp, store.WithNoSync(true), store.WithNow(func() time.Time { return benchNow }))
		if err != nil {
			b.Fatal(err)
		}
		if err := storetest.Generate(context.Background(), db, n, o); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	})
	cached(b, f.old, fmt.Sprintf("generated %d incidents in schema 2", n), func(tmp string) {
		writeSchema2(b, tmp, n, o)
	})
	cached(b, f.migrated, fmt.Sprintf("migrated %d incidents from schema 2", n), func(tmp string) {
		copyFile(b, f.old, tmp)
		db, err := store.Open(tmp, store.WithNoSync(true))
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		for _, bak := range must(filepath.Glob(tmp + ".schema2-*.bak")) {
			_ = os.Remove(bak)
		}
	})
	return f
}

// cached makes path with build (given a temporary path next to it), unless
// it exists.
func cached(b *testing.B, path, what string, build func(tmp string)) {
	if exists(path) {
		return
	}
	start := time.Now()
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	build(tmp)
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s in %v", what, time.Since(start).Round(time.Millisecond))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func copyFile(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// fileStats measures a closed bbolt file: its size on disk, the bytes of
// the pages in use (below the high-water mark and not free) and how full
// the timeline bucket's leaf pages are.
func fileStats(b *testing.B, path string) (size, inUse int64, timelineFill float64) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.View(func(tx *bolt.Tx) error {
		st := bdb.Stats()
		inUse = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(bdb.Info().PageSize)
		bs := tx.Bucket([]byte("timeline")).Stats()
		timelineFill = float64(bs.LeafInuse) / float64(bs.LeafAlloc)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size(), inUse, timelineFill
}

// openBench opens a copy of path (the cached file stays as it is).
func openBench(b *testing.B, path string) *store.DB {
	tmp := filepath.Join(b.TempDir(), "bench.db")
	copyFile(b, path, tmp)
	db, err := store.Open(tmp, store.WithNoSync(true), store.WithNow(func() time.Time { return benchNow }))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

const mib = 1 << 20

// forSizes runs bench as sub-benchmark n=<k>k for every store size.
func forSizes(b *testing.B, bench func(b *testing.B, n int)) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("n=%dk", n/1000), func(b *testing.B) { bench(b, n) })
	}
}

// benchRead runs read on the schema-3 store of every size.
func benchRead(b *testing.B, read func(ctx context.Context, db *store.DB, n int) error) {
	forSizes(b, func(b *testing.B, n int) {
		db := openBench(b, files(b, n).new)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := read(ctx, db, n); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkScaleSize reports the file size and the bytes in use for the
// same data in schema 2 (old), in schema 3 written by this store (new)
// and in schema 3 migrated from the schema-2 file (migrated), and how
// much smaller new is. Timed: nothing (one iteration).
func BenchmarkScaleSize(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		{
			f := files(b, n)
			for b.Loop() {
			}
			oldSize, oldUse, oldFill := fileStats(b, f.old)
			newSize, newUse, newFill := fileStats(b, f.new)
			migSize, migUse, _ := fileStats(b, f.migrated)
			b.ReportMetric(float64(oldSize)/mib, "old-file-MiB")
			b.ReportMetric(float64(newSize)/mib, "new-file-MiB")
			b.ReportMetric(float64(migSize)/mib, "migrated-file-MiB")
			b.ReportMetric(float64(oldUse)/mib, "old-used-MiB")
			b.ReportMetric(float64(newUse)/mib, "new-used-MiB")
			b.ReportMetric(float64(migUse)/mib, "migrated-used-MiB")
			b.ReportMetric(100*(1-float64(newUse)/float64(oldUse)), "smaller-%")
			b.ReportMetric(100*oldFill, "old-timeline-fill-%")
			b.ReportMetric(100*newFill, "new-timeline-fill-%")
		}
	})
}

// BenchmarkScaleMigrate measures the 2 → 3 migration: backup, rewrite,
// compaction.
func BenchmarkScaleMigrate(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		{
			f := files(b, n)
			dir := b.TempDir()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				path := filepath.Join(dir, fmt.Sprintf("m%d.db", i))
				copyFile(b, f.old, path)
				b.StartTimer()
				db, err := store.Open(path, store.WithNoSync(true))
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				db.Close()
				files, _ := filepath.Glob(path + "*")
				for _, f := range files {
					os.Remove(f)
				}
				b.StartTimer()
			}
		}
	})
}

// BenchmarkScaleList lists the newest 25 open incidents, as /incident list
// does.
func BenchmarkScaleList(b *testing.B) {
	benchRead(b, func(ctx context.Context, db *store.DB, n int) error {
		incs, err := db.FindIncidents(ctx, incident.Filter{OpenOnly: true, Limit: 25})
		if err == nil && len(incs) != 25 {
			err = fmt.Errorf("%d incidents", len(incs))
		}
		return err
	})
}

// BenchmarkScaleCount counts the open incidents.
func BenchmarkScaleCount(b *testing.B) {
	benchRead(b, func(ctx context.Context, db *store.DB, n int) error {
		c, err := db.CountOpen(ctx)
		if err == nil && c < n/20 {
			err = fmt.Errorf("%d open", c)
		}
		return err
	})
}

// BenchmarkScalePage reads a page of 25 open incidents from the middle of
// the history.
func BenchmarkScalePage(b *testing.B) {
	benchRead(b, func(ctx context.Context, db *store.DB, n int) error {
		incs, next, err := db.FindIncidentsPage(ctx, incident.Filter{OpenOnly: true, Limit: 25}, int64(n/2))
		if err == nil && (len(incs) != 25 || next == 0) {
			err = fmt.Errorf("%d incidents, next %d", len(incs), next)
		}
		return err
	})
}

// heapBytes returns the bytes of heap objects, live or not yet collected.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// rssBytes returns the process's resident set (Linux), or 0.
func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident uint64
	if _, err := fmt.Sscan(string(data), &size, &resident); err != nil {
		return 0
	}
	return resident * uint64(os.Getpagesize())
}

// BenchmarkScaleExport walks every incident with its timeline
// (ForEachIncident), as an export does. peak-heap-MiB is the highest heap
// (live objects and garbage not yet collected) seen during the walk, above
// what it was before; peak-rss-MiB the same for the process's resident
// set (heap and the pages of the file mapped in).
func BenchmarkScaleExport(b *testing.B) {
	ctx := context.Background()
	forSizes(b, func(b *testing.B, n int) {
		{
			db := openBench(b, files(b, n).new)
			b.ReportAllocs()
			var peak, peakRSS uint64
			for b.Loop() {
				runtime.GC()
				base, baseRSS := heapBytes(), rssBytes()
				incs, events := 0, 0
				err := db.ForEachIncident(ctx, store.ExportFilter{IncludePrivate: true}, func(inc *incident.Incident, evs []incident.Event) error {
					incs++
					events += len(evs)
					if incs%256 == 0 {
						if h := heapBytes(); h > base && h-base > peak {
							peak = h - base
						}
						if r := rssBytes(); r > baseRSS && r-baseRSS > peakRSS {
							peakRSS = r - baseRSS
						}
					}
					return nil
				})
				if err != nil || incs != n {
					b.Fatalf("%d incidents, %v", incs, err)
				}
				b.ReportMetric(float64(events), "events")
			}
			b.ReportMetric(float64(peak)/mib, "peak-heap-MiB")
			b.ReportMetric(float64(peakRSS)/mib, "peak-rss-MiB")
		}
	})
}

// BenchmarkScalePruneSeen forgets the oldest day of a week of
// deduplication keys (one key per incident in the store).
func BenchmarkScalePruneSeen(b *testing.B) {
	ctx := context.Background()
	forSizes(b, func(b *testing.B, n int) {
		{
			f := files(b, n)
			dir := b.TempDir()
			cutoff := benchNow.Add(-6 * 24 * time.Hour)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				path := filepath.Join(dir, fmt.Sprintf("p%d.db", i))
				copyFile(b, f.new, path)
				db, err := store.Open(path, store.WithNoSync(true))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				pruned, err := db.PruneSeen(ctx, cutoff)
				if err != nil || pruned == 0 {
					b.Fatalf("pruned %d, %v", pruned, err)
				}
				b.StopTimer()
				b.ReportMetric(float64(pruned), "pruned")
				db.Close()
				os.Remove(path)
				b.StartTimer()
			}
		}
	})
}

// BenchmarkScaleCheck runs Check over the whole file.
func BenchmarkScaleCheck(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		{
			db := openBench(b, files(b, n).new)
			for b.Loop() {
				if err := db.Check(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkScaleOpen opens and closes the store: what Open reads does not
// grow with the file.
func BenchmarkScaleOpen(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		{
			path := filepath.Join(b.TempDir(), "open.db")
			copyFile(b, files(b, n).new, path)
			for b.Loop() {
				db, err := store.Open(path, store.WithNoSync(true))
				if err != nil {
					b.Fatal(err)
				}
				if err := db.Close(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
