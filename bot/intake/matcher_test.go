package intake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/intake"
)

// matchersString renders parsed matchers as "name op value" lines.
func matchersString(ms []*intake.Matcher) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.String())
	}
	return strings.Join(parts, " ")
}

func TestParseMatchers(t *testing.T) {
	ok := []struct{ in, want string }{
		{``, ``},
		{`{}`, ``},
		{`  { }  `, ``},
		{`severity="critical"`, `severity="critical"`},
		{`severity=critical`, `severity="critical"`},
		{`severity = "critical"`, `severity="critical"`},
		{`{foo = "bar", dings != "bums", }`, `foo="bar" dings!="bums"`},
		{`foo=bar,dings!=bums`, `foo="bar" dings!="bums"`},
		{`severity=~"critical|page"`, `severity=~"critical|page"`},
		{`severity=~critical|page, team!~"db|infra"`, `severity=~"critical|page" team!~"db|infra"`},
		{`statuscode=~"5.."`, `statuscode=~"5.."`},
		{`code=~"5\d\d"`, `code=~"5\\d\\d"`}, // a backslash Alertmanager keeps
		{`quote="She said: \"Hi, all!\""`, `quote="She said: \"Hi, all!\""`},
		{`multi="a\nb"`, `multi="a\nb"`},
		{`back="a\\b"`, `back="a\\b"`},
		{`empty=""`, `empty=""`},
		{`empty=`, `empty=""`},
		{`present!=""`, `present!=""`},
		{`comma="a,b",x=y`, `comma="a,b" x="y"`},
		{`spaced=two words`, `spaced="two words"`},
		{`ns:label_1=v`, `ns:label_1="v"`},
		{`_x="ünïcødé ✓"`, `_x="ünïcødé ✓"`},
		{`{a="b"}`, `a="b"`},
		{`{a=b}`, `a="b"`},
	}
	for _, tt := range ok {
		ms, err := intake.ParseMatchers(tt.in)
		if err != nil {
			t.Errorf("ParseMatchers(`%s`): %v", tt.in, err)
			continue
		}
		if got := matchersString(ms); got != tt.want {
			t.Errorf("ParseMatchers(`%s`) = `%s`, want `%s`", tt.in, got, tt.want)
		}
	}

	bad := []struct {
		in     string
		column int
		want   string
	}{
		{`severity`, 9, "expected an operator (= != =~ !~) after the label name \"severity\""},
		{`severity:critical`, 18, "expected an operator"},
		{`severity=="x"`, 9, "== is not an operator: use ="},
		{`severity=x"`, 11, `a bare value cannot contain '"'`},
		{`=critical`, 1, "expected a label name"},
		{`9lives="x"`, 1, "expected a label name"},
		{`"severity"="x"`, 1, "expected a label name"},
		{`severity="critical`, 10, `the quoted value has no closing "`},
		{`severity="crit"ical"`, 16, "expected a comma between matchers"},
		{`a="b" c="d"`, 7, "expected a comma between matchers"},
		{`a="b",,c="d"`, 7, "expected a label name"},
		{`severity=~"crit("`, 11, "invalid regular expression \"crit(\": missing closing )"},
		{`severity!~"*"`, 11, "invalid regular expression \"*\": missing argument to repetition operator"},
		{`{a="b"`, 7, "missing closing }"},
		{`a="b"}`, 6, "unexpected }: there is no opening {"},
		{`{a="b"} x`, 9, "unexpected text after the closing }"},
		{`a=x{2}`, 4, `a bare value cannot contain '{'`},
		{`a=b}c`, 4, `a bare value cannot contain '}'`},
		{"a=\xff", 3, "not valid UTF-8"},
		{`a=b, {c=d}`, 6, "expected a label name"},
	}
	for _, tt := range bad {
		_, err := intake.ParseMatchers(tt.in)
		var me *intake.MatcherError
		if !errors.As(err, &me) {
			t.Errorf("ParseMatchers(`%s`) = %v, want a *MatcherError", tt.in, err)
			continue
		}
		if me.Column != tt.column || !strings.Contains(me.Msg, tt.want) {
			t.Errorf("ParseMatchers(`%s`): column %d %q; want column %d %q", tt.in, me.Column, me.Msg, tt.column, tt.want)
		}
		if !strings.Contains(err.Error(), "`"+tt.in+"`") {
			t.Errorf("the error %q does not quote the input", err)
		}
	}
}

func TestMatcher_Matches(t *testing.T) {
	labels := map[string]string{"severity": "critical", "service": "payments", "env": "", "code": "503"}
	tests := []struct {
		matcher string
		want    bool
	}{
		{`severity="critical"`, true},
		{`severity="Critical"`, false},
		{`severity!="critical"`, false},
		{`severity!="warning"`, true},
		{`severity=~"critical|page"`, true},
		{`severity=~"crit"`, false}, // anchored: not a substring match
		{`severity=~"crit.*"`, true},
		{`severity!~"critical|page"`, false},
		{`severity!~"warning|info"`, true},
		{`team=""`, true}, // a missing label is ""
		{`team!=""`, false},
		{`team=~".*"`, true},
		{`team=~".+"`, false},
		{`env=""`, true}, // empty is the same as missing
		{`code=~"5\d\d"`, true},
		{`code=~"4\d\d"`, false},
		{`service=~"pay|payments"`, true}, // the whole alternation is anchored
		{`service=~"pay|ments"`, false},
	}
	for _, tt := range tests {
		ms, err := intake.ParseMatchers(tt.matcher)
		if err != nil || len(ms) != 1 {
			t.Fatalf("ParseMatchers(`%s`): %v", tt.matcher, err)
		}
		if got := ms[0].Matches(labels); got != tt.want {
			t.Errorf("`%s`.Matches(%v) = %v, want %v", tt.matcher, labels, got, tt.want)
		}
	}
}

func TestNewMatcher(t *testing.T) {
	if _, err := intake.NewMatcher(intake.MatchType(9), "a", "b"); err == nil {
		t.Error("an unknown match type is accepted")
	}
	m, err := intake.NewMatcher(intake.MatchNotRegexp, "a", "x|y")
	if err != nil || m.String() != `a!~"x|y"` || intake.MatchType(9).String() != "MatchType(9)" {
		t.Errorf("%v %v", m, err)
	}
}
