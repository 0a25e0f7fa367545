package publish_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/publish"
	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
	"github.com/incidentbot/incidentbot/store"
)

// TestGolden renders the status page and a report from a real store and
// compares them with testdata (go test -update rewrites them).
func TestGolden(t *testing.T) {
	db := MustOpen(t)
	fillStore(t, db)
	page, _ := MustStatusPage(t, db, statuspageOptions())
	site := MustReportsSite(t, db)
	for _, g := range []struct {
		name, path string
		h          http.Handler
	}{
		{"statuspage.golden.html", "/", page},
		{"incidents.golden.json", "/api/v1/incidents", page},
		{"feed.golden.atom", "/feed.atom", page},
		{"reports-index.golden.html", "/", site},
		{"report.golden.html", "/incidents/2", site},
		{"replay.golden.html", "/incidents/2/replay?step=3", site},
	} {
		t.Run(g.name, func(t *testing.T) {
			body := MustGet(t, g.h, g.path, http.StatusOK)
			sitetest.Golden(t, filepath.Join("testdata", g.name), []byte(body), *update)
		})
	}
}

// countingStore counts the timelines read, to show what the caches save.
type countingStore struct {
	*store.DB
	events atomic.Int64
}

func (c *countingStore) Events(ctx context.Context, id int64) ([]incident.Event, error) {
	c.events.Add(1)
	return c.DB.Events(ctx, id)
}

func TestStatusSource_Version(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	fillStore(t, db)
	cs := &countingStore{DB: db}
	src := publish.NewStatusSource(publish.StatusOptions{Store: cs, Name: "Acme", Severities: policy.SeverityNames(), Now: func() time.Time { return now }})
	v1, err := src.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	read := cs.events.Load()
	if read != 3 {
		t.Errorf("the first read decoded %d timelines; want the 3 public incidents' only", read)
	}
	if v, _ := src.Version(ctx); v != v1 || cs.events.Load() != read {
		t.Errorf("an unchanged store: version %d → %d, %d more timelines read", v1, v, cs.events.Load()-read)
	}

	change := func(id int64, fn func(inc *incident.Incident) ([]incident.Event, error)) {
		t.Helper()
		if _, _, err := db.UpdateIncident(ctx, id, func(inc *incident.Incident) (incident.Change, error) {
			evs, err := fn(inc)
			return incident.Change{Events: evs}, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	checkout := int64(5)
	// A note changes nothing public: the same version, one timeline read.
	change(checkout, func(inc *incident.Incident) ([]incident.Event, error) {
		return inc.AddNote(policy, "UALICE", "restarted the pods", now)
	})
	if v, _ := src.Version(ctx); v != v1 {
		t.Errorf("a note bumped the public version %d → %d", v1, v)
	}
	if n := cs.events.Load() - read; n != 1 {
		t.Errorf("after a note %d timelines were read, want 1 (the changed incident)", n)
	}
	// An internal update neither.
	change(checkout, func(inc *incident.Incident) ([]incident.Event, error) {
		return inc.PostUpdate(policy, "UALICE", incident.Update{Text: "internal only"}, now)
	})
	if v, _ := src.Version(ctx); v != v1 {
		t.Errorf("an internal update bumped the public version %d → %d", v1, v)
	}
	// A published one does.
	change(checkout, func(inc *incident.Incident) ([]incident.Event, error) {
		return inc.PostUpdate(policy, "UALICE", incident.Update{Text: "Fixed for most customers.", Publish: true}, now)
	})
	v2, _ := src.Version(ctx)
	if v2 == v1 {
		t.Fatal("a published update left the version")
	}
	snap, v, err := src.Snapshot(ctx)
	if err != nil || v != v2 {
		t.Fatalf("snapshot at %d, %v", v, err)
	}
	for _, inc := range snap.Current {
		if inc.ID == checkout && (len(inc.Updates) != 3 || !strings.Contains(inc.Updates[2].Text, "Fixed for most")) {
			t.Errorf("the checkout incident shows %+v", inc.Updates)
		}
	}
	if !snap.Updated.Equal(now) {
		t.Errorf("snapshot updated %s", snap.Updated)
	}
}

func TestPlainText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"a &lt;b&gt; &amp; c", "a <b> & c"},
		{"ask <@U123> or <@U456|bob>", "ask a team member or a team member"},
		{"<!subteam^S1|@oncall> and <!here>", "a team member and a team member"},
		{"see <#C123|payments> and <https://x.example/a|the graph>", "see payments and the graph"},
		{"<https://x.example/a>", "https://x.example/a"},
		{"  spaced  ", "spaced"},
	} {
		if got := publish.PlainText(tc.in); got != tc.want {
			t.Errorf("PlainText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReportSource_FindReports(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t)
	fillStore(t, db)
	site := MustReportsSite(t, db)
	body := MustGet(t, site, "/", http.StatusOK)
	for _, want := range []string{"Site unreachable", "Slow search results"} {
		if !strings.Contains(body, want) {
			t.Errorf("the index lacks %q", want)
		}
	}
	for _, hidden := range []string{"Suspicious logins", "Test of the bot", "Checkout fails"} {
		if strings.Contains(body, hidden) {
			t.Errorf("the index shows %q", hidden)
		}
	}
	if body := MustGet(t, site, "/?severity=critical", http.StatusOK); strings.Contains(body, "Slow search") {
		t.Error("filtered by critical, the index shows a minor incident")
	}
	// The service the incident recorded (/incident service) is searchable.
	if body := MustGet(t, site, "/?service=Search", http.StatusOK); !strings.Contains(body, "Slow search") || strings.Contains(body, "Site unreachable") {
		t.Error("filtered by the service search, the index does not show just the search incident")
	}
	MustGet(t, site, "/incidents/3", http.StatusNotFound) // private
	MustGet(t, site, "/incidents/5", http.StatusNotFound) // still open
	MustGet(t, site, "/incidents/99", http.StatusNotFound)

	// The replay follows the timeline's roles and statuses.
	db2 := MustOpen(t)
	fillStore(t, db2)
	inc, _ := db2.FindIncidentByID(ctx, 5)
	evs, _ := db2.Events(ctx, 5)
	steps := publish.Replay(inc, evs, func(id string) string { return names[id] })
	last := steps[len(steps)-1]
	if last.Status != "identified" || last.Severity != "major" || last.Roles["operator"] != "Alice Archer" || last.Actor != "Alice Archer" {
		t.Errorf("last replay step = %+v", last)
	}
	if steps[1].Kind != string(incident.EventRoleAssigned) || steps[1].Text != "took the operator role" {
		t.Errorf("step 2 = %+v", steps[1])
	}
}
