package sitetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/incidentbot/incidentbot/bot/testtool"
)

// ChromiumPath is where Debian's chromium package puts the browser
// (installed by .ci/install.d/chromium.sh).
const ChromiumPath = "/usr/bin/chromium"

// Browser is a headless Chromium for one test, in a fresh profile.
type Browser struct {
	// Ctx runs actions: chromedp.Do(b.Ctx, …) or chromedp.Run(b.Ctx, …).
	// It ends with the test, and at the latest after three minutes (a
	// loaded CI machine starts Chromium slowly).
	Ctx         context.Context
	artifacts   string
	screenshots string
}

// NewBrowser starts Chromium for t. It skips t when Chromium is missing,
// unless INCIDENTBOT_REQUIRE_TOOLS=1 (as in CI), where it fails.
// screenshots is the directory for README screenshots (the -screenshots
// flag; empty writes none). Screenshots taken as test artifacts go to
// $INCIDENTBOT_ARTIFACTS, or to a temporary directory.
func NewBrowser(t *testing.T, screenshots string) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		testtool.Missing(t, fmt.Sprintf("this test needs Chromium at %s (%v); install it with: bash .ci/install.d/chromium.sh", ChromiumPath, err))
	}
	artifacts := os.Getenv("INCIDENTBOT_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}

	// chromedp logs from its own goroutines; t.Logf after the test ends
	// panics, so the logging stops when the test does.
	var mu sync.Mutex
	ended := false
	t.Cleanup(func() { mu.Lock(); ended = true; mu.Unlock() })
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !ended {
			t.Logf("chromium: "+format, args...)
		}
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		// A headless tab can count as hidden: keep its timers (embed.js
		// refreshes on one) running at full speed on a busy machine.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 1100),
	)
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithErrorf(logf))
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser without a deadline: a deadline on the first run
	// would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	tctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelT)
	return &Browser{Ctx: tctx, artifacts: artifacts, screenshots: screenshots}
}

// Do runs actions, failing t on the first error.
func (b *Browser) Do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		t.Fatalf("in Chromium: %v", err)
	}
}

// Text returns the visible text of the first element matching the CSS
// selector, trimmed.
func (b *Browser) Text(t *testing.T, css string) string {
	t.Helper()
	// Read in the page in one step: chromedp.Text resolves a DOM node ID
	// first, which a page still settling after a navigation can drop in
	// between ("No node with given id found").
	q, _ := json.Marshal(css)
	s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[*string](fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : null })()`, q)))
	if err != nil || s == nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(*s)
}

// Eval evaluates a JavaScript expression and returns its value.
func Eval[T any](t *testing.T, b *Browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Screenshot saves what the browser shows as a PNG test artifact named
// after the test and name, and, when readme is set and screenshots were
// asked for, as name.png in the screenshots directory.
func (b *Browser) Screenshot(t *testing.T, name string, readme bool) {
	t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	file := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "-" + name + ".png"
	paths := []string{filepath.Join(b.artifacts, file)}
	if readme && b.screenshots != "" {
		paths = append(paths, filepath.Join(b.screenshots, name+".png"))
	}
	for _, path := range paths {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
}
