package bot_test

import (
	"os"
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

func TestPostmortemInGitAndArchive(t *testing.T) {
	testtool.LookPath(t, "git", "apt-get install git")
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	dir := filepath.Join(repo, "postmortems")
	h := newHarness(t, withOptions(func(o *bot.Options) {
		o.Postmortem = bot.PostmortemOptions{Dir: dir, GitCommit: true}
		o.Policy.ArchiveAfter = 24 * time.Hour
	}))
	inc, ch := withSpokesperson(t, h)
	// An action item, marked done with its button.
	h.slash(h.alice, ch.ID, "task add a dashboard "+mention(h.bob))
	m := h.expectMessage(ch.ID, "add a dashboard", views.ActionTaskDone)
	h.click(h.bob, ch.ID, m.TS, views.ActionTaskDone)
	h.expectEphemeral(ch.ID, h.bob, "Action item 1 of incident #1 is done")
	h.slash(h.alice, ch.ID, "resolve")
	h.waitFor("resolved", func() bool { return h.incident(inc.ID).Status == incident.StatusResolved })
	h.slash(h.alice, ch.ID, "close")
	h.expectResolved(inc)
	h.expectClosed(inc)
	want := filepath.Join(dir, "2026-03-04-inc-1-checkout-is-down.md")
	h.waitFor("the postmortem file", func() bool { _, err := os.Stat(want); return err == nil })
	body, _ := os.ReadFile(want)
	if !strings.Contains(string(body), "- [x] add a dashboard") {
		t.Errorf("postmortem lacks the done action item:\n%s", body)
	}
	h.waitFor("the git commit", func() bool {
		out, err := exec.Command("git", "-C", repo, "log", "--oneline").CombinedOutput()
		return err == nil && strings.Contains(string(out), "incident #1")
	})
	// The war room is archived a day after close, by the scheduler.
	h.tickAt(h.clock.Now().Add(23 * time.Hour))
	h.settle()
	if c, _ := h.fake.Channel(ch.ID); c.Archived {
		t.Fatal("archived early")
	}
	h.restart()
	h.tickAt(h.clock.Now().Add(2 * time.Hour))
	h.waitEvent(inc.ID, incident.EventArchived)
	if c, _ := h.fake.Channel(ch.ID); !c.Archived {
		t.Error("war room not archived")
	}
	h.tickAt(h.clock.Now().Add(time.Hour))
	h.settle()
	if n := h.count(inc.ID, incident.EventArchived); n != 1 {
		t.Errorf("archived %d times", n)
	}
}

func TestPrivatePostmortemStaysInWarRoom(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withOptions(func(o *bot.Options) { o.Postmortem = bot.PostmortemOptions{Dir: dir} }))
	inc, ch := h.declare(h.alice, "--private Token leaked in CI logs")
	h.slash(h.alice, ch.ID, "resolve rotated")
	h.waitFor("resolved", func() bool { return h.incident(inc.ID).Status == incident.StatusResolved })
	h.slash(h.alice, ch.ID, "close")
	h.waitFor("the upload", func() bool { fs := h.fake.Files(); return len(fs) == 1 && len(fs[0].Channels) == 1 })
	h.expectResolved(inc)
	h.expectClosed(inc)
	if f := h.fake.Files()[0]; f.Channels[0] != ch.ID {
		t.Errorf("private postmortem shared to %v", f.Channels)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("private postmortem written to the postmortem dir: %v", entries)
	}
	for _, m := range h.fake.Messages(h.announce) {
		if strings.Contains(render(m), "Token leaked") || strings.Contains(render(m), "postmortem") {
			t.Errorf("announcement leaks the private incident: %s", render(m))
		}
	}
}
