package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
)

func TestConfig_Oncall(t *testing.T) {
	valid := func(tb testing.TB) config.Config {
		c := MustValidConfig(tb)
		c.Oncall.Rotations = []config.Rotation{
			{Name: "primary", Members: []string{"U0ALICE01", "bob@example.com", "U0CAROL01"}, Start: "2026-01-05", HandoffTime: "09:00", TimeZone: "Europe/Berlin"},
			{Name: "secondary", Members: []string{"U0DAN0001", "U0ERIN001"}, Start: "2026-01-05", HandoffTime: "09:00"},
		}
		c.Oncall.Escalation = []config.EscalationLevel{{Rotation: "secondary"}, {Usergroup: "S0SRE0001", AckTimeout: 10 * time.Minute}}
		c.Oncall.FeedToken = "0123456789abcdef-_XYZ"
		return c
	}
	t.Run("OK", func(t *testing.T) {
		c := valid(t)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.OperatorRotation() != "primary" {
			t.Errorf("operator rotation %q, want the first", c.OperatorRotation())
		}
		c.Oncall.OperatorRotation = config.NoOperatorRotation
		if err := c.Validate(); err != nil || c.OperatorRotation() != "" {
			t.Errorf("none: %q, %v", c.OperatorRotation(), err)
		}
		// A rotation without a zone takes the top-level one.
		c.Timezone = "America/New_York"
		rots, _ := c.OncallRotations()
		if rots[1].Loc().String() != "America/New_York" || rots[0].Loc().String() != "Europe/Berlin" {
			t.Errorf("zones %s, %s", rots[0].Loc(), rots[1].Loc())
		}
	})
	t.Run("Warnings", func(t *testing.T) {
		w := valid(t).Warnings()
		if len(w) != 1 || !strings.HasPrefix(w[0], "oncall.rotations[1].members: only 2 member(s)") {
			t.Errorf("warnings = %q", w)
		}
		if w := config.Default().Warnings(); len(w) != 0 {
			t.Errorf("defaults warn: %q", w)
		}
	})
	tests := []struct {
		name   string
		modify func(c *config.Config)
		want   string
	}{
		{"ErrDuplicateName", func(c *config.Config) { c.Oncall.Rotations[1].Name = "primary" }, `oncall.rotations[1].name: "primary" is already the name of oncall.rotations[0]`},
		{"ErrOperatorRotation", func(c *config.Config) { c.Oncall.OperatorRotation = "db" }, `oncall.operator_rotation: "db" is not a rotation (use one of: primary, secondary, or "none"`},
		{"ErrOperatorWithoutRotations", func(c *config.Config) {
			c.Oncall.Rotations, c.Oncall.Escalation, c.Oncall.OperatorRotation = nil, nil, "db"
		}, "oncall.operator_rotation: \"db\" names a rotation, but oncall.rotations is empty"},
		{"ErrAckTimeout", func(c *config.Config) { c.Oncall.AckTimeout = 48 * time.Hour }, "oncall.ack_timeout: 48h is out of range"},
		{"ErrLevelTimeout", func(c *config.Config) { c.Oncall.Escalation[1].AckTimeout = time.Second }, "oncall.escalation[1].ack_timeout: 1s is out of range"},
		{"ErrLevelGroup", func(c *config.Config) { c.Oncall.Escalation[1].Usergroup = "sre" }, `oncall.escalation[1].usergroup: "sre" is not a user group ID`},
		{"ErrOverdueAfter", func(c *config.Config) { c.Oncall.Handoff.OverdueAfter = 0 }, "oncall.handoff.overdue_after: must be greater than 0"},
		{"ErrEscalateToUser", func(c *config.Config) { c.Oncall.Handoff.EscalateTo.Users = []string{"@bob"} }, `oncall.handoff.escalate_to.users[0]: "@bob" is not a Slack user ID`},
		{"ErrFeedTokenChars", func(c *config.Config) { c.Oncall.FeedToken = "0123456789abcdef&x=1" }, "oncall.feed_token: contains characters that need escaping"},
		{"ErrMemberEmail", func(c *config.Config) { c.Oncall.Rotations[0].Members[1] = "bob@" }, `oncall.rotations[0].members[1]: "bob@" is neither a Slack user ID nor an email`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid(t)
			tt.modify(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("Redacted", func(t *testing.T) {
		if s := valid(t).String(); strings.Contains(s, "0123456789abcdef") {
			t.Errorf("the feed token shows: %s", s)
		}
	})
}
