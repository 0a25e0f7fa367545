package views

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// playbookEnv is testEnv with the default config's roles and triage.
func playbookEnv() Env {
	e := testEnv()
	e.Policy.Roles = []incident.RoleSpec{
		{Name: "scribe", Description: "Keeps the log."},
		{Name: "subject-matter-lead", Description: "Knows the system.", Multi: true},
		{Name: "shadow", Description: "Follows the operator."},
	}
	e.Policy.Triage = incident.DefaultTriage()
	return e
}

// playbookIncident is testIncident with two playbooks' checklists, a step
// done, roles, and an impact estimate.
func playbookIncident() *incident.Incident {
	inc := testIncident()
	inc.Type = "third-party"
	inc.Playbooks = []string{"third-party", "critical"}
	inc.ChecklistPosts = []incident.ChecklistPost{{Playbook: "third-party", Title: "Third-party outage", TS: "1.1"}, {Playbook: "critical", Title: "Critical & <urgent>"}}
	inc.Checklist = []incident.Step{
		{ID: "third-party/confirm-provider", Text: "Confirm it is the provider", Owner: incident.RoleOperator, Required: true,
			Done: true, DoneBy: "U3", DoneAt: t0.Add(7 * time.Minute)},
		{ID: "third-party/open-case", Text: "Open a case & pin its <number>", Owner: incident.RoleOperator, Required: true,
			Runbook: "https://wiki.example.com/runbooks/provider?a=1&b=2"},
		{ID: "third-party/tell-users", Text: "Tell users what does not work", Owner: incident.RoleSpokesperson},
		{ID: "critical/appoint-scribe", Text: "Appoint a scribe"},
	}
	inc.RolesNeeded = []incident.Role{incident.RoleOperator, "scribe", "shadow"}
	inc.Crew = []incident.CrewMember{{Role: "shadow", User: "U4", Since: t0}, {Role: "subject-matter-lead", User: "U5"}, {Role: "subject-matter-lead", User: "U6"}}
	inc.Estimate = incident.Estimate{Experience: incident.ExperienceBlocked, LossPerHour: 12500, At: t0, By: "U1"}
	return inc
}

func TestChecklist(t *testing.T) {
	e := playbookEnv()
	inc := playbookIncident()
	blocks, text := e.Checklist(inc, "third-party")
	golden(t, "checklist_open", blocks)
	if text != "Checklist Third-party outage for incident #42: 1 of 3 done" {
		t.Errorf("text %q", text)
	}
	blocks, _ = e.Checklist(inc, "critical")
	if !strings.Contains(blockJSON(t, blocks), "*Critical &amp; &lt;urgent&gt;* checklist") {
		t.Errorf("the playbook title is not escaped: %s", blockJSON(t, blocks))
	}
	inc.Status, inc.Drill = incident.StatusClosed, true
	blocks, text = e.Checklist(inc, "third-party")
	golden(t, "checklist_closed_drill", blocks)
	if !strings.HasPrefix(text, DrillPrefix) {
		t.Errorf("a drill's checklist text %q is not marked", text)
	}
}

func TestChecklistReply(t *testing.T) {
	e := playbookEnv()
	golden(t, "checklist_reply", e.ChecklistReply(playbookIncident()))
	empty := testIncident()
	if got := blockJSON(t, e.ChecklistReply(empty)); !strings.Contains(got, "No playbook with a checklist ran") {
		t.Errorf("empty checklist reply: %s", got)
	}
}

func TestCard_Playbooks(t *testing.T) {
	e := playbookEnv()
	inc := playbookIncident()
	inc.Drill = true
	golden(t, "card_playbooks", e.Card(inc))
	if got := e.Topic(inc); got != "DRILL | CRITICAL | identified | operator: <@U1> | spokesperson: <@U2> | subject-matter-lead: <@U5>, <@U6> | shadow: <@U4> | update OVERDUE since 09:15 UTC" {
		t.Errorf("topic %q", got)
	}
	if !strings.HasPrefix(e.CardText(inc), DrillPrefix) {
		t.Errorf("card text %q", e.CardText(inc))
	}
	// With every required step done, Resolve asks nothing.
	inc.Checklist[1].Done = true
	if got := blockJSON(t, e.Card(inc)); strings.Contains(got, `"confirm"`) || strings.Contains(got, ":anyway") {
		t.Errorf("Resolve still asks: %s", got)
	}
}

func TestScorecard(t *testing.T) {
	e := playbookEnv()
	inc := playbookIncident()
	inc.Drill = true
	c := incident.Scorecard{Incident: 42, Title: "Drill: provider &lt;down&gt;", Playbooks: []string{"third-party", "drill"},
		TimeToOperator: 2 * time.Minute, TimeToSpokesperson: 5 * time.Minute, TimeToFirstUpdate: incident.NotReached, TimeToResolve: 72 * time.Minute,
		UpdatesOnTime: 3, UpdatesLate: 1, StepsDone: 5, Steps: 17, RequiredDone: 3, Required: 6}
	blocks, text := e.Scorecard(inc, c)
	golden(t, "scorecard", blocks)
	if text != DrillPrefix+"Scorecard of drill #42" {
		t.Errorf("text %q", text)
	}
}

func TestRolesNeededAndNotices(t *testing.T) {
	e := playbookEnv()
	inc := playbookIncident()
	blocks, _, ok := e.RolesNeeded(inc, nil)
	if got := blockJSON(t, blocks); !ok || !strings.Contains(got, "*Scribe*: Keeps the log.") || strings.Contains(got, "Shadow") || strings.Contains(got, "Operator") {
		t.Errorf("roles needed (%v): %s", ok, got)
	}
	// A message asks only for the roles its run of playbooks added, so
	// that a later run does not repeat an earlier one's.
	open := playbookIncident()
	open.Crew = nil // scribe and shadow both unheld
	if blocks, _, ok := e.RolesNeeded(open, []incident.Role{"scribe"}); !ok || !strings.Contains(blockJSON(t, blocks), "Scribe") || strings.Contains(blockJSON(t, blocks), "Shadow") {
		t.Errorf("asked for the scribe (%v): %s", ok, blockJSON(t, blocks))
	}
	if _, _, ok := e.RolesNeeded(open, []incident.Role{"subject-matter-lead"}); ok {
		t.Error("asks for a role no playbook needs")
	}
	inc.Crew = append(inc.Crew, incident.CrewMember{Role: "scribe", User: "U7"})
	if _, _, ok := e.RolesNeeded(inc, nil); ok {
		t.Error("asks for roles that are all held")
	}
	inc.Private = true
	blocks, text := e.PlaybookNotice(inc, []string{"security"})
	if got := blockJSON(t, blocks) + text; strings.Contains(got, "Checkout") || !strings.Contains(got, "Ask <@U1> to add you") {
		t.Errorf("private notice: %s", got)
	}
}

func TestDeclareModal_Triage(t *testing.T) {
	e := playbookEnv()
	m := e.DeclareModal(DeclareForm{Operator: "U1", Types: []TypeChoice{{"general", "An outage"}, {"security", "A compromise"}}, Type: "security"})
	got := blockJSON(t, m.Blocks.BlockSet)
	for _, want := range []string{`"action_id":"type"`, `"initial_option":{"text":{"type":"plain_text","text":"security"`,
		`"action_id":"experience"`, `"action_id":"security"`, `"action_id":"loss"`, "How impact sets the severity", "*critical*: restore immediately"} {
		if !strings.Contains(got, want) {
			t.Errorf("declare form lacks %s", want)
		}
	}
	if strings.Contains(got, `"action_id":"severity","initial_option"`) {
		t.Error("the severity is preset although the impact should set it")
	}
}

func TestParseStepBlockID(t *testing.T) {
	if id, n, ok := ParseStepBlockID(StepBlockID(42, 7)); !ok || id != 42 || n != 7 {
		t.Errorf("round trip: %d %d %v", id, n, ok)
	}
	for _, bad := range []string{"", "step_", "step_1", "step_x_1", "step_1_0", "task_1_2", "step_-1_2"} {
		if _, _, ok := ParseStepBlockID(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

// blockJSON renders blocks as JSON with <, > and & as themselves, for
// substring checks.
func blockJSON(t *testing.T, v any) string {
	t.Helper()
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(mustJSON(t, v)))
}

func TestChecklistReply_Long(t *testing.T) {
	e := playbookEnv()
	inc := testIncident()
	for i := range 90 {
		inc.Checklist = append(inc.Checklist, incident.Step{ID: fmt.Sprintf("pb%d/s%d", i/30, i), Text: strings.Repeat("x", 75), Owner: "subject-matter-lead", Required: true,
			Runbook: "https://wiki.example.com/runbooks/" + strings.Repeat("r", 100)})
	}
	blocks := e.ChecklistReply(inc)
	if n := BlocksText(blocks); n > MaxBlocksText || len(blocks) > MaxBlocks {
		t.Errorf("reply of %d characters in %d blocks", n, len(blocks))
	}
	if !strings.Contains(blockJSON(t, blocks), "more steps: the checklist messages in the war room show them all") {
		t.Error("a cut reply does not say so")
	}
}

// TestDrillsReply: a private drill is compared without its title; a time
// one drill never reached is left out of the trend; with more drills in
// the window than compared, the reply says so.
func TestDrillsReply(t *testing.T) {
	e := testEnv()
	nr := incident.NotReached
	cards := []incident.Scorecard{
		{Incident: 3, Title: "Secret rotation leak", Private: true, DeclaredAt: t0, TimeToOperator: 5 * time.Minute, TimeToSpokesperson: nr, TimeToFirstUpdate: nr, TimeToResolve: time.Hour},
		{Incident: 9, Title: "Failover &lt;EU&gt;", DeclaredAt: t0.Add(48 * time.Hour), TimeToOperator: time.Minute, TimeToSpokesperson: 3 * time.Minute, TimeToFirstUpdate: nr, TimeToResolve: 30 * time.Minute},
	}
	blocks, text := e.DrillsReply(cards, 14, t0.Add(-24*time.Hour))
	var got string
	// The texts of the blocks, as Slack shows them.
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			got += b.Text.Text + "\n"
		case *slack.ContextBlock:
			for _, el := range b.ContextElements.Elements {
				if t, ok := el.(*slack.TextBlockObject); ok {
					got += t.Text + "\n"
				}
			}
		}
	}
	got = text + "\n" + got
	for _, want := range []string{"Drills since Tue 3 Mar 2026*: 14, the latest 2 compared", "*#3* _private_ (4 Mar)", "*#9* Failover &lt;EU&gt; (6 Mar)",
		"spokesperson not reached", "From drill #3 to drill #9: time to an operator 5m → 1m, to resolve 1h 00m → 30m."} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Secret rotation") || strings.Contains(got, "to a spokesperson") || strings.Contains(got, "no checklist") {
		t.Errorf("reply shows a private title or a time not reached in the trend:\n%s", got)
	}
	if _, text := e.DrillsReply(nil, 0, t0); !strings.Contains(text, "No drill since") {
		t.Errorf("empty reply %q", text)
	}
}
