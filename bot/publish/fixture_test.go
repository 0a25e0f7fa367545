package publish_test

import (
	"context"
	"flag"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/publish"
	"github.com/incidentbot/incidentbot/bot/reports"
	"github.com/incidentbot/incidentbot/bot/statuspage"
	"github.com/incidentbot/incidentbot/bot/statuspage/sitetest"
	"github.com/incidentbot/incidentbot/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

// now is the clock of every test: the store's and the pages'.
var now = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return now.Add(-d) }

// MustOpen opens a store in t.TempDir() on the fixed clock.
func MustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "incidentbot.db"), store.WithNow(func() time.Time { return now }), store.WithNoSync(true))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil {
			tb.Error(err)
		}
		db.Close()
	})
	return db
}

var policy = incident.DefaultPolicy()

// story builds one incident with domain commands, the way the bot does,
// and stores it with its timeline.
type story struct {
	tb  testing.TB
	inc *incident.Incident
	evs []incident.Event
}

func newStory(tb testing.TB, title, sev string, at time.Time) *story {
	tb.Helper()
	inc, evs, err := incident.Declare(policy, incident.DeclareRequest{Title: title, Severity: sev, DeclaredBy: "UALICE"}, at)
	if err != nil {
		tb.Fatal(err)
	}
	return &story{tb: tb, inc: inc, evs: evs}
}

func (s *story) do(evs []incident.Event, err error) *story {
	s.tb.Helper()
	if err != nil {
		s.tb.Fatal(err)
	}
	s.evs = append(s.evs, evs...)
	return s
}

func (s *story) update(at time.Time, text string, publish bool) *story {
	return s.do(s.inc.PostUpdate(policy, "UALICE", incident.Update{Text: text, Publish: publish}, at))
}

func (s *story) status(at time.Time, st incident.Status) *story {
	return s.do(s.inc.SetStatus(policy, "UALICE", st, at))
}

func (s *story) resolve(at time.Time, text string) *story {
	return s.do(s.inc.Resolve(policy, "UALICE", text, at))
}

func (s *story) close(at time.Time) *story { return s.do(s.inc.Close(policy, "UALICE", at)) }

func (s *story) summary(at time.Time, cs incident.CustomerSummary) *story {
	return s.do(s.inc.WriteCustomerSummary(policy, "UALICE", cs, at))
}

// store saves the incident and its timeline and returns it as stored.
func (s *story) store(db *store.DB) *incident.Incident {
	s.tb.Helper()
	inc := s.inc.Clone()
	if _, err := db.CreateIncident(context.Background(), inc, incident.Change{Events: s.evs}); err != nil {
		s.tb.Fatal(err)
	}
	return inc
}

// fillStore adds the incidents of the README screenshots: one in
// progress with two published updates and an internal one, one resolved
// yesterday with a customer summary, one critical last month, and a
// private and a cancelled one nobody outside may see.
func fillStore(tb testing.TB, db *store.DB) {
	tb.Helper()
	newStory(tb, "Site unreachable", "critical", ago(24*24*time.Hour)).
		update(ago(24*24*time.Hour-10*time.Minute), "The site does not answer; we are on it.", true).
		resolve(ago(24*24*time.Hour-90*time.Minute), "DNS fixed").close(ago(23 * 24 * time.Hour)).store(db)
	slow := newStory(tb, "Slow search results", "minor", ago(26*time.Hour))
	slow.inc.Service = "search"
	slow.do(slow.inc.SetImpact(policy, "UALICE", "Searches took up to 10 seconds for every customer.", ago(25*time.Hour+30*time.Minute)))
	slow.update(ago(25*time.Hour), "Searches take up to 10 seconds. We are rebuilding an index.", true)
	slow.do(slow.inc.SetCause(policy, "UALICE", "A bulk import of 2 million products fragmented the search index.", ago(24*time.Hour+30*time.Minute)))
	slow.resolve(ago(24*time.Hour), "Index rebuilt").close(ago(23*time.Hour)).
		summary(ago(22*time.Hour), incident.CustomerSummary{
			WhatHappened: "A search index became fragmented after a bulk import.",
			Impact:       "For 2 hours, searches took up to 10 seconds.",
			Apology:      "We are sorry for the slow experience.",
			Changes:      "Bulk imports now rebuild the index in the background.",
		}).store(db)
	secret := newStory(tb, "Suspicious logins on admin", "critical", ago(3*time.Hour))
	secret.inc.Private = true
	secret.update(ago(2*time.Hour), "Rotating admin credentials.", true).store(db)
	mistake := newStory(tb, "Test of the bot", "minor", ago(2*time.Hour))
	mistake.do(mistake.inc.Cancel(policy, "UALICE", "just a test", ago(110*time.Minute))).store(db)
	newStory(tb, "Checkout fails for EU customers", "major", ago(time.Hour)).
		update(ago(50*time.Minute), "Payments with EU cards fail; we are investigating.", true).
		update(ago(40*time.Minute), "Carol thinks it is the certificate on the gateway.", false).
		status(ago(30*time.Minute), incident.StatusIdentified).
		update(ago(30*time.Minute), "We found the cause: an expired certificate.\nA fix is being deployed.", true).
		store(db)
}

// MustStatusPage serves the status page from a StatusSource over db.
func MustStatusPage(tb testing.TB, db *store.DB, o statuspage.Options) (*statuspage.Page, *publish.StatusSource) {
	tb.Helper()
	src := publish.NewStatusSource(publish.StatusOptions{Store: db, Name: "Acme", Severities: policy.SeverityNames(), Now: func() time.Time { return now }})
	o.Source = src
	if o.Now == nil {
		o.Now = func() time.Time { return now }
	}
	p, err := statuspage.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return p, src
}

// names are the people of the fixtures.
var names = map[string]string{"UALICE": "Alice Archer", "UBOB": "Bob Baker"}

// MustReportsSite serves the reports site from a ReportSource over db.
func MustReportsSite(tb testing.TB, db *store.DB) *reports.Site {
	tb.Helper()
	src := publish.NewReportSource(publish.ReportOptions{Store: db, Postmortem: func(context.Context) postmortem.Options {
		return postmortem.Options{Policy: policy, Now: now, UserName: func(id string) string { return names[id] }}
	}})
	s, err := reports.New(reports.Options{Source: src, Severities: policy.SeverityNames()})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// MustGet serves one GET and fails unless it answers want.
func MustGet(tb testing.TB, h http.Handler, target string, want int) string {
	tb.Helper()
	res, body := sitetest.Get(tb, h, http.MethodGet, target, nil)
	if res.StatusCode != want {
		tb.Fatalf("GET %s = %d, want %d: %s", target, res.StatusCode, want, body)
	}
	return body
}
