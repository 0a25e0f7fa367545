package statuspage

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
)

var screenshots = flag.String("screenshots", "", "also write the README screenshots (statuspage.png here, report.png from bot/reports) into this directory")

// MustServe serves h on 127.0.0.1 for the rest of the test.
func MustServe(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowser_StatusPage(t *testing.T) {
	b := sitetest.NewBrowser(t, *screenshots)
	srv := MustServe(t, MustPage(t, NewMemorySource(fixtureSnapshot()), Options{}))

	b.Do(t, chromedp.EmulateViewport(800, 900), chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".banner")))
	if got := b.Text(t, ".banner .headline"); !strings.HasSuffix(got, "Partial outage") {
		t.Errorf("banner = %q", got)
	}
	if got := b.Text(t, ".banner .subline"); got != "1 incident in progress; the most severe is major." {
		t.Errorf("banner subline = %q", got)
	}
	if got := b.Text(t, "#incident-42 h3"); got != "Checkout fails for EU customers" {
		t.Errorf("current incident = %q", got)
	}
	if got := b.Text(t, "#incident-42 .update-text"); got != "We found the cause: an expired certificate.\nA fix is being deployed." {
		t.Errorf("latest update = %q", got)
	}
	if got := sitetest.Eval[int](t, b, `document.querySelectorAll(".days li").length`); got != 90 {
		t.Errorf("%d days in the bar, want 90", got)
	}
	if got := sitetest.Eval[string](t, b, `document.querySelector(".days li.critical a").textContent`); got != "Sat 10 Jan 2026: critical incident: Site unreachable" {
		t.Errorf("the critical day reads %q to a screen reader", got)
	}
	if got := sitetest.Eval[int](t, b, `document.scripts.length`); got != 0 {
		t.Errorf("the page has %d scripts; it must work without JavaScript", got)
	}
	b.Screenshot(t, "statuspage", true)

	// A phone: nothing may be wider than the screen.
	b.Do(t, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".banner")))
	if w := sitetest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("on a 375-pixel phone the page is %d pixels wide", w)
	}
	b.Screenshot(t, "phone", false)
}

func TestBrowser_Embed(t *testing.T) {
	b := sitetest.NewBrowser(t, *screenshots)
	src := NewMemorySource(fixtureSnapshot())
	status := MustServe(t, MustPage(t, src, Options{}))
	// The product embedding the status lives on another origin.
	snippet := strings.Replace(EmbedSnippet(status.URL+"/", "Acme"), " async>", ` async data-refresh="1">`, 1)
	product := MustServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html lang=en><title>Our product</title><h1>Our product</h1>\n<footer>%s</footer>", snippet)
	}))

	b.Do(t, chromedp.Navigate(product.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".incidentbot-status")))
	if got := b.Text(t, ".incidentbot-status"); got != "Partial outage: Checkout fails for EU customers" {
		t.Errorf("embedded status = %q", got)
	}
	if got := sitetest.Eval[string](t, b, `document.querySelector(".incidentbot-status").href`); got != status.URL+"/" {
		t.Errorf("the embedded status links to %q", got)
	}
	b.Screenshot(t, "embed", false)

	// The incident ends: the widget follows within its refresh, through a
	// cross-origin read of /api/v1/status.
	s := fixtureSnapshot()
	s.Recent = append(s.Recent, s.Current[0])
	s.Recent[len(s.Recent)-1].ResolvedAt = now
	s.Current = nil
	src.Set(s)
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[chromedp.Void](`document.querySelector(".incidentbot-status").dataset.indicator === "none"`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the embedded status did not refresh: %v", err)
	}
	if got := b.Text(t, ".incidentbot-status"); got != "All systems operational" {
		t.Errorf("refreshed embedded status = %q", got)
	}

	// Without JavaScript, the <noscript> badge shows instead.
	if _, err := chromedp.Call(b.Ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	b.Do(t, chromedp.Navigate(product.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`footer img[alt="Acme status"]`)))
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[chromedp.Void](`(function(){var i=document.querySelector("footer img"); return i.complete && i.naturalWidth > 0})()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the badge did not load: %v", err)
	}
	if n := sitetest.Eval[int](t, b, `document.querySelectorAll(".incidentbot-status").length`); n != 0 {
		t.Errorf("with scripts disabled the script still ran")
	}
	b.Screenshot(t, "noscript", false)
}
