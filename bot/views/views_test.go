package views

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

func testEnv() Env {
	return Env{Policy: incident.DefaultPolicy(), Location: time.UTC, Now: t0.Add(20 * time.Minute)}
}

func testIncident() *incident.Incident {
	return &incident.Incident{
		ID: 42, Title: "Checkout &lt;fails&gt; for EU", Severity: "critical", Status: incident.StatusIdentified,
		Impact: "Card payments fail", DeclaredBy: "U1", Operator: "U1", Spokesperson: "U2",
		ChannelID: "C9", DeclaredAt: t0, NextUpdateDue: t0.Add(15 * time.Minute),
	}
}

func golden(t *testing.T, name string, blocks []slack.Block) {
	t.Helper()
	got, err := json.MarshalIndent(slack.Blocks{BlockSet: blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		os.WriteFile(path, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(string(got)) {
		t.Errorf("%s differs from its golden file (run go test -update to accept):\n%s", name, got)
	}
}

func TestCard(t *testing.T) {
	e := testEnv()
	inc := testIncident()
	golden(t, "card_overdue", e.Card(inc))
	inc.Status, inc.ResolvedAt, inc.NextUpdateDue = incident.StatusResolved, t0.Add(time.Hour), time.Time{}
	golden(t, "card_resolved", e.Card(inc))
	inc.Private = true
	blocks, text := e.Announcement(inc, "C9")
	if strings.Contains(text, "Checkout") || len(blocks) != 1 {
		t.Errorf("private announcement: %q %d blocks", text, len(blocks))
	}
}

func TestTopic(t *testing.T) {
	e := testEnv()
	inc := testIncident()
	if got := e.Topic(inc); got != "CRITICAL | identified | operator: <@U1> | spokesperson: <@U2> | update OVERDUE since 09:15 UTC" {
		t.Errorf("topic = %q", got)
	}
	inc.Title = strings.Repeat("x", 500)
	inc.Spokesperson = strings.Repeat("U", 300)
	if n := utf8.RuneCountInString(e.Topic(inc)); n > MaxTopic {
		t.Errorf("topic of %d runes", n)
	}
}

func TestTimelinePagesWithinLimits(t *testing.T) {
	e := testEnv()
	inc := testIncident()
	var evs []incident.Event
	for i := range 2000 {
		evs = append(evs, incident.Event{At: t0.Add(time.Duration(i) * time.Minute), Actor: "U1", Kind: incident.EventNote, Text: fmt.Sprintf("note %d %s", i, strings.Repeat("y", 200))})
	}
	// Page through the whole timeline as /incident timeline --page N does.
	var pages [][]slack.Block
	for page := 1; ; page++ {
		blocks, _ := e.Timeline(inc, evs, page)
		if strings.Contains(string(mustJSON(t, blocks)), "there is no page") {
			break
		}
		pages = append(pages, blocks)
	}
	if len(pages) < 2 {
		t.Fatalf("%d pages for 2,000 long notes", len(pages))
	}
	seen := map[string]bool{}
	for _, p := range pages {
		if len(p) > MaxBlocks {
			t.Errorf("page of %d blocks", len(p))
		}
		if n := BlocksText(p); n > MaxBlocksText {
			t.Errorf("page of %d characters of blocks, over Slack's %d", n, MaxBlocksText)
		}
		for _, b := range p {
			if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil {
				if n := utf8.RuneCountInString(s.Text.Text); n > MaxSectionText {
					t.Errorf("section of %d chars", n)
				}
				for _, line := range strings.Split(s.Text.Text, "\n") {
					if i := strings.Index(line, "note "); i >= 0 {
						seen[strings.Fields(line[i:])[1]] = true
					}
				}
			}
		}
	}
	if len(seen) != 2000 {
		t.Errorf("%d notes shown, want all 2000", len(seen))
	}
	// Page 1 holds the latest entries; the incident spans two days, so
	// every line carries its date.
	first := string(mustJSON(t, pages[0]))
	if !strings.Contains(first, "note 1999 ") || !strings.Contains(first, "Thu 5 Mar") {
		t.Error("page 1 is not the latest entries, with dates")
	}
	if !strings.Contains(first, "--page 2") {
		t.Error("page 1 does not say how to see older entries")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFromCommand(t *testing.T) {
	for in, want := range map[string]string{
		"ping <!channel> now":              "ping channel now",
		"<!here|here> look":                "here look",
		"see <https://evil.example|docs>":  "see docs (<https://evil.example>)",
		"ask <@U123|bob> and <#C1|ops>":    "ask <@U123> and <#C1>",
		"<!subteam^S1|@oncall> wake up":    "oncall wake up",
		"a &lt;b&gt; &amp; c":              "a &lt;b&gt; &amp; c",
		"<weird> thing":                    "&lt;weird&gt; thing",
		"https://plain.example stays text": "https://plain.example stays text",
	} {
		if got, _ := FromCommand(in); got != want {
			t.Errorf("FromCommand(%q) = %q, want %q", in, got, want)
		}
	}
	if FromInput("<!channel> & co") != "&lt;!channel&gt; &amp; co" {
		t.Error("FromInput does not escape")
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("héllo wörld", 5); got != "héll…" {
		t.Errorf("got %q", got)
	}
	if got := Truncate("ab &amp; cd", 6); got != "ab …" {
		t.Errorf("cut an entity: %q", got)
	}
	if got := Truncate("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
}

func FuzzFromCommand(f *testing.F) {
	for _, s := range []string{"hi <!channel>", "<https://a|b>", "<@U1|x> <#C1>", "<<!here>>", "<!subteam^S1|@ops>", "&lt;&amp;", "<", ">", "<|>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, _ := FromCommand(in)
		// Nothing that pings everyone or disguises a link survives.
		for _, bad := range []string{"<!channel", "<!here", "<!everyone", "<!subteam"} {
			if strings.Contains(out, bad) {
				t.Fatalf("FromCommand(%q) = %q keeps %s", in, out, bad)
			}
		}
		for _, m := range markup.FindAllStringSubmatch(out, -1) {
			if strings.Contains(m[1], "|") {
				t.Fatalf("FromCommand(%q) = %q keeps a labelled link %q", in, out, m[0])
			}
		}
	})
}
