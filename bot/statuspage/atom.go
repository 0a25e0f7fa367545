package statuspage

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html/template"
	"strconv"
	"time"
)

// The feed is written with encoding/xml rather than gorilla/feeds: it is
// one small document whose IDs must stay stable across restarts (a feed
// reader shows a changed ID as a new entry), which is easier to guarantee
// with our own structs than through a library's defaults, and it costs no
// dependency.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	Title     atomText `xml:"title"`
	ID        string   `xml:"id"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Link      atomLink `xml:"link"`
	Content   atomText `xml:"content"`
}

// entryTmpl is an entry's content: HTML, escaped by html/template and then
// again by encoding/xml as the Atom spec asks for type="html".
var entryTmpl = template.Must(template.New("entry").Parse(
	`<p><strong>{{.Severity}}</strong> · {{.Status}} · started {{.Started.Text}}{{with .Resolved}}, resolved {{.Text}}{{end}}</p>
{{- with .Summary}}
{{- with .WhatHappened}}<p><strong>What happened:</strong> {{.}}</p>{{end}}
{{- with .Impact}}<p><strong>Impact:</strong> {{.}}</p>{{end}}
{{- with .Apology}}<p><strong>Our apology:</strong> {{.}}</p>{{end}}
{{- with .Changes}}<p><strong>What we are changing:</strong> {{.}}</p>{{end}}
{{- end}}
{{- range .Updates}}
<p><strong>{{.Status}}</strong> ({{.At.Text}}): {{.Text}}</p>
{{- end}}`))

func renderAtom(v *view, publicURL string, loc *time.Location) ([]byte, error) {
	title := v.name + " status"
	if v.name == "" {
		title = "Status"
	}
	f := atomFeed{
		Title:   title,
		ID:      "urn:incidentbot:status",
		Updated: atomTime(v.updated),
		Author:  atomAuthor{Name: title},
		Links:   []atomLink{{Href: publicURL + "feed.atom", Rel: "self", Type: "application/atom+xml"}, {Href: publicURL, Rel: "alternate", Type: "text/html"}},
	}
	if publicURL != "" {
		f.ID = publicURL
	} else {
		// Relative to the feed's own address, which sits beside the page.
		f.Links[1].Href = "./"
	}
	for _, incs := range [][]PublicIncident{v.current, v.recent} {
		for _, inc := range incs {
			e, err := atomEntryOf(v, inc, publicURL, loc)
			if err != nil {
				return nil, err
			}
			f.Entries = append(f.Entries, e)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode atom feed: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func atomEntryOf(v *view, inc PublicIncident, publicURL string, loc *time.Location) (atomEntry, error) {
	h := htmlIncidentOf(v, inc, loc)
	var content bytes.Buffer
	if err := entryTmpl.Execute(&content, h); err != nil {
		return atomEntry{}, fmt.Errorf("render feed entry for incident %d: %w", inc.ID, err)
	}
	updated := inc.StartedAt
	for _, u := range inc.Updates {
		if u.At.After(updated) {
			updated = u.At
		}
	}
	if inc.ResolvedAt.After(updated) {
		updated = inc.ResolvedAt
	}
	e := atomEntry{
		Title:     atomText{Type: "text", Body: "[" + statusText(inc.Status) + "] " + inc.Title},
		ID:        "urn:incidentbot:incident:" + strconv.FormatInt(inc.ID, 10),
		Updated:   atomTime(updated),
		Published: atomTime(inc.StartedAt),
		Link:      atomLink{Href: publicURL + "#" + anchor(inc.ID), Rel: "alternate", Type: "text/html"},
		Content:   atomText{Type: "html", Body: content.String()},
	}
	if publicURL != "" {
		e.ID = publicURL + "#" + anchor(inc.ID)
	} else {
		e.Link.Href = "./#" + anchor(inc.ID)
	}
	return e, nil
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
