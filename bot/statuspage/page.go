package statuspage

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultDays is how many days of history the page shows by default.
const DefaultDays = 90

// Options configure a Page.
type Options struct {
	// Source gives the public data. Required.
	Source Source
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Location is the time zone times and days are shown in; UTC when nil.
	Location *time.Location
	// Days is how many days the history bar covers; DefaultDays when 0.
	Days int
	// PublicURL is the page's address as visitors reach it, such as
	// "https://status.example.com/" (config: statuspage.public_url). The
	// feed and the JSON documents use it for absolute links; when empty
	// their links are relative and feed IDs are URNs. Set it before the
	// feed is published: entry IDs change with it.
	PublicURL string
	// Logger receives errors from the source while a stale page is served.
	Logger *slog.Logger
}

// Page serves the public status page and its other outputs. Routes, as
// seen by Page (mount it with http.StripPrefix to serve it under a path):
//
//	/                  the HTML page
//	/api/v1/status     overall status (JSON, see API.md)
//	/api/v1/incidents  incidents and days (JSON, see API.md)
//	/feed.atom         Atom feed, one entry per incident
//	/badge.svg         status badge
//	/embed.js          embeddable status script (see EmbedSnippet)
//
// Every output is rendered once per source version (and once a day, when
// the history bar moves), kept in memory, plain and gzipped, and served
// with an ETag and Last-Modified; GET and HEAD only. Page is safe for
// concurrent use.
type Page struct {
	src       Source
	now       func() time.Time
	loc       *time.Location
	days      int
	publicURL string
	log       *slog.Logger

	cur atomic.Pointer[rendering]
	mu  sync.Mutex // serialises rebuilds
}

type outputKind int

const (
	outHTML outputKind = iota
	outStatus
	outIncidents
	outAtom
	outBadge
	outEmbed
	numOutputs
)

var routes = map[string]outputKind{
	"/":                 outHTML,
	"/api/v1/status":    outStatus,
	"/api/v1/incidents": outIncidents,
	"/feed.atom":        outAtom,
	"/badge.svg":        outBadge,
	"/embed.js":         outEmbed,
}

var contentTypes = [numOutputs]string{
	outHTML:      "text/html; charset=utf-8",
	outStatus:    "application/json",
	outIncidents: "application/json",
	outAtom:      "application/atom+xml; charset=utf-8",
	outBadge:     "image/svg+xml",
	outEmbed:     "text/javascript; charset=utf-8",
}

// pageCSP lets the page use its own inline stylesheet and nothing else.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'self'; base-uri 'none'; form-action 'none'"
}()

// rendering is every output for one version of the data on one day.
type rendering struct {
	version uint64
	day     int // yyyymmdd in the page's location
	built   time.Time
	out     [numOutputs]output
}

type output struct {
	body, gz     []byte // gz is nil when compressing does not pay
	etag, gzEtag string
}

// New returns a Page, or an error naming the bad option.
func New(o Options) (*Page, error) {
	if o.Source == nil {
		return nil, errors.New("status page: Options.Source is required")
	}
	p := &Page{src: o.Source, now: o.Now, loc: o.Location, days: o.Days, publicURL: o.PublicURL, log: o.Logger}
	if p.now == nil {
		p.now = time.Now
	}
	if p.loc == nil {
		p.loc = time.UTC
	}
	if p.days == 0 {
		p.days = DefaultDays
	}
	if p.days < 1 || p.days > 366 {
		return nil, fmt.Errorf("status page: days is %d; use 1 to 366", o.Days)
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.publicURL != "" {
		u, err := url.Parse(p.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("status page: public_url %q is not an absolute http(s) address such as https://status.example.com/", p.publicURL)
		}
		if !strings.HasSuffix(p.publicURL, "/") {
			p.publicURL += "/"
		}
	}
	return p, nil
}

// ServeHTTP serves the outputs listed on Page.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind, ok := routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the status page only answers GET and HEAD", http.StatusMethodNotAllowed)
		return
	}
	rd, err := p.current(r.Context())
	if err != nil {
		p.log.Error("render status page", "err", err)
		w.Header().Set("Retry-After", "30")
		http.Error(w, "the status page is not available right now; try again in a minute", http.StatusServiceUnavailable)
		return
	}
	o := &rd.out[kind]
	h := w.Header()
	h.Set("Content-Type", contentTypes[kind])
	h.Set("Cache-Control", "public, max-age=30")
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	switch kind {
	case outHTML:
		h.Set("Content-Security-Policy", pageCSP)
	case outStatus, outIncidents:
		// Public data, read by embed.js from other sites' pages.
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Content-Security-Policy", "default-src 'none'")
	default:
		h.Set("Content-Security-Policy", "default-src 'none'")
	}
	body, etag := o.body, o.etag
	if o.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = o.gz, o.gzEtag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Etag", etag)
	http.ServeContent(w, r, "", rd.built, bytes.NewReader(body))
}

// current returns the rendering for the source's current version and
// today, rebuilding it if needed. When the source fails, the last
// rendering is served (a status page must outlive a sick database); only
// with none is the error returned.
func (p *Page) current(ctx context.Context) (*rendering, error) {
	now := p.now()
	day := dayKey(now.In(p.loc))
	version, err := p.src.Version(ctx)
	cur := p.cur.Load()
	if err == nil && cur != nil && cur.version == version && cur.day == day {
		return cur, nil
	}
	if err != nil {
		if cur != nil {
			p.log.Error("status page source version; serving the last page", "err", err)
			return cur, nil
		}
		return nil, fmt.Errorf("read status page version: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur = p.cur.Load(); cur != nil && cur.version == version && cur.day == day {
		return cur, nil // another request rebuilt it meanwhile
	}
	snap, version, err := p.src.Snapshot(ctx)
	if err != nil {
		if cur != nil {
			p.log.Error("status page snapshot; serving the last page", "err", err)
			return cur, nil
		}
		return nil, fmt.Errorf("read status page snapshot: %w", err)
	}
	rd, err := p.render(snap, now)
	if err != nil {
		return nil, err
	}
	rd.version, rd.day = version, day
	p.cur.Store(rd)
	return rd, nil
}

// render renders every output of snap at now.
func (p *Page) render(snap Snapshot, now time.Time) (*rendering, error) {
	v := arrange(snap, now, p.loc, p.days)
	rd := &rendering{built: now.UTC().Truncate(time.Second)}
	var bodies [numOutputs][]byte
	var err error
	if bodies[outHTML], err = renderHTML(v, p.loc); err != nil {
		return nil, err
	}
	if bodies[outStatus], err = renderStatusJSON(v, p.publicURL); err != nil {
		return nil, err
	}
	if bodies[outIncidents], err = renderIncidentsJSON(v, p.publicURL); err != nil {
		return nil, err
	}
	if bodies[outAtom], err = renderAtom(v, p.publicURL, p.loc); err != nil {
		return nil, err
	}
	bodies[outBadge] = renderBadge(v)
	if bodies[outEmbed], err = renderEmbedJS(v, p.publicURL); err != nil {
		return nil, err
	}
	for k, body := range bodies {
		o := &rd.out[k]
		sum := sha256.Sum256(body)
		o.body, o.etag = body, `"`+hex.EncodeToString(sum[:12])+`"`
		if len(body) >= 1024 {
			o.gz, o.gzEtag = gzipped(body), `"`+hex.EncodeToString(sum[:12])+`-gz"`
		}
	}
	return rd, nil
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	zw.Write(b)                                              // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

func dayKey(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// acceptsGzip reads an Accept-Encoding header: gzip, unless refused with q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		return !ok || strings.Trim(q, "0.") != ""
	}
	return false
}
