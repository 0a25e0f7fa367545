package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/config"
)

func TestConfig_ValidatePlaybooks(t *testing.T) {
	t.Run("Defaults", func(t *testing.T) {
		c := MustValidConfig(t)
		if got := c.RoleNames(); !slices.Equal(got, []string{"operator", "spokesperson", "scribe", "subject-matter-lead", "shadow"}) {
			t.Errorf("roles %v", got)
		}
		if got := c.TypeNames(); !slices.Equal(got, []string{"general", "security", "data-loss", "third-party"}) {
			t.Errorf("types %v", got)
		}
		if got := c.ContactNames(); !slices.Equal(got, []string{"security", "legal"}) {
			t.Errorf("contacts %v", got)
		}
		for level, want := range map[string]string{"blocked": "critical", "security": "critical", "degraded": "major", "partial": "minor", "nope": ""} {
			if got := c.ImpactSeverity(level); got != want {
				t.Errorf("ImpactSeverity(%s) = %q, want %q", level, got, want)
			}
		}
	})
	t.Run("ImpactFollowsRenamedSeverities", func(t *testing.T) {
		c := MustValidConfig(t)
		c.Incidents.Severities = c.Incidents.Severities[:2]
		c.Incidents.Severities[0].Name, c.Incidents.Severities[1].Name = "sev1", "sev2"
		c.Incidents.DefaultSeverity = "sev2"
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.ImpactSeverity("partial") != "sev2" || c.ImpactSeverity("blocked") != "sev1" {
			t.Errorf("partial %q blocked %q", c.ImpactSeverity("partial"), c.ImpactSeverity("blocked"))
		}
		c.Impact.Degraded.Severity = "SEV1"
		c = c.Normalized()
		if err := c.Validate(); err != nil || c.ImpactSeverity("degraded") != "sev1" {
			t.Errorf("explicit severity: %q, %v", c.ImpactSeverity("degraded"), err)
		}
	})
	cases := []struct {
		name   string
		modify func(c *config.Config)
		want   []string
	}{
		{"RoleBuiltIn", func(c *config.Config) { c.Roles[0].Name = "operator" }, []string{"roles[0].name: \"operator\" is built in"}},
		{"RoleDuplicate", func(c *config.Config) { c.Roles[2].Name = "scribe" }, []string{"roles[2].name: \"scribe\" is already roles[0]"}},
		{"RoleBadName", func(c *config.Config) { c.Roles[1].Name = "Subject Lead" }, []string{"roles[1].name: \"Subject Lead\" is not valid", "subject-lead"}},
		{"RoleNoDescription", func(c *config.Config) { c.Roles[1].Description = "" }, []string{"roles[1].description: missing"}},
		{"TooManyRoles", func(c *config.Config) {
			for i := range 6 {
				c.Roles = append(c.Roles, config.Role{Name: "r" + string(rune('a'+i)), Description: "x"})
			}
		}, []string{"roles: 9 entries, more than the 8 roles the role form can offer"}},
		{"TypeMissingName", func(c *config.Config) { c.Types[3].Name = "" }, []string{"types[3].name: missing"}},
		{"TypeLongName", func(c *config.Config) { c.Types[0].Name = strings.Repeat("a", 41) }, []string{"types[0].name: is 41 characters"}},
		{"ContactBadIDs", func(c *config.Config) {
			c.Playbooks.Contacts[0].Usergroups = []string{"@security"}
			c.Playbooks.Contacts[1].Users = []string{"@counsel"}
		}, []string{"playbooks.contacts[0].usergroups[0]: \"@security\" is not a user group ID", "playbooks.contacts[1].users[0]: \"@counsel\" is not a Slack user ID"}},
		{"ContactDuplicate", func(c *config.Config) { c.Playbooks.Contacts[1].Name = "security" }, []string{"playbooks.contacts[1].name: \"security\" is already playbooks.contacts[0]"}},
		{"ImpactUnknownSeverity", func(c *config.Config) { c.Impact.Degraded.Severity = "sev2" }, []string{"impact.degraded.severity: \"sev2\" is not a severity", "critical, major, minor"}},
		{"ImpactLongResponse", func(c *config.Config) { c.Impact.Partial.Response = strings.Repeat("x", 151) }, []string{"impact.partial.response: is 151 characters"}},
		{"DrillChannelBad", func(c *config.Config) { c.Drill.Channel = "drills" }, []string{"drill.channel: \"drills\" is ambiguous"}},
		{"DrillChannelIsAnnouncement", func(c *config.Config) {
			c.Slack.AnnounceChannels = []string{"#incidents"}
			c.Drill.Channel = "#incidents"
		}, []string{"drill.channel: #incidents is also in slack.announce_channels", "announced as real incidents"}},
		{"DrillChannelIsDigest", func(c *config.Config) {
			c.Digest.Channel = "#ops"
			c.Drill.Channel = "#ops"
		}, []string{"drill.channel: #ops is also digest.channel"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := MustValidConfig(t)
			c.modify(&cfg)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestConfig_NormalizedPlaybooks(t *testing.T) {
	c := config.Default()
	c.Roles[0].Name = " Scribe "
	c.Types[0].Description = " x "
	c.Playbooks.Contacts[0].Users = []string{" U0123ABCD ", ""}
	c.Drill.Channel = " #drills "
	n := c.Normalized()
	if n.Roles[0].Name != "scribe" || n.Types[0].Description != "x" || !slices.Equal(n.Playbooks.Contacts[0].Users, []string{"U0123ABCD"}) || n.Drill.Channel != "#drills" {
		t.Errorf("normalized %+v %+v %+v %q", n.Roles[0], n.Types[0], n.Playbooks.Contacts[0], n.Drill.Channel)
	}
	if c.Roles[0].Name != " Scribe " {
		t.Error("Normalized changed the original's roles")
	}
}
