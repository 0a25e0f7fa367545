package bot_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/testtool"
	"github.com/incidentbot/incidentbot/bot/views"
)

func TestCancel(t *testing.T) {
	h := newHarness(t, withOptions(func(o *bot.Options) { o.Policy.ArchiveAfter = time.Hour }))
	inc, ch := withSpokesperson(t, h)
	// Only the operator or an admin may cancel.
	h.slash(h.bob, ch.ID, "cancel oops")
	h.expectEphemeral(ch.ID, h.bob, "Only the operator", "or an incidentbot admin can cancel")
	h.slash(h.alice, ch.ID, "cancel trying the bot out")
	h.expectEphemeral(ch.ID, h.alice, "Incident #1 is cancelled", "left out of metrics")
	h.expectMessage(ch.ID, "cancelled incident #1", "declared by mistake", "trying the bot out")
	// The announcement gets one line in its thread, not in the channel.
	ann := inc.Announcements[0]
	h.waitFor("the thread line", func() bool {
		for _, m := range h.fake.Thread(ann.ChannelID, ann.TS) {
			if strings.Contains(m.Text, "declared by mistake") {
				return !m.ReplyBroadcast
			}
		}
		return false
	})
	h.expectInAnnouncementThread(inc, "cancelled incident #1", "declared by mistake")
	h.waitCard(inc, "cancelled")
	got := h.incident(inc.ID)
	if got.Status != incident.StatusCancelled || !got.NextUpdateDue.IsZero() {
		t.Fatalf("incident %s, next update %v", got.Status, got.NextUpdateDue)
	}
	// Left out of the open list and the digest; commands are refused.
	h.slash(h.carol, h.general, "list")
	h.expectEphemeral(h.general, h.carol, "No open incidents")
	h.slash(h.alice, ch.ID, "note after the fact")
	h.expectEphemeral(ch.ID, h.alice, "was cancelled; you cannot add notes")
	// The war room is archived after the usual delay.
	h.tickAt(h.clock.Now().Add(time.Hour))
	h.waitEvent(inc.ID, incident.EventArchived)
	if c, _ := h.fake.Channel(ch.ID); !c.Archived {
		t.Error("the cancelled incident's war room was not archived")
	}
}

func TestAnnouncementRefusedIsReportedOnce(t *testing.T) {
	h := newHarness(t)
	// A private announcement channel the bot was never invited to.
	secret, err := h.fake.CreateChannel(h.alice, "leadership", true, h.alice)
	if err != nil {
		t.Fatal(err)
	}
	h.restartWith(func(o *bot.Options) { o.AnnounceChannels = append(o.AnnounceChannels, secret) })
	h.slash(h.alice, h.general, "declare Payments down")
	h.waitFor("the war room", func() bool {
		inc, err := h.db.FindIncidentByID(h.ctx(), 1)
		return err == nil && inc.CardTS != ""
	})
	inc := h.incident(1)
	ch := struct{ ID string }{inc.ChannelID}
	// The war room hears once why; the other announcement goes out; the
	// refused channel is never tried again.
	h.expectMessage(ch.ID, "could not announce this incident in <#"+secret+">", "not_in_channel")
	h.settle()
	calls := func() int {
		n := 0
		for _, c := range h.fake.Calls() {
			if c.Method == "chat.postMessage" && c.Error == "not_in_channel" {
				n++
			}
		}
		return n
	}
	if n := calls(); n != 1 {
		t.Fatalf("%d refused posts, want 1", n)
	}
	h.slash(h.alice, ch.ID, "update still down")
	h.slash(h.alice, ch.ID, "resolve")
	h.clock.Add(time.Hour)
	h.settle()
	if n := calls(); n != 1 {
		t.Errorf("the refused channel was tried %d times", n)
	}
	if e := h.waitEvent(inc.ID, incident.EventDeliveryFailed); e.Field("error") != "not_in_channel" {
		t.Errorf("event %+v", e)
	}
	h.expectRoomAndThread(inc, "Update on incident #1: still down")
	h.expectResolved(inc)
	h.expectMessage(h.announce, "Payments down")
}

func TestFailedReminderEscalates(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	// Someone archives the war room: the reminder can never be posted.
	h.settle()
	if err := h.fake.ArchiveChannel(ch.ID); err != nil {
		t.Fatal(err)
	}
	h.tickAt(inc.NextUpdateDue)
	// The operator hears it where Slack still listens, and the timeline
	// says so: a reminder never vanishes in silence.
	h.expectDM(h.alice, "could not post the update reminder for incident #1", "is_archived")
	if e := h.waitEvent(inc.ID, incident.EventDeliveryFailed); e.Field("error") != "is_archived" {
		t.Errorf("event %+v", e)
	}
}

// TestPostmortemCommitsAreSerialised closes several incidents at once with
// git commits on: each draft is committed, none lost to .git/index.lock.
func TestPostmortemCommitsAreSerialised(t *testing.T) {
	repo := t.TempDir()
	git := testtool.LookPath(t, "git", "apt-get install git")
	if out, err := exec.Command(git, "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	dir := filepath.Join(repo, "postmortems")
	h := newHarness(t, withOptions(func(o *bot.Options) { o.Postmortem = bot.PostmortemOptions{Dir: dir, GitCommit: true} }))
	const n = 6
	var rooms []string
	var incs []*incident.Incident
	for i := range n {
		inc, ch := h.declare(h.alice, "Broken thing "+string(rune('A'+i)))
		h.slash(h.alice, ch.ID, "resolve")
		rooms = append(rooms, ch.ID)
		incs = append(incs, inc)
	}
	h.settle()
	for _, room := range rooms {
		d, err := h.fake.SlashCommand(h.alice, room, "/incident", "close")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Wait(h.ctx())
	}
	h.waitFor("every commit", func() bool {
		out, err := exec.Command("git", "-C", repo, "log", "--oneline").CombinedOutput()
		return err == nil && strings.Count(string(out), "Postmortem draft for incident") == n
	})
	for i, inc := range incs {
		h.expectResolved(inc)
		h.expectClosed(inc)
		h.expectEphemeral(rooms[i], h.alice, "Closing incident")
	}
}

// TestFormErrorsShowNamesNotIDs: a form shows plain text, so a refusal
// names people, never a raw user ID.
func TestFormErrorsShowNamesNotIDs(t *testing.T) {
	h := newHarness(t)
	inc, ch := withSpokesperson(t, h)
	h.click(h.carol, ch.ID, inc.CardTS, views.ActionAssignRole)
	ack := h.submit(h.carol, h.topView(h.carol), map[string]string{views.InputRole: "spokesperson", views.InputUser: h.carol})
	if strings.Contains(string(ack), h.bob) || strings.Contains(string(ack), h.alice) {
		t.Errorf("form error shows a raw user ID: %s", ack)
	}
	if !strings.Contains(string(ack), "@") {
		t.Errorf("form error names nobody: %s", ack)
	}
}
