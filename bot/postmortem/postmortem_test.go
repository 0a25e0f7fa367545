package postmortem_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

var update = flag.Bool("update", false, "rewrite golden files")

// MustMatchGolden compares got with testdata/name, or rewrites it with -update.
func MustMatchGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			tb.Fatalf("%s differs at line %d (run go test -update to accept):\n got: %q\nwant: %q", path, i+1, g, w)
		}
	}
}

func mustLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Skipf("time zone %s: %v", name, err)
	}
	return loc
}

func declare(title, severity, impact string) incident.DeclareRequest {
	return incident.DeclareRequest{Title: title, Severity: severity, Impact: impact, DeclaredBy: alice}
}

func op(f func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error)) func(*incident.Incident, incident.Policy, time.Time) ([]incident.Event, error) {
	return f
}

// stories are the incidents the golden files show.
var stories = map[string]func(tb testing.TB) (*story, *time.Location){
	"no_updates": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("Search results are stale", "minor", ""))
		s.at(20*time.Minute).resolve(alice, "")
		return s, time.UTC
	},
	"many_updates": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("Checkout fails for EU customers", "major", "Card payments fail for about 30% of EU customers."))
		s.add("", incident.EventChannelCreated, "", map[string]string{"name": "inc-42-checkout-fails-for-eu-customers"})
		s.at(2 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.AssignRole(p, bob, incident.RoleSpokesperson, bob, false, true, now)
		}))
		s.at(10*time.Minute).update(bob, incident.Update{Text: "Payment provider returns 502 for EU cards.", Doing: "Checking the provider status page and our gateway logs."})
		s.at(25*time.Minute).update(bob, incident.Update{Status: incident.StatusIdentified, Text: "Our gateway sends an expired client certificate to the EU endpoint.", Doing: "Rotating the certificate.", Impact: "All EU card payments fail."})
		s.at(27*time.Minute).add(carol, incident.EventNote, "Lost orders so far: about 1,200.", map[string]string{"cost": "≈ €48,000 in delayed orders"})
		s.at(40*time.Minute).update(bob, incident.Update{Status: incident.StatusMonitoring, Text: "New certificate deployed; payments recovering.", Doing: "Watching the error rate.", Impact: "Payments succeed again; some customers must retry."})
		s.at(55*time.Minute).update(bob, incident.Update{Text: "Error rate back to baseline.", Doing: "Replaying failed webhooks."})
		s.at(70*time.Minute).update(bob, incident.Update{Text: "Webhooks replayed."})
		s.at(72 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.SetCause(p, alice, "The EU client certificate expired; the renewal job had been failing silently since February.", now)
		}))
		s.at(75*time.Minute).resolve(alice, "Rotated the client certificate and replayed failed webhooks.")
		s.task(alice, "Alert 30 days before any client certificate expires", carol).
			task(alice, "Make the renewal job fail loudly", dave).
			task(bob, "Write to affected customers", "")
		s.at(80 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.SetTaskDone(p, bob, 3, true, now)
		}))
		s.add(alice, incident.EventPostmortem, "", nil)
		return s, mustLocation(tb, "Europe/Paris")
	},
	"handoffs": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("Database failover loop", "critical", "The API returns errors every few minutes."))
		s.at(5 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.AssignRole(p, alice, incident.RoleSpokesperson, carol, false, true, now)
		}))
		s.at(45 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.OfferHandoff(p, alice, incident.RoleOperator, bob, incident.Brief{
				State:    "Primary flaps between db-1 and db-2 every ~4 minutes.",
				InFlight: "Pinned primary to db-1; replication lag recovering.",
				Watch:    "Lag on db-2, and the orchestrator log.",
			}, now)
		}))
		s.at(47 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.AcceptHandoff(p, bob, now)
		}))
		s.at(60 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.OfferHandoff(p, carol, incident.RoleSpokesperson, eve, incident.Brief{State: "Next update due 10:15."}, now)
		}))
		s.at(62 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.OfferHandoff(p, carol, incident.RoleSpokesperson, dave, incident.Brief{State: "Next update due 10:15.", Watch: "Support tickets."}, now)
		}))
		s.at(63 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.AcceptHandoff(p, dave, now)
		}))
		s.at(90*time.Minute).resolve(bob, "Disabled automatic failover until the orchestrator is upgraded.")
		return s, time.UTC
	},
	"severity_changes": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("Login slow", "major", "Logins take 20 seconds."))
		s.at(32 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.SetSeverity(p, alice, "critical", now)
		}))
		s.at(50 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.SetStatus(p, alice, incident.StatusMonitoring, now)
		}))
		s.at(55 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.SetSeverity(p, alice, "minor", now)
		}))
		s.at(70*time.Minute).resolve(alice, "Scaled the session store.")
		return s, time.UTC
	},
	"late_updates": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("Email delivery delayed", "major", "Password-reset emails arrive an hour late."))
		s.at(2 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.AssignRole(p, alice, incident.RoleSpokesperson, bob, false, true, now)
		}))
		s.at(25 * time.Minute).remind() // heads-up, 5 minutes before 09:30
		s.at(30 * time.Minute).remind() // due
		s.at(40 * time.Minute).remind() // escalated
		s.at(42*time.Minute).update(bob, incident.Update{Text: "Queue drained; new emails go out at once.", Doing: "Investigating why the worker stalled."})
		s.at(67 * time.Minute).remind() // heads-up
		s.at(72 * time.Minute).remind() // due
		s.at(73 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.Snooze(p, bob, now)
		}))
		s.at(80*time.Minute).update(bob, incident.Update{Text: "Worker restarted with more memory.", Next: 20 * time.Minute})
		s.at(85*time.Minute).resolve(alice, "")
		return s, time.UTC
	},
	"private": func(tb testing.TB) (*story, *time.Location) {
		r := declare("Customer data visible to another tenant", "critical", "One tenant saw another tenant's invoices.")
		r.Private = true
		s := MustDeclare(tb, r)
		s.at(15*time.Minute).update(alice, incident.Update{Status: incident.StatusMonitoring, Text: "Cache disabled; no more cross-tenant reads."})
		s.at(40*time.Minute).resolve(alice, "Cache keys now include the tenant id.")
		s.task(alice, "Notify the affected tenant (legal)", carol)
		s.at(50 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.Close(p, alice, now)
		}))
		return s, time.UTC
	},
	"markup": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("**bold** |pipe| `code` &amp; [link](x)", "major", "# heading\n<!channel> look at <https://evil|harmless>"))
		s.at(1 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.AssignRole(p, alice, incident.RoleSpokesperson, eve, false, true, now)
		}))
		s.at(3*time.Minute).note(eve, "<!channel> everyone: `rm -rf` was **not** run &amp; _all_ is fine &lt;b&gt;really&lt;/b&gt;")
		s.at(4*time.Minute).note(bob, "Steps so far:\n- restarted web-1\n1. checked <@U02BOB|bob>'s dashboard\n---\n> quoted\n\n    indented code?\n| a | b |")
		s.at(5*time.Minute).update(eve, incident.Update{Text: "See <https://evil.example/phish|status page> and <mailto:x@y|mail>", Doing: "<script>alert(1)</script> &amp;amp;"})
		s.at(6 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.PinMessage(p, alice, incident.PinnedMessage{TS: "1.1", Author: bob, Text: "![img](https://evil/x.png) <b>hi</b>",
				Permalink: "https://example.slack.com/archives/C1/p1", Files: []string{"https://files.slack.com/x/graph(1).png", "javascript:alert(1)"}}, now)
		}))
		s.at(8 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.SetCause(p, alice, "1. A *config* flag\n2. `feature_x=true` | enabled by <@U01ALICE>", now)
		}))
		s.at(9*time.Minute).task(alice, "Add [x] a check\n- for *this*", eve)
		s.at(10*time.Minute).resolve(alice, "Turned it off & on <again>")
		return s, time.UTC
	},
	"multi_day": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("Nightly batch overruns", "minor", "Reports are late."))
		s.add("", incident.EventChannelCreated, "", map[string]string{"name": "inc-42-nightly-batch-overruns"})
		s.at(14*time.Hour).update(alice, incident.Update{Text: "Batch still running; 60% done.", Next: 8 * time.Hour})
		s.at(16*time.Hour).add("", "pager_acknowledged", "Paged the data team", map[string]string{"pager": "data-oncall", "by": "PagerDuty"})
		s.at(25*time.Hour+5*time.Minute).update(alice, incident.Update{Status: incident.StatusMonitoring, Text: "Batch finished at 09:58."})
		s.at(26*time.Hour+10*time.Minute).resolve(alice, "Split the batch in two.")
		s.at(26*time.Hour + 12*time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.Close(p, alice, now)
		}))
		s.add("", incident.EventArchived, "", nil)
		return s, time.UTC
	},
	"pinned_edits": func(tb testing.TB) (*story, *time.Location) {
		s := MustDeclare(tb, declare("Image uploads fail", "major", ""))
		pin := func(ts, author, text string, files ...string) func(*incident.Incident, incident.Policy, time.Time) ([]incident.Event, error) {
			return func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
				return inc.PinMessage(p, alice, incident.PinnedMessage{TS: ts, Author: author, Text: text,
					Permalink: "https://example.slack.com/archives/C42/p" + strings.ReplaceAll(ts, ".", ""), Files: files}, now)
			}
		}
		s.at(5 * time.Minute).do(pin("1700000001.000100", bob, "I think it's the S3 bucket policy, password is hunter2"))
		s.at(6 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.EditPinned(p, bob, "1700000001.000100", "I think it's the S3 bucket policy", now)
		}))
		s.at(7 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.DeletePinned(p, bob, "1700000001.000100", now)
		}))
		s.at(10 * time.Minute).do(pin("1700000002.000200", carol, "Error rate graph:", "https://files.slack.com/files-pri/T1-F1/errors.png"))
		s.at(12 * time.Minute).do(pin("1700000003.000300", dave, "Uploads fail with 403 since the deploy at 8:50"))
		s.at(14 * time.Minute).do(op(func(inc *incident.Incident, p incident.Policy, now time.Time) ([]incident.Event, error) {
			return inc.EditPinned(p, dave, "1700000003.000300", "Uploads fail with 403 since the deploy at 08:55", now)
		}))
		s.at(30*time.Minute).resolve(alice, "Reverted the bucket policy.")
		return s, time.UTC
	},
}

func TestDraft(t *testing.T) {
	for name, build := range stories {
		t.Run(name, func(t *testing.T) {
			s, loc := build(t)
			md, err := postmortem.Draft(s.inc, s.events, s.options(loc))
			if err != nil {
				t.Fatal(err)
			}
			MustMatchGolden(t, name+".golden.md", []byte(md))
		})
	}
}
