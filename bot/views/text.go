// Package views renders incidents as Slack Block Kit: the incident card,
// announcements, modals and replies. It is the only place that knows how
// things look in Slack; it makes no calls.
package views

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack/slackutilsx"
)

// Slack's limits that rendering must respect (slack-reference §9).
const (
	MaxSectionText = 3000
	MaxFieldText   = 2000
	MaxHeaderText  = 150
	MaxButtonText  = 75
	MaxOptionText  = 75
	MaxBlocks      = 50
	MaxTopic       = 250
	MaxMessageText = 4000
)

var markup = regexp.MustCompile(`<([^<>]*)>`)

// FromCommand turns slash-command text (escaped by Slack, with markup for
// mentions and links) into safe mrkdwn: user and channel mentions stay,
// broadcasts (@channel, @here, @everyone, user groups) lose their power,
// and labelled links show their real address so nothing is disguised.
// It reports whether a broadcast was neutralised.
func FromCommand(s string) (string, bool) {
	neutralised := false
	var b strings.Builder
	last := 0
	// Text between markup tokens has its stray angle brackets escaped, so
	// that what remains can never combine into new markup.
	stray := strings.NewReplacer("<", "&lt;", ">", "&gt;")
	for _, m := range markup.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(stray.Replace(s[last:m[0]]))
		last = m[1]
		target, label, _ := strings.Cut(s[m[2]:m[3]], "|")
		switch {
		case strings.HasPrefix(target, "@U"), strings.HasPrefix(target, "@W"),
			strings.HasPrefix(target, "#C"), strings.HasPrefix(target, "#G"):
			b.WriteString("<" + target + ">")
		case strings.HasPrefix(target, "!"):
			neutralised = true
			name := strings.TrimPrefix(target, "!")
			if strings.HasPrefix(name, "subteam^") {
				name = strings.TrimPrefix(label, "@")
				if name == "" {
					name = "a user group"
				}
			} else if i := strings.IndexByte(name, '^'); i >= 0 {
				name = name[:i]
			}
			b.WriteString(stray.Replace(name))
		case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"), strings.HasPrefix(target, "mailto:"):
			if label != "" && label != target {
				b.WriteString(stray.Replace(label) + " (<" + target + ">)")
			} else {
				b.WriteString("<" + target + ">")
			}
		default:
			b.WriteString("&lt;" + stray.Replace(s[m[2]:m[3]]) + "&gt;")
		}
	}
	b.WriteString(stray.Replace(s[last:]))
	return b.String(), neutralised
}

// FromInput turns text typed in a modal (raw, unescaped) into safe mrkdwn:
// whatever the person typed is shown, never interpreted as markup.
func FromInput(s string) string { return Escape(strings.TrimSpace(s)) }

// Escape replaces the three characters Slack's mrkdwn treats as markup,
// as slack-go's slackutilsx does.
func Escape(s string) string { return slackutilsx.EscapeMessage(s) }

// Plain decodes Slack's entities, for plain_text fields (headers, modal
// defaults) where Slack shows characters as they are and parses no markup.
// Never use it for a message's text: that is mrkdwn, where a decoded
// "<!channel>" would ping.
func Plain(s string) string {
	s = markup.ReplaceAllStringFunc(s, func(m string) string {
		target, label, _ := strings.Cut(m[1:len(m)-1], "|")
		if label != "" {
			return label
		}
		return target
	})
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// Truncate shortens s to at most n runes, ending with an ellipsis when cut.
// It never cuts an entity or a markup token in half.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexAny(cut, "&<"); i >= 0 && !strings.ContainsAny(cut[i:], ";>") {
		cut = cut[:i]
	}
	return cut + "…"
}

// Quote renders multi-line text as a mrkdwn block quote.
func Quote(s string) string {
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

var mention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^>]*)?>`)

// PlainMentions renders mrkdwn as plain text for a form's error: user
// mentions become "@name" when name knows them ("that person" otherwise,
// never a raw ID), then entities are decoded as Plain does.
func PlainMentions(s string, name func(id string) string) string {
	s = mention.ReplaceAllStringFunc(s, func(m string) string {
		id := mention.FindStringSubmatch(m)[1]
		if n := name(id); n != "" {
			return "@" + n
		}
		return "that person"
	})
	return Plain(s)
}
