package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestLoadConfig_Public loads the statuspage, reports, stakeholders and
// email sections, each problem naming its key.
func TestLoadConfig_Public(t *testing.T) {
	const groups = "stakeholders:\n  groups:\n"
	const email = "email:\n  host: smtp.example.com\n  from: incidents@example.com\n"
	tests := []struct {
		name string
		body string
		env  []string
		want []string // substrings of the error; nil: must load
	}{
		{"OK", "statuspage:\n  listen: 127.0.0.1:8081\n  path: status\n  public_url: https://status.example.com\nreports:\n  listen: 127.0.0.1:8082\n" + email +
			groups + "    - name: execs\n      tier: keep_satisfied\n      severities: [critical]\n      members: [U0123ABCD, S0123ABCD, cto@example.com]\n    - name: support\n      tier: keep_informed\n      channel: C0123ABCD\n", []string{"SMTP_PASSWORD", "s3cret", "INCIDENTBOT_EMAIL_USERNAME", "bot"}, nil},
		{"ErrGroupsNotList", groups[:len(groups)-1] + " execs\n", nil, []string{"stakeholders.groups: expected a list of groups, each with name, tier and members"}},
		{"ErrGroupNotMapping", groups + "    - execs\n", nil, []string{"stakeholders.groups[0]: not a mapping"}},
		{"ErrGroupUnknownKey", groups + "    - name: execs\n      tier: monitor\n      member: [U0123ABCD]\n", nil, []string{`stakeholders.groups[0].member: unknown key (did you mean "stakeholders.groups[0].members"?`}},
		{"ErrGroupBad", groups + "    - name: Execs\n      tier: vip\n      members: [alice, bob@nowhere]\n      severities: [sev9]\n      channel: C0123ABCD\n", nil, []string{
			`stakeholders.groups[0].name: "Execs" is not valid`, `stakeholders.groups[0].tier: "vip" is not a tier (use one of: manage_closely, keep_satisfied, keep_informed, monitor)`,
			`stakeholders.groups[0].members[0]: "alice" is neither`, `stakeholders.groups[0].members[1]: "bob@nowhere" is not an email address`,
			`stakeholders.groups[0].severities[0]: "sev9" is not a severity`, "stakeholders.groups[0].channel: only keep_informed groups get a channel"}},
		{"ErrEmailWithoutServer", groups + "    - name: execs\n      tier: monitor\n      members: [cto@example.com]\n", nil, []string{`members[0]: "cto@example.com" is an email address, but email.host is not set`}},
		{"ErrDuplicateGroup", groups + "    - {name: a, tier: monitor, members: [U0123ABCD]}\n    - {name: a, tier: monitor, members: [U0123ABCD]}\n", nil, []string{`stakeholders.groups[1].name: "a" is already used by stakeholders.groups[0]`}},
		{"ErrGroupsInEnv", "", []string{"INCIDENTBOT_STAKEHOLDERS_GROUPS", "x"}, []string{"INCIDENTBOT_STAKEHOLDERS_GROUPS: stakeholders.groups cannot be set in the environment"}},
		{"ErrPasswordInFile", "email:\n  password: hunter2\n", nil, []string{"email.password: set in the config file", "SMTP_PASSWORD"}},
		{"ErrEmail", "email:\n  host: smtp.example.com\n  port: 99999\n  security: ssl\n", nil, []string{`email.port: "99999" is not a port`, `email.security: "ssl" is not a mode`, "email.from: missing"}},
		{"ErrEmailClearText", "email:\n  host: smtp.example.com\n  security: none\n  from: a@example.com\n", nil, []string{"email.security: none sends the password and the mail in clear"}},
		{"ErrStatusPage", "http:\n  listen: 127.0.0.1:8080\nstatuspage:\n  listen: 127.0.0.1:8080\n  public_url: status.example.com\n  publish_by_default: [sev9]\n", nil, []string{
			`statuspage.listen: "127.0.0.1:8080" is also the address of http.listen`, `statuspage.public_url: "status.example.com/" is not an absolute`, `statuspage.publish_by_default[0]: "sev9" is not a severity`}},
		{"ErrReports", "reports:\n  listen: nowhere\n  path: a b\n", nil, []string{`reports.listen: "nowhere" is not host:port`, `reports.path: "/a b/" is not a path`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := MustWriteConfig(t, tt.body)
			cfg, err := LoadConfig(context.Background(), path, TokenEnv(tt.env...))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Email.Password != "s3cret" || cfg.Email.Username != "bot" || cfg.StatusPage.Path != "/status/" || len(cfg.Stakeholders.Groups) != 2 || cfg.Stakeholders.Groups[0].Members[2] != "cto@example.com" {
					t.Errorf("loaded %+v", cfg)
				}
				AssertNoSecret(t, fmt.Sprint(cfg))
				if strings.Contains(fmt.Sprint(cfg), "s3cret") {
					t.Error("the SMTP password shows when the config is printed")
				}
				return
			}
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
