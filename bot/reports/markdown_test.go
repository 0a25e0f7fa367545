package reports

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestRenderMarkdown_Safe(t *testing.T) {
	tests := []struct {
		name, src string
		banned    []string // must not appear in the HTML
		want      string   // must appear
	}{
		{"ScriptBlock", "<script>alert(1)</script>\n\nafter", []string{"<script"}, "<p>after</p>"},
		{"InlineScript", "text <script>alert(1)</script> more", []string{"<script"}, "more"},
		{"ImgOnerror", `<img src=x onerror="alert(1)">`, []string{"<img", "onerror"}, "raw HTML omitted"},
		{"Iframe", `<iframe src="https://evil.example"></iframe>`, []string{"<iframe"}, ""},
		{"JavascriptLink", "[click](javascript:alert(1))", []string{"javascript:"}, ">click</a>"},
		{"JavascriptLinkEntity", "[click](jav&#x61;script:alert(1))", []string{"javascript:", "alert(1)\""}, ""},
		{"VBScriptLink", "[click](vbscript:msgbox)", []string{"vbscript:"}, ""},
		{"DataHTMLLink", "[click](data:text/html;base64,PHNjcmlwdD4=)", []string{"data:text/html"}, ""},
		{"JavascriptImage", "![x](javascript:alert(1))", []string{"javascript:"}, ""},
		{"Autolink", "<javascript:alert(1)>", []string{`href="javascript:`}, ""},
		{"HTMLInLinkTitle", `[a](https://ok.example "<script>x</script>")`, []string{"<script"}, `href="https://ok.example"`},
		{"AttributeBreakout", "[a](https://ok.example/\"onmouseover=alert(1))", []string{`"onmouseover`}, ""},
		{"Style", "<style>body{display:none}</style>", []string{"<style"}, ""},
		{"CodeKeepsText", "`<script>`", []string{"<script"}, "<code>&lt;script&gt;</code>"},
		{"Table", "| a | b |\n|---|---|\n| <b>x</b> | 2 |", []string{"<b>"}, "<table>"},
		{"Heading", "## Root cause <em>x</em>", []string{"<em>"}, `<h2 id="root-cause`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := RenderMarkdown(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			html := strings.ToLower(string(out))
			for _, b := range tt.banned {
				if strings.Contains(html, strings.ToLower(b)) {
					t.Errorf("%q renders %q, which holds %q", tt.src, out, b)
				}
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("%q renders %q, without %q", tt.src, out, tt.want)
			}
		})
	}
}

func TestSite_ReportMarkdownCannotRunScript(t *testing.T) {
	rep := checkoutReport()
	rep.Markdown = "# Postmortem\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n"
	_, body := MustGet(t, MustSite(t, rep), http.MethodGet, "/incidents/42")
	for _, b := range []string{"alert(1)", "onerror", "javascript:"} {
		if strings.Contains(body, b) {
			t.Errorf("the report page holds %q", b)
		}
	}
}

// tagRE finds tags in rendered HTML: goldmark escapes every '<' of text,
// so each one left starts a tag or a comment.
var tagRE = regexp.MustCompile(`<[^>]*>`)

// unsafeTag reports what makes a rendered tag able to run script, or "".
func unsafeTag(tag string) string {
	tag = strings.ToLower(tag)
	if strings.HasPrefix(tag, "<!--") {
		return ""
	}
	name := strings.TrimLeft(strings.FieldsFunc(tag, func(r rune) bool { return r == ' ' || r == '>' || r == '\n' })[0], "</")
	switch name {
	case "script", "iframe", "style", "object", "embed", "svg", "math", "link", "meta", "base", "form":
		return "element " + name
	}
	if m := onAttrRE.FindString(tag); m != "" {
		return "attribute " + m
	}
	if m := scriptURLRE.FindString(tag); m != "" {
		return "URL " + m
	}
	return ""
}

var (
	onAttrRE    = regexp.MustCompile(`\son[a-z]+\s*=`)
	scriptURLRE = regexp.MustCompile(`(href|src)\s*=\s*"\s*(javascript|vbscript|data:text/html)`)
)

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{checkoutMarkdown, "<script>x</script>", "[a](javascript:x)", "<img onerror=x>", "| a |\n|---|\n| <b> |"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, err := RenderMarkdown(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range tagRE.FindAllString(string(out), -1) {
			if why := unsafeTag(tag); why != "" {
				t.Errorf("%q renders the tag %s, with the %s", src, tag, why)
			}
		}
	})
}

func TestUnsafeTag(t *testing.T) {
	for tag, unsafe := range map[string]bool{
		"<p>":                          false,
		`<a href="https://x.example">`: false,
		"<!-- raw HTML omitted -->":    false,
		"</script>":                    true,
		"<SCRIPT src=x>":               true,
		`<img src="x" onerror="y">`:    true,
		"<div\nonclick=y>":             true,
		`<a href="javascript:x">`:      true,
		`<a href=" JavaScript:x">`:     true,
		`<img src="data:text/html,x">`: true,
	} {
		if got := unsafeTag(tag) != ""; got != unsafe {
			t.Errorf("unsafeTag(%q) = %q, want unsafe=%v", tag, unsafeTag(tag), unsafe)
		}
	}
}
