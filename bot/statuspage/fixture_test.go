package statuspage

import (
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris on machines without a zone database

	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// now is the fixed clock of every test: noon UTC on 4 March 2026.
var now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixtureSnapshot is a page with one incident in progress and a history:
// a minor one spanning midnight, a critical one with a full summary, and
// one older than the window, which must not show.
func fixtureSnapshot() Snapshot {
	return Snapshot{
		Name:       "Acme",
		Updated:    at("2026-03-04 11:10"),
		Severities: []string{"critical", "major", "minor"},
		Current: []PublicIncident{{
			ID: 42, Title: "Checkout fails for EU customers", Severity: "major", Status: "identified",
			StartedAt: at("2026-03-04 10:00"),
			Updates: []PublicUpdate{
				{At: at("2026-03-04 10:10"), Status: "investigating", Text: "Some card payments in the EU fail. We are looking into it."},
				{At: at("2026-03-04 11:10"), Status: "identified", Text: "We found the cause: an expired certificate.\nA fix is being deployed."},
			},
		}},
		Recent: []PublicIncident{
			{
				ID: 40, Title: "Slow search", Severity: "minor", Status: "closed",
				StartedAt: at("2026-02-20 23:30"), ResolvedAt: at("2026-02-21 00:40"),
				Updates: []PublicUpdate{{At: at("2026-02-20 23:45"), Status: "investigating", Text: "Search is slow."}},
				Summary: &CustomerSummary{WhatHappened: "A search index rebuilt itself during peak hours.", Impact: "Searches took up to 10 seconds."},
			},
			{
				ID: 37, Title: "Site unreachable", Severity: "critical", Status: "closed",
				StartedAt: at("2026-01-10 08:00"), ResolvedAt: at("2026-01-10 09:30"),
				Updates: []PublicUpdate{
					{At: at("2026-01-10 08:05"), Status: "investigating", Text: "The site is down."},
					{At: at("2026-01-10 09:30"), Status: "resolved", Text: "The site is back."},
				},
				Summary: &CustomerSummary{
					WhatHappened: "A configuration change removed our load balancer's certificate.",
					Impact:       "Nobody could reach the site for 90 minutes.",
					Apology:      "We are sorry: you rely on us and we let you down.",
					Changes:      "Certificate changes now go through review.\nWe alert on certificate mismatches.",
				},
			},
			{ID: 12, Title: "Ancient history", Severity: "major", Status: "closed", StartedAt: at("2025-10-01 10:00"), ResolvedAt: at("2025-10-01 11:00")},
		},
	}
}

// MustPage returns a Page over src at the fixed clock.
func MustPage(tb testing.TB, src Source, o Options) *Page {
	tb.Helper()
	o.Source = src
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	p, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// MustGet serves one request and returns the response with its body read.
func MustGet(tb testing.TB, h http.Handler, method, path string, header http.Header) (*http.Response, string) {
	tb.Helper()
	return sitetest.Get(tb, h, method, path, header)
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	sitetest.Golden(t, filepath.Join("testdata", name), got, *update)
}

// countingSource is a Source that counts its snapshot reads and can be made
// to fail.
type countingSource struct {
	*MemorySource
	snapshots atomic.Int64
	fail      atomic.Bool
}

var errSourceDown = errors.New("database is sick")

func (c *countingSource) Version(ctx context.Context) (uint64, error) {
	if c.fail.Load() {
		return 0, errSourceDown
	}
	return c.MemorySource.Version(ctx)
}

func (c *countingSource) Snapshot(ctx context.Context) (Snapshot, uint64, error) {
	c.snapshots.Add(1)
	if c.fail.Load() {
		return Snapshot{}, 0, errSourceDown
	}
	return c.MemorySource.Snapshot(ctx)
}

func itoa(n int) string { return strconv.Itoa(n) }

func gunzip(tb testing.TB, s string) string {
	tb.Helper()
	zr, err := gzip.NewReader(strings.NewReader(s))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
