package command_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want command.Command
	}{
		// declare
		{"", command.Command{Kind: command.KindDeclare}},
		{"   \t ", command.Command{Kind: command.KindDeclare}},
		{"declare", command.Command{Kind: command.KindDeclare}},
		{"DECLARE", command.Command{Kind: command.KindDeclare}},
		{"declare DB down", command.Command{Kind: command.KindDeclare, Title: "DB down"}},
		{"new  DB \t down ", command.Command{Kind: command.KindDeclare, Title: "DB down"}},
		{"open DB down", command.Command{Kind: command.KindDeclare, Title: "DB down"}},
		{"start DB down", command.Command{Kind: command.KindDeclare, Title: "DB down"}},
		{"create DB down", command.Command{Kind: command.KindDeclare, Title: "DB down"}},
		{"declare --sev critical DB down", command.Command{Kind: command.KindDeclare, Title: "DB down", Severity: "critical"}},
		{"declare --severity critical DB down", command.Command{Kind: command.KindDeclare, Title: "DB down", Severity: "critical"}},
		{"declare --sev=critical DB down", command.Command{Kind: command.KindDeclare, Title: "DB down", Severity: "critical"}},
		{"declare -s critical DB down", command.Command{Kind: command.KindDeclare, Title: "DB down", Severity: "critical"}},
		{"declare DB --SEV critical down", command.Command{Kind: command.KindDeclare, Title: "DB down", Severity: "critical"}},
		{"declare DB down --private", command.Command{Kind: command.KindDeclare, Title: "DB down", Private: true}},
		{"declare --security DB down", command.Command{Kind: command.KindDeclare, Title: "DB down", Private: true, Security: true, SecuritySet: true}},
		{"declare —sev major —private DB down", command.Command{Kind: command.KindDeclare, Title: "DB down", Severity: "major", Private: true}},
		{"declare --sev major", command.Command{Kind: command.KindDeclare, Severity: "major"}},
		{"declare --sev major -- --private is a title", command.Command{Kind: command.KindDeclare, Severity: "major", Title: "--private is a title"}},
		{"declare Checkout — 500s – EU", command.Command{Kind: command.KindDeclare, Title: "Checkout — 500s – EU"}},
		{"declare 500s &amp; timeouts -5%", command.Command{Kind: command.KindDeclare, Title: "500s &amp; timeouts -5%"}},

		// severity
		{"sev major", command.Command{Kind: command.KindSeverity, Severity: "major"}},
		{"SEVERITY Critical", command.Command{Kind: command.KindSeverity, Severity: "Critical"}},
		{"42 sev major", command.Command{Kind: command.KindSeverity, Severity: "major", Incident: 42}},
		{"#42 sev major", command.Command{Kind: command.KindSeverity, Severity: "major", Incident: 42}},
		{"sev sev-1", command.Command{Kind: command.KindSeverity, Severity: "sev-1"}},

		// status
		{"status monitoring", command.Command{Kind: command.KindStatus, Status: "monitoring"}},
		{"st mitigated", command.Command{Kind: command.KindStatus, Status: "mitigated"}},
		{"status resolved", command.Command{Kind: command.KindStatus, Status: "resolved"}},
		{"#7 status identified", command.Command{Kind: command.KindStatus, Status: "identified", Incident: 7}},

		// role
		{"role operator <@U123|alice>", command.Command{Kind: command.KindRole, Role: "operator", User: "U123"}},
		{"role spokesperson <@U123>", command.Command{Kind: command.KindRole, Role: "spokesperson", User: "U123"}},
		{"assign comms <@W9>", command.Command{Kind: command.KindRole, Role: "comms", User: "W9"}},
		{"role <@U123> IC", command.Command{Kind: command.KindRole, Role: "IC", User: "U123"}},
		{"role operator <@U123> --force", command.Command{Kind: command.KindRole, Role: "operator", User: "U123", Force: true}},
		{"role -f operator <@U123>", command.Command{Kind: command.KindRole, Role: "operator", User: "U123", Force: true}},
		{"role operator @alice", command.Command{Kind: command.KindRole, Role: "operator", UserName: "alice"}},
		{"3 role operator @alice.b", command.Command{Kind: command.KindRole, Role: "operator", UserName: "alice.b", Incident: 3}},

		// accept, timeline, list, close, tasks, postmortem, snooze
		{"accept", command.Command{Kind: command.KindAccept}},
		{"timeline", command.Command{Kind: command.KindTimeline}},
		{"TL", command.Command{Kind: command.KindTimeline}},
		{"list", command.Command{Kind: command.KindList}},
		{"ls", command.Command{Kind: command.KindList}},
		{"close", command.Command{Kind: command.KindClose}},
		{"closed", command.Command{Kind: command.KindClose}},
		{"tasks", command.Command{Kind: command.KindTasks}},
		{"todos", command.Command{Kind: command.KindTasks}},
		{"actions", command.Command{Kind: command.KindTasks}},
		{"task list", command.Command{Kind: command.KindTasks}},
		{"postmortem", command.Command{Kind: command.KindPostmortem}},
		{"pm", command.Command{Kind: command.KindPostmortem}},
		{"report", command.Command{Kind: command.KindPostmortem}},
		{"snooze", command.Command{Kind: command.KindSnooze}},
		{"9 snooze", command.Command{Kind: command.KindSnooze, Incident: 9}},

		// update
		{"update", command.Command{Kind: command.KindUpdate}},
		{"up --next 45", command.Command{Kind: command.KindUpdate, Next: 45 * time.Minute}},
		{"update DB is back", command.Command{Kind: command.KindUpdate, Text: "DB is back"}},
		{"update --next 30m DB is back", command.Command{Kind: command.KindUpdate, Text: "DB is back", Next: 30 * time.Minute}},
		{"update --next=1h30m DB is back", command.Command{Kind: command.KindUpdate, Text: "DB is back", Next: 90 * time.Minute}},
		{"update --next 1h --status monitoring DB is back", command.Command{Kind: command.KindUpdate, Text: "DB is back", Next: time.Hour, Status: "monitoring"}},
		{"update --status=identified bad config", command.Command{Kind: command.KindUpdate, Text: "bad config", Status: "identified"}},
		{"update DB is back --next 2h", command.Command{Kind: command.KindUpdate, Text: "DB is back", Next: 2 * time.Hour}},
		{"update DB is back --status monitoring --next=10", command.Command{Kind: command.KindUpdate, Text: "DB is back", Next: 10 * time.Minute, Status: "monitoring"}},
		{"update ran kubectl --force --next 5m", command.Command{Kind: command.KindUpdate, Text: "ran kubectl --force", Next: 5 * time.Minute}},
		{"update tried --next 5m then  \n rolled back", command.Command{Kind: command.KindUpdate, Text: "tried --next 5m then  \n rolled back"}},
		{"update  a &lt;b&gt; &amp; <@U1>  ", command.Command{Kind: command.KindUpdate, Text: "a &lt;b&gt; &amp; <@U1>"}},

		// note, cause, impact, resolve
		{"note rolled back  deploy\n1234", command.Command{Kind: command.KindNote, Text: "rolled back  deploy\n1234"}},
		{"log x", command.Command{Kind: command.KindNote, Text: "x"}},
		{"5 note x", command.Command{Kind: command.KindNote, Text: "x", Incident: 5}},
		{"cause expired cert", command.Command{Kind: command.KindCause, Text: "expired cert"}},
		{"rootcause expired cert", command.Command{Kind: command.KindCause, Text: "expired cert"}},
		{"root-cause expired cert", command.Command{Kind: command.KindCause, Text: "expired cert"}},
		{"impact EU can't log in", command.Command{Kind: command.KindImpact, Text: "EU can't log in"}},
		{"resolve", command.Command{Kind: command.KindResolve}},
		{"resolved rolled back", command.Command{Kind: command.KindResolve, Text: "rolled back"}},
		{"fixed  rolled back ", command.Command{Kind: command.KindResolve, Text: "rolled back"}},

		// tasks
		{"task add an alert", command.Command{Kind: command.KindTask, Text: "add an alert"}},
		{"todo add an alert <@U1|al>", command.Command{Kind: command.KindTask, Text: "add an alert", User: "U1"}},
		{"action ask <@U2> about it @bob", command.Command{Kind: command.KindTask, Text: "ask <@U2> about it", UserName: "bob"}},
		{"task ping @channel", command.Command{Kind: command.KindTask, Text: "ping @channel"}},
		{"task <@U1>", command.Command{Kind: command.KindTask, Text: "<@U1>"}},
		{"task done 3", command.Command{Kind: command.KindTaskDone, TaskID: 3}},
		{"task DONE #3", command.Command{Kind: command.KindTaskDone, TaskID: 3}},
		{"done 3", command.Command{Kind: command.KindTaskDone, TaskID: 3}},
		{"task reopen 2", command.Command{Kind: command.KindTaskReopen, TaskID: 2}},
		{"#4 task done 1", command.Command{Kind: command.KindTaskDone, TaskID: 1, Incident: 4}},

		// help
		{"help", command.Command{Kind: command.KindHelp}},
		{"-h", command.Command{Kind: command.KindHelp}},
		{"--help", command.Command{Kind: command.KindHelp}},
		{"?", command.Command{Kind: command.KindHelp}},
		{"h", command.Command{Kind: command.KindHelp}},
		{"help update", command.Command{Kind: command.KindHelp, Help: command.KindUpdate}},
		{"help sev", command.Command{Kind: command.KindHelp, Help: command.KindSeverity}},
		{"help todos", command.Command{Kind: command.KindHelp, Help: command.KindTasks}},
		{"help task done", command.Command{Kind: command.KindHelp, Help: command.KindTaskDone}},
		{"help task reopen", command.Command{Kind: command.KindHelp, Help: command.KindTaskReopen}},
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

func TestParse_Errors(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []string // substrings of the message
	}{
		{"UnknownSubcommand", "sevv major", []string{`Unknown subcommand "sevv"`, `Did you mean "sev"?`, "`/incident help`"}},
		{"UnknownSubcommandStatus", "stauts monitoring", []string{`Did you mean "status"?`}},
		{"UnknownSubcommandNoSuggestion", "database is down", []string{`Unknown subcommand "database"`, "`/incident declare TITLE`"}},
		{"UnknownSubcommandAfterNumber", "42 timelin", []string{`Did you mean "timeline"?`}},
		{"UnknownSubcommandEscaped", "<!channel> hello", []string{`"&lt;!channel&gt;"`}},
		{"UnknownSubcommandTruncated", strings.Repeat("x", 150), []string{strings.Repeat("x", 100) + "…\""}},
		{"MissingSeverity", "sev", []string{"Missing severity", "`/incident sev LEVEL`"}},
		{"SeverityTwoWords", "sev very bad", []string{`Unexpected "bad"`, "`/incident sev LEVEL`"}},
		{"SeverityNumberAfter", "sev 42 major", []string{`Unexpected "major"`, "put its number first"}},
		{"SeverityNotAWord", "sev <!here>", []string{`"&lt;!here&gt;" is not a severity level`}},
		{"MissingStatus", "status", []string{"Missing status", "`/incident status STATUS`"}},
		{"UnknownStatus", "status bored", []string{`"bored" is not a status`}},
		{"DeclareUnknownFlag", "declare --foo DB down", []string{`Unknown flag "--foo" for declare`, "`/incident declare"}},
		{"DeclareUnknownFlagValue", "declare --foo=1 DB down", []string{`Unknown flag "--foo" for declare`}},
		{"DeclareFlagWithoutValue", "declare DB down --sev", []string{`"--sev" needs a value`}},
		{"DeclareFlagThenFlag", "declare --sev --private DB", []string{`"--sev" needs a value`}},
		{"UpdateFlagThenFlag", "update --next --status monitoring DB", []string{`"--next" needs a value`}},
		{"SeverityDash", "sev -1", []string{`"-1" is not a severity level`}},
		{"DeclarePrivateWithValue", "declare --private=yes DB", []string{"--private takes no value"}},
		{"DeclareBadSeverity", "declare --sev <@U1> DB", []string{`"&lt;@U1&gt;" is not a severity level`}},
		{"DeclareWithNumber", "42 declare DB", []string{"does not take an incident number"}},
		{"ListWithNumber", "42 list", []string{"does not take an incident number"}},
		{"RoleNothing", "role", []string{"Say which role and who", "`/incident role"}},
		{"RoleWithoutUser", "role operator", []string{"Say who should be the operator", "`/incident role operator @alice`"}},
		{"RoleWithoutUserUnknown", "role bo$$", []string{"Say who should take the role"}},
		{"RoleWithoutRole", "role <@U1>", []string{"Say which role"}},
		{"RoleUnknownWord", "role bo$$ <@U1>", []string{`"bo$$" is not a role`, "`/incident role"}},
		{"RoleTwoUsers", "role operator <@U1> <@U2>", []string{"Give one person, not 2"}},
		{"RoleTwoWords", "role operator now <@U1>", []string{`Unexpected "now"`}},
		{"RoleChannel", "role operator <#C1|general>", []string{`"&lt;#C1|general&gt;" is not a person`}},
		{"RoleBroadcast", "role operator <!here>", []string{`"&lt;!here&gt;" is not a person`}},
		{"RolePlainBroadcast", "role operator @channel", []string{`"@channel" is not a person`}},
		{"RoleUnknownFlag", "role operator <@U1> --now", []string{`Unknown flag "--now" for role`}},
		{"UpdateBadDuration", "update --next 30x DB back", []string{`"30x" is not a duration`, "`/incident update"}},
		{"UpdateDays", "update --next 7d DB back", []string{`"7d" is not a duration`}},
		{"UpdateTooShort", "update --next 30s DB back", []string{"between 1 minute and 7 days", `"30s"`}},
		{"UpdateZero", "update --next 0 DB back", []string{"between 1 minute and 7 days"}},
		{"UpdateNegative", "update --next -5m DB back", []string{"between 1 minute and 7 days"}},
		{"UpdateTooLong", "update --next 169h DB back", []string{"between 1 minute and 7 days"}},
		{"UpdateTooManyMinutes", "update --next 99999999999999999999 DB back", []string{"between 1 minute and 7 days"}},
		{"UpdateFlagWithoutValue", "update --next", []string{`"--next" needs a value (DURATION)`}},
		{"UpdateStatusWithoutValue", "update --status", []string{`"--status" needs a value (STATUS)`}},
		{"UpdateBadStatus", "update --status done DB back", []string{`"done" is not a status`}},
		{"UpdateResolve", "update --status resolved all good", []string{"cannot resolve or close", "`/incident resolve`"}},
		{"UpdateUnknownFlag", "update --foo x", []string{`Unknown flag "--foo" for update`}},
		{"UpdateTrailingBadDuration", "update DB back --next soon", []string{`"soon" is not a duration`}},
		{"NoteEmpty", "note", []string{"Missing text", "`/incident note TEXT`"}},
		{"CauseUnknownCategory", "cause --category weather", []string{`"weather" is not a cause category`, "`/incident cause [--category CATEGORY]"}},
		{"ImpactEmpty", "impact", []string{"Missing text", "`/incident impact [--users"}},
		{"TaskEmpty", "task", []string{"Missing the action item's text"}},
		{"TaskDoneWithoutNumber", "task done", []string{"Missing the action item number", "`/incident task done N`"}},
		{"DoneWithoutNumber", "done", []string{"Missing the action item number"}},
		{"TaskDoneNotNumber", "task done cleanup", []string{`"cleanup" is not an action item number`}},
		{"TaskDoneZero", "task done 0", []string{"start at 1"}},
		{"TaskDoneNegative", "task done -2", []string{"start at 1", `"-2"`}},
		{"TaskDoneOverflow", "task done 99999999999999999999999", []string{"is not an action item number"}},
		{"TaskDoneTwo", "task done 1 2", []string{`Unexpected "2"`}},
		{"TaskReopenWithoutNumber", "task reopen", []string{"`/incident task reopen N`"}},
		{"TwoNumbers", "42 43 sev major", []string{"Give one incident number, not two (#42 and 43)"}},
		{"NegativeNumber", "-42 sev major", []string{"Incident numbers are positive", `"-42"`}},
		{"NegativeHashNumber", "#-42 sev major", []string{"Incident numbers are positive"}},
		{"ZeroNumber", "#0 sev major", []string{`"#0" is not an incident number`}},
		{"HugeNumber", "99999999999999999999 sev major", []string{"is not an incident number"}},
		{"NumberOnly", "42", []string{"Say what to do with incident #42"}},
		{"TimelineArgs", "timeline <!everyone>", []string{"takes only --page N", `"&lt;!everyone&gt;"`}},
		{"PageZero", "timeline --page 0", []string{"--page must be a page number from 1 to 10000"}},
		{"PageWord", "list --page two", []string{"--page must be a page number", `"two"`}},
		{"PageMissing", "tasks --page", []string{`"--page" needs a value`}},
		{"PageExtra", "timeline --page 2 3", []string{"takes only --page N", `"3"`}},
		{"PageUnknownFlag", "timeline --all", []string{"Unknown flag"}},
		{"AcceptArgs", "accept now", []string{"`/incident accept` takes nothing more"}},
		{"HelpUnknown", "help sevv", []string{`Unknown subcommand "sevv"`, `Did you mean "sev"?`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := command.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.in, got)
			}
			var e *incident.Error
			if !errors.As(err, &e) || e.Code != incident.EINVALID {
				t.Fatalf("Parse(%q) error = %#v, want *incident.Error with EINVALID", tt.in, err)
			}
			if got != (command.Command{}) {
				t.Errorf("Parse(%q) returned %+v with its error, want the zero Command", tt.in, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("Parse(%q) message\n%s\ndoes not contain %q", tt.in, e.Message, w)
				}
			}
			if strings.ContainsAny(e.Message, "<>") {
				t.Errorf("Parse(%q) message contains < or >, which could ping: %s", tt.in, e.Message)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	kinds := []command.Kind{
		command.KindDeclare, command.KindSeverity, command.KindStatus, command.KindRole, command.KindAccept,
		command.KindUpdate, command.KindNote, command.KindTimeline, command.KindList, command.KindResolve,
		command.KindClose, command.KindHelp, command.KindCause, command.KindImpact, command.KindTask,
		command.KindTasks, command.KindTaskDone, command.KindTaskReopen, command.KindPostmortem, command.KindSnooze,
	}
	help := command.HelpText()
	for _, k := range kinds {
		u := command.Usage(k)
		if !strings.HasPrefix(u, "`/incident ") || !strings.Contains(u, "e.g. `/incident") {
			t.Errorf("Usage(%q) = %q, want a usage line with an example", k, u)
		}
		if strings.ContainsAny(u, "<>\n") {
			t.Errorf("Usage(%q) contains < > or a newline: %q", k, u)
		}
		// The help lists each command by its words, without flags:
		// "• `task done` — …".
		var words []string
		for _, w := range strings.Fields(u[len("`/incident ") : strings.Index(u[1:], "`")+1]) {
			if strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
				break
			}
			words = append(words, w)
		}
		if line := "• `" + strings.Join(words, " ") + "` — "; !strings.Contains(help, line) {
			t.Errorf("HelpText lacks %q", line)
		}
		// The example in every usage parses to its own kind.
		ex := u[strings.LastIndex(u, "e.g. `/incident ")+len("e.g. `/incident "):]
		ex = strings.TrimSuffix(ex, "`")
		c, err := command.Parse(ex)
		if err != nil {
			t.Errorf("example %q of %q: %v", ex, k, err)
		} else if c.Kind != k {
			t.Errorf("example %q parses to %q, want %q", ex, c.Kind, k)
		}
	}
	if got := command.Usage("bogus"); got != command.Usage(command.KindHelp) {
		t.Errorf("Usage(bogus) = %q", got)
	}
	if n := len(help); n >= 3000 {
		t.Errorf("HelpText is %d bytes; Slack sections hold 3,000", n)
	}
	if strings.ContainsAny(help, "<>") {
		t.Error("HelpText contains < or >")
	}
}
