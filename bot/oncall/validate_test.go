package oncall

import (
	"strings"
	"testing"
	"time"
)

func goodSpec() RotationSpec {
	return RotationSpec{
		Name:        "primary",
		Members:     []string{"U0ALICE", "bob@example.com", "<@U0CAROL>"},
		Start:       "2026-01-05",
		HandoffTime: "09:00",
		TimeZone:    "Europe/Berlin",
	}
}

func TestParseRotation_OK(t *testing.T) {
	r, ps := ParseRotation(goodSpec())
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	want := []Member{{UserID: "U0ALICE"}, {Email: "bob@example.com"}, {UserID: "U0CAROL"}}
	for i, m := range want {
		if r.Members[i] != m {
			t.Errorf("members[%d] = %+v, want %+v", i, r.Members[i], m)
		}
	}
	if r.ShiftLength() != DefaultShift {
		t.Errorf("shift %s, want the default week", r.ShiftLength())
	}
	if got := r.FirstHandoff().Format("2006-01-02 15:04 MST"); got != "2026-01-05 09:00 CET" {
		t.Errorf("first handoff %s", got)
	}
	// The default zone is UTC.
	spec := goodSpec()
	spec.TimeZone = ""
	if r, _ := ParseRotation(spec); r.Loc() != time.UTC {
		t.Errorf("zone %s, want UTC", r.Loc())
	}
}

func TestParseRotation_Problems(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*RotationSpec)
		key     string
		want    string
		warning bool
	}{
		{"ErrName", func(s *RotationSpec) { s.Name = "Primary Team" }, "name", `"Primary Team" is not valid`, false},
		{"ErrNoName", func(s *RotationSpec) { s.Name = "" }, "name", "missing", false},
		{"ErrZone", func(s *RotationSpec) { s.TimeZone = "Europe/Berlinn" }, "time_zone", `unknown time zone "Europe/Berlinn"`, false},
		{"ErrZoneLocal", func(s *RotationSpec) { s.TimeZone = "Local" }, "time_zone", "unknown time zone", false},
		{"ErrHandoff", func(s *RotationSpec) { s.HandoffTime = "9am" }, "handoff_time", `"9am" is not a time of day`, false},
		{"ErrNoHandoff", func(s *RotationSpec) { s.HandoffTime = "" }, "handoff_time", "missing", false},
		{"ErrStart", func(s *RotationSpec) { s.Start = "05/01/2026" }, "start", "YYYY-MM-DD", false},
		{"ErrNoStart", func(s *RotationSpec) { s.Start = "" }, "start", "missing", false},
		{"ErrMember", func(s *RotationSpec) { s.Members[1] = "bob" }, "members[1]", `"bob" is neither a Slack user ID nor an email`, false},
		{"ErrDuplicate", func(s *RotationSpec) { s.Members[2] = "BOB@example.com" }, "members[2]", "already members[1]", false},
		{"ErrNoMembers", func(s *RotationSpec) { s.Members = nil }, "members", "no members", false},
		{"ErrShiftShort", func(s *RotationSpec) { s.Shift = 30 * time.Minute }, "shift", "shorter than 1h", false},
		{"ErrShiftLong", func(s *RotationSpec) { s.Shift = 400 * 24 * time.Hour }, "shift", "longer than a year", false},
		{"ErrShiftSeconds", func(s *RotationSpec) { s.Shift = 8*time.Hour + time.Second }, "shift", "whole number of minutes", false},
		{"WarnTwoMembers", func(s *RotationSpec) { s.Members = s.Members[:2] }, "members", "only 2 member(s): each is on call every 2 weeks", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := goodSpec()
			spec.Members = append([]string(nil), spec.Members...)
			tt.change(&spec)
			_, ps := ParseRotation(spec)
			if len(ps) != 1 {
				t.Fatalf("problems %v; want exactly one", ps)
			}
			p := ps[0]
			if p.Key != tt.key || !strings.Contains(p.Message, tt.want) || p.Warning != tt.warning {
				t.Errorf("problem %+v; want key %s, warning %v, containing %q", p, tt.key, tt.warning, tt.want)
			}
			if got := len(Errors(ps)) == 0; got != tt.warning {
				t.Errorf("usable = %v, want %v", got, tt.warning)
			}
			if !strings.HasPrefix(p.String(), tt.key+": ") {
				t.Errorf("String() = %q, want it to start with the key", p.String())
			}
		})
	}
}

func TestParseRotation_EveryProblemAtOnce(t *testing.T) {
	_, ps := ParseRotation(RotationSpec{Name: "X", Members: []string{"nobody"}, Start: "soon", HandoffTime: "25:00", TimeZone: "Mars/Olympus", Shift: time.Minute})
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	if got, want := strings.Join(keys, " "), "time_zone handoff_time start members[0] name shift"; got != want {
		t.Errorf("keys %q, want %q (%v)", got, want, ps)
	}
}

func TestValidateRotations(t *testing.T) {
	a := weekly(t)
	b := a
	b.Members = users(alice, bob)
	ps := ValidateRotations([]Rotation{a, b})
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	equalLines(t, got, []string{
		"rotations[1].members: only 2 member(s): each is on call every 2 weeks or more often (three or more spread the load)",
		`rotations[1].name: "primary" is already the name of rotations[0] (give each rotation its own name)`,
	})
}

func TestParseMember(t *testing.T) {
	tests := []struct {
		in   string
		want Member
		err  string
	}{
		{in: "U0123ABCD", want: Member{UserID: "U0123ABCD"}},
		{in: "W0123ABCD", want: Member{UserID: "W0123ABCD"}},
		{in: " <@U0123ABCD> ", want: Member{UserID: "U0123ABCD"}},
		{in: "<@U0123ABCD|alice>", want: Member{UserID: "U0123ABCD"}},
		{in: "Alice@Example.com", want: Member{Email: "alice@example.com"}},
		{in: "alice", err: "neither"},
		{in: "u0123abcd", err: "neither"},
		{in: "", err: "neither"},
		{in: "alice@localhost", err: "neither"},
		{in: "<@alice>", err: "neither"},
	}
	for _, tt := range tests {
		m, err := ParseMember(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseMember(%q) = %+v, %v; want an error with %q", tt.in, m, err, tt.err)
		case tt.err == "" && (err != nil || m != tt.want):
			t.Errorf("ParseMember(%q) = %+v, %v; want %+v", tt.in, m, err, tt.want)
		}
	}
}

func TestMember_Same(t *testing.T) {
	id, mail, both := Member{UserID: "U1"}, Member{Email: "a@x.io"}, Member{UserID: "U1", Email: "A@X.IO"}
	if !id.Same(both) || !mail.Same(both) || id.Same(mail) || (Member{}).Same(Member{}) {
		t.Error("Same: a user ID or an email must match; nothing matches nobody")
	}
	if (Member{UserID: "U1", Email: "a@x.io"}).Same(Member{UserID: "U2", Email: "a@x.io"}) {
		t.Error("two user IDs that differ are two people, whatever the email")
	}
	if got := mail.String(); got != "a@x.io" {
		t.Errorf("String = %q", got)
	}
	if got := id.String(); got != "<@U1>" {
		t.Errorf("String = %q", got)
	}
}

func TestParseTimeOfDay(t *testing.T) {
	ok := map[string]TimeOfDay{"09:00": {9, 0}, "9:30": {9, 30}, "23:59": {23, 59}, "00:00": {0, 0}, " 17:05 ": {17, 5}}
	for in, want := range ok {
		if got, err := ParseTimeOfDay(in); err != nil || got != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"24:00", "9", "09:60", "09:0", "9am", "-1:00", "+9:00", "", ":", "009:00", "09:00:00"} {
		if got, err := ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) = %v; want an error", in, got)
		} else if !strings.Contains(err.Error(), "HH:MM") {
			t.Errorf("error %q does not say the format", err)
		}
	}
	if got := (TimeOfDay{7, 5}).String(); got != "07:05" {
		t.Errorf("String = %q", got)
	}
}

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		14 * 24 * time.Hour: "2 weeks", 7 * 24 * time.Hour: "1 week", 24 * time.Hour: "1 day", 90 * 24 * time.Hour: "90 days",
		8 * time.Hour: "8h", 90 * time.Minute: "1h30m", 45 * time.Second: "45s", 36 * time.Hour: "36h", time.Hour + time.Second: "1h1s",
		0: "0s", -time.Hour: "-1h0m0s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := human(d); got != want {
			t.Errorf("human(%s) = %q, want %q", d, got, want)
		}
	}
}
