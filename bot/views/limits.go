package views

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// MaxBlocksText is how much text Slack takes in one message's blocks, all
// text objects together: above it chat.postMessage, chat.postEphemeral and
// chat.update answer msg_blocks_too_long. It is undocumented; Slack
// engineers give 12,000 characters (slackapi/bolt-js#2509, #2867). Pages
// keeps a margin below it.
const (
	MaxBlocksText = 12000
	pageText      = 11000
)

// BlocksText counts the characters of every text object in blocks, as
// Slack counts them for msg_blocks_too_long.
func BlocksText(blocks []slack.Block) int {
	n := 0
	for _, b := range blocks {
		n += blockText(b)
	}
	return n
}

func blockText(b slack.Block) int {
	data, err := json.Marshal(b)
	if err != nil {
		return 0
	}
	n := 0
	TextObjects(data, func(typ, text string) {
		switch typ {
		// Text objects, markdown blocks, and the text leaves of rich_text
		// blocks all count towards msg_blocks_too_long.
		case "mrkdwn", "plain_text", "markdown", "text", "link":
			n += utf8.RuneCountInString(text)
		}
	})
	return n
}

// TextObjects calls fn with the type and text of every text object
// ({"type": …, "text": "…"}) in the Block Kit JSON raw, at any depth.
func TextObjects(raw json.RawMessage, fn func(typ, text string)) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if t, ok := x["type"].(string); ok {
				if s, ok := x["text"].(string); ok {
					fn(t, s)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
}

// Pages splits blocks into messages Slack accepts: at most MaxBlocks
// blocks and well under MaxBlocksText characters each. Most messages are
// one page.
func Pages(blocks []slack.Block) [][]slack.Block {
	var pages [][]slack.Block
	var page []slack.Block
	size := 0
	for _, b := range blocks {
		n := blockText(b)
		if len(page) > 0 && (len(page) == MaxBlocks || size+n > pageText) {
			pages = append(pages, page)
			page, size = nil, 0
		}
		page = append(page, b)
		size += n
	}
	if len(page) > 0 || len(pages) == 0 {
		pages = append(pages, page)
	}
	return pages
}

// Sections renders text of any length as section blocks of at most
// MaxSectionText characters each, cut at paragraph, line or word breaks,
// so that nothing a person wrote is lost to Slack's section limit.
func Sections(text string) []slack.Block {
	var out []slack.Block
	for _, chunk := range chunks(text, MaxSectionText-10) {
		out = append(out, slack.NewSectionBlock(md(chunk), nil, nil))
	}
	return out
}

// chunks cuts s into pieces of at most n runes, preferring to cut after a
// blank line, then a line break, then a space; never inside an entity or
// a markup token.
func chunks(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		head := string([]rune(s)[:n])
		cut := -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > len(head)/2 {
				cut = i + len(sep)
				break
			}
		}
		if cut < 0 {
			cut = len(head)
		}
		// Never split "&amp;" or "<@U123>".
		if i := strings.LastIndexAny(head[:cut], "&<"); i >= 0 && !strings.ContainsAny(head[i:cut], ";>") {
			cut = i
		}
		if cut == 0 {
			cut = len(head)
		}
		out = append(out, s[:cut])
		s = strings.TrimLeft(s[cut:], " ")
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}
