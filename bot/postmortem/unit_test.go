package postmortem_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

func TestComputeMetrics(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s, _ := stories["late_updates"](t)
		m := postmortem.ComputeMetrics(s.inc, s.events)
		want := postmortem.Metrics{
			TimeToAcknowledge: 0, TimeToMitigate: 85 * time.Minute, TimeToResolve: 85 * time.Minute,
			Duration: 85 * time.Minute, Resolved: true,
			Updates: 2, LateUpdates: 1, Reminders: 4, Escalations: 1, Snoozes: 1,
			StatusChanges: 0, Events: len(s.events),
		}
		if m != want {
			t.Fatalf("got  %+v\nwant %+v", m, want)
		}
	})
	t.Run("Open", func(t *testing.T) {
		s := MustDeclare(t, declare("Still broken", "major", ""))
		s.inc.AcknowledgedAt = time.Time{}
		s.at(50*time.Minute).note(bob, "looking")
		m := postmortem.ComputeMetrics(s.inc, s.events)
		if m.TimeToAcknowledge != postmortem.NotReached || m.TimeToMitigate != postmortem.NotReached || m.TimeToResolve != postmortem.NotReached {
			t.Errorf("time-to metrics = %v %v %v, want NotReached", m.TimeToAcknowledge, m.TimeToMitigate, m.TimeToResolve)
		}
		if m.Resolved || m.Duration != 50*time.Minute || m.Notes != 1 {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		m := postmortem.ComputeMetrics(&incident.Incident{}, nil)
		if m.Duration != 0 || m.TimeToResolve != postmortem.NotReached {
			t.Errorf("got %+v", m)
		}
	})
}

func TestFileName(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	// 00:30 in Paris is still the previous day in UTC.
	inc := &incident.Incident{ID: 7, Title: "Login: slow!", DeclaredAt: time.Date(2026, 3, 5, 0, 30, 0, 0, paris)}
	if got, want := postmortem.FileName(inc), "2026-03-04-inc-7-login-slow.md"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
	inc.Title = "🔥"
	if got, want := postmortem.FileName(inc), "2026-03-04-inc-7-incident.md"; got != want {
		t.Errorf("FileName = %q, want %q", got, want)
	}
}

// TestDraft_Escaping checks that user text cannot add Markdown structure.
func TestDraft_Escaping(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"**bold**", `\*\*bold\*\*`},
		{"# heading", `\# heading`},
		{"not # a heading", `not # a heading`},
		{"<!channel>", `\<!channel\>`},
		{"<https://evil|harmless>", `\<https://evil\|harmless\>`},
		{"&lt;!here&gt;", `\<!here\>`},
		{"&amp;lt;", `\&lt;`},
		{"`code`", "\\`code\\`"},
		{"|pipe|", `\|pipe\|`},
		{"a &amp; b", `a \& b`},
		{"- item", `\- item`},
		{"+ item", `\+ item`},
		{"12. item", `12\. item`},
		{"3) item", `3\) item`},
		{"2026. was a year", `2026\. was a year`},
		{"version 1.2", `version 1.2`},
		{"[x](javascript:alert(1))", `\[x\](javascript:alert(1))`},
		{"~~strike~~ _em_", `\~\~strike\~\~ \_em\_`},
		{"back\\slash", `back\\slash`},
		{"two\nlines\n\n- three", "two\\\n  lines\\\n  \\- three"},
		{"tab\there", "tab here"},
	} {
		s := MustDeclare(t, declare("Escaping", "major", ""))
		s.note(bob, tt.in)
		md, err := postmortem.Draft(s.inc, s.events, s.options(time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if want := "Bob — noted: " + tt.want + "\n"; !strings.Contains(md, want) {
			i := strings.Index(md, "Bob — noted: ")
			t.Errorf("note %q: want line ending %q, got %q", tt.in, want, md[i:i+strings.IndexByte(md[i:], '\n')+1])
		}
	}
}

func TestDraft_DeletedMessageHidden(t *testing.T) {
	s, loc := stories["pinned_edits"](t)
	md, err := postmortem.Draft(s.inc, s.events, s.options(loc))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2", "S3 bucket policy", "p1700000001000100"} {
		if strings.Contains(md, secret) {
			t.Errorf("draft holds %q from a deleted message", secret)
		}
	}
	if strings.Contains(md, "since the deploy at 8:50") {
		t.Error("draft shows a pinned message's text from before its edit")
	}
}

func TestDraft_Robust(t *testing.T) {
	t.Run("ErrNoIncident", func(t *testing.T) {
		if _, err := postmortem.Draft(nil, nil, postmortem.Options{}); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("ZeroValues", func(t *testing.T) {
		// An empty incident with odd events and no options must render.
		events := []incident.Event{
			{Kind: "???"},
			{Kind: incident.EventMessageEdited, Text: "orphan edit", Fields: map[string]string{"ts": "9"}},
			{Kind: incident.EventMessageDeleted},
			{Kind: incident.EventReminderHeadsUp, Fields: map[string]string{"due": "not a time"}},
			{Kind: incident.EventSeverityChanged},
			{Kind: incident.EventRoleAssigned},
			{Kind: incident.EventMessagePinned, Fields: map[string]string{"files": "  ", "permalink": "x y"}},
		}
		md, err := postmortem.Draft(&incident.Incident{}, events, postmortem.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"## Timeline", "incidentbot — ???", "orphan edit", "not a time", "## Lessons learned"} {
			if !strings.Contains(md, want) {
				t.Errorf("draft lacks %q:\n%s", want, md)
			}
		}
	})
	t.Run("UserNameNil", func(t *testing.T) {
		s, _ := stories["handoffs"](t)
		o := s.options(nil)
		o.UserName = nil
		md, err := postmortem.Draft(s.inc, s.events, o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(md, "**Operator:** U01ALICE 09:00–09:47, U02BOB 09:47–end") || strings.Contains(md, "<@") {
			t.Errorf("users not rendered as plain ids:\n%s", md)
		}
	})
	t.Run("Ongoing", func(t *testing.T) {
		s := MustDeclare(t, declare("Still broken", "major", ""))
		s.at(10*time.Minute).note(alice, "looking")
		o := s.options(time.UTC) // generated an hour later
		md, err := postmortem.Draft(s.inc, s.events, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"**Duration:** 1h 10m so far", "**Resolved:** not yet", "| Time to resolve | — |", "Alice 09:00–now"} {
			if !strings.Contains(md, want) {
				t.Errorf("draft lacks %q", want)
			}
		}
	})
}

func TestSummary(t *testing.T) {
	s, _ := stories["late_updates"](t)
	s.task(alice, "Alert on worker memory", bob)
	got := postmortem.Summary(s.inc, postmortem.ComputeMetrics(s.inc, s.events), s.options(time.UTC))
	want := "*Incident #42: Email delivery delayed* is resolved\n" +
		"Severity: *major* · Duration: 1h 25m\n" +
		"Time to acknowledge 0m · to mitigate 1h 25m · to resolve 1h 25m\n" +
		"Updates: 2 (1 late) · Escalations: 1 · Open action items: 1 of 1"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	t.Run("SlackMarkupEscaped", func(t *testing.T) {
		inc := &incident.Incident{ID: 1, Title: "a <!subteam^S1> &amp; <https://evil|ok>", Severity: "major", Status: incident.StatusInvestigating}
		got := postmortem.Summary(inc, postmortem.ComputeMetrics(inc, nil), postmortem.Options{Now: start})
		if !strings.Contains(got, "a &lt;!subteam^S1&gt; &amp; &lt;https://evil|ok&gt;") {
			t.Errorf("got %q", got)
		}
	})
}

func TestPublicSummary(t *testing.T) {
	s, _ := stories["private"](t)
	if got, want := postmortem.PublicSummary(s.inc, s.options(time.UTC)), "A private incident (severity critical) was closed."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	s, _ = stories["severity_changes"](t)
	if got, want := postmortem.PublicSummary(s.inc, s.options(time.UTC)), "Incident #42 *Login slow* (severity minor) was resolved after 1h 10m."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
