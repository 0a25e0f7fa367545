package bot_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

// TestUseCases_EntryPathsBehaveTheSame runs each use case through every way
// a person can reach it (a command, a button, a form, an event) on a fresh
// bot, and checks that each path leaves the same timeline and makes Slack
// show the same messages: one method per use case, whatever the entry.
func TestUseCases_EntryPathsBehaveTheSame(t *testing.T) {
	type path struct {
		name string
		run  func(h *harness, inc *incident.Incident)
	}
	// pre prepares what only one path needs (a reminder to click), before
	// the baseline is taken.
	pre := map[string]func(h *harness, inc *incident.Incident){
		"Update/reminder button": func(h *harness, inc *incident.Incident) {
			due := inc.NextUpdateDue
			h.tickAt(due.Add(-5 * time.Minute))
			h.settle()
			h.clock.Set(due.Add(-30 * time.Minute)) // back to when the others post
		},
	}
	cases := []struct {
		name  string
		setup func(h *harness, inc *incident.Incident)
		paths []path
	}{
		{"Severity", nil, []path{
			{"command", func(h *harness, inc *incident.Incident) { h.slash(h.alice, inc.ChannelID, "sev critical") }},
			{"card select", func(h *harness, inc *incident.Incident) {
				h.wait(h.fake.SelectInMessage(h.alice, inc.ChannelID, inc.CardTS, views.ActionSeverity, "critical"))
			}},
		}},
		{"Resolve", nil, []path{
			{"command", func(h *harness, inc *incident.Incident) { h.slash(h.alice, inc.ChannelID, "resolve") }},
			{"card button", func(h *harness, inc *incident.Incident) {
				h.click(h.alice, inc.ChannelID, inc.CardTS, views.ActionResolve)
			}},
		}},
		{"Close", func(h *harness, inc *incident.Incident) { h.slash(h.alice, inc.ChannelID, "resolve") }, []path{
			{"command", func(h *harness, inc *incident.Incident) { h.slash(h.alice, inc.ChannelID, "close") }},
			{"card button", func(h *harness, inc *incident.Incident) {
				h.click(h.alice, inc.ChannelID, inc.CardTS, views.ActionClose)
			}},
		}},
		{"Snooze", func(h *harness, inc *incident.Incident) {
			h.tickAt(inc.NextUpdateDue)
			h.settle()
		}, []path{
			{"command", func(h *harness, inc *incident.Incident) { h.slash(h.bob, inc.ChannelID, "snooze") }},
			{"nudge button", func(h *harness, inc *incident.Incident) {
				m := h.expectMessage(inc.ChannelID, "is due now")
				h.click(h.bob, inc.ChannelID, m.TS, views.ActionSnooze)
			}},
		}},
		{"Update", nil, []path{
			{"command", func(h *harness, inc *incident.Incident) {
				h.slash(h.bob, inc.ChannelID, "update --next 30m Payments recovering; watching error rates.")
			}},
			{"form", func(h *harness, inc *incident.Incident) {
				h.slash(h.bob, inc.ChannelID, "update")
				h.submitUpdate(h.bob, "Payments recovering; watching error rates.")
			}},
			{"reminder button", func(h *harness, inc *incident.Incident) {
				m := h.expectMessage(inc.ChannelID, "heads-up")
				h.click(h.bob, inc.ChannelID, m.TS, views.ActionPostUpdate)
				h.submitUpdate(h.bob, "Payments recovering; watching error rates.")
			}},
		}},
		{"TaskDone", func(h *harness, inc *incident.Incident) {
			h.slash(h.alice, inc.ChannelID, "task add a dashboard")
			h.settle()
		}, []path{
			{"command", func(h *harness, inc *incident.Incident) { h.slash(h.bob, inc.ChannelID, "task done 1") }},
			{"button", func(h *harness, inc *incident.Incident) {
				m := h.expectMessage(inc.ChannelID, "add a dashboard", views.ActionTaskDone)
				h.click(h.bob, inc.ChannelID, m.TS, views.ActionTaskDone)
				h.expectEphemeral(inc.ChannelID, h.bob, "Action item 1 of incident #1 is done")
			}},
		}},
		{"Pin", func(h *harness, inc *incident.Incident) {
			h.fake.JoinChannel(h.carol, inc.ChannelID)
			h.fake.PostUserMessage(h.carol, inc.ChannelID, "p99 doubled at 09:02")
			h.settle()
		}, []path{
			{"reaction", func(h *harness, inc *incident.Incident) {
				h.fake.AddReaction(h.alice, inc.ChannelID, h.userMessage(inc.ChannelID, "p99 doubled"), "pushpin")
			}},
			{"pin", func(h *harness, inc *incident.Incident) {
				h.fake.PinMessage(h.alice, inc.ChannelID, h.userMessage(inc.ChannelID, "p99 doubled"))
			}},
			{"shortcut", func(h *harness, inc *incident.Incident) {
				h.wait(h.fake.MessageShortcut(h.alice, inc.ChannelID, h.userMessage(inc.ChannelID, "p99 doubled"), "add_to_timeline"))
				h.expectEphemeral(inc.ChannelID, h.alice, "Added to the timeline of incident #1")
			}},
		}},
		{"AcceptHandoff", func(h *harness, inc *incident.Incident) {
			h.slash(h.bob, inc.ChannelID, "role spokesperson "+mention(h.carol))
			h.submit(h.bob, h.topView(h.bob), map[string]string{views.InputState: "cert rotating"})
			h.settle()
		}, []path{
			{"command", func(h *harness, inc *incident.Incident) { h.slash(h.carol, inc.ChannelID, "accept") }},
			{"war-room button", func(h *harness, inc *incident.Incident) {
				m := h.expectMessage(inc.ChannelID, "offers the spokesperson role")
				h.click(h.carol, inc.ChannelID, m.TS, views.ActionAcceptHandoff)
			}},
			{"DM button", func(h *harness, inc *incident.Incident) {
				m := h.expectDM(h.carol, "offers the spokesperson role")
				h.click(h.carol, m.Channel, m.TS, views.ActionAcceptHandoff)
			}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want *fingerprint
			for _, p := range c.paths {
				h := newHarness(t)
				inc, _ := withSpokesperson(t, h)
				h.settle()
				if c.setup != nil {
					c.setup(h, inc)
					h.settle()
				}
				if f := pre[c.name+"/"+p.name]; f != nil {
					f(h, inc)
				}
				inc = h.incident(inc.ID)
				before := h.fingerprint(inc.ID)
				p.run(h, inc)
				h.settle()
				got := h.fingerprint(inc.ID).since(before)
				if len(got.events) == 0 {
					t.Fatalf("%s: nothing happened", p.name)
				}
				if want == nil {
					want = &got
					continue
				}
				if d := got.diff(*want); d != "" {
					t.Errorf("%s behaves unlike %s:\n%s", p.name, c.paths[0].name, d)
				}
			}
		})
	}
}

// TestUseCases_SpokespersonPaths: the spokesperson chosen by command, by
// the picker or by the role form.
func TestUseCases_SpokespersonPaths(t *testing.T) {
	paths := map[string]func(h *harness, inc *incident.Incident){
		"command": func(h *harness, inc *incident.Incident) {
			h.slash(h.alice, inc.ChannelID, "role spokesperson "+mention(h.bob))
		},
		"picker": func(h *harness, inc *incident.Incident) {
			m := h.expectMessage(inc.ChannelID, "choose a *spokesperson*")
			h.wait(h.fake.SelectInMessage(h.alice, inc.ChannelID, m.TS, views.ActionPickSpokesperson, h.bob))
		},
		"form": func(h *harness, inc *incident.Incident) {
			h.click(h.alice, inc.ChannelID, inc.CardTS, views.ActionAssignRole)
			h.submit(h.alice, h.topView(h.alice), map[string]string{views.InputRole: "spokesperson", views.InputUser: h.bob})
		},
	}
	var want *fingerprint
	for _, name := range []string{"command", "picker", "form"} {
		h := newHarness(t)
		inc, _ := h.declare(h.alice, "--sev major Checkout is down")
		h.settle()
		before := h.fingerprint(inc.ID)
		paths[name](h, inc)
		h.settle()
		got := h.fingerprint(inc.ID).since(before)
		if want == nil {
			want = &got
			continue
		}
		if d := got.diff(*want); d != "" {
			t.Errorf("%s behaves unlike the command:\n%s", name, d)
		}
	}
}

// fingerprint is what a use case leaves behind: its timeline events
// (kind, actor, text, fields but for Slack coordinates) and the bot's
// messages people see (text of every non-ephemeral message, by place).
type fingerprint struct {
	events   []string
	messages map[string][]string // "war room", "#incidents", "DM alice"… → texts
}

// fingerprint accounts for the messages it lists (markChecked): the tests
// compare them all from one entry path to the next.
func (h *harness) fingerprint(id int64) fingerprint {
	h.t.Helper()
	f := fingerprint{messages: map[string][]string{}}
	inc := h.incident(id)
	// Channel IDs differ from one fake to the next: name the war room.
	norm := strings.NewReplacer(inc.ChannelID, "WAR-ROOM").Replace
	for _, e := range h.events(id) {
		fields := maps.Clone(e.Fields)
		delete(fields, "ts")
		delete(fields, "permalink")
		f.events = append(f.events, norm(fmt.Sprintf("%s by %s: %q %v", e.Kind, e.Actor, e.Text, fields)))
	}
	places := map[string]string{"war room": inc.ChannelID, "#incidents": h.announce}
	for _, u := range []string{h.alice, h.bob, h.carol} {
		if ch, ok := h.fake.DMChannel(u); ok {
			places["DM "+u] = ch
		}
	}
	for name, ch := range places {
		for _, m := range h.fake.Messages(ch) {
			if m.BotID == "" || m.Ephemeral {
				continue
			}
			f.messages[name] = append(f.messages[name], norm(m.Text))
			h.markChecked(m)
			for _, r := range h.fake.Thread(ch, m.TS) {
				if r.TS != m.TS && r.BotID != "" {
					f.messages[name] = append(f.messages[name], "↳ "+norm(r.Text))
					h.markChecked(r)
				}
			}
		}
	}
	return f
}

// since returns what f has that before had not.
func (f fingerprint) since(before fingerprint) fingerprint {
	out := fingerprint{events: f.events[min(len(before.events), len(f.events)):], messages: map[string][]string{}}
	for k, ms := range f.messages {
		out.messages[k] = ms[min(len(before.messages[k]), len(ms)):]
	}
	return out
}

func (f fingerprint) diff(o fingerprint) string {
	var b strings.Builder
	if !slices.Equal(f.events, o.events) {
		fmt.Fprintf(&b, "events:\n  got  %q\n  want %q\n", f.events, o.events)
	}
	for _, k := range slices.Sorted(maps.Keys(maps.Collect(func(yield func(string, bool) bool) {
		for k := range f.messages {
			yield(k, true)
		}
		for k := range o.messages {
			yield(k, true)
		}
	}))) {
		if !slices.Equal(f.messages[k], o.messages[k]) {
			fmt.Fprintf(&b, "messages in %s:\n  got  %q\n  want %q\n", k, f.messages[k], o.messages[k])
		}
	}
	return b.String()
}

// wait waits for the ack of a delivery the fake started.
func (h *harness) wait(d *slackfake.Delivery, err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
	h.ackOf("an interaction", d)
}

// submitUpdate submits the update form user has open with text.
func (h *harness) submitUpdate(user, text string) {
	h.t.Helper()
	v := h.topView(user)
	if v.CallbackID != views.CallbackUpdate {
		h.t.Fatalf("opened %q, want the update form", v.CallbackID)
	}
	h.submit(user, v, map[string]string{views.InputKnown: text, views.InputNext: "30m0s"})
}

// userMessage returns the ts of the latest message of a person in channel
// containing text.
func (h *harness) userMessage(channel, text string) string {
	h.t.Helper()
	msgs := h.fake.Messages(channel)
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].BotID == "" && strings.Contains(msgs[i].Text, text) {
			return msgs[i].TS
		}
	}
	h.t.Fatalf("no message %q in %s", text, channel)
	return ""
}
