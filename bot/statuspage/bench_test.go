package statuspage

import (
	"net/http"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
)

// BenchmarkServe compares serving the status page (fed from memory) with
// http.FileServer serving the same bytes from disk: see
// sitetest.CompareWithFileServer. The target is a ratio of at least 0.5.
func BenchmarkServe(b *testing.B) {
	p := MustPage(b, NewMemorySource(fixtureSnapshot()), Options{Now: time.Now})
	_, page := MustGet(b, p, http.MethodGet, "/", nil)
	sitetest.CompareWithFileServer(b, "StatusPage", p, page)
}
