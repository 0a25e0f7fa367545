package statuspage

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// hostile is text a careless page would turn into markup or script.
const hostile = `<script>alert(1)</script>"onload=alert(2) x='y' </title></svg>]]>&amp;`

// hostileSnapshot puts hostile text in every free-text field.
func hostileSnapshot(s string) Snapshot {
	snap := fixtureSnapshot()
	snap.Name = "Acme " + s
	snap.Current[0].Title = "Title " + s
	snap.Current[0].Updates[0].Text = "Update " + s
	snap.Recent[1].Title = "Past " + s
	snap.Recent[1].Summary = &CustomerSummary{WhatHappened: "What " + s, Impact: "Impact " + s, Apology: "Sorry " + s, Changes: "Changes " + s}
	return snap
}

var outputPaths = []string{"/", "/api/v1/status", "/api/v1/incidents", "/feed.atom", "/badge.svg", "/embed.js"}

func TestPage_EscapesEverything(t *testing.T) {
	p := MustPage(t, NewMemorySource(hostileSnapshot(hostile)), Options{PublicURL: "https://status.example.com/"})
	bodies := map[string]string{}
	for _, path := range outputPaths {
		_, bodies[path] = MustGet(t, p, http.MethodGet, path, nil)
	}

	// Markup outputs: the text must appear only escaped.
	for _, path := range []string{"/", "/feed.atom", "/badge.svg"} {
		body := bodies[path]
		for _, raw := range []string{"<script", `"onload=`, "</title></svg>", "x='y'"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s contains %q unescaped", path, raw)
			}
		}
	}
	if !strings.Contains(bodies["/"], "Title &lt;script&gt;alert(1)&lt;/script&gt;&#34;onload=alert(2)") {
		t.Error("the page does not show the hostile title as text")
	}
	// The feed's html content is escaped twice: once as HTML, once as XML.
	if !strings.Contains(bodies["/feed.atom"], "Update &amp;lt;script&amp;gt;") {
		t.Error("the feed does not carry the hostile update as escaped HTML")
	}
	var feed atomFeed
	if err := xml.Unmarshal([]byte(bodies["/feed.atom"]), &feed); err != nil {
		t.Fatalf("the feed is not well-formed XML: %v", err)
	}
	if got := feed.Entries[0].Title.Body; got != "[Identified] Title "+hostile {
		t.Errorf("feed title = %q", got)
	}
	if err := xml.Unmarshal([]byte(bodies["/badge.svg"]), new(struct{})); err != nil {
		t.Errorf("the badge is not well-formed XML: %v", err)
	}

	// JSON outputs: no raw '<' at all, and the text comes back intact.
	for _, path := range []string{"/api/v1/status", "/api/v1/incidents", "/embed.js"} {
		if strings.ContainsAny(bodies[path], "<>") && path != "/embed.js" {
			t.Errorf("%s contains a raw < or >", path)
		}
	}
	var inc apiIncidentsDoc
	if err := json.Unmarshal([]byte(bodies["/api/v1/incidents"]), &inc); err != nil {
		t.Fatal(err)
	}
	if inc.Page.Name != "Acme "+hostile || inc.Incidents[0].Title != "Title "+hostile || inc.Incidents[2].Summary.Apology != "Sorry "+hostile {
		t.Errorf("the JSON lost the text: %+v", inc.Incidents[0])
	}

	// embed.js: the data between the markers must be one JSON value that
	// decodes to the text, with nothing that could end the script.
	js := bodies["/embed.js"]
	start := strings.Index(js, "var doc = ") + len("var doc = ")
	dec := json.NewDecoder(strings.NewReader(js[start:]))
	var doc apiStatusDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("embed.js data: %v", err)
	}
	if doc.InProgress[0].Title != "Title "+hostile {
		t.Errorf("embed.js title = %q", doc.InProgress[0].Title)
	}
	data := js[start : start+int(dec.InputOffset())]
	if strings.ContainsAny(data, "<>") || strings.Contains(data, "\u2028") {
		t.Errorf("embed.js data holds characters that could end a script: %s", data)
	}
	if strings.Count(js, "<") != strings.Count(string(embedJS), "<") {
		t.Error("embed.js has more < than its template")
	}
}

// FuzzOutputsEscape checks that no text, whatever it holds, adds markup to
// any output: the number of '<' in each output does not depend on the text.
func FuzzOutputsEscape(f *testing.F) {
	for _, s := range []string{hostile, "plain", "<", "]]>", "\u2028</script>", "\xff<b>", "{{.}}", "&#60;"} {
		f.Add(s)
	}
	baseline := map[string]int{}
	p := MustPage(f, NewMemorySource(hostileSnapshot("x")), Options{})
	for _, path := range outputPaths {
		_, body := MustGet(f, p, http.MethodGet, path, nil)
		baseline[path] = strings.Count(body, "<")
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := MustPage(t, NewMemorySource(hostileSnapshot(s)), Options{})
		for _, path := range outputPaths {
			res, body := MustGet(t, p, http.MethodGet, path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s = %d", path, res.StatusCode)
			}
			if n := strings.Count(body, "<"); n != baseline[path] {
				t.Errorf("%s: %d '<' with text %q, %d with plain text", path, n, s, baseline[path])
			}
			if path == "/feed.atom" || path == "/badge.svg" {
				if err := xml.NewDecoder(bytes.NewReader([]byte(body))).Decode(new(struct{})); err != nil {
					t.Errorf("%s is not well-formed with text %q: %v", path, s, err)
				}
			}
		}
	})
}
