package postmortem

import (
	"strings"
)

// slackEntities decodes the three entities Slack uses in message text. A
// single left-to-right pass decodes "&amp;lt;" to "&lt;", as Slack means.
var slackEntities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// mdSpecial marks the bytes escaped wherever they appear in user text:
// emphasis, code, links, HTML, entities, tables and strikethrough.
var mdSpecial = [256]bool{
	'\\': true, '`': true, '*': true, '_': true, '[': true, ']': true,
	'<': true, '>': true, '|': true, '&': true, '~': true,
}

// needsWork reports whether s holds anything inline would change besides
// surrounding spaces.
func needsWork(s string) bool {
	s = strings.TrimLeft(s, " ")
	if s == "" {
		return false
	}
	if c := s[0]; c == '#' || c == '-' || c == '+' || c == '=' || c >= '0' && c <= '9' {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; mdSpecial[c] || c < ' ' {
			return true
		}
	}
	return false
}

// inline renders user text for a single-line Markdown context (a heading,
// a list item, a table cell): Slack entities are decoded, Markdown is
// escaped so the text renders literally, and line breaks become spaces.
func inline(s string) string {
	if !needsWork(s) {
		return strings.TrimSpace(s)
	}
	s = slackEntities.Replace(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	first := true
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !first {
			b.WriteByte(' ')
		}
		first = false
		escapeLine(&b, line)
	}
	return b.String()
}

// block renders multi-line user text: each non-blank line is escaped and
// lines are joined with a hard line break followed by indent, so that the
// text stays inside the list item (or paragraph) it starts in.
func block(s, indent string) string {
	if !strings.ContainsAny(s, "\n\r") {
		return inline(s)
	}
	s = slackEntities.Replace(s)
	var b strings.Builder
	b.Grow(len(s) + len(s)/8 + 16)
	first := true
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !first {
			b.WriteString("\\\n")
			b.WriteString(indent)
		}
		first = false
		escapeLine(&b, line)
	}
	return b.String()
}

// escapeLine writes one trimmed line of decoded user text, escaped. Besides
// the characters special anywhere, it escapes what is special only at the
// start of a line: headings, block quotes, list markers, setext underlines.
func escapeLine(b *strings.Builder, line string) {
	start := 0
	switch {
	case line == "":
		return
	case line[0] == '#' || line[0] == '-' || line[0] == '+' || line[0] == '=':
		b.WriteByte('\\')
		b.WriteByte(line[0])
		start = 1
	default:
		// An ordered list marker: up to 9 digits then '.' or ')'.
		n := 0
		for n < len(line) && n < 10 && line[n] >= '0' && line[n] <= '9' {
			n++
		}
		if n > 0 && n < 10 && n < len(line) && (line[n] == '.' || line[n] == ')') {
			b.WriteString(line[:n])
			b.WriteByte('\\')
			b.WriteByte(line[n])
			start = n + 1
		}
	}
	last := start
	for i := start; i < len(line); i++ {
		c := line[i]
		switch {
		case mdSpecial[c]:
			b.WriteString(line[last:i])
			b.WriteByte('\\')
			b.WriteByte(c)
			last = i + 1
		case c < ' ':
			// Control characters (tabs included) become spaces.
			b.WriteString(line[last:i])
			b.WriteByte(' ')
			last = i + 1
		}
	}
	b.WriteString(line[last:])
}

// safeURL reports whether u can be written as a Markdown link destination
// in angle brackets: an http(s) URL with no spaces, brackets or controls.
func safeURL(u string) bool {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return false
	}
	for i := 0; i < len(u); i++ {
		if c := u[i]; c <= ' ' || c == '<' || c == '>' || c == '\\' || c == 0x7f {
			return false
		}
	}
	return true
}

// link renders a link to u labelled label (already Markdown), or the
// escaped URL as text when it is not safe to link.
func link(label, u string) string {
	u = slackEntities.Replace(u)
	if !safeURL(u) {
		return label + " (" + inline(u) + ")"
	}
	return "[" + label + "](<" + u + ">)"
}
