package publish_test

import (
	"net/http"
	"testing"

	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
)

// BenchmarkStatusPage serves the status page the way the bot runs it, fed
// by the StatusSource over a real bbolt file, against http.FileServer
// serving the same bytes from disk, in the same run (see
// sitetest.CompareWithFileServer). The target is a ratio of at least 0.5.
// Each request asks the source for its version: one atomic read while the
// store is unchanged.
func BenchmarkStatusPage(b *testing.B) {
	db := MustOpen(b)
	fillStore(b, db)
	page, _ := MustStatusPage(b, db, statuspageOptions())
	sitetest.CompareWithFileServer(b, "FromStore", page, MustGet(b, page, "/", http.StatusOK))
}
