package command_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/command"
)

func TestParse_Playbooks(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want command.Command
	}{
		{"declare --type security --users blocked --loss 5k Leaked keys", command.Command{Kind: command.KindDeclare, Title: "Leaked keys", Type: "security", Experience: "blocked", Loss: 5000, LossSet: true}},
		{"declare --type=Third-Party --users=slow --loss=$12,500/h Provider down", command.Command{Kind: command.KindDeclare, Title: "Provider down", Type: "third-party", Experience: "slow", Loss: 12500, LossSet: true}},
		{"declare --loss 2.5m --sev minor x", command.Command{Kind: command.KindDeclare, Title: "x", Severity: "minor", Loss: 2500000, LossSet: true}},
		{"declare --loss 0 x", command.Command{Kind: command.KindDeclare, Title: "x", LossSet: true}},
		{"impact EU logins fail", command.Command{Kind: command.KindImpact, Text: "EU logins fail"}},
		{"impact --users degraded --loss 5000 EU logins slow", command.Command{Kind: command.KindImpact, Text: "EU logins slow", Experience: "degraded", Loss: 5000, LossSet: true}},
		{"impact --security", command.Command{Kind: command.KindImpact, Security: true, SecuritySet: true}},
		{"impact --no-security --loss=1k", command.Command{Kind: command.KindImpact, SecuritySet: true, Loss: 1000, LossSet: true}},
		{"resolve", command.Command{Kind: command.KindResolve}},
		{"resolve --anyway rolled back", command.Command{Kind: command.KindResolve, Anyway: true, Text: "rolled back"}},
		{"resolve -y", command.Command{Kind: command.KindResolve, Anyway: true}},
		{"resolve rolled back --anyway", command.Command{Kind: command.KindResolve, Text: "rolled back --anyway"}},
		{"drill", command.Command{Kind: command.KindDrill}},
		{"practice Payments down", command.Command{Kind: command.KindDrill, Title: "Payments down"}},
		{"drill --playbook Third-Party Payments provider down", command.Command{Kind: command.KindDrill, Playbook: "third-party", Title: "Payments provider down"}},
		{"drill --pb=security", command.Command{Kind: command.KindDrill, Playbook: "security"}},
		{"drill -- --playbook x", command.Command{Kind: command.KindDrill, Title: "--playbook x"}},
		{"checklist", command.Command{Kind: command.KindChecklist}},
		{"cl", command.Command{Kind: command.KindChecklist}},
		{"checklist done 3", command.Command{Kind: command.KindStepDone, Step: 3}},
		{"42 checklist undo #2", command.Command{Kind: command.KindStepUndo, Incident: 42, Step: 2}},
		{"role shadow <@U1|bob>", command.Command{Kind: command.KindRole, Role: "shadow", User: "U1"}},
		{"role subject-matter-lead <@U1> --remove", command.Command{Kind: command.KindRole, Role: "subject-matter-lead", User: "U1", Remove: true}},
		{"help checklist done", command.Command{Kind: command.KindHelp, Help: command.KindStepDone}},
		{"help drill", command.Command{Kind: command.KindHelp, Help: command.KindDrill}},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := command.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParse_PlaybooksErrors(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"declare --loss -5 x", []string{"negative", "`/incident declare"}},
		{"declare --loss=-5k x", []string{"negative"}},
		{"declare --loss 5000000000 x", []string{"beyond any real estimate", "5,000,000,000"}},
		{"declare --loss lots x", []string{`"lots" is not an amount of money per hour`, "5k"}},
		{"declare --loss", []string{`"--loss" needs a value`}},
		{"declare --users meh x", []string{`"meh" is not what users experience`, "blocked"}},
		{"declare --type Bad! x", []string{`"Bad!" is not an incident type`}},
		{"impact", []string{"Missing text"}},
		{"impact --loss -1", []string{"negative", "`/incident impact"}},
		{"impact --users", []string{`"--users" needs a value`}},
		{"impact --security=yes", []string{"--security takes no value"}},
		{"impact --everything", []string{`Unknown flag "--everything"`}},
		{"resolve --anyway=1", []string{`Unknown flag "--anyway"`}},
		{"resolve --force", []string{`Unknown flag "--force"`}},
		{"42 drill x", []string{"does not take an incident number"}},
		{"drill --playbook", []string{`"--playbook" needs a value`}},
		{"drill --playbook Not/A/Name x", []string{"is not a playbook name"}},
		{"drill --private x", []string{`Unknown flag "--private" for drill`}},
		{"checklist nope", []string{"takes done N or undo N", `"nope"`}},
		{"checklist done", []string{"Missing the step number"}},
		{"checklist done 0", []string{`"0" is not a step number`}},
		{"checklist undo x", []string{`"x" is not a step number`}},
		{"checklist done 1 2", []string{`Unexpected "2"`}},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := command.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.in, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) error\n%v\ndoes not contain %q", tt.in, err, w)
				}
			}
			if strings.ContainsAny(err.Error(), "<>") {
				t.Errorf("Parse(%q) error could ping: %v", tt.in, err)
			}
		})
	}
	if help := command.HelpText(); len(help) > 3000 {
		t.Errorf("the help is %d characters, more than a section holds", len(help))
	}
}
