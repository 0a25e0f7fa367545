package publish_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/statuspage"
	"github.com/incidentbot/incidentbot/store"
)

// marker is the text put in one field of one incident: letters only, so
// that no output escapes it, and unique, so that finding it names the
// field that leaked.
func marker(kind, path string) string { return "zq" + kind + "x" + path + "zq" }

// fill puts a marker in every string reachable from v (structs,
// pointers, slices of them), except the fields in keep.
func fill(v reflect.Value, kind, path string, keep map[string]bool) {
	switch v.Kind() {
	case reflect.String:
		if !keep[path] {
			v.SetString(marker(kind, path))
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), kind, path, keep)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), kind, path+f.Name, keep)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			fill(v.Index(i), kind, path+"Item", keep)
		}
	}
}

// markedIncident stores an incident of one kind with a marker in every
// field of the incident and of every event: declared, two updates (one
// published), a note, the cause and, unless open, resolved and closed
// (or cancelled) with a customer summary.
func markedIncident(t *testing.T, db *store.DB, kind string, private, drill bool, end string) string {
	t.Helper()
	m := func(path string) string { return marker(kind, path) }
	s := newStory(t, m("Title"), "major", ago(3*time.Hour))
	inc := s.inc
	keep := map[string]bool{"Severity": true, "Status": true, "Operator": true, "Spokesperson": true}
	fill(reflect.ValueOf(inc).Elem(), kind, "", keep)
	inc.Title, inc.Private, inc.Drill, inc.CustomerSummary = m("Title"), private, drill, nil
	inc.Handoff.Role, inc.Handoff.To = incident.RoleSpokesperson, m("HandoffTo")
	s.do(inc.PostUpdate(policy, "UALICE", incident.Update{Text: m("PublishedText"), Doing: m("PublishedDoing"), Impact: m("PublishedImpact"), Publish: true}, ago(2*time.Hour)))
	s.do(inc.PostUpdate(policy, "UALICE", incident.Update{Text: m("InternalText"), Doing: m("InternalDoing"), Publish: false}, ago(110*time.Minute)))
	s.do(inc.AddNote(policy, "UALICE", m("Note"), ago(100*time.Minute)))
	s.do(inc.SetCause(policy, "UALICE", m("Cause"), ago(90*time.Minute)))
	switch end {
	case "closed":
		s.resolve(ago(80*time.Minute), m("Resolution")).close(ago(70 * time.Minute))
		cs := incident.CustomerSummary{WhatHappened: m("SummaryWhat"), Impact: m("SummaryImpact"), Apology: m("SummaryApology"), Changes: m("SummaryChanges")}
		if inc.Public() {
			s.summary(ago(60*time.Minute), cs)
		} else {
			inc.CustomerSummary = &cs // as if written before it became private
		}
	case "cancelled":
		s.do(inc.Cancel(policy, "UALICE", m("CancelReason"), ago(80*time.Minute)))
	}
	// Every field of every event carries a marker too.
	for i := range s.evs {
		e := &s.evs[i]
		if e.Text == "" {
			e.Text = m(fmt.Sprintf("Event%dText", i))
		}
		for k, v := range e.Fields {
			if v == "" || k == "status" || k == "severity" || k == "to" || k == "from" || k == incident.FieldPublic || k == "next_update" || k == "late" || k == "role" || k == "private" {
				continue
			}
			if e.Kind == incident.EventUpdatePosted && (k == "doing" || k == "impact") {
				continue // the markers above name them
			}
			e.Fields[k] = m(fmt.Sprintf("Event%d%s", i, k))
		}
	}
	s.store(db)
	return kind
}

// TestPrivacyMatrix puts a marker in every field of every incident and
// event, then reads every output of the status page and of the reports
// site: private incidents, drills and cancelled incidents show nowhere;
// a public incident shows its title, published updates and customer
// summary on the status page, nothing else; the internal reports site
// shows closed public incidents only.
func TestPrivacyMatrix(t *testing.T) {
	db := MustOpen(t)
	kinds := []struct {
		name           string
		private, drill bool
		end            string
		status         bool // may reach the status page
		report         bool // may reach the reports site
	}{
		{"publicopen", false, false, "open", true, false},
		{"publicclosed", false, false, "closed", true, true},
		{"privateopen", true, false, "open", false, false},
		{"privateclosed", true, false, "closed", false, false},
		{"drillopen", false, true, "open", false, false},
		{"drillclosed", false, true, "closed", false, false},
		{"cancelled", false, false, "cancelled", false, false},
	}
	for _, k := range kinds {
		markedIncident(t, db, k.name, k.private, k.drill, k.end)
	}
	page, _ := MustStatusPage(t, db, statuspageOptions())
	status := map[string]string{}
	for _, path := range []string{"/", "/api/v1/status", "/api/v1/incidents", "/feed.atom", "/badge.svg", "/embed.js"} {
		status[path] = MustGet(t, page, path, http.StatusOK)
	}
	site := MustReportsSite(t, db)
	rep := map[string]string{"/": MustGet(t, site, "/", http.StatusOK)}
	for id := 1; id <= len(kinds); id++ {
		for _, path := range []string{fmt.Sprintf("/incidents/%d", id), fmt.Sprintf("/incidents/%d/replay", id), fmt.Sprintf("/incidents/%d/replay?step=3", id)} {
			res, body := getAny(t, site, path)
			rep[path] = body
			if want := kinds[id-1].report; (res == http.StatusOK) != want {
				t.Errorf("GET %s (%s) = %d, want shown=%v", path, kinds[id-1].name, res, want)
			}
		}
	}

	// Markers visible on the status page for a public incident.
	statusOK := map[string]bool{"Title": true, "PublishedText": true, "PublishedDoing": true}
	closedOK := map[string]bool{"SummaryWhat": true, "SummaryImpact": true, "SummaryApology": true, "SummaryChanges": true}
	for _, k := range kinds {
		// Whether each output may show marker path of kind k.
		for out, body := range status {
			for _, path := range markersIn(body, k.name) {
				if !k.status || !(statusOK[path] || (k.end == "closed" && closedOK[path])) {
					t.Errorf("status page %s shows %s of the %s incident", out, path, k.name)
				}
			}
		}
		for out, body := range rep {
			if paths := markersIn(body, k.name); len(paths) > 0 && !k.report {
				t.Errorf("reports site %s shows %v of the %s incident", out, paths, k.name)
			}
		}
	}
	// And what must show does.
	for _, want := range []string{"Title", "PublishedText", "PublishedDoing"} {
		if !strings.Contains(status["/"], marker("publicopen", want)) || !strings.Contains(status["/api/v1/incidents"], marker("publicopen", want)) {
			t.Errorf("the status page lacks the public incident's %s", want)
		}
	}
	for path := range closedOK {
		if !strings.Contains(status["/api/v1/incidents"], marker("publicclosed", path)) {
			t.Errorf("the status page API lacks the customer summary's %s", path)
		}
	}
	if !strings.Contains(rep["/incidents/2"], marker("publicclosed", "Cause")) {
		t.Error("the report of the closed public incident lacks its cause")
	}
}

// markersIn lists the marker paths of kind found in body.
func markersIn(body, kind string) []string {
	var out []string
	prefix := "zq" + kind + "x"
	for rest := body; ; {
		i := strings.Index(rest, prefix)
		if i < 0 {
			return out
		}
		rest = rest[i+len(prefix):]
		j := strings.Index(rest, "zq")
		if j < 0 {
			return out
		}
		out = append(out, rest[:j])
		rest = rest[j+2:]
	}
}

func getAny(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	rec := newRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// statuspageOptions are the page options of the tests: a public address,
// so the feed and the API carry absolute links.
func statuspageOptions() statuspage.Options {
	return statuspage.Options{PublicURL: "https://status.example.com/"}
}
