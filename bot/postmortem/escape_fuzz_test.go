package postmortem

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
)

var (
	tag        = regexp.MustCompile(`<[^>]*>`)
	paragraphs = regexp.MustCompile(`^<p>(.*)</p>\n?$`)
)

// FuzzInline renders escaped user text with a real Markdown renderer
// (goldmark, CommonMark) and checks that it comes out as the text the
// person typed, as plain text: no emphasis, code, link, image, HTML or
// heading can be smuggled into a postmortem through a note.
func FuzzInline(f *testing.F) {
	for _, s := range []string{
		"plain", "*bold* _it_ `code` ~~del~~", "[link](https://x) ![img](y)", "<b>html</b> &amp; &lt;!channel&gt;",
		"a\\*b", "1. not a list", "# not a heading", "| a | b |", "line one\nline two", "<https://evil|harmless>",
		"&copy; &#42; &#x2A;", "__dunder__ **strong**", "a  \nb", "`` double ``", "* item",
	} {
		f.Add(s)
	}
	md := goldmark.New()
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Valid(s) || strings.ContainsAny(s, "\x00\r\f\v") {
			return // Slack never sends these in message text
		}
		escaped := inline(s)
		var out bytes.Buffer
		if err := md.Convert([]byte("Note: "+escaped), &out); err != nil {
			t.Fatal(err)
		}
		m := paragraphs.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("inline(%q) = %q renders as more than a paragraph:\n%s", s, escaped, out.String())
		}
		if tags := tag.FindAllString(m[1], -1); len(tags) > 0 {
			t.Fatalf("inline(%q) = %q renders markup %v:\n%s", s, escaped, tags, out.String())
		}
		got := html.UnescapeString(m[1])
		// Control characters (tabs included) are shown as spaces.
		plain := strings.Map(func(r rune) rune {
			if r < ' ' {
				return ' '
			}
			return r
		}, slackEntities.Replace(s))
		want := "Note: " + strings.Join(strings.Fields(plain), " ")
		if strings.Join(strings.Fields(got), " ") != strings.TrimSpace(want) {
			t.Fatalf("inline(%q) = %q renders as %q, want the text itself %q", s, escaped, got, want)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
