package slackfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Transcript renders a channel as text for people: every message with its
// time (UTC), author and text, blocks rendered as text (headers, sections,
// fields, context, buttons as [Label]), thread replies indented under their
// parent, ephemerals marked with who saw them, and pins and reactions noted.
// `incidentbot demo` prints it to show what each channel saw.
func (s *Server) Transcript(channelID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channelID]
	if !ok {
		return fmt.Sprintf("(no channel %s)\n", channelID)
	}
	var b strings.Builder
	switch {
	case c.im:
		fmt.Fprintf(&b, "DM with @%s (%s)\n", s.nameOfLocked(c.imUser), c.id)
	default:
		lock := ""
		if c.private {
			lock = " [private]"
		}
		fmt.Fprintf(&b, "#%s (%s)%s\n", c.name, c.id, lock)
		if c.topic.value != "" {
			fmt.Fprintf(&b, "topic: %s\n", c.topic.value)
		}
		for _, bm := range c.bookmarks {
			fmt.Fprintf(&b, "bookmark: %s <%s>\n", bm.Title, bm.Link)
		}
	}
	if c.archived {
		b.WriteString("(archived)\n")
	}
	// Top-level messages and ephemerals interleave by ts; replies follow
	// their parent.
	var top []*message
	for _, m := range c.msgs {
		if m.threadTS == "" || m.threadTS == m.ts || m.replyBroadcast {
			top = append(top, m)
		}
	}
	for _, m := range c.ephemerals {
		if m.threadTS == "" {
			top = append(top, m)
		}
	}
	slices.SortStableFunc(top, func(x, y *message) int {
		a, _ := parseTS(x.ts)
		z, _ := parseTS(y.ts)
		return cmp.Compare(a, z)
	})
	for _, m := range top {
		s.renderMsgLocked(&b, c, m, "")
		if m.threadTS == m.ts {
			for _, r := range c.msgs {
				if r.threadTS == m.ts && r.ts != m.ts {
					s.renderMsgLocked(&b, c, r, "    ↳ ")
				}
			}
			for _, r := range c.ephemerals {
				if r.threadTS == m.ts {
					s.renderMsgLocked(&b, c, r, "    ↳ ")
				}
			}
		}
	}
	return b.String()
}

func (s *Server) renderMsgLocked(b *strings.Builder, c *channel, m *message, prefix string) {
	pad := strings.Repeat(" ", len([]rune(prefix)))
	when := tsTime(m.ts).Format("15:04:05")
	author := s.nameOfLocked(m.user)
	if m.botID != "" {
		author += " [app]"
	}
	var flags []string
	if m.ephemeralTo != "" {
		flags = append(flags, "only visible to @"+s.nameOfLocked(m.ephemeralTo))
	}
	if m.edited {
		flags = append(flags, "edited")
	}
	if m.replyBroadcast {
		flags = append(flags, "also sent to channel")
	}
	head := fmt.Sprintf("%s[%s] %s", prefix, when, author)
	if len(flags) > 0 {
		head += " (" + strings.Join(flags, ", ") + ")"
	}
	if m.deleted {
		fmt.Fprintf(b, "%s: [message deleted]\n", head)
		return
	}
	text := s.humanizeLocked(m.text)
	if m.subtype != "" && m.subtype != "file_share" {
		text = "* " + text
	}
	lines := strings.Split(text, "\n")
	fmt.Fprintf(b, "%s: %s\n", head, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(b, "%s    %s\n", pad, l)
	}
	for _, l := range renderBlocks(m.blocks) {
		fmt.Fprintf(b, "%s  | %s\n", pad, s.humanizeLocked(l))
	}
	for _, id := range m.files {
		if f := s.files[id]; f != nil {
			fmt.Fprintf(b, "%s  [file: %s (%d bytes)]\n", pad, f.title, len(f.content))
		}
	}
	var notes []string
	if m.pinnedBy != "" {
		notes = append(notes, "pinned by @"+s.nameOfLocked(m.pinnedBy))
	}
	for _, r := range m.reactions {
		var who []string
		for _, u := range r.users {
			who = append(who, "@"+s.nameOfLocked(u))
		}
		notes = append(notes, fmt.Sprintf(":%s: %s", r.name, strings.Join(who, " ")))
	}
	if len(notes) > 0 {
		fmt.Fprintf(b, "%s  (%s)\n", pad, strings.Join(notes, "; "))
	}
}

// renderBlocks renders Block Kit as lines of text.
func renderBlocks(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var blocks []map[string]any
	if json.Unmarshal(raw, &blocks) != nil {
		return []string{"(unreadable blocks)"}
	}
	var out []string
	for _, bl := range blocks {
		switch bl["type"] {
		case "header":
			out = append(out, "# "+textOf(bl["text"]))
		case "section":
			if t := textOf(bl["text"]); t != "" {
				out = append(out, strings.Split(t, "\n")...)
			}
			if fs, ok := bl["fields"].([]any); ok {
				var parts []string
				for _, f := range fs {
					parts = append(parts, strings.ReplaceAll(textOf(f), "\n", " "))
				}
				out = append(out, strings.Join(parts, " | "))
			}
			if acc, ok := bl["accessory"].(map[string]any); ok {
				out = append(out, "  "+renderElement(acc))
			}
		case "context":
			var parts []string
			els, _ := bl["elements"].([]any)
			for _, e := range els {
				em, _ := e.(map[string]any)
				if em["type"] == "image" {
					parts = append(parts, "[img]")
					continue
				}
				parts = append(parts, textOf(em))
			}
			out = append(out, "("+strings.Join(parts, " · ")+")")
		case "actions":
			var parts []string
			els, _ := bl["elements"].([]any)
			for _, e := range els {
				em, _ := e.(map[string]any)
				parts = append(parts, renderElement(em))
			}
			out = append(out, strings.Join(parts, " "))
		case "divider":
			out = append(out, "----")
		case "input":
			el, _ := bl["element"].(map[string]any)
			out = append(out, textOf(bl["label"])+": "+renderElement(el))
		case "image":
			out = append(out, "[image: "+str(bl["alt_text"])+"]")
		default:
			out = append(out, fmt.Sprintf("[%v]", bl["type"]))
		}
	}
	return out
}

func renderElement(e map[string]any) string {
	switch e["type"] {
	case "button":
		return "[" + textOf(e["text"]) + "]"
	case "image":
		return "[img]"
	case "overflow":
		return "[…]"
	}
	label := textOf(e["placeholder"])
	if label == "" {
		label = str(e["type"])
	}
	return "[" + label + " v]"
}

var mentionRE = regexp.MustCompile(`<@([UW][A-Z0-9]+)(\|[^>]*)?>`)

// humanizeLocked shows user mentions as @name, as the Slack client does.
func (s *Server) humanizeLocked(text string) string {
	return mentionRE.ReplaceAllStringFunc(text, func(m string) string {
		id := mentionRE.FindStringSubmatch(m)[1]
		return "@" + s.nameOfLocked(id)
	})
}
