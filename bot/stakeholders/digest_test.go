package stakeholders_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
)

func TestParseEmailMode(t *testing.T) {
	tests := []struct {
		tier stakeholders.Tier
		in   string
		want stakeholders.EmailMode
		err  string // part of the error; "" for none
	}{
		{stakeholders.Monitor, "", stakeholders.EmailDigest, ""},
		{stakeholders.Monitor, "Digest", stakeholders.EmailDigest, ""},
		{stakeholders.KeepInformed, "", stakeholders.EmailEach, ""},
		{stakeholders.KeepInformed, " digest ", stakeholders.EmailDigest, ""},
		{stakeholders.KeepInformed, "each", stakeholders.EmailEach, ""},
		{stakeholders.ManageClosely, "", stakeholders.EmailEach, ""},
		{stakeholders.KeepSatisfied, "each", stakeholders.EmailEach, ""},
		{stakeholders.KeepInformed, "weekly", "", `"weekly" is not an email mode`},
		{stakeholders.Monitor, "each", "", "monitor groups are sent no mail per update"},
		{stakeholders.KeepSatisfied, "digest", "", "keep_satisfied groups get a mail for every notification"},
	}
	for _, tt := range tests {
		got, err := stakeholders.ParseEmailMode(tt.tier, tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseEmailMode(%s, %q) = %q, %v; want %q", tt.tier, tt.in, got, err, tt.want)
		case tt.err != "" && (incident.ErrorCode(err) != incident.EINVALID || !strings.Contains(incident.ErrorMessage(err), tt.err)):
			t.Errorf("ParseEmailMode(%s, %q) = %v; want an error with %q", tt.tier, tt.in, err, tt.err)
		}
	}
}

// TestDigestRecipients: monitor groups and keep_informed groups with
// email: digest take the digest, each address once; their addresses get
// no mail per notification.
func TestDigestRecipients(t *testing.T) {
	groups := []stakeholders.Group{
		stakeholders.NewGroup("board", stakeholders.Monitor, []string{"ceo@example.com", "UBOARD", "board@example.com"}, "", nil),
		stakeholders.NewGroup("support", stakeholders.KeepInformed, []string{"support@example.com", "CEO@example.com"}, "CSUPPORT", nil).WithEmail("digest"),
		stakeholders.NewGroup("sales", stakeholders.KeepInformed, []string{"sales@example.com"}, "", nil),
		stakeholders.NewGroup("execs", stakeholders.KeepSatisfied, []string{"cto@example.com"}, "", nil).WithEmail("digest"), // refused: keeps each
	}
	if got := strings.Join(stakeholders.DigestRecipients(groups), ","); got != "board@example.com,ceo@example.com,support@example.com" {
		t.Errorf("digest recipients: %s", got)
	}
	inc := &incident.Incident{ID: 1, Stakeholders: []string{"board", "support", "sales", "execs"}}
	a := stakeholders.For(inc, incident.EventUpdatePosted, groups, nil)
	if got := strings.Join(a.Emails, ","); got != "sales@example.com" {
		t.Errorf("mailed per update: %s", got)
	}
	if got := strings.Join(a.Channels, ","); got != "CSUPPORT" {
		t.Errorf("the digest group's channel is still told: %q", got)
	}
}

// FuzzParseEmailMode: any text gives a mode the tier takes, or an
// EINVALID error; the default depends on the tier only.
func FuzzParseEmailMode(f *testing.F) {
	for _, s := range []string{"", "each", "digest", " DIGEST ", "weekly", "digest\x00", "ëach"} {
		f.Add("monitor", s)
		f.Add("keep_informed", s)
		f.Add("manage_closely", s)
	}
	f.Fuzz(func(t *testing.T, tier, s string) {
		m, err := stakeholders.ParseEmailMode(stakeholders.Tier(tier), s)
		if err != nil {
			if incident.ErrorCode(err) != incident.EINVALID || m != "" {
				t.Fatalf("ParseEmailMode(%q, %q) = %q, %v", tier, s, m, err)
			}
			return
		}
		switch {
		case m != stakeholders.EmailEach && m != stakeholders.EmailDigest:
			t.Fatalf("ParseEmailMode(%q, %q) = %q", tier, s, m)
		case m == stakeholders.EmailEach && stakeholders.Tier(tier) == stakeholders.Monitor:
			t.Fatalf("monitor took each from %q", s)
		}
		g := stakeholders.Group{Tier: stakeholders.Tier(tier), Emails: []string{"a@example.com"}}.WithEmail(s)
		if g.Digested() != (m == stakeholders.EmailDigest) {
			t.Fatalf("WithEmail(%q) on %q: digested %v, mode %q", s, tier, g.Digested(), m)
		}
	})
}
