package reports

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

var (
	//go:embed templates/*.tmpl
	templateFS embed.FS
	//go:embed style.css
	styleCSS string
	//go:embed static/replay.js
	replayJS []byte

	tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"css":      func() template.CSS { return template.CSS(styleCSS) },
		"duration": formatMetric,
	}).ParseFS(templateFS, "templates/*.tmpl"))

	// csp allows the inline stylesheet by hash, the replay script from this
	// site, images from anywhere on https (postmortems link graphs), and
	// nothing else: a script that slipped into a postmortem could not run.
	csp = func() string {
		sum := sha256.Sum256([]byte(styleCSS))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; script-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	}()
)

// Options configure a Site.
type Options struct {
	// Source gives the postmortems. Required.
	Source Source
	// Location is the time zone dates are shown and read in; UTC when nil.
	Location *time.Location
	// Severities are the severity names, most severe first, offered by
	// the index's filter (incident.Policy.SeverityNames()).
	Severities []string
	// Logger receives the errors of the source.
	Logger *slog.Logger
}

// Site is the internal reports site. It serves, relative to where it is
// mounted (use http.StripPrefix to mount it under a path):
//
//	/                        the index: ?q=&service=&severity=&from=YYYY-MM-DD&to=YYYY-MM-DD
//	/incidents/{id}          one postmortem, rendered from its Markdown
//	/incidents/{id}/replay   the timeline replay: ?step=N (1-based)
//	/static/replay.js        the replay's keyboard stepping
//
// It has no authentication of its own: serve it on an internal address
// behind the company's SSO proxy, never on the public status page's.
type Site struct {
	src        Source
	loc        *time.Location
	severities []string
	log        *slog.Logger
	mux        *http.ServeMux
}

// New returns a Site, or an error naming the bad option.
func New(o Options) (*Site, error) {
	if o.Source == nil {
		return nil, errors.New("reports site: Options.Source is required")
	}
	s := &Site{src: o.Source, loc: o.Location, severities: o.Severities, log: o.Logger, mux: http.NewServeMux()}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.mux.HandleFunc("GET /{$}", s.serveIndex)
	s.mux.HandleFunc("GET /incidents/{id}", s.serveReport)
	s.mux.HandleFunc("GET /incidents/{id}/replay", s.serveReplay)
	s.mux.HandleFunc("GET /static/replay.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "private, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(replayJS))
	})
	return s, nil
}

// ServeHTTP serves the routes listed on Site.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// page is what every page template gets besides its own fields.
type page struct {
	Title string
	Root  string // relative link to the index
}

// render writes template name with data, or a plain error if it fails.
func (s *Site) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render reports page", "page", name, "err", err)
		http.Error(w, "This page could not be rendered; the details are in incidentbot's log.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// Internal data behind SSO: no shared cache may keep it.
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// errorPage is the error template's data.
type errorPage struct {
	page
	Message string
}

// fail shows err: its message for domain errors, a generic one (and a log
// line) for the rest.
func (s *Site) fail(w http.ResponseWriter, r *http.Request, root string, err error) {
	code, title := http.StatusInternalServerError, "Something went wrong"
	switch incident.ErrorCode(err) {
	case incident.ENOTFOUND:
		code, title = http.StatusNotFound, "Not found"
	case incident.EINVALID:
		code, title = http.StatusBadRequest, "Bad request"
	default:
		s.log.Error("reports site", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, code, "error", errorPage{page{Title: title, Root: root}, incident.ErrorMessage(err)})
}

// reportFor loads the report named by the {id} path value.
func (s *Site) reportFor(r *http.Request) (*Report, error) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return nil, incident.Errorf(incident.ENOTFOUND, "%q is not an incident number; postmortems are at /incidents/NUMBER.", raw)
	}
	rep, err := s.src.FindReportByID(r.Context(), id)
	if err != nil {
		return nil, fmt.Errorf("find report %d: %w", id, err)
	}
	return rep, nil
}

// formatMetric renders a time-to metric, "—" when not reached.
func formatMetric(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	return incident.FormatDuration(d)
}

func (s *Site) stamp(t time.Time) string { return t.In(s.loc).Format("2 Jan 2006 15:04 MST") }

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }
