package intake

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// MatchType is a matcher's operator.
type MatchType int

// The four operators of Alertmanager's matchers.
const (
	MatchEqual     MatchType = iota // =
	MatchNotEqual                   // !=
	MatchRegexp                     // =~
	MatchNotRegexp                  // !~
)

// String returns the operator as written.
func (t MatchType) String() string {
	switch t {
	case MatchEqual:
		return "="
	case MatchNotEqual:
		return "!="
	case MatchRegexp:
		return "=~"
	case MatchNotRegexp:
		return "!~"
	}
	return fmt.Sprintf("MatchType(%d)", int(t))
}

// Matcher tests one label, as Alertmanager's matchers do: a missing label
// has the value "", and regular expressions are anchored at both ends
// (severity=~"crit" does not match "critical").
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp
}

// NewMatcher returns a matcher, compiling Value for the regexp operators.
func NewMatcher(t MatchType, name, value string) (*Matcher, error) {
	m := &Matcher{Name: name, Type: t, Value: value}
	switch t {
	case MatchEqual, MatchNotEqual:
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression %q: %s", value, regexpProblem(err))
		}
		m.re = re
	default:
		return nil, fmt.Errorf("unknown match type %d", int(t))
	}
	return m, nil
}

// regexpProblem turns a regexp compile error into its short explanation.
func regexpProblem(err error) string {
	if se, ok := err.(*syntax.Error); ok {
		return fmt.Sprintf("%s in `%s`", se.Code, se.Expr)
	}
	return err.Error()
}

// Matches reports whether labels satisfy m.
func (m *Matcher) Matches(labels map[string]string) bool {
	v := labels[m.Name]
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re.MatchString(v)
	case MatchNotRegexp:
		return !m.re.MatchString(v)
	}
	return false
}

// String returns m in the syntax ParseMatchers reads, value quoted.
func (m *Matcher) String() string {
	var b strings.Builder
	b.WriteString(m.Name)
	b.WriteString(m.Type.String())
	b.WriteByte('"')
	for _, r := range m.Value {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// MatcherError is a syntax error in a matcher list.
type MatcherError struct {
	Input  string
	Column int // 1-based byte offset of the problem
	Msg    string
}

// Error implements the error interface.
func (e *MatcherError) Error() string {
	return fmt.Sprintf("%s (column %d of `%s`)", e.Msg, e.Column, e.Input)
}

// ParseMatchers parses a list of matchers in Alertmanager's syntax:
//
//	severity="critical"
//	{service=~"pay.*", env!="staging", }
//	severity=~critical|page, team!~"db|infra"
//
// Matchers are separated by commas; braces around the list and a trailing
// comma are optional. A matcher is a label name ([a-zA-Z_:][a-zA-Z0-9_:]*),
// an operator (= != =~ !~) and a value, in double quotes or bare. Quoted
// values take \" \\ and \n; any other backslash stays a backslash, so
// code=~"5\d\d" works as in Alertmanager. A bare value runs to the next
// comma and cannot contain " { or }. An empty list matches everything.
func ParseMatchers(s string) ([]*Matcher, error) {
	p := matcherParser{s: s}
	if !utf8.ValidString(s) {
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, p.errAt(i, "not valid UTF-8")
			}
			i += n
		}
	}
	var out []*Matcher
	p.space()
	braced := p.eat('{')
	for {
		p.space()
		if p.eof() {
			if braced {
				return nil, p.errAt(p.i, "missing closing }")
			}
			return out, nil
		}
		if p.peek() == '}' {
			if !braced {
				return nil, p.errAt(p.i, "unexpected }: there is no opening {")
			}
			p.i++
			p.space()
			if !p.eof() {
				return nil, p.errAt(p.i, "unexpected text after the closing }")
			}
			return out, nil
		}
		m, err := p.matcher()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		p.space()
		if !p.eat(',') && !p.eof() && p.peek() != '}' {
			return nil, p.errAt(p.i, "expected a comma between matchers")
		}
	}
}

type matcherParser struct {
	s string
	i int
}

func (p *matcherParser) eof() bool  { return p.i >= len(p.s) }
func (p *matcherParser) peek() byte { return p.s[p.i] }

func (p *matcherParser) eat(c byte) bool {
	if !p.eof() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *matcherParser) space() {
	for !p.eof() && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *matcherParser) errAt(i int, format string, args ...any) *MatcherError {
	return &MatcherError{Input: p.s, Column: i + 1, Msg: fmt.Sprintf(format, args...)}
}

func isNameStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || (c >= '0' && c <= '9') }

// matcher parses name, operator and value at p.i.
func (p *matcherParser) matcher() (*Matcher, error) {
	start := p.i
	if p.eof() || !isNameStart(p.peek()) {
		return nil, p.errAt(p.i, "expected a label name (letters, digits, _ and :, not starting with a digit)")
	}
	for !p.eof() && isNameChar(p.peek()) {
		p.i++
	}
	name := p.s[start:p.i]
	p.space()
	var t MatchType
	rest := p.s[p.i:]
	switch {
	case strings.HasPrefix(rest, "=~"):
		t, p.i = MatchRegexp, p.i+2
	case strings.HasPrefix(rest, "!="):
		t, p.i = MatchNotEqual, p.i+2
	case strings.HasPrefix(rest, "!~"):
		t, p.i = MatchNotRegexp, p.i+2
	case strings.HasPrefix(rest, "=="):
		return nil, p.errAt(p.i, "== is not an operator: use = (or =~ for a regular expression)")
	case strings.HasPrefix(rest, "="):
		t, p.i = MatchEqual, p.i+1
	default:
		return nil, p.errAt(p.i, "expected an operator (= != =~ !~) after the label name %q", name)
	}
	p.space()
	valueAt := p.i
	var value string
	if p.eat('"') {
		v, err := p.quoted(valueAt)
		if err != nil {
			return nil, err
		}
		value = v
	} else {
		for !p.eof() && strings.IndexByte(`,{}"`, p.peek()) < 0 {
			p.i++
		}
		if !p.eof() && (p.peek() == '"' || p.peek() == '{' || (p.peek() == '}' && p.moreAfterBrace())) {
			return nil, p.errAt(p.i, "a bare value cannot contain %q: put the value in double quotes", p.peek())
		}
		value = strings.TrimRight(p.s[valueAt:p.i], " \t\r\n")
	}
	m, err := NewMatcher(t, name, value)
	if err != nil {
		return nil, p.errAt(valueAt, "%s", err)
	}
	return m, nil
}

// moreAfterBrace reports whether anything but space follows the } at p.i:
// then it is part of a bare value (like x{2}) rather than the closing brace.
func (p *matcherParser) moreAfterBrace() bool {
	return strings.TrimSpace(p.s[p.i+1:]) != ""
}

// quoted reads a double-quoted value whose opening quote (at open) has been
// consumed.
func (p *matcherParser) quoted(open int) (string, error) {
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		switch c {
		case '"':
			p.i++
			return b.String(), nil
		case '\\':
			if p.i+1 >= len(p.s) {
				p.i++
				b.WriteByte('\\')
				continue
			}
			switch p.s[p.i+1] {
			case '"', '\\':
				b.WriteByte(p.s[p.i+1])
				p.i += 2
			case 'n':
				b.WriteByte('\n')
				p.i += 2
			default:
				// Alertmanager keeps a backslash it cannot interpret, which
				// lets regular expressions such as "5\d\d" through.
				b.WriteByte('\\')
				p.i++
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.errAt(open, "the quoted value has no closing \"")
}
