package statuspage

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestPage_Golden(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		snap Snapshot
		opts Options
	}{
		{"operational", Snapshot{Name: "Acme", Severities: []string{"critical", "major", "minor"}}, Options{}},
		{"incidents", fixtureSnapshot(), Options{PublicURL: "https://status.example.com/"}},
		{"paris", fixtureSnapshot(), Options{Location: paris, Days: 14}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MustPage(t, NewMemorySource(tt.snap), tt.opts)
			for path, file := range map[string]string{
				"/": ".golden.html", "/api/v1/status": ".status.golden.json", "/api/v1/incidents": ".incidents.golden.json",
				"/feed.atom": ".golden.atom", "/badge.svg": ".golden.svg", "/embed.js": ".golden.js",
			} {
				res, body := MustGet(t, p, http.MethodGet, path, nil)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d %s", path, res.StatusCode, body)
				}
				checkGolden(t, tt.name+file, []byte(body))
			}
		})
	}
}

func TestPage_WhatAVisitorReads(t *testing.T) {
	p := MustPage(t, NewMemorySource(fixtureSnapshot()), Options{})
	_, body := MustGet(t, p, http.MethodGet, "/", nil)
	for _, want := range []string{
		"<title>Acme status</title>",
		"Partial outage",
		"1 incident in progress; the most severe is major.",
		"Checkout fails for EU customers",
		"We found the cause: an expired certificate.",
		"We are sorry: you rely on us and we let you down.",
		"What we are changing",
		"Wed 4 Mar 2026: major incident: Checkout fails for EU customers",
		"Fri 20 Feb 2026: minor incident: Slow search",
		"Sat 21 Feb 2026: minor incident: Slow search", // the incident crossed midnight
		"Sat 10 Jan 2026: critical incident: Site unreachable",
		"No incidents on 86 of the last 90 days.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "Ancient history") {
		t.Error("an incident resolved before the 90-day window shows")
	}
	if strings.Index(body, "We found the cause") > strings.Index(body, "Some card payments") {
		t.Error("updates are not newest first")
	}
	if past := body[strings.Index(body, `id="past-h"`):]; strings.Index(past, "Slow search") > strings.Index(past, "Site unreachable") {
		t.Error("past incidents are not newest first")
	}
}

func TestPage_Headers(t *testing.T) {
	p := MustPage(t, NewMemorySource(fixtureSnapshot()), Options{})
	for path, ctype := range map[string]string{
		"/":                 "text/html; charset=utf-8",
		"/api/v1/status":    "application/json",
		"/api/v1/incidents": "application/json",
		"/feed.atom":        "application/atom+xml; charset=utf-8",
		"/badge.svg":        "image/svg+xml",
		"/embed.js":         "text/javascript; charset=utf-8",
	} {
		res, body := MustGet(t, p, http.MethodGet, path, nil)
		h := res.Header
		if got := h.Get("Content-Type"); got != ctype {
			t.Errorf("%s: Content-Type %q, want %q", path, got, ctype)
		}
		if h.Get("Etag") == "" || h.Get("Last-Modified") != "Wed, 04 Mar 2026 12:00:00 GMT" || h.Get("Cache-Control") != "public, max-age=30" {
			t.Errorf("%s: caching headers %v", path, h)
		}
		if h.Get("Content-Security-Policy") == "" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers %v", path, h)
		}
		if h.Get("Content-Length") != "" && h.Get("Content-Length") != itoa(len(body)) {
			t.Errorf("%s: Content-Length %s for %d bytes", path, h.Get("Content-Length"), len(body))
		}

		head, headBody := MustGet(t, p, http.MethodHead, path, nil)
		if head.StatusCode != http.StatusOK || headBody != "" || head.Header.Get("Etag") != h.Get("Etag") || head.Header.Get("Content-Length") != itoa(len(body)) {
			t.Errorf("HEAD %s = %d, %d bytes, headers %v", path, head.StatusCode, len(headBody), head.Header)
		}

		cond, condBody := MustGet(t, p, http.MethodGet, path, http.Header{"If-None-Match": {h.Get("Etag")}})
		if cond.StatusCode != http.StatusNotModified || condBody != "" {
			t.Errorf("GET %s with its ETag = %d, want 304", path, cond.StatusCode)
		}
		since, _ := MustGet(t, p, http.MethodGet, path, http.Header{"If-Modified-Since": {h.Get("Last-Modified")}})
		if since.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s If-Modified-Since its Last-Modified = %d, want 304", path, since.StatusCode)
		}
		stale, _ := MustGet(t, p, http.MethodGet, path, http.Header{"If-None-Match": {`"other"`}})
		if stale.StatusCode != http.StatusOK {
			t.Errorf("GET %s with another ETag = %d, want 200", path, stale.StatusCode)
		}
	}
	if res, _ := MustGet(t, p, http.MethodGet, "/api/v1/status", nil); res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("the status API cannot be read by embed.js from another site")
	}
	if res, _ := MustGet(t, p, http.MethodPost, "/", nil); res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST / = %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	if res, _ := MustGet(t, p, http.MethodGet, "/api/v2/status", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /api/v2/status = %d, want 404", res.StatusCode)
	}
}

func TestPage_Gzip(t *testing.T) {
	p := MustPage(t, NewMemorySource(fixtureSnapshot()), Options{})
	_, plain := MustGet(t, p, http.MethodGet, "/", nil)
	res, gz := MustGet(t, p, http.MethodGet, "/", http.Header{"Accept-Encoding": {"br, gzip"}})
	if res.Header.Get("Content-Encoding") != "gzip" || len(gz) >= len(plain) {
		t.Fatalf("gzip answer: encoding %q, %d bytes for %d plain", res.Header.Get("Content-Encoding"), len(gz), len(plain))
	}
	if got := gunzip(t, gz); got != plain {
		t.Error("the gzipped page is not the page")
	}
	plainRes, _ := MustGet(t, p, http.MethodGet, "/", nil)
	if res.Header.Get("Etag") == plainRes.Header.Get("Etag") {
		t.Error("the gzipped and plain pages share an ETag")
	}
	if res, _ := MustGet(t, p, http.MethodGet, "/", http.Header{"Accept-Encoding": {"gzip;q=0"}}); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that refused it")
	}
	if res, _ := MustGet(t, p, http.MethodGet, "/badge.svg", http.Header{"Accept-Encoding": {"gzip"}}); res.Header.Get("Content-Encoding") != "" {
		t.Error("the small badge was gzipped")
	}
}

func TestPage_RebuildsOnlyWhenDataOrDayChanges(t *testing.T) {
	src := &countingSource{MemorySource: NewMemorySource(fixtureSnapshot())}
	clock := now
	p := MustPage(t, src, Options{Now: func() time.Time { return clock }})
	first, body := MustGet(t, p, http.MethodGet, "/", nil)
	for range 3 {
		MustGet(t, p, http.MethodGet, "/", nil)
		MustGet(t, p, http.MethodGet, "/feed.atom", nil)
	}
	if n := src.snapshots.Load(); n != 1 {
		t.Fatalf("%d snapshot reads for one version, want 1", n)
	}

	clock = clock.Add(time.Hour) // same day
	if res, _ := MustGet(t, p, http.MethodGet, "/", nil); res.Header.Get("Etag") != first.Header.Get("Etag") || src.snapshots.Load() != 1 {
		t.Error("the page was rebuilt within the same day and version")
	}

	s := fixtureSnapshot()
	s.Current[0].Title = "Checkout fixed title"
	src.Set(s)
	res, body2 := MustGet(t, p, http.MethodGet, "/", nil)
	if src.snapshots.Load() != 2 || !strings.Contains(body2, "Checkout fixed title") || res.Header.Get("Etag") == first.Header.Get("Etag") {
		t.Error("a new version did not rebuild the page")
	}
	if cond, _ := MustGet(t, p, http.MethodGet, "/", http.Header{"If-None-Match": {first.Header.Get("Etag")}}); cond.StatusCode != http.StatusOK {
		t.Error("the old ETag still matches after a change")
	}

	clock = time.Date(2026, 3, 5, 0, 0, 1, 0, time.UTC) // midnight: the bar moves
	_, body3 := MustGet(t, p, http.MethodGet, "/", nil)
	if src.snapshots.Load() != 3 || !strings.Contains(body3, "Thu 5 Mar 2026") || body3 == body || body3 == body2 {
		t.Error("a new day did not rebuild the page")
	}
}

func TestPage_SourceFails(t *testing.T) {
	t.Run("ServesLastPage", func(t *testing.T) {
		src := &countingSource{MemorySource: NewMemorySource(fixtureSnapshot())}
		p := MustPage(t, src, Options{})
		_, before := MustGet(t, p, http.MethodGet, "/", nil)
		src.fail.Store(true)
		res, after := MustGet(t, p, http.MethodGet, "/", nil)
		if res.StatusCode != http.StatusOK || after != before {
			t.Errorf("with the source down: %d, same page %v", res.StatusCode, after == before)
		}
		src.fail.Store(false)
		src.Set(Snapshot{Name: "Acme"})
		src.fail.Store(true) // the version read fails too: still the last page
		if res, _ := MustGet(t, p, http.MethodGet, "/", nil); res.StatusCode != http.StatusOK {
			t.Errorf("stale page = %d", res.StatusCode)
		}
	})
	t.Run("NothingToServe", func(t *testing.T) {
		src := &countingSource{MemorySource: NewMemorySource(fixtureSnapshot())}
		src.fail.Store(true)
		p := MustPage(t, src, Options{})
		res, body := MustGet(t, p, http.MethodGet, "/", nil)
		if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "try again") {
			t.Errorf("no page yet and the source down = %d %q", res.StatusCode, body)
		}
		if strings.Contains(body, errSourceDown.Error()) {
			t.Error("the internal error reached the public")
		}
	})
}

func TestNew(t *testing.T) {
	src := NewMemorySource(Snapshot{})
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"ErrSourceRequired", Options{}, "Options.Source is required"},
		{"ErrRelativeURL", Options{Source: src, PublicURL: "/status/"}, `public_url "/status/" is not an absolute http(s) address`},
		{"ErrScheme", Options{Source: src, PublicURL: "ftp://status.example.com/"}, "is not an absolute http(s) address"},
		{"ErrDays", Options{Source: src, Days: 400}, "days is 400; use 1 to 366"},
		{"ErrNegativeDays", Options{Source: src, Days: -1}, "days is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		p, err := New(Options{Source: src, PublicURL: "https://status.example.com"})
		if err != nil || p.publicURL != "https://status.example.com/" || p.days != DefaultDays || p.loc != time.UTC {
			t.Errorf("New = %+v, %v", p, err)
		}
	})
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"br, gzip, deflate":    true,
		"gzip;q=0":             false,
		"gzip; q=0.000":        false,
		"gzip;q=0.5":           true,
		"gzip;q=1.0":           true,
		"deflate, x-gzip":      false,
		"identity;q=1, *;q=0":  false,
		"gzipper":              false,
		",,;;==":               false,
		"gzip;level=9;q=0.001": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "gzip;q=0", "br, gzip;q=0.5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := acceptsGzip(header)
		if got && !strings.Contains(strings.ToLower(header), "gzip") {
			t.Errorf("acceptsGzip(%q) = true without gzip in it", header)
		}
	})
}

func TestEmbedSnippet(t *testing.T) {
	got := EmbedSnippet("https://status.example.com", `Acme "<b>"`)
	want := `<script src="https://status.example.com/embed.js" async></script>
<noscript><a href="https://status.example.com/"><img src="https://status.example.com/badge.svg" alt="Acme &#34;&lt;b&gt;&#34; status" height="20"></a></noscript>
`
	if got != want {
		t.Errorf("EmbedSnippet =\n%s\nwant\n%s", got, want)
	}
}

func TestPage_UnderAPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/status/", http.StripPrefix("/status", MustPage(t, NewMemorySource(fixtureSnapshot()), Options{})))
	if res, _ := MustGet(t, mux, http.MethodGet, "/status", nil); res.StatusCode/100 != 3 || res.Header.Get("Location") != "/status/" {
		t.Errorf("GET /status = %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := MustGet(t, mux, http.MethodGet, "/status/", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `<a href="feed.atom">`) {
		t.Errorf("GET /status/ = %d; the page's links must be relative", res.StatusCode)
	}
	for _, path := range []string{"/status/feed.atom", "/status/api/v1/status", "/status/badge.svg", "/status/embed.js"} {
		if res, _ := MustGet(t, mux, http.MethodGet, path, nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, res.StatusCode)
		}
	}
}
