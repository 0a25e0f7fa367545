package postmortem_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
)

// bigTimeline makes an incident with n events of mixed kinds over two days.
func bigTimeline(n int) (*incident.Incident, []incident.Event) {
	users := []string{alice, bob, carol, dave, eve}
	inc := &incident.Incident{
		ID: 42, Title: "Everything is slow", Severity: "major", Status: incident.StatusResolved,
		Impact: "Pages take 10 s to load.", Cause: "A runaway cron job.", Resolution: "Killed it.",
		DeclaredBy: alice, Operator: bob, Spokesperson: carol,
		DeclaredAt: start, AcknowledgedAt: start, MitigatedAt: start.Add(time.Hour),
		ResolvedAt: start.Add(time.Duration(n) * 15 * time.Second),
	}
	for i := range 20 {
		inc.ActionItems = append(inc.ActionItems, incident.ActionItem{ID: i + 1, Text: "Follow up " + strconv.Itoa(i), Owner: users[i%5], Done: i%3 == 0})
	}
	events := make([]incident.Event, n)
	for i := range events {
		e := incident.Event{Seq: uint64(i + 1), At: start.Add(time.Duration(i) * 15 * time.Second), Actor: users[i%5]}
		switch i % 10 {
		case 0:
			e.Kind, e.Text = incident.EventNote, fmt.Sprintf("Note %d: checked *dashboards* & logs <https://grafana|here>", i)
		case 1:
			e.Kind, e.Text = incident.EventUpdatePosted, fmt.Sprintf("Update %d: still investigating", i)
			e.Fields = map[string]string{"doing": "looking at db", "impact": "slow pages", "late": map[bool]string{true: "true"}[i%20 == 1]}
		case 2:
			e.Kind, e.Text = incident.EventMessagePinned, fmt.Sprintf("Pinned %d\nwith two lines", i)
			e.Fields = map[string]string{"ts": strconv.Itoa(i), "author": users[(i+1)%5], "permalink": "https://example.slack.com/archives/C1/p" + strconv.Itoa(i)}
		case 3:
			e.Kind, e.Text = incident.EventMessageEdited, "Edited text"
			e.Fields = map[string]string{"ts": strconv.Itoa(i - 1)}
		case 4:
			e.Kind, e.Fields = incident.EventStatusChanged, map[string]string{"from": "investigating", "to": "identified"}
		case 5:
			e.Kind, e.Fields = incident.EventSeverityChanged, map[string]string{"from": "major", "to": "critical"}
		case 6:
			e.Kind, e.Actor = incident.EventReminderDue, ""
			e.Fields = map[string]string{"to": carol, "due": "2026-03-04T10:00:00Z"}
		case 7:
			e.Kind, e.Fields = incident.EventHandoffAccepted, map[string]string{"role": "operator", "from": users[(i+4)%5], "to": users[i%5]}
		case 8:
			e.Kind, e.Text = incident.EventTaskAdded, "Do the thing"
			e.Fields = map[string]string{"task": strconv.Itoa(i), "owner": dave}
		case 9:
			e.Kind, e.Text = "custom_kind", "Something else"
			e.Fields = map[string]string{"a": "1", "b": "2"}
		}
		events[i] = e
	}
	return inc, events
}

func BenchmarkDraft10k(b *testing.B) {
	inc, events := bigTimeline(10_000)
	o := postmortem.Options{Location: time.UTC, Policy: incident.DefaultPolicy(), UserName: userName, Now: start}
	b.ReportAllocs()
	var size int
	cpu := cpuTime()
	for b.Loop() {
		md, err := postmortem.Draft(inc, events, o)
		if err != nil {
			b.Fatal(err)
		}
		size = len(md)
	}
	if cpu := cpuTime() - cpu; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	b.ReportMetric(float64(size), "bytes/draft")
}
