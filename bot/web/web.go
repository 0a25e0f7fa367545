// Package web is incidentbot's small HTTP face: health and a consistent
// database backup for the `incidentbot backup` command. It listens on
// loopback by default; put it behind your own proxy to expose it.
package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Options configure the server.
type Options struct {
	// Backup writes a consistent copy of the database to w.
	Backup func(w io.Writer) (int64, error)
	// BackupToken must be presented as "Authorization: Bearer TOKEN" to
	// download a backup. The bot writes it next to the database, where only
	// those who can read the database can read it; empty disables backups.
	BackupToken string
	// Ready reports whether the bot is connected to Slack.
	Ready  func() bool
	Logger *slog.Logger
}

// Handler returns the HTTP routes.
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if o.Ready != nil && !o.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not connected to Slack\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("GET /admin/backup", func(w http.ResponseWriter, r *http.Request) {
		// The database holds every private incident: only clients on this
		// machine (or inside this container) may copy it.
		if !loopback(r.RemoteAddr) {
			http.Error(w, "the backup endpoint answers loopback clients only; run 'incidentbot backup' on the bot's host", http.StatusForbidden)
			return
		}
		if o.Backup == nil || o.BackupToken == "" {
			http.Error(w, "backup is not available", http.StatusNotFound)
			return
		}
		// A proxy on this host would make any caller look local: the token
		// file is what proves the caller can read the bot's data directory.
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(o.BackupToken)) != 1 {
			http.Error(w, "a backup needs the token the bot wrote next to its database; run 'incidentbot backup' on the bot's host", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="incidentbot.db"`)
		if _, err := o.Backup(w); err != nil && o.Logger != nil {
			o.Logger.Error("serve backup", "err", err)
		}
	})
	return mux
}

// Server is a running HTTP server.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts serving h on addr; serving errors go to log.
func Listen(addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (http.listen): %w", addr, err)
	}
	s := &Server{srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops the server, letting in-flight requests finish.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
