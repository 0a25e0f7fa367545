package publish_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/statuspage"
	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
)

var screenshots = flag.String("screenshots", "", "also write the README screenshots (statuspage.png, report.png) into this directory, e.g. ../../docs")

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestBrowser_StatusPage loads the status page fed by a real store in
// Chromium, as a visitor on a laptop and on a phone.
func TestBrowser_StatusPage(t *testing.T) {
	b := sitetest.NewBrowser(t, *screenshots)
	db := MustOpen(t)
	fillStore(t, db)
	page, _ := MustStatusPage(t, db, statuspage.Options{})
	srv := serve(t, page)

	b.Do(t, chromedp.EmulateViewport(800, 900), chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".banner")))
	if got := b.Text(t, ".banner .headline"); !strings.HasSuffix(got, "Partial outage") {
		t.Errorf("banner = %q", got)
	}
	if got := b.Text(t, "#incident-5 h3"); got != "Checkout fails for EU customers" {
		t.Errorf("current incident = %q", got)
	}
	if got := b.Text(t, "#incident-5 .update-text"); got != "We found the cause: an expired certificate.\nA fix is being deployed." {
		t.Errorf("latest update = %q", got)
	}
	body := b.Text(t, "main")
	for _, hidden := range []string{"Carol thinks", "Suspicious logins", "Test of the bot"} {
		if strings.Contains(body, hidden) {
			t.Errorf("a visitor sees %q", hidden)
		}
	}
	if !strings.Contains(body, "Bulk imports now rebuild the index in the background.") {
		t.Error("the resolved incident's customer summary is not shown")
	}
	if n := sitetest.Eval[int](t, b, `document.querySelectorAll(".days li").length`); n != 90 {
		t.Errorf("%d days in the bar, want 90", n)
	}
	b.Screenshot(t, "statuspage", true)

	b.Do(t, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".banner")))
	if w := sitetest.Eval[int](t, b, `document.documentElement.scrollWidth`); w > 375 {
		t.Errorf("on a 375-pixel phone the page is %d pixels wide", w)
	}
	b.Screenshot(t, "phone", false)
}

// TestBrowser_Embed puts the embedded status on a product's page (another
// origin) and follows the store: when the incident is resolved in the
// store, the widget says so within its refresh.
func TestBrowser_Embed(t *testing.T) {
	b := sitetest.NewBrowser(t, *screenshots)
	db := MustOpen(t)
	fillStore(t, db)
	page, _ := MustStatusPage(t, db, statuspage.Options{})
	status := serve(t, page)
	snippet := strings.Replace(statuspage.EmbedSnippet(status.URL+"/", "Acme"), " async>", ` async data-refresh="1">`, 1)
	product := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html lang=en><title>Our product</title><h1>Our product</h1>\n<footer>%s</footer>", snippet)
	}))

	b.Do(t, chromedp.Navigate(product.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".incidentbot-status")))
	if got := b.Text(t, ".incidentbot-status"); got != "Partial outage: Checkout fails for EU customers" {
		t.Errorf("embedded status = %q", got)
	}
	b.Screenshot(t, "embed", false)

	if _, _, err := db.UpdateIncident(context.Background(), 5, func(inc *incident.Incident) (incident.Change, error) {
		evs, err := inc.Resolve(policy, "UALICE", "certificate rotated", now)
		return incident.Change{Events: evs}, err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b.Ctx, chromedp.Poll[chromedp.Void](`document.querySelector(".incidentbot-status").dataset.indicator === "none"`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the embedded status did not follow the store: %v", err)
	}
	if got := b.Text(t, ".incidentbot-status"); got != "All systems operational" {
		t.Errorf("refreshed embedded status = %q", got)
	}
	b.Screenshot(t, "embed-resolved", false)
}

// TestBrowser_Report reads a postmortem from the store on the reports site
// and steps through its replay with the keyboard.
func TestBrowser_Report(t *testing.T) {
	b := sitetest.NewBrowser(t, *screenshots)
	db := MustOpen(t)
	fillStore(t, db)
	srv := serve(t, MustReportsSite(t, db))

	b.Do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table")))
	if n := sitetest.Eval[int](t, b, `document.querySelectorAll("tbody tr").length`); n != 2 {
		t.Errorf("the index lists %d postmortems, want the 2 closed public ones", n)
	}
	b.Do(t, chromedp.EmulateViewport(800, 900), chromedp.Navigate(srv.URL+"/incidents/2"), chromedp.WaitVisible(chromedp.CSS("article.markdown")))
	if got := b.Text(t, "h1"); got != "#2 Slow search results" {
		t.Errorf("report title = %q", got)
	}
	if got := b.Text(t, ".metrics"); !strings.Contains(got, "Time to resolve\n2h 00m") {
		t.Errorf("report metrics = %q", got)
	}
	b.Screenshot(t, "report", true)

	b.Do(t, chromedp.Click(chromedp.CSS("a.button")), chromedp.WaitVisible(chromedp.CSS("#position")))
	steps := sitetest.Eval[int](t, b, `Number(document.querySelector("#position").textContent.match(/of (\d+)/)[1])`)
	for step := 2; step <= steps; step++ {
		b.Do(t, chromedp.KeyEvent(kb.ArrowRight), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#position[data-step="%d"]`, step))))
	}
	if got := b.Text(t, ".known"); !strings.Contains(got, "Alice Archer") || !strings.Contains(got, "closed") {
		t.Errorf("at the last step what was known reads %q", got)
	}
	b.Screenshot(t, "replay", false)
}
