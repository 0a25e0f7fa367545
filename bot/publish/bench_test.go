package publish_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkStatusPage serves the status page fed by the store (the
// StatusSource over a real bbolt file, as the bot runs it) over real HTTP
// on loopback, with keep-alive, and http.FileServer serving the same
// bytes from a file on disk, in the same run. The target is a ratio of at
// least 0.5 (page req/s ÷ file req/s); it is logged, not asserted,
// because timings vary between machines. Each request asks the source
// for its version: one atomic read while the store is unchanged.
func BenchmarkStatusPage(b *testing.B) {
	db := MustOpen(b)
	fillStore(b, db)
	page, _ := MustStatusPage(b, db, statuspageOptions())
	body := MustGet(b, page, "/", http.StatusOK)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "status.html"), []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	rates := map[string]float64{}
	for _, bc := range []struct {
		name, path string
		h          http.Handler
	}{
		{"FromStore", "/", page},
		{"FileServer", "/status.html", http.FileServer(http.Dir(dir))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			// The same bytes on the wire for both: no gzip.
			client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			url := srv.URL + bc.path
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					n, err := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err != nil || res.StatusCode != http.StatusOK || n != int64(len(body)) {
						b.Errorf("GET %s = %d, %d bytes, %v", url, res.StatusCode, n, err)
						return
					}
				}
			})
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "req/s")
			rates[bc.name] = rate
		})
	}
	if rates["FileServer"] > 0 {
		b.Logf("status page from the store %.0f req/s, file server %.0f req/s, ratio %.2f (target ≥ 0.5)",
			rates["FromStore"], rates["FileServer"], rates["FromStore"]/rates["FileServer"])
	}
}
