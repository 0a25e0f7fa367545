package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/config"
)

// TestConfig_EmailDigest: stakeholders.groups[].email takes each or
// digest where the tier allows it; every problem names its key.
func TestConfig_EmailDigest(t *testing.T) {
	base := func() config.Config {
		c := MustValidConfig(t)
		c.Email = config.EmailConfig{Host: "smtp.example.com", Port: "587", Security: "starttls", From: "incidents@example.com"}
		return c
	}
	t.Run("OK", func(t *testing.T) {
		c := base()
		c.Stakeholders.Groups = []config.StakeholderGroup{
			{Name: "board", Tier: "monitor", Members: []string{"ceo@example.com"}},
			{Name: "support", Tier: "keep_informed", Members: []string{"support@example.com"}, Email: " Digest "},
			{Name: "sales", Tier: "keep_informed", Members: []string{"sales@example.com"}, Email: "each"},
		}
		c = c.Normalized()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.Stakeholders.Groups[1].Email != config.EmailDigest || !c.EmailDigest() {
			t.Errorf("groups %+v, email digest %v", c.Stakeholders.Groups, c.EmailDigest())
		}
	})
	t.Run("NoDigestWithoutAddress", func(t *testing.T) {
		c := base()
		c.Stakeholders.Groups = []config.StakeholderGroup{{Name: "board", Tier: "monitor", Members: []string{"U0123ABCD"}}}
		if c.EmailDigest() {
			t.Error("a monitor group without an address takes the email digest")
		}
	})
	tests := []struct {
		name  string
		group config.StakeholderGroup
		key   string
		want  string
	}{
		{"ErrUnknownMode", config.StakeholderGroup{Name: "a", Tier: "keep_informed", Members: []string{"a@example.com"}, Email: "weekly"},
			"stakeholders.groups[0].email", `"weekly" is not an email mode (use each, a mail per update, or digest`},
		{"ErrMonitorEach", config.StakeholderGroup{Name: "a", Tier: "monitor", Members: []string{"a@example.com"}, Email: "each"},
			"stakeholders.groups[0].email", "monitor groups are sent no mail per update"},
		{"ErrCloseDigest", config.StakeholderGroup{Name: "a", Tier: "manage_closely", Members: []string{"a@example.com"}, Email: "digest"},
			"stakeholders.groups[0].email", "manage_closely groups get a mail for every notification"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			c.Stakeholders.Groups = []config.StakeholderGroup{tt.group}
			err := c.Normalized().Validate()
			var p *config.Problem
			if !errors.As(err, &p) || p.Key != tt.key || !strings.Contains(p.Msg, tt.want) {
				t.Errorf("error %v; want %s: …%s…", err, tt.key, tt.want)
			}
		})
	}
	t.Run("ErrNoSchedule", func(t *testing.T) {
		c := base()
		c.Digest.Schedule = ""
		c.Stakeholders.Groups = []config.StakeholderGroup{{Name: "board", Tier: "monitor", Members: []string{"ceo@example.com"}}}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "digest.schedule: missing, and stakeholder groups get the daily email digest") {
			t.Errorf("error %v", err)
		}
	})
}
