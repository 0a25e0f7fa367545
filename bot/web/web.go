// Package web is incidentbot's small HTTP face: liveness, readiness, and
// the consistent database backup and export that `incidentbot backup` and
// `incidentbot export` ask of a running bot. It
// listens on loopback by default; put it behind your own proxy to expose
// it. Every connection is bounded by timeouts (see Timeouts), so no client
// can hold the server or the database.
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
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Options configure the server.
type Options struct {
	// Backup writes a consistent copy of the database to w. It holds a
	// read transaction while it runs, so the handler never gives it the
	// client's connection: see Spool.
	Backup func(w io.Writer) (int64, error)
	// Export writes the incidents q selects (the query of
	// `incidentbot export`) to w and says how many it wrote; errors coded
	// incident.EINVALID or ENOTFOUND are the caller's and answer 400 or
	// 404 with their message. Like Backup it reads
	// one snapshot, so it is spooled too. Nil disables /admin/export.
	Export func(ctx context.Context, w io.Writer, q url.Values) (int, error)
	// AdminToken must be presented as "Authorization: Bearer TOKEN" to
	// use the /admin routes. The bot writes it next to the database, where
	// only those who can read the database can read it; empty disables
	// them.
	AdminToken string
	// Spool starts the path of the temporary file a backup or export is
	// written to before it is sent, then removed, e.g.
	// "/data/incidentbot.db.spool-". Put it beside the database: a local
	// copy there is fast, and the read transaction it holds ends before
	// the download starts, so a client that stops reading cannot stall the
	// bot's writes (bbolt cannot grow its memory map while a read
	// transaction is open). Empty uses the system's temporary directory.
	// RemoveStale clears what a crash left.
	Spool string
	// Stall is how long a download may make no progress before the
	// connection is dropped; zero is 30 s.
	Stall time.Duration
	// Ready reports whether the bot is connected to Slack; /readyz answers
	// 503 whenever it is false. Nil counts as ready.
	Ready func() bool
	// Role, when set, names this replica's role ("leader" or "follower",
	// store.backend etcd) in /readyz's answer.
	Role   func() string
	Logger *slog.Logger

	// Hooks serves the alert and deploy hooks under /hooks/ (the intake
	// handler, which authenticates each request itself); Metrics serves
	// GET /metrics; Stats answers GET /admin/stats with the figures the
	// query asks for (incidentbot stats while the bot runs), as JSON. Nil
	// leaves each out.
	Hooks   http.Handler
	Metrics http.Handler
	Stats   func(ctx context.Context, q url.Values) (any, error)

	// OncallFeed serves the on-call calendar at GET /oncall/calendar.ics
	// to anyone with its token (it checks the token itself: calendar apps
	// cannot send headers); OncallAdmin serves it at /admin/oncall.ics
	// behind the admin guard. Nil disables each.
	OncallFeed, OncallAdmin http.Handler
}

// DefaultStall is the default Options.Stall.
const DefaultStall = 30 * time.Second

// Handler returns the HTTP routes.
func Handler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		role := ""
		if o.Role != nil {
			role = " (" + o.Role() + ")"
		}
		if o.Ready != nil && !o.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			if role != "" {
				// A follower is ready while it stands by to take over.
				io.WriteString(w, "not ready"+role+"\n")
				return
			}
			io.WriteString(w, "not connected to Slack\n")
			return
		}
		io.WriteString(w, "ready"+role+"\n")
	})
	mux.Handle("GET /admin/backup", admin(o, "backup", o.Backup != nil, func(w http.ResponseWriter, r *http.Request) {
		spool(w, r, o, download{name: "incidentbot.db", contentType: "application/octet-stream", what: "backup"},
			func(f io.Writer) (http.Header, error) {
				_, err := o.Backup(f)
				return nil, err
			})
	}))
	if o.Hooks != nil {
		mux.Handle("/hooks/", o.Hooks)
	}
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	mux.Handle("GET /admin/stats", admin(o, "stats", o.Stats != nil, func(w http.ResponseWriter, r *http.Request) {
		serveStats(w, r, o)
	}))
	mux.Handle("GET /admin/export", admin(o, "export", o.Export != nil, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		d := download{name: "incidents.md", contentType: "text/markdown; charset=utf-8", what: "export"}
		if q.Get("format") == "json" {
			d.name, d.contentType = "incidents.json", "application/json"
		}
		spool(w, r, o, d, func(f io.Writer) (http.Header, error) {
			n, err := o.Export(r.Context(), f, q)
			return http.Header{"X-Incidentbot-Count": {strconv.Itoa(n)}}, err
		})
	}))
	if o.OncallFeed != nil {
		mux.Handle("GET /oncall/calendar.ics", o.OncallFeed)
	}
	mux.Handle("GET /admin/oncall.ics", admin(o, "oncall export", o.OncallAdmin != nil, func(w http.ResponseWriter, r *http.Request) {
		o.OncallAdmin.ServeHTTP(w, r)
	}))
	return mux
}

// admin guards a route that hands out the database's contents.
func admin(o Options, what string, enabled bool, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The database holds every private incident: only clients on this
		// machine (or inside this container) may read it.
		if !loopback(r.RemoteAddr) {
			http.Error(w, fmt.Sprintf("the %s endpoint answers loopback clients only; run 'incidentbot %s' on the bot's host", what, what), http.StatusForbidden)
			return
		}
		if !enabled || o.AdminToken == "" {
			http.Error(w, what+" is not available", http.StatusNotFound)
			return
		}
		// A proxy on this host would make any caller look local: the token
		// file is what proves the caller can read the bot's data directory.
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(o.AdminToken)) != 1 {
			http.Error(w, fmt.Sprintf("the %s endpoint needs the token the bot wrote next to its database; run 'incidentbot %s' on the bot's host", what, what), http.StatusUnauthorized)
			return
		}
		next(w, r)
	})
}

// download describes what spool sends.
type download struct {
	name, contentType string
	what              string // for messages: "backup", "export"
}

// chunk is how much of a download is written per write deadline.
const chunk = 256 << 10

// spool has write fill a temporary file (o.Spool), then sends that file,
// dropping a client that makes no progress for o.Stall, and removes it.
// The headers write returns are sent with the file.
func spool(w http.ResponseWriter, r *http.Request, o Options, d download, write func(io.Writer) (http.Header, error)) {
	log := o.Logger
	f, err := os.CreateTemp(tempPattern(o.Spool))
	if err != nil {
		log.Error("serve "+d.what+": create temporary file", "err", err)
		http.Error(w, "the "+d.what+" could not be written beside the database (see the bot's log)", http.StatusInternalServerError)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h, err := write(f)
	switch incident.ErrorCode(err) {
	case incident.EINVALID:
		http.Error(w, incident.ErrorMessage(err), http.StatusBadRequest)
		return
	case incident.ENOTFOUND:
		http.Error(w, incident.ErrorMessage(err), http.StatusNotFound)
		return
	}
	var n int64
	if err == nil {
		n, err = f.Seek(0, io.SeekCurrent) // the size written
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		log.Error("serve "+d.what, "err", err)
		http.Error(w, "the "+d.what+" failed (see the bot's log)", http.StatusInternalServerError)
		return
	}
	stall := o.Stall
	if stall <= 0 {
		stall = DefaultStall
	}
	for k, v := range h {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", d.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	rc := http.NewResponseController(w)
	buf := make([]byte, chunk)
	var sent int64
	for {
		k, rerr := f.Read(buf)
		if k > 0 {
			// Deadlines are per chunk: a large database over a slow link
			// may take long, a client that stops reading may not.
			if err := rc.SetWriteDeadline(time.Now().Add(stall)); err != nil && !errors.Is(err, http.ErrNotSupported) {
				log.Warn("serve "+d.what+": set write deadline", "err", err)
			}
			if _, err := w.Write(buf[:k]); err != nil {
				log.Warn(d.what+" download abandoned", "remote", r.RemoteAddr, "sent_bytes", sent, "size_bytes", n, "err", err)
				return
			}
			sent += int64(k)
		}
		if rerr == io.EOF {
			return
		}
		if rerr != nil {
			log.Error("serve "+d.what+": read temporary file", "err", rerr)
			return
		}
	}
}

// tempPattern splits a Spool prefix into os.CreateTemp's arguments.
func tempPattern(prefix string) (dir, pattern string) {
	if prefix == "" {
		return "", "incidentbot-spool-*"
	}
	return filepath.Dir(prefix), filepath.Base(prefix) + "*"
}

// RemoveStale removes the temporary files starting with prefix
// (Options.Spool) that a crash left behind. Call it before
// serving: only one bot uses a database, so none is in use then.
func RemoveStale(prefix string) error {
	if prefix == "" {
		return nil
	}
	dir, base := filepath.Dir(prefix), filepath.Base(prefix)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("find stale spool files in %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), base) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove stale spool files: %w", err)
	}
	return nil
}

// Timeouts bound how long one client may hold the server. Zero fields take
// the defaults.
type Timeouts struct {
	// ReadHeader is the time allowed to read a request's headers
	// (default 5 s).
	ReadHeader time.Duration
	// Read is the time allowed to read a whole request (default 10 s).
	Read time.Duration
	// Write is the time allowed to write a response (default 30 s).
	// The /admin downloads set their own deadline per chunk instead.
	Write time.Duration
	// Idle is how long a kept-alive connection may wait for its next
	// request (default 60 s).
	Idle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d, v time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return v
	}
	return Timeouts{
		ReadHeader: def(t.ReadHeader, 5*time.Second),
		Read:       def(t.Read, 10*time.Second),
		Write:      def(t.Write, 30*time.Second),
		Idle:       def(t.Idle, 60*time.Second),
	}
}

// Server is a running HTTP server.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts serving h on addr (http.listen) with the timeouts t;
// serving errors go to log.
func Listen(addr string, h http.Handler, log *slog.Logger, t Timeouts) (*Server, error) {
	return ListenAs("http.listen", addr, h, log, t)
}

// ListenAs is Listen for the server configured by key, which errors name.
func ListenAs(key, addr string, h http.Handler, log *slog.Logger, t Timeouts) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, key, err)
	}
	t = t.withDefaults()
	s := &Server{srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}, ln: ln}
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
