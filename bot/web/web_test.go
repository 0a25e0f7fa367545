package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestHandler(t *testing.T) {
	ready := false
	h := Handler(Options{
		Backup: func(w io.Writer) (int64, error) { n, err := w.Write([]byte("DBDATA")); return int64(n), err },
		Export: func(ctx context.Context, w io.Writer, q url.Values) (int, error) {
			if q.Get("format") == "xml" {
				return 0, incident.Errorf(incident.EINVALID, "format %q is not supported", q.Get("format"))
			}
			n, err := io.WriteString(w, "EXPORT "+q.Get("format"))
			return n, err
		},
		Spool:      filepath.Join(t.TempDir(), "bot.db.backup-"),
		Ready:      func() bool { return ready },
		AdminToken: "s3cret",
	})
	token := "s3cret"
	do := func(path, remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = remote
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := do("/healthz", "127.0.0.1:1"); rec.Code != 200 {
		t.Errorf("healthz = %d", rec.Code)
	}
	if rec := do("/readyz", "127.0.0.1:1"); rec.Code != 503 || !strings.Contains(rec.Body.String(), "not connected") {
		t.Errorf("readyz before connecting = %d %q", rec.Code, rec.Body)
	}
	ready = true
	if rec := do("/readyz", "127.0.0.1:1"); rec.Code != 200 {
		t.Errorf("readyz = %d", rec.Code)
	}
	// A lost connection makes the bot unready again; it stays alive.
	ready = false
	if rec := do("/readyz", "127.0.0.1:1"); rec.Code != 503 {
		t.Errorf("readyz after a disconnect = %d", rec.Code)
	}
	if rec := do("/healthz", "127.0.0.1:1"); rec.Code != 200 {
		t.Errorf("healthz after a disconnect = %d", rec.Code)
	}
	if rec := do("/admin/backup", "127.0.0.1:5000"); rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), []byte("DBDATA")) {
		t.Errorf("backup from loopback = %d %q", rec.Code, rec.Body)
	}
	if rec := do("/admin/backup", "[::1]:5000"); rec.Code != 200 {
		t.Errorf("backup from ::1 = %d", rec.Code)
	}
	for _, remote := range []string{"10.0.0.7:5000", "192.0.2.1:80", "garbage"} {
		if rec := do("/admin/backup", remote); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "DBDATA") {
			t.Errorf("backup from %s = %d", remote, rec.Code)
		}
	}
	for _, bad := range []string{"", "wrong"} {
		token = bad
		if rec := do("/admin/backup", "127.0.0.1:5000"); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "DBDATA") {
			t.Errorf("backup with token %q = %d", bad, rec.Code)
		}
		if rec := do("/admin/export", "127.0.0.1:5000"); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "EXPORT") {
			t.Errorf("export with token %q = %d", bad, rec.Code)
		}
	}
	token = "s3cret"
	rec := do("/admin/export?format=json", "127.0.0.1:5000")
	if rec.Code != 200 || rec.Body.String() != "EXPORT json" || rec.Header().Get("X-Incidentbot-Count") != "11" ||
		rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("export = %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	if rec := do("/admin/export?format=xml", "127.0.0.1:5000"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `format "xml" is not supported`) {
		t.Errorf("export of a bad format = %d %q, want 400 with the reason", rec.Code, rec.Body)
	}
	if rec := do("/admin/export", "10.0.0.7:5000"); rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "EXPORT") {
		t.Errorf("export from afar = %d", rec.Code)
	}
	if rec := do("/nope", "127.0.0.1:1"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown path = %d", rec.Code)
	}
}

func TestListenBadAddress(t *testing.T) {
	if _, err := Listen("not-an-address", Handler(Options{}), slog.New(slog.DiscardHandler), Timeouts{}); err == nil || !strings.Contains(err.Error(), "http.listen") {
		t.Errorf("err = %v, want one naming http.listen", err)
	}
}
