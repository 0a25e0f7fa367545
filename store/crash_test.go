package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

const helperEnv = "INCIDENTBOT_STORE_HELPER_DB"

// TestHelperProcess is the child of TestDB_UncleanStop: it appends events
// from several goroutines, with fsync on, and prints "id seq" for each one
// whose commit has returned, until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestDB_UncleanStop")
	}
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	for w := range 4 {
		go func() {
			id := int64(w%2 + 1)
			for i := 0; ; i++ {
				evs, err := db.AppendEvents(context.Background(), id, incident.Event{Kind: incident.EventNote, Text: strings.Repeat("x", i%500)})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %d\n", id, evs[0].Seq)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	select {}
}

func TestDB_UncleanStop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "incidentbot.db")
	db := MustOpenDBAt(t, path)
	MustCreateIncident(t, db, &incident.Incident{Title: "a"})
	MustCreateIncident(t, db, &incident.Incident{Title: "b"})
	MustCloseDB(t, db)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := map[int64]uint64{} // highest seq reported per incident
	sc := bufio.NewScanner(stdout)
	deadline := time.Now().Add(5 * time.Second)
	for n := 0; n < 300 && time.Now().Before(deadline) && sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		id, _ := strconv.ParseInt(f[0], 10, 64)
		seq, _ := strconv.ParseUint(f[1], 10, 64)
		committed[id] = max(committed[id], seq)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Lines written before the kill are commits too.
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			id, _ := strconv.ParseInt(f[0], 10, 64)
			seq, _ := strconv.ParseUint(f[1], 10, 64)
			committed[id] = max(committed[id], seq)
		}
	}
	_ = cmd.Wait()
	if len(committed) == 0 {
		t.Fatal("the child committed nothing")
	}

	db = MustOpenDBAt(t, path) // Cleanup runs Check
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	for id, seq := range committed {
		evs, err := db.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(evs)) < seq {
			t.Fatalf("incident %d: %d events after the crash, but seq %d was committed", id, len(evs), seq)
		}
		MustDenseSeqs(t, evs, len(evs))
		t.Logf("incident %d: %d committed, %d on disk", id, seq, len(evs))
	}
}
