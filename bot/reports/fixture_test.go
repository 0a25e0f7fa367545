package reports

import (
	_ "embed"
	"flag"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

//go:embed testdata/checkout.md
var checkoutMarkdown string

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// checkoutReport is a real postmortem draft with its replay: Alice leads,
// Bob speaks, the status moves investigating → identified → monitoring →
// resolved.
func checkoutReport() Report {
	op := map[string]string{"operator": "Alice"}
	both := map[string]string{"operator": "Alice", "spokesperson": "Bob"}
	return Report{
		Summary: Summary{
			ID: 42, Title: "Checkout fails for EU customers", Service: "payments", Severity: "major",
			DeclaredAt: at("2026-03-04 10:00"), ResolvedAt: at("2026-03-04 11:15"),
			Metrics: Metrics{TimeToAcknowledge: 0, TimeToMitigate: 40 * time.Minute, TimeToResolve: 75 * time.Minute, Updates: 5, LateUpdates: 1},
		},
		Markdown: checkoutMarkdown,
		Events: []ReplayEvent{
			{At: at("2026-03-04 10:00"), Actor: "Alice", Kind: "declared", Text: "declared the incident as major: Checkout fails for EU customers", Status: "investigating", Severity: "major", Roles: map[string]string{}},
			{At: at("2026-03-04 10:00"), Actor: "Alice", Kind: "role_assigned", Text: "took the operator role", Status: "investigating", Severity: "major", Roles: op},
			{At: at("2026-03-04 10:00"), Actor: "incidentbot", Kind: "channel_created", Text: "created the war-room channel #inc-42-checkout-fails", Status: "investigating", Severity: "major", Roles: op},
			{At: at("2026-03-04 10:02"), Actor: "Bob", Kind: "role_assigned", Text: "took the spokesperson role", Status: "investigating", Severity: "major", Roles: both},
			{At: at("2026-03-04 10:10"), Actor: "Bob", Kind: KindUpdate, Text: "Payment provider returns 502 for EU cards.", Status: "investigating", Severity: "major", Roles: both},
			{At: at("2026-03-04 10:25"), Actor: "Bob", Kind: "status_changed", Text: "moved the status from investigating to identified", Status: "identified", Severity: "major", Roles: both},
			{At: at("2026-03-04 10:25"), Actor: "Bob", Kind: KindUpdate, Text: "Our gateway sends an expired client certificate to the EU endpoint.", Status: "identified", Severity: "major", Roles: both},
			{At: at("2026-03-04 10:27"), Actor: "Carol", Kind: "note", Text: "noted: Lost orders so far: about 1,200.", Status: "identified", Severity: "major", Roles: both},
			{At: at("2026-03-04 10:40"), Actor: "Bob", Kind: "status_changed", Text: "moved the status from identified to monitoring", Status: "monitoring", Severity: "major", Roles: both},
			{At: at("2026-03-04 10:40"), Actor: "Bob", Kind: KindUpdate, Text: "New certificate deployed; payments recovering.", Status: "monitoring", Severity: "major", Roles: both},
			{At: at("2026-03-04 11:15"), Actor: "Alice", Kind: "resolved", Text: "resolved the incident: Rotated the client certificate and replayed failed webhooks.", Status: "resolved", Severity: "major", Roles: both},
		},
	}
}

// fixtureReports are three postmortems in three services.
func fixtureReports() []Report {
	return []Report{
		checkoutReport(),
		{
			Summary: Summary{
				ID: 40, Title: "Slow search", Service: "search", Severity: "minor",
				DeclaredAt: at("2026-02-20 23:30"), ResolvedAt: at("2026-02-21 00:40"),
				Metrics: Metrics{TimeToAcknowledge: 5 * time.Minute, TimeToMitigate: 30 * time.Minute, TimeToResolve: 70 * time.Minute, Updates: 2},
			},
			Markdown: "# Postmortem: #40 Slow search\n\nThe index rebuilt itself.\n",
		},
		{
			Summary: Summary{
				ID: 37, Title: "Site unreachable", Service: "edge", Severity: "critical",
				DeclaredAt: at("2026-01-10 08:00"), ResolvedAt: at("2026-01-10 09:30"),
				Metrics: Metrics{TimeToAcknowledge: 2 * time.Minute, TimeToMitigate: NotReached, TimeToResolve: 90 * time.Minute, Updates: 6, LateUpdates: 2},
			},
			Markdown: "# Postmortem: #37 Site unreachable\n",
		},
	}
}

var severities = []string{"critical", "major", "minor"}

// MustSite returns a Site over rs.
func MustSite(tb testing.TB, rs ...Report) *Site {
	tb.Helper()
	s, err := New(Options{Source: NewMemorySource(rs...), Severities: severities})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// MustGet serves one request and returns the response and its body.
func MustGet(tb testing.TB, h http.Handler, method, target string) (*http.Response, string) {
	tb.Helper()
	return sitetest.Get(tb, h, method, target, nil)
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got string) {
	t.Helper()
	sitetest.Golden(t, filepath.Join("testdata", name), []byte(got), *update)
}

func itoa(n int) string { return strconv.Itoa(n) }
