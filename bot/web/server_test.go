package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// MustListen serves h on a free loopback port with timeouts t and shuts
// the server down at cleanup.
func MustListen(tb testing.TB, h http.Handler, t Timeouts) *Server {
	tb.Helper()
	srv, err := Listen("127.0.0.1:0", h, slog.New(slog.DiscardHandler), t)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// MustOpenDB opens a real store in dir; cleanup checks and closes it.
func MustOpenDB(tb testing.TB, dir string) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(dir, "bot.db"), store.WithNoSync(true))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil {
			tb.Error(err)
		}
		db.Close()
	})
	return db
}

// MustFill writes n outbox records of size bytes each.
func MustFill(tb testing.TB, db *store.DB, n, size int) {
	tb.Helper()
	payload := []byte(strings.Repeat("x", size))
	for i := range n {
		if _, err := db.Apply(context.Background(), incident.Change{Effects: []incident.Effect{{Kind: "fill", Lane: fmt.Sprint("fill-", i), Payload: payload}}}); err != nil {
			tb.Fatal(err)
		}
	}
}

// assertOnlyDB fails if dir holds anything besides the database.
// assertOnlyDB checks that the spooled copy is gone. The handler removes it
// once the response is written, which the client may see complete a
// moment before: it is given 5 s.
func assertOnlyDB(tb testing.TB, dir string) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			tb.Fatal(err)
		}
		var left []string
		for _, e := range entries {
			if e.Name() != "bot.db" {
				left = append(left, e.Name())
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Errorf("left behind in the database's directory: %v", left)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBackup_StalledClientDoesNotStallWriters(t *testing.T) {
	dir := t.TempDir()
	db := MustOpenDB(t, dir)
	// Bigger than what loopback socket buffers absorb, so that the server
	// blocks on a client that reads nothing.
	MustFill(t, db, 5, 1<<20)
	srv := MustListen(t, Handler(Options{Backup: db.Backup, AdminToken: "tok", Spool: filepath.Join(dir, "bot.db.backup-"), Stall: 300 * time.Millisecond}), Timeouts{})

	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /admin/backup HTTP/1.1\r\nHost: bot\r\nAuthorization: Bearer tok\r\n\r\n")
	// Read the status line and headers, then nothing more: the server is
	// now sending the body to a client that does not read it.
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 64), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("backup answered %s", resp.Status)
	}

	// Meanwhile the bot writes: enough that bbolt must grow its memory map,
	// which waits for every read transaction to end.
	done := make(chan error, 1)
	go func() {
		payload := []byte(strings.Repeat("y", 1<<20))
		for i := range 5 {
			if _, err := db.Apply(context.Background(), incident.Change{Effects: []incident.Effect{{Kind: "grow", Lane: fmt.Sprint("grow-", i), Payload: payload}}}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("writes hung while a backup client stopped reading: the backup holds a read transaction")
	}

	// The stalled client is dropped: shutdown does not wait for it, and
	// the temporary copy is gone.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown waited on the stalled client: %v", err)
	}
	assertOnlyDB(t, dir)
}

func TestBackup_Download(t *testing.T) {
	dir := t.TempDir()
	db := MustOpenDB(t, dir)
	MustFill(t, db, 3, 100<<10)
	srv := MustListen(t, Handler(Options{Backup: db.Backup, AdminToken: "tok", Spool: filepath.Join(dir, "bot.db.backup-")}), Timeouts{})
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.Addr()+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := filepath.Join(t.TempDir(), "copy.db")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(f, resp.Body)
	f.Close()
	if err != nil || resp.StatusCode != http.StatusOK || n != resp.ContentLength {
		t.Fatalf("download: %s, %d of %d bytes, %v", resp.Status, n, resp.ContentLength, err)
	}
	cp, err := store.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if err := cp.Check(); err != nil {
		t.Fatal(err)
	}
	effects, err := cp.PendingEffects(context.Background(), 0)
	if err != nil || len(effects) != 3 {
		t.Fatalf("backup holds %d effects (%v), want 3", len(effects), err)
	}
	assertOnlyDB(t, dir)
}

func TestBackup_Failure(t *testing.T) {
	dir := t.TempDir()
	h := Handler(Options{
		Backup:     func(w io.Writer) (int64, error) { w.Write([]byte("partial")); return 7, errors.New("disk full") },
		AdminToken: "tok", Spool: filepath.Join(dir, "bot.db.backup-"),
	})
	srv := MustListen(t, h, Timeouts{})
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.Addr()+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(string(body), "partial") {
		t.Errorf("failed backup answered %s %q", resp.Status, body)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("a failed backup left %d files behind", len(entries))
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"bot.db", "bot.db.backup-123", "bot.db.backup-456", "other.db.backup-1", "bot.db.admin-token"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o600)
	}
	if err := RemoveStale(filepath.Join(dir, "bot.db.backup-")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"bot.db", "bot.db.admin-token", "other.db.backup-1"}; !slices.Equal(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
	if err := RemoveStale(""); err != nil {
		t.Error(err)
	}
}

func TestListen_Timeouts(t *testing.T) {
	srv := MustListen(t, Handler(Options{}), Timeouts{ReadHeader: 100 * time.Millisecond, Read: 100 * time.Millisecond, Idle: 100 * time.Millisecond})

	// expectClosed fails unless the server closes conn without answering
	// more than it already has.
	expectClosed := func(t *testing.T, conn net.Conn) {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		rest, err := io.ReadAll(conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the server kept the connection open")
		}
		if len(rest) > 0 && !strings.Contains(string(rest), "408") {
			t.Errorf("unexpected bytes %q", rest)
		}
	}

	t.Run("HalfSentHeaders", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: bot\r\n")
		expectClosed(t, conn)
	})

	t.Run("IdleKeepAlive", func(t *testing.T) {
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n")
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		expectClosed(t, conn)
	})
}

func TestTimeouts_Defaults(t *testing.T) {
	got := Timeouts{Write: time.Minute}.withDefaults()
	want := Timeouts{ReadHeader: 5 * time.Second, Read: 10 * time.Second, Write: time.Minute, Idle: time.Minute}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
