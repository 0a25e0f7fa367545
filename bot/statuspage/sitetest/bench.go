package sitetest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// CompareWithFileServer benchmarks h serving body at "/" over real HTTP on
// loopback (keep-alive, as a browser or load balancer would) against
// http.FileServer serving the same bytes from a file on disk, in the same
// run, as sub-benchmarks name and "FileServer". Each reports req/s; the
// ratio (name req/s ÷ file req/s, target at least 0.5) is logged, not
// asserted, because timings vary between machines.
func CompareWithFileServer(b *testing.B, name string, h http.Handler, body string) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "status.html"), []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	rates := map[string]float64{}
	for _, bc := range []struct {
		name, path string
		h          http.Handler
	}{
		{name, "/", h},
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
		b.Logf("%s %.0f req/s, file server %.0f req/s, ratio %.2f (target ≥ 0.5)",
			name, rates[name], rates["FileServer"], rates[name]/rates["FileServer"])
	}
}
