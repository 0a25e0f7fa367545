package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/bot/web"
	"github.com/incidentbot/incidentbot/playbooks"
	"github.com/incidentbot/incidentbot/store"
)

const oncallConfig = `oncall:
  rotations:
    - name: primary
      members: [U0ALICE01, bob@example.com, U0CAROL01]
      start: "2026-01-05"
      handoff_time: "09:00"
      time_zone: Europe/Berlin
    - name: secondary
      members: [U0DAN0001, U0ERIN001]
      shift: 24h
      start: "2026-01-05"
      handoff_time: "08:00"
  escalation:
    - rotation: secondary
    - usergroup: S0SRE0001
      ack_timeout: 10m
`

func TestLoadConfig_Oncall(t *testing.T) {
	cfg, err := LoadConfig(context.Background(), MustWriteConfig(t, oncallConfig), TokenEnv())
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.OperatorRotation(); got != "primary" {
		t.Errorf("operator rotation = %q, want the first", got)
	}
	pol := cfg.OncallPolicy()
	if len(pol.Levels) != 2 || pol.Levels[0].AckTimeout != 5*time.Minute || pol.Levels[1].AckTimeout != 10*time.Minute || pol.Levels[1].UserGroup != "S0SRE0001" {
		t.Errorf("policy = %+v", pol)
	}
	rots, _ := cfg.OncallRotations()
	if len(rots) != 2 || rots[0].Members[1].Email != "bob@example.com" || rots[1].ShiftLength() != 24*time.Hour || rots[1].Loc() != time.UTC {
		t.Errorf("rotations = %+v", rots)
	}
	if w := cfg.Warnings(); len(w) != 1 || !strings.HasPrefix(w[0], "oncall.rotations[1].members: only 2 member(s)") {
		t.Errorf("warnings = %q", w)
	}
}

func TestLoadConfig_OncallProblems(t *testing.T) {
	path := MustWriteConfig(t, `oncall:
  operator_rotation: tertiary
  ack_timeout: 10s
  feed_token: short
  rotations:
    - name: Primary Team
      members: [alice, U0BOB0001, U0BOB0001]
      shift: 30m
      start: "5 Jan"
      handoff_time: "9am"
      time_zone: Mars/Base
      colour: red
    - name: backup
      members: []
      start: "2026-01-05"
    - just a string
  escalation:
    - rotation: nope
      users: [bob]
      ack_timeout: 2d
    - {}
  handoff:
    confirm_within: -5m
`)
	_, err := LoadConfig(context.Background(), path, TokenEnv())
	lines := problemLines(t, err)
	want := []string{
		`oncall.rotations[0].colour: unknown key`,
		`oncall.escalation[0].ack_timeout: expected a duration, got "2d"`,
		`oncall.rotations[2]: not a mapping`,
		`oncall.rotations[0].time_zone: unknown time zone "Mars/Base"`,
		`oncall.rotations[0].handoff_time: "9am" is not a time of day`,
		`oncall.rotations[0].start: "5 Jan" is not a date`,
		`oncall.rotations[0].members[0]: "alice" is neither a Slack user ID nor an email`,
		`oncall.rotations[0].name: "primary team" is not valid`,
		`oncall.rotations[0].shift: 30m is shorter than 1h`,
		`oncall.rotations[1].handoff_time: missing`,
		`oncall.rotations[1].members: no members`,
		`oncall.operator_rotation: "tertiary" is not a rotation (use one of: primary team, backup, or "none"`,
		`oncall.ack_timeout: 10s is out of range`,
		`oncall.escalation[0].rotation: "nope" is not a rotation (use one of: primary team, backup)`,
		`oncall.escalation[0].users[0]: "bob" is not a Slack user ID`,
		`oncall.escalation[1].rotation: the level pages nobody`,
		`oncall.handoff.confirm_within: must not be negative`,
		`oncall.feed_token: is 5 characters, fewer than 16`,
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("no problem starts with %q", w)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
}

func TestLoadConfig_OncallFromEnv(t *testing.T) {
	_, err := LoadConfig(context.Background(), MustWriteConfig(t, "log:\n  level: info\n"),
		TokenEnv("INCIDENTBOT_ONCALL_ROTATIONS", "primary", "INCIDENTBOT_ONCALL_FEED_TOKEN", "0123456789abcdef0123"))
	assertLines(t, problemLines(t, err), "INCIDENTBOT_ONCALL_ROTATIONS: oncall.rotations cannot be set in the environment")
}

func TestMain_CheckConfigWarnsAndRedacts(t *testing.T) {
	r := MustRun(t, TokenEnv("INCIDENTBOT_ONCALL_FEED_TOKEN", "SECRETfeedtoken0123456789"), "check-config", "--config", MustWriteConfig(t, oncallConfig))
	if r.code != 0 {
		t.Fatalf("check-config: %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "# warning: oncall.rotations[1].members: only 2 member(s)") {
		t.Errorf("no warning in:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "SECRETfeed") {
		t.Errorf("the feed token is printed:\n%s", r.stdout)
	}
}

// oncallExportConfig writes a config whose store lives in dir.
func oncallExportConfig(t *testing.T, dir, listen string) string {
	t.Helper()
	return MustWriteConfig(t, fmt.Sprintf("store:\n  path: %q\nhttp:\n  listen: %q\n%s", filepath.Join(dir, "incidentbot.db"), listen, oncallConfig))
}

// MustParseCal parses an iCalendar feed with golang-ical.
func MustParseCal(t *testing.T, s string) *ics.Calendar {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, s)
	}
	return cal
}

func TestMain_OncallExport(t *testing.T) {
	dir := t.TempDir()
	path := oncallExportConfig(t, dir, "")
	t.Run("UsageErrors", func(t *testing.T) {
		assertOneLineError(t, MustRun(t, nil, "oncall"), 2, "say what to do")
		assertOneLineError(t, MustRun(t, nil, "oncall", "export", "--config", path), 2, "--ical is required")
		assertOneLineError(t, MustRun(t, nil, "oncall", "export", "--ical", "--days", "0", "--config", path), 2, "--days 0 is out of range")
		if r := MustRun(t, nil, "oncall", "export", "--ical", "--rotation", "nope", "--config", path); r.code != 1 || !strings.Contains(r.stderr, `incidentbot: There is no rotation called "nope". The rotations are: primary, secondary.`) {
			t.Errorf("unknown rotation: exit %d, %q", r.code, r.stderr)
		}
	})
	t.Run("WithoutDatabase", func(t *testing.T) {
		r := MustRun(t, nil, "oncall", "export", "--ical", "--rotation", "primary", "--days", "7", "--config", path)
		if r.code != 0 || !strings.Contains(r.stderr, "without overrides") {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		cal := MustParseCal(t, r.stdout)
		if len(cal.Events()) == 0 {
			t.Fatal("no events")
		}
		for _, e := range cal.Events() {
			if !strings.HasPrefix(e.GetProperty(ics.ComponentPropertySummary).Value, "On call: primary") {
				t.Errorf("event of another rotation: %s", e.GetProperty(ics.ComponentPropertySummary).Value)
			}
		}
	})
	// An override stored in the database shows in the calendar.
	db, err := store.Open(filepath.Join(dir, "incidentbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Hour)
	from, to := now.Add(48*time.Hour), now.Add(50*time.Hour)
	_, _, err = db.AddOncallOverrides(context.Background(), time.Time{}, func([]oncall.Override) ([]oncall.Override, incident.Change, error) {
		return []oncall.Override{{Rotation: "primary", User: "U0XAVI001", From: from, To: to, CreatedBy: "U0ALICE01", CreatedAt: now}}, incident.Change{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkOverride := func(t *testing.T, feed string) {
		t.Helper()
		cal := MustParseCal(t, feed)
		n := 0
		for _, e := range cal.Events() {
			if strings.HasSuffix(e.GetProperty(ics.ComponentPropertySummary).Value, "(override)") {
				n++
				if s, e := e.GetProperty(ics.ComponentPropertyDtStart).Value, e.GetProperty(ics.ComponentPropertyDtEnd).Value; s != from.Format("20060102T150405Z") || e != to.Format("20060102T150405Z") {
					t.Errorf("override event %s → %s, want %s → %s", s, e, from, to)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d override events, want 1:\n%s", n, feed)
		}
	}
	t.Run("WhileTheBotRuns", func(t *testing.T) {
		// The database is held (by db, as by a running bot): the calendar
		// comes from the admin endpoint.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		const token = "admin-token-for-test"
		srv := &http.Server{Handler: web.Handler(web.Options{AdminToken: token, OncallAdmin: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ovs, _ := db.OncallOverrides(r.Context(), time.Time{})
			cfg, _ := loadOfflineConfig(path, nil)
			rots, _ := cfg.OncallRotations()
			roster := oncall.BuildRoster(rots, nil, ovs, time.Now())
			if r.URL.Query().Get("rotation") != "primary" {
				http.Error(w, "want rotation=primary", http.StatusBadRequest)
				return
			}
			_ = oncall.WriteICal(w, oncall.Calendar{Schedules: roster[:1], From: time.Now().Add(-time.Hour), To: time.Now().AddDate(0, 0, 7), Now: time.Now()})
		})})}
		go srv.Serve(ln)
		defer srv.Close()
		if err := os.WriteFile(adminTokenPath(filepath.Join(dir, "incidentbot.db")), []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := MustRun(t, nil, "oncall", "export", "--ical", "--rotation", "primary", "--days", "7", "--config", oncallExportConfig(t, dir, ln.Addr().String()))
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		checkOverride(t, r.stdout)
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("FromTheDatabase", func(t *testing.T) {
		r := MustRun(t, nil, "oncall", "export", "--ical", "--rotation", "primary", "--days", "7", "--config", path)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		checkOverride(t, r.stdout)
	})
}

// TestLoadConfig_PlaybookRotations: playbooks in playbooks.dir may name
// the rotations of oncall.rotations (an on-call checklist for one of them,
// a rotation invited to incidents); any other name is refused with its
// file and line.
func TestLoadConfig_PlaybookRotations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("handoff.yaml", "name: secondary-handoff\ntitle: Secondary handoff\nkind: oncall\napplies_to:\n  rotations: [secondary]\nchecklist:\n  - Check the pager\n")
	write("backend.yaml", "name: backend\ntitle: Backend\ninvite:\n  rotations: [primary]\nchecklist:\n  - Check the dashboards\n")
	config := oncallConfig + "playbooks:\n  dir: " + dir + "\n"
	cfg, err := LoadConfig(context.Background(), MustWriteConfig(t, config), TokenEnv())
	if err != nil {
		t.Fatal(err)
	}
	pbs, err := assemblePlaybooks(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := playbooks.Names(playbooks.OnCall(pbs, "secondary")); !slices.Contains(got, "secondary-handoff") || !slices.Contains(got, "oncall") {
		t.Errorf("the checklists of a secondary handoff are %v, want the built-in one and secondary-handoff", got)
	}
	if got := playbooks.Names(playbooks.OnCall(pbs, "primary")); slices.Contains(got, "secondary-handoff") {
		t.Errorf("primary's handoff shows secondary's checklist: %v", got)
	}

	write("backend.yaml", "name: backend\ntitle: Backend\ninvite:\n  rotations: [tertiary]\nchecklist:\n  - Check the dashboards\n")
	_, err = LoadConfig(context.Background(), MustWriteConfig(t, config), TokenEnv())
	lines := strings.Join(problemLines(t, err), "\n")
	if !strings.Contains(lines, "backend.yaml:4") || !strings.Contains(lines, `unknown rotation "tertiary"`) {
		t.Errorf("problems:\n%s", lines)
	}
}
