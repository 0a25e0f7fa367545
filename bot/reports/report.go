package reports

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

// markdown renders postmortems: GitHub-flavoured (tables, task lists,
// strikethrough, autolinks), headings with IDs for links to a section.
// goldmark is safe by default and we keep it so (no html.WithUnsafe):
// raw HTML in a postmortem becomes a comment and javascript: links are
// dropped, because anyone in a war room can put text into one.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

// RenderMarkdown renders a postmortem's Markdown to HTML that is safe to
// put in a page.
func RenderMarkdown(src string) (template.HTML, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	// goldmark's safe mode is what makes this conversion safe.
	return template.HTML(buf.String()), nil
}

type reportPage struct {
	page
	ID          int64
	Service     string
	Severity    string
	Declared    string
	DeclaredISO string
	Resolved    string
	Metrics     Metrics
	Steps       int
	ReplayHref  string
	Body        template.HTML
}

func (s *Site) serveReport(w http.ResponseWriter, r *http.Request) {
	rep, err := s.reportFor(r)
	if err != nil {
		s.fail(w, r, "../", err)
		return
	}
	body, err := RenderMarkdown(rep.Markdown)
	if err != nil {
		s.fail(w, r, "../", fmt.Errorf("postmortem %d: %w", rep.ID, err))
		return
	}
	p := reportPage{
		page:        page{Title: fmt.Sprintf("#%d %s", rep.ID, rep.Title), Root: "../"},
		ID:          rep.ID,
		Service:     rep.Service,
		Severity:    rep.Severity,
		Declared:    s.stamp(rep.DeclaredAt),
		DeclaredISO: iso(rep.DeclaredAt),
		Metrics:     rep.Metrics,
		Steps:       len(rep.Events),
		ReplayHref:  fmt.Sprintf("%d/replay", rep.ID),
		Body:        body,
	}
	if !rep.ResolvedAt.IsZero() {
		p.Resolved = s.stamp(rep.ResolvedAt)
	}
	s.render(w, r, http.StatusOK, "report", p)
}
