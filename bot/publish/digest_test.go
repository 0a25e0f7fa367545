package publish_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/publish"
	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/incidentbot/incidentbot/store"
)

// The digest's period in the tests: yesterday 09:00 to today 09:00 (the
// store's clock is today 12:00).
var (
	digestUntil = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	digestSince = digestUntil.Add(-24 * time.Hour)
)

// fillDigest stores one incident of every kind the digest must list or
// leave out, and returns the IDs it must list as open and as resolved.
func fillDigest(tb testing.TB, db *store.DB) (open, resolved []int64) {
	tb.Helper()
	h := func(hour, minute int) time.Time { return time.Date(2026, 3, 3, hour, minute, 0, 0, time.UTC) }
	// Open for weeks: listed (the open index), not new.
	old := newStory(tb, "Flaky exports", "minor", ago(40*24*time.Hour)).
		update(ago(40*24*time.Hour-time.Hour), "Some exports fail; retry them.", true).store(db)
	// Declared in the period, with markup in its title (stored as Slack
	// sends it: escaped) and a published update that mentions a person;
	// an internal update after it.
	xss := newStory(tb, `&lt;script&gt;alert("x")&lt;/script&gt; Checkout &amp; payments fail`, "major", h(10, 0)).
		update(h(10, 20), "Payments fail for <@U0123ABCD>'s customers &amp; others; we are on it.", true).
		status(h(11, 0), incident.StatusIdentified).
		update(h(11, 5), "Rolling back deploy 4411 on db-7.", false).store(db)
	// Declared before the period, resolved in it.
	search := newStory(tb, "Slow search results", "critical", h(6, 0)).
		update(h(6, 30), "Searches take 10 seconds.", true).
		resolve(h(10, 0), "Index rebuilt").store(db)
	// Resolved before the period: left out.
	newStory(tb, "Old outage", "major", h(1, 0)).resolve(h(2, 0), "fixed").store(db)
	// Private, a drill, cancelled: left out whatever they say.
	secret := newStory(tb, "Leaked admin keys", "critical", h(12, 0))
	secret.inc.Private = true
	secret.update(h(12, 30), "Rotating the leaked keys.", true).store(db)
	drill := newStory(tb, "Drill: the primary database is gone", "critical", h(13, 0))
	drill.inc.Drill = true
	drill.update(h(13, 10), "Practising the failover.", true).store(db)
	mistake := newStory(tb, "Test of the bot", "minor", h(14, 0))
	mistake.do(mistake.inc.Cancel(policy, "UALICE", "a test", h(14, 5))).store(db)
	// Declared after the period: tomorrow's digest.
	newStory(tb, "Late news", "major", digestUntil.Add(30*time.Minute)).store(db)
	// Declared in the period, resolved after it: open at its end, with the
	// status it had then.
	later := newStory(tb, "Emails are delayed", "minor", h(20, 0)).
		status(h(20, 30), incident.StatusMonitoring).
		update(h(20, 31), "Emails arrive again; we are watching the queue.", true).
		resolve(digestUntil.Add(time.Hour), "queue drained").store(db)
	return []int64{xss.ID, old.ID, later.ID}, []int64{search.ID}
}

func ids(list []publish.DigestIncident) []int64 {
	var out []int64
	for _, di := range list {
		out = append(out, di.ID)
	}
	return out
}

// TestReadDigest_Golden reads the public view of one day and renders the
// email digest: what was open, what was resolved, each with its latest
// public update; nothing private, no drill, nothing cancelled, no
// internal update; the title's markup escaped in the HTML. The text and
// HTML are compared with testdata (go test -update rewrites them).
func TestReadDigest_Golden(t *testing.T) {
	db := MustOpen(t)
	open, resolved := fillDigest(t, db)
	d, err := publish.ReadDigest(context.Background(), db, digestSince, digestUntil, policy.SeverityNames())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids(d.Open)); got != fmt.Sprint(open) {
		t.Errorf("open %s, want %s (most severe first)", got, fmt.Sprint(open))
	}
	if got := fmt.Sprint(ids(d.Resolved)); got != fmt.Sprint(resolved) {
		t.Errorf("resolved %s, want %s", got, fmt.Sprint(resolved))
	}
	if d.Open[2].Status != "monitoring" || d.Open[0].Status != "identified" || !d.Open[0].New || d.Open[1].New {
		t.Errorf("open incidents: %+v", d.Open)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	subject, text, html, err := views.DigestMail(d, "https://status.example.com/", berlin)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Incident digest, Wed 4 Mar 2026: 3 open, 1 resolved" {
		t.Errorf("subject %q", subject)
	}
	for _, body := range []string{text, html} {
		for _, hidden := range []string{"Leaked", "leaked", "Drill", "Practising", "Test of the bot", "Old outage", "Late news", "4411", "U0123ABCD"} {
			if strings.Contains(body, hidden) {
				t.Errorf("the digest shows %q", hidden)
			}
		}
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Checkout &amp; payments fail") {
		t.Error("the title's markup is not escaped in the HTML")
	}
	if !strings.Contains(text, `#2 <script>alert("x")</script> Checkout & payments fail — major, identified (new)`) {
		t.Error("the text does not show the title as written")
	}
	sitetest.Golden(t, filepath.Join("testdata", "digest.golden.txt"), []byte(text), *update)
	sitetest.Golden(t, filepath.Join("testdata", "digest.golden.html"), []byte(html), *update)
}

// TestReadDigest_Empty: a period with nothing public has nothing to
// tell, so nothing is sent.
func TestReadDigest_Empty(t *testing.T) {
	db := MustOpen(t)
	secret := newStory(t, "Leaked admin keys", "critical", digestSince.Add(time.Hour))
	secret.inc.Private = true
	secret.store(db)
	d, err := publish.ReadDigest(context.Background(), db, digestSince, digestUntil, policy.SeverityNames())
	if err != nil {
		t.Fatal(err)
	}
	if !d.Empty() {
		t.Errorf("a private incident made the digest: %+v", d)
	}
}

// TestReadDigest_Limit: a digest lists DigestLimit incidents and counts
// the rest.
func TestReadDigest_Limit(t *testing.T) {
	db := MustOpen(t)
	for i := range publish.DigestLimit + 5 {
		newStory(t, fmt.Sprintf("Incident %d", i), "minor", digestSince.Add(time.Duration(i)*time.Minute)).store(db)
	}
	d, err := publish.ReadDigest(context.Background(), db, digestSince, digestUntil, policy.SeverityNames())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Open) != publish.DigestLimit || d.More != 5 {
		t.Errorf("listed %d, more %d", len(d.Open), d.More)
	}
	_, text, _, err := views.DigestMail(d, "https://status.example.com/", time.UTC)
	if err != nil || !strings.Contains(text, "And 5 more on the status page: https://status.example.com/") {
		t.Errorf("%v:\n%s", err, text)
	}
}
