package reports

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSite_Golden(t *testing.T) {
	s := MustSite(t, fixtureReports()...)
	for name, target := range map[string]string{
		"index.golden.html":          "/",
		"index_filtered.golden.html": "/?severity=major&from=2026-03-01",
		"report.golden.html":         "/incidents/42",
		"replay_1.golden.html":       "/incidents/42/replay",
		"replay_7.golden.html":       "/incidents/42/replay?step=7",
		"replay_11.golden.html":      "/incidents/42/replay?step=11",
		"not_found.golden.html":      "/incidents/99",
		"bad_filter.golden.html":     "/?from=yesterday&severity=major",
	} {
		t.Run(name, func(t *testing.T) {
			_, body := MustGet(t, s, http.MethodGet, target)
			checkGolden(t, name, body)
		})
	}
}

func TestSite_Index(t *testing.T) {
	s := MustSite(t, fixtureReports()...)
	tests := []struct {
		name   string
		query  string
		code   int
		want   []string
		absent []string
	}{
		{"All", "", 200, []string{"3 postmortems.", "Median time to acknowledge 2m, to mitigate 35m, to resolve 1h 15m.", "Checkout fails for EU customers", "Slow search", "Site unreachable", "5 (1 late)", `href="incidents/42"`}, nil},
		{"Service", "service=Payments", 200, []string{"1 postmortem.", "Checkout fails"}, []string{"Slow search", "Site unreachable"}},
		{"Severity", "severity=critical", 200, []string{"Site unreachable", `<option selected>critical</option>`}, []string{"Checkout fails", "Slow search"}},
		{"DateRange", "from=2026-02-01&to=2026-02-21", 200, []string{"Slow search", `value="2026-02-01"`}, []string{"Checkout fails", "Site unreachable"}},
		{"ToIsInclusive", "to=2026-01-10", 200, []string{"Site unreachable"}, []string{"Slow search"}},
		{"Search", "q=EU+checkout", 200, []string{"Checkout fails"}, []string{"Slow search"}},
		{"NoMatch", "q=nothing+like+this", 200, []string{"No postmortem matches this filter.", ">Clear</a>"}, []string{"<table>"}},
		{"ErrBadDate", "from=04%2F03%2F2026", 400, []string{`The from date &#34;04/03/2026&#34; is not a date; write it as YYYY-MM-DD`, `value="04/03/2026"`}, []string{"<table>"}},
		{"ErrEmptyRange", "from=2026-03-02&to=2026-03-01", 400, []string{"The date range is empty"}, nil},
		{"ErrSeverity", "severity=sev9", 400, []string{"&#34;sev9&#34; is not a severity. Use one of: critical, major, minor."}, nil},
		{"ErrLongQuery", "q=" + strings.Repeat("x", 201), 400, []string{"The q filter is 201 characters long; use at most 200."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := MustGet(t, s, http.MethodGet, "/?"+tt.query)
			if res.StatusCode != tt.code {
				t.Errorf("status %d, want %d", res.StatusCode, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the index lacks %q", w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(body, a) {
					t.Errorf("the index shows %q", a)
				}
			}
		})
	}
	t.Run("Empty", func(t *testing.T) {
		_, body := MustGet(t, MustSite(t), http.MethodGet, "/")
		if !strings.Contains(body, "No postmortems yet.") {
			t.Error("an empty site does not say so")
		}
	})
}

func TestSite_Report(t *testing.T) {
	s := MustSite(t, fixtureReports()...)
	res, body := MustGet(t, s, http.MethodGet, "/incidents/42")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, w := range []string{
		"<title>#42 Checkout fails for EU customers · Incident reports</title>",
		"<dt>Time to mitigate</dt><dd>40m</dd>",
		"<dt>Time to resolve</dt><dd>1h 15m</dd>",
		"<dt>Updates</dt><dd>5 (1 late)</dd>",
		`<a class="button" href="42/replay">Replay the timeline (11 steps)</a>`,
		`<h2 id="root-cause">Root cause</h2>`,
		"<strong>Severity:</strong> major",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("the report lacks %q", w)
		}
	}
	_, body = MustGet(t, s, http.MethodGet, "/incidents/37")
	if !strings.Contains(body, "<dt>Time to mitigate</dt><dd>—</dd>") {
		t.Error("a metric never reached is not shown as —")
	}
	if strings.Contains(body, "Replay the timeline") {
		t.Error("a report without events offers a replay")
	}
	for target, code := range map[string]int{
		"/incidents/99":          404,
		"/incidents/abc":         404,
		"/incidents/-1":          404,
		"/incidents/37/replay":   404, // no timeline
		"/incidents/42/replay/x": 404,
		"/nowhere":               404,
	} {
		if res, _ := MustGet(t, s, http.MethodGet, target); res.StatusCode != code {
			t.Errorf("GET %s = %d, want %d", target, res.StatusCode, code)
		}
	}
	if _, body := MustGet(t, s, http.MethodGet, "/incidents/abc"); !strings.Contains(body, "&#34;abc&#34; is not an incident number") {
		t.Errorf("a bad incident number is not explained: %s", body)
	}
}

func TestSite_Replay(t *testing.T) {
	s := MustSite(t, fixtureReports()...)
	tests := []struct {
		step   string
		want   []string
		absent []string
	}{
		{"", []string{"Step 1 of 11 · T&#43;0:00", "<dt>operator</dt><dd>nobody</dd>", "<dt>spokesperson</dt><dd>nobody</dd>", "No update posted yet.", `<a rel="next" href="?step=2"`, `<span class="disabled" aria-disabled="true">← Prev</span>`, "10 more events to come."},
			[]string{`rel="prev"`, "Payment provider returns 502"}},
		{"4", []string{"Step 4 of 11 · T&#43;0:02", "<dt>operator</dt><dd>Alice</dd>", "<dt>spokesperson</dt><dd>Bob</dd>", "took the spokesperson role", `<a rel="prev" href="?step=3"`}, []string{"Payment provider returns 502"}},
		{"7", []string{"Step 7 of 11 · T&#43;0:25", "<dt>Status</dt><dd>identified</dd>", "Our gateway sends an expired client certificate", `aria-current="step"`, "4 more events to come."},
			[]string{"New certificate deployed", "Lost orders"}},
		{"8", []string{"Step 8 of 11 · T&#43;0:27", "noted: Lost orders so far", `<p class="update">Our gateway sends an expired client certificate to the EU endpoint.</p>`, "T&#43;0:25 · Bob"}, nil},
		{"11", []string{"Step 11 of 11 · T&#43;1:15", "<dt>Status</dt><dd>resolved</dd>", "New certificate deployed", `<span class="disabled" aria-disabled="true">Next →</span>`}, []string{`rel="next"`, "to come"}},
	}
	for _, tt := range tests {
		t.Run("Step"+tt.step, func(t *testing.T) {
			res, body := MustGet(t, s, http.MethodGet, "/incidents/42/replay?step="+tt.step)
			if res.StatusCode != 200 {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("step %s lacks %q", tt.step, w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(body, a) {
					t.Errorf("step %s shows %q, which comes later", tt.step, a)
				}
			}
		})
	}
	for _, bad := range []string{"0", "12", "-1", "two", "1.5", strings.Repeat("9", 30)} {
		res, body := MustGet(t, s, http.MethodGet, "/incidents/42/replay?step="+url.QueryEscape(bad))
		if res.StatusCode != 400 || !strings.Contains(body, "its steps are 1 to 11.") {
			t.Errorf("step %q = %d %q", bad, res.StatusCode, body)
		}
	}
}

func TestSite_Headers(t *testing.T) {
	s := MustSite(t, fixtureReports()...)
	for _, target := range []string{"/", "/incidents/42", "/incidents/42/replay?step=2", "/incidents/99"} {
		res, body := MustGet(t, s, http.MethodGet, target)
		h := res.Header
		if h.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") ||
			h.Get("Cache-Control") != "private, no-cache" || h.Get("Content-Length") != itoa(len(body)) {
			t.Errorf("%s: headers %v", target, h)
		}
		head, headBody := MustGet(t, s, http.MethodHead, target)
		if head.StatusCode != res.StatusCode || headBody != "" || head.Header.Get("Content-Length") != h.Get("Content-Length") {
			t.Errorf("HEAD %s = %d with %d bytes", target, head.StatusCode, len(headBody))
		}
	}
	res, body := MustGet(t, s, http.MethodGet, "/static/replay.js")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(body, "ArrowRight") {
		t.Errorf("replay.js = %d %v", res.StatusCode, res.Header)
	}
	if res, _ := MustGet(t, s, http.MethodPost, "/"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d", res.StatusCode)
	}
}

func TestSite_EscapesEverything(t *testing.T) {
	const hostile = `<script>alert(1)</script>"onload=alert(2)`
	rep := checkoutReport()
	rep.Title, rep.Service = "Title "+hostile, "svc"+hostile
	rep.Events[0].Actor = "Eve" + hostile
	rep.Events[0].Text = "text " + hostile
	rep.Events[0].Roles = map[string]string{"operator" + hostile: "holder" + hostile}
	rep.Events[0].Status = "status" + hostile
	rep.Events[4].Text = "update " + hostile
	s := MustSite(t, rep)
	for _, target := range []string{"/", "/incidents/42", "/incidents/42/replay", "/incidents/42/replay?step=5", "/?q=" + url.QueryEscape(hostile), "/?from=" + url.QueryEscape(hostile)} {
		_, body := MustGet(t, s, http.MethodGet, target)
		if strings.Contains(body, "<script>") || strings.Contains(body, `"onload=`) {
			t.Errorf("%s shows the hostile text unescaped", target)
		}
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("%s does not show the hostile text at all", target)
		}
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "Options.Source is required") {
		t.Errorf("New without a source = %v", err)
	}
	s, err := New(Options{Source: NewMemorySource()})
	if err != nil || s.loc != time.UTC {
		t.Errorf("New = %v, %v", s, err)
	}
}

func TestRelTime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "T+0:00",
		5 * time.Minute:              "T+0:05",
		59*time.Second + time.Minute: "T+0:01",
		75 * time.Minute:             "T+1:15",
		26*time.Hour + 3*time.Minute: "T+26:03",
		-3 * time.Minute:             "T-0:03",
		-(2*time.Hour + time.Minute): "T-2:01",
		time.Duration(1<<63 - 1):     "T+2562047:47",
		-time.Duration(1<<63 - 1):    "T-2562047:47",
	} {
		if got := relTime(d); got != want {
			t.Errorf("relTime(%v) = %q, want %q", d, got, want)
		}
	}
}
