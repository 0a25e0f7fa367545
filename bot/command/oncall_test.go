package command_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestParse_Oncall(t *testing.T) {
	tests := []struct {
		in   string
		want command.OncallArgs
		user string
	}{
		{"oncall", command.OncallArgs{Action: command.OncallStatus}, ""},
		{"on-call status", command.OncallArgs{Action: command.OncallStatus}, ""},
		{"oc Primary", command.OncallArgs{Action: command.OncallStatus, Rotation: "primary"}, ""},
		{"oncall who secondary", command.OncallArgs{Action: command.OncallStatus, Rotation: "secondary"}, ""},
		{"oncall override", command.OncallArgs{Action: command.OncallOverride, Form: true}, ""},
		{"oncall override primary <@U1|alice> now +8h", command.OncallArgs{Action: command.OncallOverride, Rotation: "primary", From: "now", To: "+8h"}, "U1"},
		{"oncall cover primary <@U1> 2026-03-09 09:00 2026-03-10 18:30", command.OncallArgs{Action: command.OncallOverride, Rotation: "primary", From: "2026-03-09T09:00", To: "2026-03-10T18:30"}, "U1"},
		{"oncall swap primary <@U2>", command.OncallArgs{Action: command.OncallSwap, Rotation: "primary"}, "U2"},
		{"oncall override primary <mailto:Erin@Example.com|Erin@Example.com> now +1h", command.OncallArgs{Action: command.OncallOverride, Rotation: "primary", From: "now", To: "+1h", Email: "erin@example.com"}, ""},
		{"oncall swap primary erin@example.com", command.OncallArgs{Action: command.OncallSwap, Rotation: "primary", Email: "erin@example.com"}, ""},
		{"oncall swap primary <@U2> +7d", command.OncallArgs{Action: command.OncallSwap, Rotation: "primary", From: "+7d"}, "U2"},
		{"oncall swap primary <@U2> now +14d", command.OncallArgs{Action: command.OncallSwap, Rotation: "primary", From: "now", To: "+14d"}, "U2"},
		{"oncall overrides", command.OncallArgs{Action: command.OncallOverrides}, ""},
		{"oncall ls primary", command.OncallArgs{Action: command.OncallOverrides, Rotation: "primary"}, ""},
		{"oncall remove #12", command.OncallArgs{Action: command.OncallRemove, ID: 12}, ""},
		{"oncall rm 3", command.OncallArgs{Action: command.OncallRemove, ID: 3}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cmd, err := command.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if cmd.Kind != command.KindOncall || cmd.Oncall != tt.want || cmd.User != tt.user {
				t.Errorf("Parse(%q) = %+v, user %q; want %+v, user %q", tt.in, cmd.Oncall, cmd.User, tt.want, tt.user)
			}
		})
	}
	errs := []struct{ in, want string }{
		{"42 oncall", "does not take an incident number"},
		{"oncall primary secondary", "Unknown on-call action"},
		{"oncall <@U1>", "is not a rotation"},
		{"oncall override primary", "Say which rotation and who"},
		{"oncall override <@U1> primary now +1h", "Name the rotation first"},
		{"oncall override primary bob now +1h", "is not a person"},
		{"oncall override primary bob@localhost now +1h", "is not a person; mention them with @, or give their email"},
		{"oncall override primary a@b@example.com now +1h", "is not a person"},
		{"oncall swap primary <mailto:erin@example.com|erin@example.com", "is not a person"},
		{"oncall swap primary erin@example.com;bob@example.com", "is not a person"},
		{"oncall swap primary erin@example.", "is not a person"},
		{"oncall override primary <@U1> now", "Say when the cover starts and ends"},
		{"oncall override primary <@U1> now +1h +2h", `Unexpected "+2h"`},
		{"oncall swap primary", "Say which rotation and who"},
		{"oncall remove", "Say which override to remove"},
		{"oncall remove x", `"x" is not an override number`},
		{"oncall remove 0", `"0" is not an override number`},
		{"oncall status a b", "Give one rotation"},
		{"oncall overrides a b", "Give one rotation"},
	}
	for _, tt := range errs {
		t.Run(tt.in, func(t *testing.T) {
			_, err := command.Parse(tt.in)
			if incident.ErrorCode(err) != incident.EINVALID || !strings.Contains(incident.ErrorMessage(err), tt.want) {
				t.Errorf("Parse(%q) = %v, want EINVALID containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestDetail_Oncall(t *testing.T) {
	d := command.Detail(command.KindOncall)
	for _, want := range []string{"oncall override ROTATION @user FROM TO", "oncall swap", "oncall overrides", "oncall remove N"} {
		if !strings.Contains(d, want) {
			t.Errorf("help for oncall lacks %q:\n%s", want, d)
		}
	}
	// The help lists checklist done and undo under checklist, to fit one
	// section; its detail gives them in full.
	if d := command.Detail(command.KindChecklist); !strings.Contains(d, "checklist done N") || !strings.Contains(d, "checklist undo N") {
		t.Errorf("help for checklist lacks done and undo:\n%s", d)
	}
	if command.Detail(command.KindNote) != command.Usage(command.KindNote) {
		t.Error("Detail of note differs from its usage")
	}
}
