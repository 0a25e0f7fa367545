package reports

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
)

var screenshots = flag.String("screenshots", "", "also write the README screenshot report.png into this directory")

func TestBrowser_Reports(t *testing.T) {
	b := sitetest.NewBrowser(t, *screenshots)
	srv := httptest.NewServer(MustSite(t, fixtureReports()...))
	t.Cleanup(srv.Close)

	// The index, filtered with the form alone.
	b.Do(t, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("table")))
	if n := sitetest.Eval[int](t, b, `document.querySelectorAll("tbody tr").length`); n != 3 {
		t.Errorf("the index lists %d postmortems, want 3", n)
	}
	b.Do(t,
		chromedp.SetValue(chromedp.CSS(`select[name="severity"]`), "critical"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.filter a[href="./"]`)), // Clear shows once filtered (the header links "./" too)
	)
	if got := b.Text(t, "tbody"); !strings.Contains(got, "Site unreachable") || strings.Contains(got, "Checkout") {
		t.Errorf("filtered by critical, the index shows %q", got)
	}

	// A report.
	b.Do(t, chromedp.EmulateViewport(800, 900), chromedp.Navigate(srv.URL+"/incidents/42"), chromedp.WaitVisible(chromedp.CSS("article.markdown")))
	if got := b.Text(t, "h1"); got != "#42 Checkout fails for EU customers" {
		t.Errorf("report title = %q", got)
	}
	if got := b.Text(t, ".metrics"); !strings.Contains(got, "Time to resolve\n1h 15m") {
		t.Errorf("report metrics = %q", got)
	}
	if got := b.Text(t, "#root-cause + p"); !strings.HasPrefix(got, "The EU client certificate expired") {
		t.Errorf("the Markdown's root cause reads %q", got)
	}
	b.Screenshot(t, "report", true)

	// The replay, stepped with the keyboard.
	b.Do(t, chromedp.Click(chromedp.CSS("a.button")), chromedp.WaitVisible(chromedp.CSS("#position")))
	if got := b.Text(t, "#position"); got != "Step 1 of 11 · T+0:00" {
		t.Fatalf("replay starts at %q", got)
	}
	// Each key loads the next step's page; wait for it before the next key.
	press := func(key string, step int, want string) {
		t.Helper()
		b.Do(t, chromedp.KeyEvent(key), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#position[data-step="%d"]`, step))))
		if got := b.Text(t, "#position"); got != want {
			t.Fatalf("at step %d the replay shows %q, want %q", step, got, want)
		}
	}
	for i, want := range []string{"T+0:00", "T+0:00", "T+0:02", "T+0:10", "T+0:25"} {
		step := i + 2
		press(kb.ArrowRight, step, fmt.Sprintf("Step %d of 11 · %s", step, want))
	}
	if got := b.Text(t, ".known"); !strings.Contains(got, "Spokesperson\nBob") || !strings.Contains(got, "Payment provider returns 502 for EU cards.") || !strings.Contains(got, "identified") {
		t.Errorf("at step 6 what was known reads %q", got)
	}
	if loc, _ := chromedp.Run(b.Ctx, chromedp.Location()); !strings.HasSuffix(loc, "/incidents/42/replay?step=6") {
		t.Errorf("at step 6 the address is %s", loc)
	}
	b.Screenshot(t, "replay", false)
	press(kb.ArrowLeft, 5, "Step 5 of 11 · T+0:10")

	// The same without the keyboard: the Next link.
	b.Do(t, chromedp.Click(chromedp.CSS(`a[rel="next"]`)), chromedp.WaitVisible(chromedp.CSS(`#position[data-step="6"]`)))
	if got := b.Text(t, "#position"); got != "Step 6 of 11 · T+0:25" {
		t.Errorf("after Next: %q", got)
	}
}
