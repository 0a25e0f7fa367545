package oncall

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/incident"
)

// pagingRoster is primary (alice, bob, carol, dan) and secondary (dan,
// erin), both weekly in Berlin from 2026-03-02.
func pagingRoster(tb testing.TB) Roster {
	p := weekly(tb)
	sec := p
	sec.Name, sec.Members = "secondary", users(dan, erin)
	return Roster{{Rotation: p}, {Rotation: sec}}
}

func threeLevels() Policy {
	return Policy{Name: "default", Levels: []Level{
		{Rotation: "primary", AckTimeout: 5 * time.Minute},
		{Rotation: "secondary", AckTimeout: 10 * time.Minute},
		{UserGroup: "S0ONCALL", AckTimeout: 15 * time.Minute},
	}}
}

// fmtNotice is a notice on one line, with the minutes since t0.
func fmtNotice(t0, at time.Time, n Notice) string {
	who := strings.Join(n.Target.Users, ",")
	if n.Target.UserGroup != "" {
		who = strings.TrimPrefix(who+","+n.Target.UserGroup, ",")
	}
	return fmt.Sprintf("+%dm %s L%d/%d %s", int(at.Sub(t0)/time.Minute), n.Kind, n.Level, n.Pass, who)
}

// drive runs a page on a fake clock in one-minute steps until until,
// ticking whenever it is due, as the scheduler would; ack, when set, is
// called at each step and may acknowledge. It returns every notice.
func drive(tb testing.TB, pol Policy, r Roster, clk *clock.Fake, until time.Duration, ack func(Page, time.Time) (Page, bool)) (Page, []string) {
	tb.Helper()
	t0 := clk.Now()
	pg, ns := pol.StartPage(r, t0)
	var log []string
	for _, n := range ns {
		log = append(log, fmtNotice(t0, t0, n))
	}
	for clk.Now().Sub(t0) < until {
		clk.Add(time.Minute)
		now := clk.Now()
		if ack != nil {
			if p, ok := ack(pg, now); ok {
				pg = p
				log = append(log, fmt.Sprintf("+%dm acknowledged by %s", int(now.Sub(t0)/time.Minute), pg.AckedBy))
			}
		}
		if due, ok := pg.Due(pol); ok && !now.Before(due) {
			pg, ns = pg.Tick(pol, r, now)
			for _, n := range ns {
				log = append(log, fmtNotice(t0, now, n))
			}
		}
	}
	return pg, log
}

func TestPage_EscalatesWithoutAcknowledgement(t *testing.T) {
	r := pagingRoster(t)
	t0 := MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00") // alice on primary, dan on secondary
	clk := clock.NewFake(t0)
	pg, log := drive(t, threeLevels(), r, clk, 2*time.Hour, nil)
	equalLines(t, log, []string{
		"+0m page L1/0 UALICE",
		"+5m page L2/0 UDAN",
		"+15m page L3/0 S0ONCALL",
		"+30m exhausted L3/0 ",
	})
	if pg.State != Exhausted || !pg.EndedAt.Equal(t0.Add(30*time.Minute)) {
		t.Errorf("page = %s ended %s, want exhausted at +30m", pg.State, pg.EndedAt)
	}
	if _, ok := pg.TimeToAcknowledge(); ok {
		t.Error("an unacknowledged page has a time to acknowledge")
	}
	// Someone finally takes it: recorded with the real time.
	pg, err := pg.Acknowledge(1, erin, t0.Add(47*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if tta, ok := pg.TimeToAcknowledge(); !ok || tta != 47*time.Minute {
		t.Errorf("time to acknowledge = %s, want 47m", tta)
	}
}

func TestPage_AcknowledgedStopsPaging(t *testing.T) {
	r := pagingRoster(t)
	t0 := MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00")
	clk := clock.NewFake(t0)
	ackAt := func(after time.Duration, by string) func(Page, time.Time) (Page, bool) {
		return func(pg Page, now time.Time) (Page, bool) {
			if now.Sub(t0) != after {
				return pg, false
			}
			pg, err := pg.Acknowledge(1, by, now)
			if err != nil {
				t.Fatal(err)
			}
			return pg, true
		}
	}
	pg, log := drive(t, threeLevels(), r, clk, time.Hour, ackAt(7*time.Minute, dan))
	equalLines(t, log, []string{
		"+0m page L1/0 UALICE",
		"+5m page L2/0 UDAN",
		"+7m acknowledged by UDAN",
	})
	if tta, _ := pg.TimeToAcknowledge(); tta != 7*time.Minute {
		t.Errorf("time to acknowledge = %s, want 7m (the click, not the declaration)", tta)
	}
	if pg.Level != 2 || pg.AckedBy != dan {
		t.Errorf("acknowledged at level %d by %s, want level 2 by dan", pg.Level, pg.AckedBy)
	}
	_, err := pg.Acknowledge(42, alice, t0.Add(8*time.Minute))
	MustErrorMessage(t, err, incident.ECONFLICT, "<@UDAN> already acknowledged", "#42")
	if pg.Stop(t0.Add(time.Hour)).State != Acknowledged {
		t.Error("Stop changed an acknowledged page")
	}
}

func TestPage_Repeat(t *testing.T) {
	r := pagingRoster(t)
	t0 := MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00")
	pol := threeLevels()
	pol.Repeat = 1
	_, log := drive(t, pol, r, clock.NewFake(t0), 2*time.Hour, nil)
	equalLines(t, log, []string{
		"+0m page L1/0 UALICE",
		"+5m page L2/0 UDAN",
		"+15m page L3/0 S0ONCALL",
		"+30m page L1/1 UALICE",
		"+35m page L2/1 UDAN",
		"+45m page L3/1 S0ONCALL",
		"+60m exhausted L3/1 ",
	})
}

func TestPage_SkipsLevelsThatPageNobody(t *testing.T) {
	r := pagingRoster(t)
	// Before the rotations start nobody is on call: both rotation levels
	// are skipped at once and the user group is paged.
	t0 := MustTime(t, r[0].Rotation.Location, "2026-02-20 10:00")
	_, log := drive(t, threeLevels(), r, clock.NewFake(t0), time.Hour, nil)
	equalLines(t, log, []string{
		"+0m skipped L1/0 ",
		"+0m skipped L2/0 ",
		"+0m page L3/0 S0ONCALL",
		"+15m exhausted L3/0 ",
	})

	// A policy whose every level pages nobody is exhausted at once, even
	// with repeats.
	pol := Policy{Name: "empty", Repeat: 3, Levels: []Level{{Rotation: "primary", AckTimeout: time.Minute}}}
	pg, ns := pol.StartPage(r, t0)
	if pg.State != Exhausted || len(ns) != 3 || ns[2].Kind != NoticeExhausted {
		t.Errorf("all-empty policy: %s %+v", pg.State, ns)
	}
	// A rotation the roster does not have pages nobody.
	pol.Levels[0].Rotation = "gone"
	if pg, _ := pol.StartPage(r, MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00")); pg.State != Exhausted {
		t.Errorf("unknown rotation: %s", pg.State)
	}
}

func TestPage_LevelUnion(t *testing.T) {
	r := pagingRoster(t)
	pol := Policy{Name: "p", Levels: []Level{{Rotation: "primary", Users: []string{alice, bob}, UserGroup: "S0ONCALL", AckTimeout: time.Minute}}}
	pg, ns := pol.StartPage(r, MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00"))
	if got := fmt.Sprintln(pg.Target.Users, pg.Target.UserGroup, pg.Target.Rotation); got != "[UALICE UBOB] S0ONCALL primary\n" {
		t.Errorf("target = %s, want alice once, bob, the group, from primary", got)
	}
	if len(ns) != 1 || ns[0].Kind != NoticePage {
		t.Errorf("notices = %+v", ns)
	}
}

func TestPage_OverrideIsPaged(t *testing.T) {
	r := pagingRoster(t)
	r[0].Overrides = []Override{cover(t, 1, xavi, "2026-03-04 09:00", "2026-03-04 18:00")}
	pg, _ := threeLevels().StartPage(r, MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00"))
	if len(pg.Target.Users) != 1 || pg.Target.Users[0] != xavi {
		t.Errorf("paged %v, want xavi who covers", pg.Target.Users)
	}
}

func TestPage_Stop(t *testing.T) {
	r := pagingRoster(t)
	t0 := MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00")
	pol := threeLevels()
	pg, _ := pol.StartPage(r, t0)
	pg = pg.Stop(t0.Add(2 * time.Minute))
	if pg.State != Stopped {
		t.Fatalf("state %s, want stopped", pg.State)
	}
	if _, ok := pg.Due(pol); ok {
		t.Error("a stopped page is due")
	}
	if _, ns := pg.Tick(pol, r, t0.Add(time.Hour)); len(ns) != 0 {
		t.Errorf("a stopped page paged: %+v", ns)
	}
	_, err := pg.Acknowledge(7, alice, t0.Add(3*time.Minute))
	MustErrorMessage(t, err, incident.ECONFLICT, "#7 has stopped")
}

func TestPage_PolicyShrank(t *testing.T) {
	// The config lost levels while a page was at level 3: it moves on (and
	// here ends) at the next tick instead of waiting on a level that is gone.
	r := pagingRoster(t)
	t0 := MustTime(t, r[0].Rotation.Location, "2026-03-04 10:00")
	pg := Page{Policy: "default", Level: 3, State: Paging, StartedAt: t0, PagedAt: t0}
	pol := threeLevels()
	pol.Levels = pol.Levels[:1]
	if due, ok := pg.Due(pol); !ok || !due.Equal(t0) {
		t.Errorf("Due = %s, %v; want at once", due, ok)
	}
	pg, ns := pg.Tick(pol, r, t0.Add(time.Second))
	if pg.State != Exhausted || len(ns) != 1 || pg.Level != 1 {
		t.Errorf("after shrinking: %s level %d %+v", pg.State, pg.Level, ns)
	}
}

func TestPolicy_Validate(t *testing.T) {
	rotations := []string{"primary", "secondary"}
	ok := threeLevels()
	if ps := ok.Validate(rotations); len(ps) != 0 {
		t.Errorf("valid policy: %v", ps)
	}
	tests := []struct {
		name   string
		change func(*Policy)
		key    string
		want   string
	}{
		{"ErrName", func(p *Policy) { p.Name = "Default Policy" }, "name", "not valid"},
		{"ErrNoName", func(p *Policy) { p.Name = "" }, "name", "missing"},
		{"ErrNoLevels", func(p *Policy) { p.Levels = nil }, "levels", "no levels"},
		{"ErrRepeat", func(p *Policy) { p.Repeat = 11 }, "repeat", "out of range"},
		{"ErrUnknownRotation", func(p *Policy) { p.Levels[1].Rotation = "tertiary" }, "levels[1].rotation", `"tertiary" is not a rotation`},
		{"ErrEmptyLevel", func(p *Policy) { p.Levels[2].UserGroup = "" }, "levels[2].rotation", "pages nobody"},
		{"ErrUser", func(p *Policy) { p.Levels[0].Users = []string{"@alice"} }, "levels[0].users[0]", "not a Slack user ID"},
		{"ErrUserGroup", func(p *Policy) { p.Levels[2].UserGroup = "oncall" }, "levels[2].usergroup", "starting with S"},
		{"ErrAckTimeoutShort", func(p *Policy) { p.Levels[0].AckTimeout = 30 * time.Second }, "levels[0].ack_timeout", "out of range"},
		{"ErrAckTimeoutMissing", func(p *Policy) { p.Levels[0].AckTimeout = 0 }, "levels[0].ack_timeout", "e.g. 5m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := threeLevels()
			tt.change(&p)
			ps := p.Validate(rotations)
			if len(ps) != 1 || ps[0].Key != tt.key || !strings.Contains(ps[0].Message, tt.want) || ps[0].Warning {
				t.Errorf("problems %v; want one error at %s containing %q", ps, tt.key, tt.want)
			}
		})
	}
}
