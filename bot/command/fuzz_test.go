package command_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
)

// FuzzParse checks that Parse never panics, that its errors are user-facing
// EINVALID errors that cannot ping, and that parsed commands hold their
// invariants. Run it with
//
//	go test -run '^$' -fuzz FuzzParse -fuzztime 60s ./bot/command/
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", " ", "declare", "declare --sev critical --private DB down", "declare -- --sev",
		"declare —sev major DB", "declare --sev", "declare --sev=", "--sev x",
		"42 sev major", "#42 sev major", "#-1 sev", "42 43 sev", "99999999999999999999 note x",
		"sev", "sevv", "status monitoring", "st", "role operator <@U1|alice> --force",
		"role <@U1> ic", "role @bob spokes", "role <#C1|x> op", "role <!here> op",
		"accept", "update", "update --next 30m --status monitoring DB back",
		"update DB back --next=1h", "update --next 30x", "update --next 10081",
		"update x --status", "update x --next", "note <!channel> &amp; &lt;b&gt;",
		"timeline", "list", "resolve fixed it", "close", "help update", "help task done", "?",
		"cause x", "impact  y ", "task fix it <@U1>", "task done 1", "done #2", "task reopen -3",
		"tasks", "postmortem", "snooze", "\xff\xfe", "note \x00", "—", "--", "-", "#", "@", "<@>",
		"task \u00a0x\u2003<@U1>", "update\u2028text\u2029--next 5", strings.Repeat("sev ", 50),
		"subscribe #4 --tier closely", "42 unsubscribe all", "subscribe --tier=", "update --internal x --public", "summary",
		"declare --type security --users blocked --loss 5k --security Leak", "declare --loss=-5 x", "declare --loss 1e9 x",
		"declare --users meh x", "declare --type Bad! x", "impact --users degraded --loss $12,500/h EU slow", "impact --no-security",
		"impact --loss", "impact --loss 2.5m", "resolve --anyway fixed", "resolve -y", "resolve --anyway=1",
		"drill", "drill --playbook third-party Payments down", "drill --pb", "drill -- --playbook x", "42 drill",
		"checklist", "checklist done 3", "checklist undo #2", "checklist done 0", "checklist done 1 2", "checklist nope",
		"help checklist done", "role shadow <@U1> --remove", "role subject-matter-lead @bob",
		"service payments", "svc", "cause --category change --deploy v1.2 bad plan", "cause -c", "cause --deploy=<x>",
		"declare --service checkout Checkout down", "stats", "stats --since 12w --service payments", "stats --since 99999d", "stats --drills", "stats --drills --chart",
		"oncall", "oc primary", "oncall override", "oncall override primary <@U1|a> now +8h",
		"oncall override primary @bob 2026-03-09 09:00 2026-03-10 09:00", "oncall swap primary <@U2>",
		"oncall swap primary <@U2> +7d", "oncall remove #3", "oncall remove 0", "oncall overrides primary",
		"oncall primary extra", "42 oncall", "oncall override <@U1> primary now +1h",
		"oncall swap primary <mailto:Erin@Example.com|Erin@Example.com>", "oncall override primary a@b.co now +1h",
		"oncall swap primary a@b@c.d", "oncall swap primary <mailto:a@b.c", "oncall swap primary <mailto:x|a@b.c>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cmd, err := command.Parse(in)
		if err != nil {
			var e *incident.Error
			if !errors.As(err, &e) || e.Code != incident.EINVALID || e.Message == "" {
				t.Fatalf("Parse(%q) error %#v, want a non-empty EINVALID *incident.Error", in, err)
			}
			if strings.ContainsAny(e.Message, "<>") {
				t.Fatalf("Parse(%q) message could ping: %q", in, e.Message)
			}
			if cmd != (command.Command{}) {
				t.Fatalf("Parse(%q) returned %+v with an error", in, cmd)
			}
			return
		}
		if cmd.Kind == "" || !strings.HasPrefix(command.Usage(cmd.Kind), "`/incident") {
			t.Fatalf("Parse(%q) kind %q", in, cmd.Kind)
		}
		if cmd.Incident < 0 {
			t.Fatalf("Parse(%q) incident %d", in, cmd.Incident)
		}
		if cmd.Text != strings.TrimSpace(cmd.Text) || !strings.Contains(in, cmd.Text) {
			t.Fatalf("Parse(%q) text %q is not a trimmed part of the input", in, cmd.Text)
		}
		if cmd.Title != strings.TrimSpace(cmd.Title) || len(cmd.Title) > len(in) || strings.Contains(cmd.Title, "  ") {
			t.Fatalf("Parse(%q) title %q", in, cmd.Title)
		}
		if cmd.Title != "" && cmd.Kind != command.KindDeclare && cmd.Kind != command.KindDrill {
			t.Fatalf("Parse(%q) title on %q", in, cmd.Kind)
		}
		if cmd.Next != 0 && (cmd.Kind != command.KindUpdate || cmd.Next < time.Minute || cmd.Next > incident.MaxNextUpdate) {
			t.Fatalf("Parse(%q) next %v on %q", in, cmd.Next, cmd.Kind)
		}
		isTaskNum := cmd.Kind == command.KindTaskDone || cmd.Kind == command.KindTaskReopen
		if (cmd.TaskID > 0) != isTaskNum || cmd.TaskID < 0 {
			t.Fatalf("Parse(%q) task %d on %q", in, cmd.TaskID, cmd.Kind)
		}
		if cmd.User != "" && cmd.UserName != "" {
			t.Fatalf("Parse(%q) has both User and UserName", in)
		}
		if e := cmd.Oncall.Email; e != "" {
			act := cmd.Oncall.Action
			if cmd.Kind != command.KindOncall || act != command.OncallOverride && act != command.OncallSwap ||
				cmd.User != "" || cmd.UserName != "" || e != strings.ToLower(e) || strings.Count(e, "@") != 1 ||
				strings.ContainsAny(e, " <>|&\n") {
				t.Fatalf("Parse(%q) email %q on %q %q (user %q/%q)", in, e, cmd.Kind, act, cmd.User, cmd.UserName)
			}
		}
		if (cmd.Role != "") != (cmd.Kind == command.KindRole) {
			t.Fatalf("Parse(%q) role %q on %q", in, cmd.Role, cmd.Kind)
		}
		if cmd.Kind == command.KindRole {
			if cmd.Role == "" || strings.ContainsAny(cmd.Role, "<>&@ ") || cmd.User == "" && cmd.UserName == "" {
				t.Fatalf("Parse(%q) role %q user %q/%q", in, cmd.Role, cmd.User, cmd.UserName)
			}
		}
		if cmd.Status != "" {
			if _, err := incident.ParseStatus(cmd.Status); err != nil {
				t.Fatalf("Parse(%q) status %q", in, cmd.Status)
			}
		}
		if cmd.LossSet && incident.CheckLoss(cmd.Loss) != nil || !cmd.LossSet && cmd.Loss != 0 {
			t.Fatalf("Parse(%q) loss %d", in, cmd.Loss)
		}
		if cmd.Experience != "" {
			if _, err := incident.ParseExperience(cmd.Experience); err != nil {
				t.Fatalf("Parse(%q) experience %q", in, cmd.Experience)
			}
		}
		if (cmd.Step > 0) != (cmd.Kind == command.KindStepDone || cmd.Kind == command.KindStepUndo) {
			t.Fatalf("Parse(%q) step %d on %q", in, cmd.Step, cmd.Kind)
		}
		if cmd.Playbook != "" && (cmd.Kind != command.KindDrill || strings.ContainsAny(cmd.Playbook, "<>&@ ")) {
			t.Fatalf("Parse(%q) playbook %q on %q", in, cmd.Playbook, cmd.Kind)
		}
		if cmd.Severity != "" && (!utf8.ValidString(cmd.Severity) || strings.ContainsAny(cmd.Severity, "<>&@ ")) {
			t.Fatalf("Parse(%q) severity %q", in, cmd.Severity)
		}
		if again, err := command.Parse(in); err != nil || again != cmd {
			t.Fatalf("Parse(%q) is not deterministic", in)
		}
	})
}
