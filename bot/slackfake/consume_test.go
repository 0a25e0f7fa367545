package slackfake_test

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// recordingTB is a testing.TB that records failures instead of failing, so
// that a test can show the checks fail when they should.
type recordingTB struct {
	testing.TB // nil: only the methods below are used
	mu         sync.Mutex
	errors     []string
	fatal      bool
	cleanups   []func()
}

func (r *recordingTB) Helper()             {}
func (r *recordingTB) Logf(string, ...any) {}
func (r *recordingTB) Cleanup(f func()) {
	r.mu.Lock()
	r.cleanups = append(r.cleanups, f)
	r.mu.Unlock()
}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.mu.Lock()
	r.fatal = true
	r.mu.Unlock()
	runtime.Goexit()
}

// run runs f as a test body would, in its own goroutine so Fatalf can stop
// it, then the cleanups.
func (r *recordingTB) run(f func(tb testing.TB)) {
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func (r *recordingTB) failures() string { return strings.Join(r.errors, "\n") }

func TestExpect_DuplicateFails(t *testing.T) {
	f := mustFixture(t)
	post := func(text string) {
		if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText(text, false)); err != nil {
			t.Fatal(err)
		}
	}
	post("Incident #1 declared")
	post("Incident #1 declared") // the bug: posted twice

	rec := &recordingTB{}
	rec.run(func(tb testing.TB) {
		f.s.CheckOnCleanup(tb)
		f.s.Expect(tb).Message(f.general, "Incident #1", "declared")
	})
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "DUPLICATE") || !strings.Contains(rec.errors[0], "Incident #1 declared") {
		t.Fatalf("the duplicate post was not reported:\n%s", rec.failures())
	}

	// Expecting it twice consumes both: nothing is left.
	rec = &recordingTB{}
	rec.run(func(tb testing.TB) {
		f.s.CheckOnCleanup(tb)
		f.s.Expect(tb).Message(f.general, "declared")
	})
	if len(rec.errors) != 0 {
		t.Fatalf("all consumed, yet: %s", rec.failures())
	}
}

func TestExpect_EveryKindAndIgnore(t *testing.T) {
	f := mustFixture(t)
	_, parent, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("card", false))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range [][]slack.MsgOption{
		{slack.MsgOptionText("update in thread", false), slack.MsgOptionTS(parent)},
		{slack.MsgOptionText("heartbeat 1", false)},
		{slack.MsgOptionText("heartbeat 2", false)},
	} {
		if _, _, err := f.api.PostMessageContext(f.ctx, f.general, o...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.api.PostEphemeralContext(f.ctx, f.general, f.alice, slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.api.PostMessageContext(f.ctx, f.bob, slack.MsgOptionText("you are the spokesperson", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.UploadFileContext(f.ctx, slack.UploadFileParameters{Filename: "postmortem.md", Content: "# Postmortem", FileSize: 12, Channel: f.general}); err != nil {
		t.Fatal(err)
	}
	// A person's message is not the bot's: never reported.
	if _, err := f.s.PostUserMessage(f.alice, f.general, "hello"); err != nil {
		t.Fatal(err)
	}

	// Nothing consumed: everything is reported, each with where it is.
	rec := &recordingTB{}
	rec.run(func(tb testing.TB) { f.s.AssertNoUnexpected(tb) })
	for _, want := range []string{"7 bot message(s)", `"card"`, "reply in " + parent, "ephemeral to " + f.alice, "DM with " + f.bob, "[file postmortem.md]", "heartbeat 2"} {
		if !strings.Contains(rec.failures(), want) {
			t.Errorf("report lacks %q:\n%s", want, rec.failures())
		}
	}
	if strings.Contains(rec.failures(), "hello") {
		t.Errorf("a person's message was reported:\n%s", rec.failures())
	}

	rec = &recordingTB{}
	rec.run(func(tb testing.TB) {
		f.s.CheckOnCleanup(tb)
		e := f.s.Expect(tb)
		if m := e.Reply(f.general, parent, "update"); m.ThreadTS != parent {
			tb.Errorf("reply = %+v", m)
		}
		e.Message(f.general, "card")
		e.Ephemeral(f.general, f.alice, "only you")
		e.DM(f.bob, "spokesperson")
		e.File(f.general, "# Postmortem")
		f.s.Ignore(f.general, "heartbeat")
	})
	if len(rec.errors) != 0 {
		t.Fatalf("all consumed or ignored, yet:\n%s", rec.failures())
	}
}

func TestExpect_MissingFailsWithWhatIsThere(t *testing.T) {
	f := mustFixture(t)
	if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("Incident #2 declared", false)); err != nil {
		t.Fatal(err)
	}
	rec := &recordingTB{}
	reached := false
	rec.run(func(tb testing.TB) {
		f.s.Expect(tb).Within(50*time.Millisecond).Message(f.general, "Incident #3")
		reached = true
	})
	if !rec.fatal || reached || !strings.Contains(rec.failures(), "Incident #2 declared") {
		t.Fatalf("fatal %v, reached %v:\n%s", rec.fatal, reached, rec.failures())
	}
	// A message consumed once cannot be expected again.
	rec = &recordingTB{}
	rec.run(func(tb testing.TB) {
		e := f.s.Expect(tb).Within(50 * time.Millisecond)
		e.Message(f.general, "Incident #2")
		e.Message(f.general, "Incident #2")
	})
	if !rec.fatal {
		t.Fatal("the same message was consumed twice")
	}
}

func TestDuplicates(t *testing.T) {
	f := mustFixture(t)
	post := func(opts ...slack.MsgOption) string {
		t.Helper()
		_, ts, err := f.api.PostMessageContext(f.ctx, f.general, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	parent := post(slack.MsgOptionText("declared", false))
	post(slack.MsgOptionText("update 1", false), slack.MsgOptionTS(parent))
	other := post(slack.MsgOptionText("other thread", false))
	// The same text in another thread is no repeat; in the same thread it is.
	post(slack.MsgOptionText("update 1", false), slack.MsgOptionTS(other))
	if d := f.s.Duplicates(); len(d) != 0 {
		t.Fatalf("duplicates %v, want none", d)
	}
	post(slack.MsgOptionText("update 1", false), slack.MsgOptionTS(parent))
	post(slack.MsgOptionText("declared", false))
	d := f.s.Duplicates()
	if len(d) != 2 || !strings.Contains(d[0], "update 1") || !strings.Contains(d[1], "declared") {
		t.Fatalf("duplicates %q, want the repeated reply and the repeated post", d)
	}
	if d := f.s.Duplicates("update 1", "declared"); len(d) != 0 {
		t.Errorf("allowed repeats still reported: %v", d)
	}
	// The same ephemeral twice is no defect.
	for range 2 {
		if _, err := f.api.PostEphemeralContext(f.ctx, f.general, f.alice, slack.MsgOptionText("noted", false)); err != nil {
			t.Fatal(err)
		}
	}
	if d := f.s.Duplicates("update 1", "declared"); len(d) != 0 {
		t.Errorf("ephemerals reported: %v", d)
	}
}
