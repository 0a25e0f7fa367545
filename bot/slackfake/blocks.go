package slackfake

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Block Kit validation. Slack refuses bad blocks with invalid_blocks (or
// invalid_arguments for views) and one response_metadata.messages entry per
// problem, formatted "[ERROR] <what> [json-pointer:<where>]". The limits are
// those of the Slack reference §9.

type surface int

const (
	surfaceMessage surface = iota
	surfaceModal
	surfaceHome
)

func (sf surface) maxBlocks() int {
	if sf == surfaceMessage {
		return 50
	}
	return 100
}

// validator collects the problems of one message or view. block_id must
// be unique within the message or view; action_id only within its
// containing block (Block Kit reference, "block_id" and "action_id"; the
// slack_sdk docstrings of Block.block_id and InteractiveElement.action_id;
// slack-reference.md §9), so actionIDs is reset for every block.
type validator struct {
	sf        surface
	msgs      []string
	blockIDs  map[string]bool
	actionIDs map[string]bool // of the block being checked
}

func (v *validator) errf(ptr, format string, args ...any) {
	v.msgs = append(v.msgs, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), ptr))
}

// validated is one remembered validateBlocks result.
type validated struct {
	norm json.RawMessage
	msgs []string
	ok   bool
}

// blockMemo remembers validateBlocks results by content. The validation is
// a pure function of the bytes, and apps send the same blocks again and
// again (a card re-rendered, a list asked for by many): remembering keeps
// the fake's CPU, which shares the machine with the app under test, out of
// the app's measured latency. It holds at most memoSize entries.
type blockMemo struct {
	mu sync.Mutex
	m  map[memoKey]validated
}

type memoKey struct {
	sf  surface
	raw string
}

const memoSize = 256

func (bm *blockMemo) validate(raw json.RawMessage, sf surface) (json.RawMessage, []string, bool) {
	k := memoKey{sf, string(raw)}
	bm.mu.Lock()
	v, ok := bm.m[k]
	bm.mu.Unlock()
	if ok {
		return v.norm, v.msgs, v.ok
	}
	norm, msgs, valid := validateBlocks(raw, sf)
	bm.mu.Lock()
	if bm.m == nil || len(bm.m) >= memoSize {
		bm.m = make(map[memoKey]validated, memoSize)
	}
	bm.m[k] = validated{norm, msgs, valid}
	bm.mu.Unlock()
	return norm, msgs, valid
}

// validateBlocks checks a blocks array for surface sf. It returns the blocks
// with Slack's generated block_id/action_id filled in where the app left
// them out, the problems found, and ok=false when raw is not a JSON array of
// objects at all (invalid_blocks_format).
func validateBlocks(raw json.RawMessage, sf surface) (json.RawMessage, []string, bool) {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, nil, false
	}
	v := &validator{sf: sf, blockIDs: map[string]bool{}}
	v.blocks("/blocks", blocks)
	out, _ := json.Marshal(blocks)
	return out, v.msgs, true
}

func (v *validator) blocks(ptr string, blocks []map[string]any) {
	if n := len(blocks); n > v.sf.maxBlocks() {
		v.errf(ptr, "no more than %d items allowed", v.sf.maxBlocks())
	}
	for i, b := range blocks {
		v.block(fmt.Sprintf("%s/%d", ptr, i), i, b)
	}
}

// genID imitates Slack's short random IDs, but derives them from the content
// so that renderings stay deterministic.
func genID(seed string, i int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", seed, i)
	n := h.Sum64()
	b := make([]byte, 5)
	for j := range b {
		b[j] = alphabet[n%uint64(len(alphabet))]
		n /= uint64(len(alphabet))
	}
	return string(b)
}

func (v *validator) block(ptr string, i int, b map[string]any) {
	v.actionIDs = map[string]bool{}
	typ, _ := b["type"].(string)
	if id, ok := b["block_id"]; ok {
		v.uniqueID(ptr+"/block_id", id, v.blockIDs, "")
	} else if typ != "" {
		seed, _ := json.Marshal(b)
		b["block_id"] = genID(string(seed), i)
	}
	switch typ {
	case "section":
		_, hasText := b["text"]
		fields, hasFields := b["fields"]
		if !hasText && !hasFields {
			v.errf(ptr, "must provide either text or fields")
		}
		if hasText {
			v.text(ptr+"/text", b["text"], false, 3000)
		}
		if hasFields {
			list, ok := fields.([]any)
			switch {
			case !ok:
				v.errf(ptr+"/fields", "must be an array")
			case len(list) > 10:
				v.errf(ptr+"/fields", "no more than 10 items allowed")
			}
			for j, f := range list {
				v.text(fmt.Sprintf("%s/fields/%d", ptr, j), f, false, 2000)
			}
		}
		if acc, ok := b["accessory"]; ok {
			v.element(ptr+"/accessory", acc, ctxAccessory)
		}
	case "header":
		v.text(ptr+"/text", b["text"], true, 150)
	case "divider":
	case "image":
		v.str(ptr+"/image_url", b["image_url"], 3000, b["slack_file"] == nil)
		v.str(ptr+"/alt_text", b["alt_text"], 2000, true)
		if t, ok := b["title"]; ok {
			v.text(ptr+"/title", t, true, 2000)
		}
	case "context":
		els, ok := b["elements"].([]any)
		switch {
		case !ok || len(els) == 0:
			v.errf(ptr+"/elements", "must provide at least 1 item")
		case len(els) > 10:
			v.errf(ptr+"/elements", "no more than 10 items allowed")
		}
		for j, e := range els {
			p := fmt.Sprintf("%s/elements/%d", ptr, j)
			m, _ := e.(map[string]any)
			if t, _ := m["type"].(string); t == "image" {
				v.str(p+"/image_url", m["image_url"], 3000, m["slack_file"] == nil)
				v.str(p+"/alt_text", m["alt_text"], 2000, true)
				continue
			}
			v.text(p, e, false, 3000)
		}
	case "actions":
		els, ok := b["elements"].([]any)
		switch {
		case !ok || len(els) == 0:
			v.errf(ptr+"/elements", "must provide at least 1 item")
		case len(els) > 25:
			v.errf(ptr+"/elements", "no more than 25 items allowed")
		}
		for j, e := range els {
			v.element(fmt.Sprintf("%s/elements/%d", ptr, j), e, ctxActions)
		}
	case "input":
		v.text(ptr+"/label", b["label"], true, 2000)
		if h, ok := b["hint"]; ok {
			v.text(ptr+"/hint", h, true, 2000)
		}
		if _, ok := b["element"]; !ok {
			v.errf(ptr+"/element", "must provide an object")
		} else {
			v.element(ptr+"/element", b["element"], ctxInput)
		}
	case "rich_text", "markdown", "file", "video", "call", "table":
		// Accepted as is: the bot does not build them, and checking their
		// deep structure is not worth it here.
	case "":
		v.errf(ptr+"/type", "must provide a string")
	default:
		v.errf(ptr+"/type", "unsupported type %q", typ)
	}
}

type elemCtx int

const (
	ctxActions elemCtx = iota
	ctxAccessory
	ctxInput
)

var elemAllowed = map[string][3]bool{ // actions, accessory, input
	"button":                     {true, true, false},
	"workflow_button":            {true, true, false},
	"overflow":                   {true, true, false},
	"image":                      {false, true, false},
	"static_select":              {true, true, true},
	"external_select":            {true, true, true},
	"users_select":               {true, true, true},
	"conversations_select":       {true, true, true},
	"channels_select":            {true, true, true},
	"multi_static_select":        {true, true, true},
	"multi_external_select":      {true, true, true},
	"multi_users_select":         {true, true, true},
	"multi_conversations_select": {true, true, true},
	"multi_channels_select":      {true, true, true},
	"datepicker":                 {true, true, true},
	"timepicker":                 {true, true, true},
	"datetimepicker":             {true, false, true},
	"checkboxes":                 {true, true, true},
	"radio_buttons":              {true, true, true},
	"plain_text_input":           {false, false, true},
	"email_text_input":           {false, false, true},
	"url_text_input":             {false, false, true},
	"number_input":               {false, false, true},
	"rich_text_input":            {false, false, true},
	"file_input":                 {false, false, true},
}

// uniqueID checks a block_id or action_id: a non-empty string of at most
// 255 characters, not yet in seen (slack-reference.md §9).
func (v *validator) uniqueID(ptr string, raw any, seen map[string]bool, scope string) {
	id, isStr := raw.(string)
	switch {
	case !isStr || id == "":
		v.errf(ptr, "must be a non-empty string")
	case utf8.RuneCountInString(id) > 255:
		v.errf(ptr, "must be less than 256 characters")
	case seen[id]:
		v.errf(ptr, "duplicate %s %q%s", ptr[strings.LastIndex(ptr, "/")+1:], id, scope)
	default:
		seen[id] = true
	}
}

func (v *validator) element(ptr string, raw any, ctx elemCtx) {
	e, ok := raw.(map[string]any)
	if !ok {
		v.errf(ptr, "must provide an object")
		return
	}
	typ, _ := e["type"].(string)
	allowed, known := elemAllowed[typ]
	if !known || !allowed[ctx] {
		v.errf(ptr+"/type", "unsupported type %q here", typ)
		return
	}
	if typ != "image" {
		if id, ok := e["action_id"]; ok {
			v.uniqueID(ptr+"/action_id", id, v.actionIDs, " in this block")
		} else {
			seed, _ := json.Marshal(e)
			e["action_id"] = genID(string(seed)+ptr, 0)
		}
	}
	if p, ok := e["placeholder"]; ok {
		v.text(ptr+"/placeholder", p, true, 150)
	}
	switch typ {
	case "button", "workflow_button":
		v.text(ptr+"/text", e["text"], true, 75)
		if val, ok := e["value"]; ok {
			v.str(ptr+"/value", val, 2000, true)
		}
		if u, ok := e["url"]; ok {
			v.str(ptr+"/url", u, 3000, true)
		}
		if st, ok := e["style"]; ok && st != "primary" && st != "danger" {
			v.errf(ptr+"/style", "must be one of primary, danger")
		}
	case "image":
		v.str(ptr+"/image_url", e["image_url"], 3000, e["slack_file"] == nil)
		v.str(ptr+"/alt_text", e["alt_text"], 2000, true)
	case "static_select", "multi_static_select":
		if groups, ok := e["option_groups"].([]any); ok {
			for j, g := range groups {
				gm, _ := g.(map[string]any)
				v.options(fmt.Sprintf("%s/option_groups/%d/options", ptr, j), gm["options"], 100, true)
			}
		} else {
			v.options(ptr+"/options", e["options"], 100, true)
		}
	case "overflow":
		v.options(ptr+"/options", e["options"], 5, true)
	case "checkboxes", "radio_buttons":
		v.options(ptr+"/options", e["options"], 10, false)
	case "plain_text_input":
		for _, k := range []string{"max_length", "min_length"} {
			if n, ok := e[k].(float64); ok && (n > 3000 || n < 0) {
				v.errf(ptr+"/"+k, "must be between 0 and 3000")
			}
		}
		if iv, ok := e["initial_value"]; ok {
			v.str(ptr+"/initial_value", iv, 3000, false)
		}
	}
	if c, ok := e["confirm"]; ok {
		cm, _ := c.(map[string]any)
		v.text(ptr+"/confirm/title", cm["title"], true, 100)
		v.text(ptr+"/confirm/text", cm["text"], false, 300)
		v.text(ptr+"/confirm/confirm", cm["confirm"], true, 30)
		v.text(ptr+"/confirm/deny", cm["deny"], true, 30)
	}
}

func (v *validator) options(ptr string, raw any, max int, plainOnly bool) {
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		v.errf(ptr, "must provide at least 1 item")
		return
	}
	if len(list) > max {
		v.errf(ptr, "no more than %d items allowed", max)
	}
	seen := map[string]bool{}
	for j, o := range list {
		p := fmt.Sprintf("%s/%d", ptr, j)
		om, _ := o.(map[string]any)
		v.text(p+"/text", om["text"], plainOnly, 75)
		v.str(p+"/value", om["value"], 150, true)
		if val, _ := om["value"].(string); seen[val] {
			v.errf(p+"/value", "duplicate option value %q", val)
		} else {
			seen[val] = true
		}
		if d, ok := om["description"]; ok {
			v.text(p+"/description", d, plainOnly, 75)
		}
	}
}

// text checks a composition text object.
func (v *validator) text(ptr string, raw any, plainOnly bool, max int) {
	t, ok := raw.(map[string]any)
	if !ok {
		v.errf(ptr, "must provide an object")
		return
	}
	switch typ, _ := t["type"].(string); typ {
	case "plain_text":
	case "mrkdwn":
		if plainOnly {
			v.errf(ptr+"/type", "must be plain_text")
		}
	default:
		v.errf(ptr+"/type", "must be one of plain_text, mrkdwn")
	}
	s, ok := t["text"].(string)
	switch n := utf8.RuneCountInString(s); {
	case !ok || n == 0:
		v.errf(ptr+"/text", "must be more than 0 characters")
	case n > max:
		v.errf(ptr+"/text", "must be less than %d characters", max+1)
	}
}

func (v *validator) str(ptr string, raw any, max int, required bool) {
	if raw == nil {
		if required {
			v.errf(ptr, "must provide a string")
		}
		return
	}
	s, ok := raw.(string)
	if !ok {
		v.errf(ptr, "must be a string")
		return
	}
	if required && s == "" {
		v.errf(ptr, "must be more than 0 characters")
	}
	if utf8.RuneCountInString(s) > max {
		v.errf(ptr, "must be less than %d characters", max+1)
	}
}

// maxBlocksText is the total text Slack accepts in one message's blocks
// before chat.postMessage, chat.postEphemeral and chat.update answer
// msg_blocks_too_long. Undocumented: the figure comes from Slack engineers
// in slackapi/bolt-js#2509 and #2867 (slack-reference.md §9).
const maxBlocksText = 12000

// blocksTextLength counts, in characters, the text of a blocks array as
// msg_blocks_too_long measures it: the "text" of every text object
// (plain_text or mrkdwn) anywhere in the blocks — section text and fields,
// headers, context elements, button labels, option texts and descriptions,
// placeholders, confirm dialogs, image titles — plus the text of markdown
// blocks and the text leaves of rich_text blocks (type text or link). URLs,
// values, IDs and alt_text are not text objects and do not count.
func blocksTextLength(raw json.RawMessage) int {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	n := 0
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			switch x["type"] {
			case "plain_text", "mrkdwn", "markdown", "text", "link":
				if t, ok := x["text"].(string); ok {
					n += utf8.RuneCountInString(t)
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
	return n
}
