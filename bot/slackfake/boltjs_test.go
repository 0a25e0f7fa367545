package slackfake_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/testtool"
)

// boltReport is one line the Bolt app prints.
type boltReport struct {
	Kind   string `json:"kind"`
	Method string `json:"method"`
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Type   string `json:"type"`
	Action string `json:"action"`
	Block  string `json:"block"`
	Value  string `json:"value"`
	ID     string `json:"id"`
	TS     string `json:"ts"`
}

// boltApp is the running node process and what it reported so far.
type boltApp struct {
	t       *testing.T
	s       *slackfake.Server
	mu      sync.Mutex
	reports []boltReport
}

// wait blocks until the app reported a line for which match holds, and
// returns it. Lines come through the fake's change notifications: every
// report follows a call or an ack the fake saw.
func (b *boltApp) wait(what string, match func(boltReport) bool) boltReport {
	b.t.Helper()
	var found boltReport
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		b.mu.Lock()
		for _, r := range b.reports {
			if match(r) {
				found = r
				b.mu.Unlock()
				return found
			}
		}
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			b.t.Fatalf("the Bolt app never reported %s; it reported %+v", what, b.all())
		case <-tick.C:
		}
	}
}

func (b *boltApp) all() []boltReport {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]boltReport(nil), b.reports...)
}

func kind(k string) func(boltReport) bool { return func(r boltReport) bool { return r.Kind == k } }

// TestBoltJS runs an app built with Slack's official Bolt for JavaScript
// (@slack/bolt, pinned in boltjs/package-lock.json) against the fake: it
// connects over Socket Mode, acks a slash command, a block_actions, a
// view_submission and an events_api envelope, and calls every Web API
// method the bot uses. Where Bolt and the fake disagree, the fake is wrong.
func TestBoltJS(t *testing.T) {
	node := testtool.LookPath(t, "node", "bash .ci/install.d/boltjs.sh")
	dir, _ := filepath.Abs("boltjs")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@slack", "bolt", "package.json")); err != nil {
		testtool.Missing(t, "Bolt is not installed: run npm ci in bot/slackfake/boltjs (.ci/install.d/boltjs.sh)")
	}

	f := mustFixture(t, slackfake.WithAckTimeout(3*time.Second))
	s := f.s
	cmd := exec.Command(node, "app.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"SLACK_API_URL="+s.APIURL(), "SLACK_BOT_TOKEN="+s.BotToken(), "SLACK_APP_TOKEN="+s.AppToken(),
		"BOLTJS_CHANNEL="+f.general, "BOLTJS_USER="+f.alice, "BOLTJS_OTHER_USER="+f.bob)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	app := &boltApp{t: t, s: s}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var r boltReport
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Errorf("the Bolt app printed a line that is not JSON: %q", sc.Text())
				continue
			}
			app.mu.Lock()
			app.reports = append(app.reports, r)
			app.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = stdin.Close() // the app stops when its stdin closes
		done := make(chan error, 1)
		go func() { <-read; done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if e := stderr.String(); e != "" {
			t.Logf("Bolt app stderr:\n%s", e)
		}
	})

	app.wait("ready", kind("ready"))
	app.wait("calls_done", kind("calls_done"))
	posted := app.wait("the posted card", kind("posted"))

	// Socket Mode: one envelope of each type, each acked.
	d, err := s.SlashCommand(f.alice, f.general, "/incident", "declare db down")
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := d.Wait(f.ctx); err != nil || !strings.Contains(string(ack), "Declaring: declare db down") {
		t.Fatalf("slash command ack = %s, %v", ack, err)
	}
	root := app.wait("the modal", kind("view"))
	d, err = s.ClickViewButton(f.alice, root.ID, "more")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	pushed := app.wait("the pushed modal", func(r boltReport) bool { return r.Kind == "view" && r.ID != root.ID })
	d, err = s.ClickButtonIn(f.alice, f.general, posted.TS, "b2", "go")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	d, err = s.SubmitView(f.alice, pushed.ID, map[string]string{"note": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(f.ctx); err != nil {
		t.Fatal(err)
	}
	if errs := s.ViewErrors(pushed.ID); errs["note"] != "too short: x" {
		t.Fatalf("view errors = %v", errs)
	}
	if err := s.AddReaction(f.alice, f.general, posted.TS, "pushpin"); err != nil {
		t.Fatal(err)
	}
	app.wait("the reaction_added event", func(r boltReport) bool { return r.Type == "events_api" })
	mustWait(t, s, func() bool { return s.Pending() == 0 })

	if r := app.wait("the button click", func(r boltReport) bool { return r.Action == "go" }); r.Block != "b2" || r.Value != "v2" {
		t.Errorf("click reached Bolt as %+v, want block b2, value v2", r)
	}
	for _, typ := range []string{"slash_commands", "view_submission"} {
		app.wait(typ+" ack", func(r boltReport) bool { return r.Kind == "ack" && r.Type == typ })
	}
	acked := map[string]int{}
	for _, a := range s.Acks() {
		if a.Late {
			t.Errorf("late ack: %+v", a)
		}
		acked[a.Type]++
	}
	if acked["slash_commands"] != 1 || acked["interactive"] != 3 || acked["events_api"] < 1 {
		t.Errorf("acks by type = %v, want 1 slash_commands, 3 interactive, events_api", acked)
	}
	s.ExpectNoUserErrors(t)

	// Every Web API call succeeded, and each method the bot uses was made.
	made := map[string]bool{}
	for _, r := range app.all() {
		if r.Kind == "error" {
			t.Errorf("Bolt reported an error: %s", r.Error)
		}
		if r.Kind != "call" {
			continue
		}
		made[r.Method] = true
		if !r.OK {
			t.Errorf("%s failed under Bolt: %s", r.Method, r.Error)
		}
	}
	for _, c := range s.Calls() {
		made[c.Method] = true
	}
	for _, m := range []string{
		"auth.test", "apps.connections.open", "chat.postMessage", "chat.update", "chat.postEphemeral", "chat.getPermalink",
		"conversations.create", "conversations.invite", "conversations.setTopic", "conversations.archive",
		"conversations.info", "conversations.list", "conversations.members", "conversations.history",
		"conversations.replies", "conversations.open", "pins.add", "reactions.add", "users.info", "users.list",
		"files.getUploadURLExternal", "files.completeUploadExternal", "views.open", "views.update", "views.push",
	} {
		if !made[m] {
			t.Errorf("the Bolt app never called %s", m)
		}
	}
	if files := s.Files(); len(files) != 1 || !strings.Contains(string(files[0].Content), "Checked by Bolt") {
		t.Errorf("files = %+v", files)
	}
}
