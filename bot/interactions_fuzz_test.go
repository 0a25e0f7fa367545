package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
)

// FuzzInteraction feeds arbitrary interaction payloads (buttons, forms,
// shortcuts, as Slack's JSON) to the router: it never panics, always
// acknowledges, and leaves a store that passes its check. A crafted or
// garbled payload is answered, never trusted.
func FuzzInteraction(f *testing.F) {
	for _, s := range []string{
		`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"actions":[{"action_id":"incident_resolve","block_id":"b","value":"1"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"container":{"channel_id":"C1"},"actions":[{"action_id":"incident_task_done","block_id":"b","value":"1:x"}]}`,
		`{"type":"block_actions","user":{"id":"U2"},"actions":[{"action_id":"incident_pick_spokesperson","block_id":"b","selected_user":"U3","value":"99"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"incident_severity","block_id":"b","value":"1","selected_option":{"value":"apocalyptic"}}]}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1","callback_id":"incident_declare","private_metadata":"{\"c\":\"C1\"}","state":{"values":{"title":{"title":{"type":"plain_text_input","value":"<!channel> down"}}}}}}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V2","callback_id":"incident_update","private_metadata":"1","state":{"values":{"known":{"known":{"value":"x"}},"next":{"next":{"selected_option":{"value":"-5m"}}}}}}}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V3","callback_id":"incident_role","private_metadata":"{\"i\":1}","state":{"values":{"role":{"role":{"selected_option":{"value":"boss"}}}}}}}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V4","callback_id":"incident_handoff","private_metadata":"not json|x|y"}}`,
		`{"type":"message_action","callback_id":"add_to_timeline","user":{"id":"U1"},"channel":{"id":"C1"},"message_ts":"1.2"}`,
		`{"type":"shortcut","callback_id":"unknown"}`,
		`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"actions":[{"action_id":"incident_checklist_step","block_id":"step_1_3","selected_options":[{"value":"general/x"}]}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"actions":[{"action_id":"incident_checklist_step","block_id":"step_99_-1"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C1"},"actions":[{"action_id":"incident_resolve","block_id":"b","value":"1:anyway"}]}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V5","callback_id":"incident_declare","state":{"values":{"title":{"title":{"value":"x"}},"loss":{"loss":{"value":"-5k"}},"experience":{"experience":{"selected_option":{"value":"meh"}}},"type":{"type":{"selected_option":{"value":"nope"}}}}}}}`,
		`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C2"},"actions":[{"action_id":"incident_triage_declare","block_id":"b","value":"alertmanager:k"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"channel":{"id":"C2"},"actions":[{"action_id":"incident_triage_dismiss","block_id":"b","value":"nope"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"incident_triage_link","block_id":"b","value":"alertmanager:k"}]}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V5","callback_id":"incident_triage_link","private_metadata":"{\"to\":\"alertmanager:k\"}","state":{"values":{"link_incident":{"link_incident":{"selected_option":{"value":"1"}}}}}}}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V6","callback_id":"incident_cause","private_metadata":"{\"i\":1}","state":{"values":{"cause_category":{"cause_category":{"selected_option":{"value":"weather"}}},"cause_deploy":{"cause_deploy":{"selected_option":{"value":"deploy:x"}}}}}}}`,
		`{"type":"block_actions","user":{"id":"U2"},"channel":{"id":"D1"},"actions":[{"action_id":"oncall_page_ack","block_id":"b","value":"1"}]}`,
		`{"type":"block_actions","user":{"id":"U2"},"actions":[{"action_id":"oncall_page_ack","block_id":"b","value":"-7"}]}`,
		`{"type":"block_actions","user":{"id":"U2"},"actions":[{"action_id":"oncall_handoff_confirm","block_id":"b","value":"primary@1773043200000000000"}]}`,
		`{"type":"block_actions","user":{"id":"U2"},"actions":[{"action_id":"oncall_handoff_check","block_id":"oncall_checklist_0|primary@1","selected_options":[{"value":"oncall/test-page"}]}]}`,
		`{"type":"block_actions","user":{"id":"U2"},"actions":[{"action_id":"oncall_handoff_check","block_id":"oncall_checklist_x"}]}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"id":"V5","callback_id":"oncall_override","private_metadata":"{}","state":{"values":{"rotation":{"rotation":{"selected_option":{"value":"primary"}}},"user":{"user":{"selected_user":"U2"}},"from":{"from":{"value":"now"}},"to":{"to":{"value":"+1h"}}}}}}`,
	} {
		f.Add([]byte(s))
	}
	fake := slackfake.New()
	f.Cleanup(fake.Close)
	clk := clock.NewFake(time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
	db, err := store.Open(filepath.Join(f.TempDir(), "fuzz.db"), store.WithNoSync(true), store.WithNow(clk.Now))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := db.Check(); err != nil {
			f.Error(err)
		}
		db.Close()
	})
	// One incident for the payloads to aim at.
	p := incident.DefaultPolicy()
	inc, evs, _ := incident.Declare(p, incident.DeclareRequest{Title: "target", DeclaredBy: "U1"}, clk.Now())
	inc.ChannelID = "C1"
	if _, err := db.CreateIncident(context.Background(), inc, incident.Change{Events: evs}); err != nil {
		f.Fatal(err)
	}
	// And one alert group waiting in triage.
	_, _, err = db.UpdateAlertGroup(context.Background(), "alertmanager:k", 0, func(g *incident.AlertGroup, _ *incident.Incident) (incident.AlertWrite, error) {
		g.Receive(incident.AlertNotice{Source: "alertmanager", Title: "DiskFull", Alerts: []incident.AlertStatus{{Fingerprint: "a", Name: "DiskFull", Firing: true}}}, false, clk.Now())
		g.State, g.Channel = incident.AlertTriage, "C2"
		return incident.AlertWrite{}, nil
	})
	if err != nil {
		f.Fatal(err)
	}
	a := New(Options{
		Slack: slack.New(fake.BotToken(), slack.OptionAPIURL(fake.APIURL())),
		Store: db, Policy: p, Clock: clk, CallTimeout: time.Second, NoPacing: true,
	})
	var n atomic.Int64 // a new envelope each time: a repeat would only hit the dedupe
	f.Fuzz(func(t *testing.T, data []byte) {
		var cb slack.InteractionCallback
		if json.Unmarshal(data, &cb) != nil {
			return
		}
		acked := 0
		a.onInteraction(context.Background(), cb, fmt.Sprintf("env:fuzz-%d", n.Add(1)), func(any) { acked++ })
		if acked == 0 {
			t.Fatalf("payload %s was never acknowledged", data)
		}
	})
}
