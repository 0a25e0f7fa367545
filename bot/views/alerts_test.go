package views

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func testGroup() *incident.AlertGroup {
	g := &incident.AlertGroup{Key: "alertmanager:0123", Source: "alertmanager", State: incident.AlertTriage,
		Route: incident.AlertRoute{Name: "default"}, Title: "DiskFull (service=db)", Summary: "disk &gt; 90% &amp; rising",
		URL: "http://prometheus.local/graph?g0.expr=a|b>c", Notifications: 3, FirstAt: t0, LastAt: t0.Add(10 * time.Minute)}
	for i := range 14 {
		g.Alerts = append(g.Alerts, incident.AlertStatus{Fingerprint: fmt.Sprint(i), Name: "DiskFull", Summary: fmt.Sprintf("db-%d", i), Firing: i%3 != 0})
	}
	return g
}

func TestTriageMessage(t *testing.T) {
	e := testEnv()
	g := testGroup()
	blocks, text := e.TriageMessage(g, false)
	golden(t, "triage_undecided", blocks)
	if !strings.Contains(text, "DiskFull (service=db) (9 firing, 5 resolved · notified 3 times)") {
		t.Errorf("text %q", text)
	}
	g.State, g.IncidentID, g.DecidedBy = incident.AlertDeclared, 7, "U1"
	blocks, _ = e.TriageMessage(g, false)
	golden(t, "triage_declared", blocks)
	for _, st := range []incident.AlertState{incident.AlertLinked, incident.AlertDismissed} {
		g.State = st
		blocks, _ = e.TriageMessage(g, false)
		raw := string(mustJSON(t, blocks))
		if strings.Contains(raw, ActionTriageDeclare) || !strings.Contains(raw, `\u003c@U1\u003e`) {
			t.Errorf("%s: %s", st, raw)
		}
	}
}

func TestTriageMessage_LinkedToPrivate(t *testing.T) {
	g := testGroup()
	g.State, g.IncidentID, g.DecidedBy = incident.AlertLinked, 7, "U1"
	blocks, _ := testEnv().TriageMessage(g, true)
	raw := string(mustJSON(t, blocks))
	if strings.Contains(raw, "#7") || !strings.Contains(raw, "a private incident") {
		t.Errorf("the triage channel learns of a private incident: %s", raw)
	}
}

func TestCardDetails(t *testing.T) {
	e := testEnv()
	inc := testIncident()
	if len(e.CardDetails(inc)) != 0 {
		t.Error("details for an incident with none")
	}
	inc.Service, inc.Type, inc.CauseCategory = "pay<ments", "outage", incident.CauseChange
	inc.Alert = testGroup().Ref()
	golden(t, "card_alert", e.Card(inc))
}

func TestWeeklyChart(t *testing.T) {
	weeks := []incident.WeekCount{
		{Start: t0, Count: []int{1, 2, 0, 0}},
		{Start: t0.AddDate(0, 0, 7), Count: []int{0, 0, 0, 0}},
		{Start: t0.AddDate(0, 0, 14), Count: []int{3, 1, 4, 1}},
	}
	img, err := WeeklyChart(weeks)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "weekly_chart.golden.png")
	if *update {
		os.WriteFile(path, img, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(img, want) {
		t.Errorf("the chart differs from %s (run go test -update and look at it)", path)
	}
	m, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	// The tallest bar (9) reaches the top of the plot, most severe at the
	// bottom; the empty week is background down to the axis.
	if c := m.At(12+2*32+5, 12); c != chartColor(3, 4) {
		t.Errorf("top of the tallest bar: %v", c)
	}
	if c := m.At(12+2*32+5, 12+159); c != chartColor(0, 4) {
		t.Errorf("bottom of the tallest bar: %v", c)
	}
	if c := m.At(12+32+5, 12+159); c != chartBackground {
		t.Errorf("the empty week: %v", c)
	}
	var many []incident.WeekCount
	for i := range 60 {
		many = append(many, incident.WeekCount{Start: t0.AddDate(0, 0, 7*i), Count: []int{i % 3, 0, 0, 0}})
	}
	img, _ = WeeklyChart(many)
	if m, _ := png.Decode(bytes.NewReader(img)); m.Bounds().Dx() != 2*12+52*32-8 {
		t.Errorf("60 weeks drawn %d wide, want the last 52", m.Bounds().Dx())
	}
	if _, err := WeeklyChart(nil); err == nil {
		t.Error("a chart of nothing")
	}
}
