package stakeholders_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
)

func TestTier_Wants(t *testing.T) {
	kinds := []incident.EventKind{incident.EventDeclared, incident.EventSeverityChanged, incident.EventStatusChanged, incident.EventUpdatePosted,
		incident.EventResolved, incident.EventClosed, incident.EventCancelled, incident.EventSummaryWritten, incident.EventNote}
	want := map[stakeholders.Tier]string{
		// One letter per kind above: y told, - not.
		stakeholders.ManageClosely: "yyyyyyyy-",
		stakeholders.KeepSatisfied: "yy--y-y--",
		stakeholders.KeepInformed:  "y--yy----",
		stakeholders.Monitor:       "---------",
	}
	for tier, row := range want {
		for i, k := range kinds {
			if got := tier.Wants(k); got != (row[i] == 'y') {
				t.Errorf("%s wants %s = %v", tier, k, got)
			}
		}
	}
}

func TestParseTier(t *testing.T) {
	for in, want := range map[string]stakeholders.Tier{"closely": stakeholders.ManageClosely, "Keep-Satisfied": stakeholders.KeepSatisfied, " informed ": stakeholders.KeepInformed, "monitor": stakeholders.Monitor} {
		if got, err := stakeholders.ParseTier(in); err != nil || got != want {
			t.Errorf("ParseTier(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := stakeholders.ParseTier("vip"); incident.ErrorCode(err) != incident.EINVALID || !strings.Contains(incident.ErrorMessage(err), "closely") {
		t.Errorf("ParseTier(vip) = %v", err)
	}
}

func TestFor(t *testing.T) {
	groups := []stakeholders.Group{
		stakeholders.NewGroup("execs", stakeholders.KeepSatisfied, []string{"UCEO", "SLEADS", "cto@example.com"}, "", []string{"critical"}),
		stakeholders.NewGroup("support", stakeholders.KeepInformed, []string{"support@example.com"}, "CSUPPORT", nil),
		stakeholders.NewGroup("sre", stakeholders.ManageClosely, []string{"UCEO", "USRE"}, "", nil),
	}
	subs := []incident.Subscription{
		{User: "UFAN", Incident: 0, Tier: "keep_informed"},
		{User: "UWATCH", Incident: 7, Tier: "manage_closely"},
		{User: "UOTHER", Incident: 8, Tier: "manage_closely"},
	}
	inc := &incident.Incident{ID: 7, Stakeholders: []string{"execs", "support", "sre"}}
	a := stakeholders.For(inc, incident.EventDeclared, groups, subs)
	if got := strings.Join(a.Users, ","); got != "UCEO,USRE,UFAN,UWATCH" {
		t.Errorf("declared: users %s", got)
	}
	if strings.Join(a.UserGroups, ",") != "SLEADS" || strings.Join(a.Emails, ",") != "cto@example.com,support@example.com" || strings.Join(a.Channels, ",") != "CSUPPORT" {
		t.Errorf("declared: %+v", a)
	}
	a = stakeholders.For(inc, incident.EventUpdatePosted, groups, subs)
	if strings.Join(a.Groups, ",") != "support,sre" || strings.Join(a.Users, ",") != "UCEO,USRE,UFAN,UWATCH" || len(a.UserGroups) != 0 {
		t.Errorf("update: %+v", a)
	}
	// A private incident: only its own subscribers.
	priv := &incident.Incident{ID: 7, Private: true, Stakeholders: inc.Stakeholders}
	a = stakeholders.For(priv, incident.EventDeclared, groups, subs)
	if strings.Join(a.Users, ",") != "UWATCH" || len(a.Emails)+len(a.Channels)+len(a.Groups) != 0 {
		t.Errorf("private: %+v", a)
	}
	drill := &incident.Incident{ID: 8, Drill: true, Stakeholders: inc.Stakeholders}
	if a := stakeholders.For(drill, incident.EventNote, groups, subs); !a.Empty() {
		t.Errorf("a note reached %+v", a)
	}
	if got := stakeholders.ForSeverity(groups, "critical"); strings.Join(got, ",") != "execs" {
		t.Errorf("ForSeverity = %v", got)
	}
}

func TestDescribe_Email(t *testing.T) {
	inc := &incident.Incident{ID: 42, Title: "Checkout &lt;fails&gt; for <@U123>", Severity: "major", DeclaredAt: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	e := incident.Event{Kind: incident.EventUpdatePosted, Text: `&lt;script&gt;alert(1)&lt;/script&gt; &amp; rolled back`,
		Fields: map[string]string{"status": "identified", "doing": "watching", "next_update": "2026-03-04T10:30:00Z"}}
	links := stakeholders.Links{StatusPage: "https://status.example.com/", WarRoom: "https://slack.com/app_redirect?channel=C1"}
	n := stakeholders.Describe(inc, e, links, time.UTC, inc.DeclaredAt)
	if n.Subject != "[Incident #42 · major] Checkout <fails> for a team member — update" {
		t.Errorf("subject = %q", n.Subject)
	}
	text, html, err := n.Email()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Update on incident #42 (identified):", "<script>alert(1)</script> & rolled back", "What we are doing: watching", "Next update by 10:30 UTC.", "Status page: https://status.example.com/", "War room: https://slack.com/app_redirect?channel=C1"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; rolled back") || !strings.Contains(html, `href="https://status.example.com/"`) {
		t.Errorf("html:\n%s", html)
	}
}
