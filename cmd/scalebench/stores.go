package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// genNow is the generator's clock: the newest incident is declared then,
// and every open incident's next update falls due within the hour after
// it. It lies years ahead so that no reminder falls due while a binary
// runs: the bot is idle, as the idle figures want, and the cached stores
// stay valid until then. Both binaries read the same incidents.
var genNow = time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)

// genSeed is the generator's seed (the store benchmarks use it too).
const genSeed = 1

// dataVersion names the generated data in the cache: change it when the
// generator, genNow or the schema-3 file's contents change, so that
// cached files are not reused. gen3: schema 3 gained the facts index
// and the alert and deploy buckets.
const dataVersion = "gen3-2030"

func genOptions() storetest.GenOptions {
	return storetest.GenOptions{Seed: genSeed, Now: genNow}
}

func defaultCache() string { return filepath.Join(os.TempDir(), "incidentbot-scalebench") }

// stores are the generated files of one size: the same incidents in the
// current format (After) and in the format the before binary reads
// (Before, schema 1 or 2).
type stores struct {
	After, Before string
	People        []string // the user IDs the incidents mention
}

// ensureStores returns the cached stores of n incidents, generating what
// is missing. beforeSchema is the schema the before binary reads.
func ensureStores(ctx context.Context, src, cache string, n, beforeSchema int, logf func(string, ...any)) (stores, error) {
	dir := filepath.Join(cache, dataVersion)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return stores{}, err
	}
	s := stores{
		After:  filepath.Join(dir, fmt.Sprintf("schema3-%d.db", n)),
		Before: filepath.Join(dir, fmt.Sprintf("schema%d-%d.db", beforeSchema, n)),
	}
	err := cached(s.After, logf, fmt.Sprintf("%d incidents in schema 3", n), func(tmp string) error {
		return writeSchema3(ctx, tmp, n)
	})
	if err != nil {
		return s, err
	}
	err = cached(s.Before, logf, fmt.Sprintf("%d incidents in schema %d", n, beforeSchema), func(tmp string) error {
		if err := writeSchema2(ctx, src, dir, tmp, n); err != nil {
			return err
		}
		if beforeSchema == 1 {
			return downgradeTo1(tmp)
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	s.People, err = people(cache, n, logf)
	return s, err
}

// downgradeTo1 turns a schema-2 file into the schema-1 file that the
// schema-1 store would have written with the same data. Schema 2 only
// added the inbox bucket (empty here) and a lane to outbox effects (there
// are none): the records, keys and indexes are the same. Schema 2's
// incident records carry a "rev" field that schema 1 does not know; its
// decoder (json.Unmarshal) ignores it.
func downgradeTo1(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("outbox")).Stats().KeyN != 0 {
			return errors.New("the outbox is not empty: schema 1 has no lanes")
		}
		if err := tx.DeleteBucket([]byte("inbox")); err != nil {
			return fmt.Errorf("delete the inbox: %w", err)
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 1))
	})
	if err != nil {
		db.Close()
		return fmt.Errorf("downgrade %s to schema 1: %w", path, err)
	}
	if err := db.Sync(); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// cached makes path with build, given a temporary path beside it, unless
// path exists.
func cached(path string, logf func(string, ...any), what string, build func(tmp string) error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	logf("generating %s (cached in %s)", what, path)
	start := time.Now()
	tmp := path + ".tmp"
	if err := os.Remove(tmp); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := build(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("generate %s: %w", what, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	logf("generated %s in %v", what, time.Since(start).Round(time.Millisecond))
	return nil
}

// writeSchema3 generates n incidents into a new store at path.
func writeSchema3(ctx context.Context, path string, n int) error {
	db, err := store.Open(path, store.WithNoSync(true), store.WithNow(func() time.Time { return genNow }))
	if err != nil {
		return err
	}
	if err := storetest.Generate(ctx, db, n, genOptions()); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// schema2Writer is a test added to package store_test through `go test
// -overlay` (the tree is not changed). It calls the store tests' own
// writeSchema2, which writes the generator's incidents in schema 2 with
// store/internal/schema2: the JSON records, indexes and bbolt fill of the
// schema-2 store, which the before binary reads. An internal package
// cannot be imported from cmd/, hence the overlay.
const schema2Writer = `package store_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store/storetest"
)

func TestScalebenchWriteSchema2(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("SCALEBENCH_N"))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := strconv.ParseUint(os.Getenv("SCALEBENCH_SEED"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	now, err := time.Parse(time.RFC3339, os.Getenv("SCALEBENCH_NOW"))
	if err != nil {
		t.Fatal(err)
	}
	writeSchema2(t, os.Getenv("SCALEBENCH_OUT"), n, storetest.GenOptions{Seed: seed, Now: now})
}
`

// writeSchema2 writes the incidents of genOptions in schema 2 at path,
// through the overlaid test above (run in the repository at src).
func writeSchema2(ctx context.Context, src, dir, path string, n int) error {
	gen := filepath.Join(dir, "schema2_writer_test.go")
	if err := os.WriteFile(gen, []byte(schema2Writer), 0o600); err != nil {
		return err
	}
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(src, "store", "zz_scalebench_schema2_test.go"): gen},
	})
	if err != nil {
		return err
	}
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o600); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-timeout=0", "-overlay", ov,
		"-run", "^TestScalebenchWriteSchema2$", "./store/")
	cmd.Dir = src
	cmd.Env = append(os.Environ(),
		"SCALEBENCH_N="+strconv.Itoa(n),
		"SCALEBENCH_SEED="+strconv.Itoa(genSeed),
		"SCALEBENCH_NOW="+genNow.Format(time.RFC3339),
		"SCALEBENCH_OUT="+abs,
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go test ./store/ with the schema-2 writer: %w\n%s", err, out)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("the schema-2 writer wrote nothing: %w", err)
	}
	return nil
}

// people returns the Slack user IDs the generated incidents of size n
// mention (role holders, actors, task owners, people named in event
// fields), cached beside the stores. The fake Slack knows them, as a real
// workspace knows its members: an export through the running bot looks
// their names up.
func people(cache string, n int, logf func(string, ...any)) ([]string, error) {
	path := filepath.Join(cache, dataVersion, fmt.Sprintf("people-%d.txt", n))
	err := cached(path, logf, fmt.Sprintf("the people of %d incidents", n), func(tmp string) error {
		seen := map[string]bool{}
		add := func(ids ...string) {
			for _, id := range ids {
				if isUserID(id) {
					seen[id] = true
				}
			}
		}
		for inc, evs := range storetest.Incidents(n, genOptions()) {
			add(inc.DeclaredBy, inc.Operator, inc.Spokesperson)
			if h := inc.Handoff; h != nil {
				add(h.From, h.To)
			}
			for _, t := range inc.ActionItems {
				add(t.Owner, t.CreatedBy, t.DoneBy)
			}
			for _, p := range inc.Pending {
				add(p.To)
			}
			for _, e := range evs {
				add(e.Actor)
				for _, v := range e.Fields {
					add(v)
				}
			}
		}
		ids := slices.Sorted(maps.Keys(seen))
		return os.WriteFile(tmp, []byte(strings.Join(ids, "\n")+"\n"), 0o600)
	})
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(data)), nil
}

// isUserID reports whether s looks like a Slack user ID (U or W, then
// upper-case letters and digits).
func isUserID(s string) bool {
	if len(s) < 8 || len(s) > 15 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, c := range s[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
