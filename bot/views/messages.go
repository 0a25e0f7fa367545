package views

import (
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
)

// StatusUpdate renders a status update for the war room and the
// announcement threads.
func (e Env) StatusUpdate(inc *incident.Incident, ev incident.Event) ([]slack.Block, string) {
	head := fmt.Sprintf(":mega: *Update on incident #%d* (%s, %s) from %s", inc.ID, e.SeverityLabel(inc.Severity), inc.Status, User(ev.Actor))
	if inc.Private {
		head = fmt.Sprintf(":mega: *Update on a private incident* (%s, %s)", inc.Severity, inc.Status)
	}
	var body []string
	if ev.Text != "" {
		body = append(body, "*What we know*\n"+ev.Text)
	}
	if d := ev.Field("doing"); d != "" {
		body = append(body, "*What we are doing*\n"+d)
	}
	if d := ev.Field("impact"); d != "" {
		body = append(body, "*Impact*\n"+d)
	}
	blocks := []slack.Block{section(head)}
	if len(body) > 0 {
		// An update can be longer than one section holds: it is split, never
		// cut (Pages splits the message if it outgrows one).
		blocks = append(blocks, Sections(strings.Join(body, "\n\n"))...)
	}
	blocks = append(blocks, contextText("Next update "+e.NextUpdate(inc)+"."))
	return blocks, fmt.Sprintf("Update on incident #%d: %s", inc.ID, Truncate(ev.Text, 200))
}

// Notice renders a one-line change (severity, status, role, resolution).
func Notice(text string) ([]slack.Block, string) {
	return []slack.Block{section(text)}, Truncate(text, 300)
}

// Ephemeral is a reply only the person who asked sees.
func Ephemeral(text string) []slack.Block { return []slack.Block{section(text)} }

// ErrorReply renders a refusal, with the user's own text shown back when
// they would otherwise lose it.
func ErrorReply(msg, lost string) []slack.Block {
	blocks := []slack.Block{section(":warning: " + msg)}
	if lost != "" {
		blocks = append(blocks, section("Your text, so nothing is lost:\n"+Quote(Truncate(lost, MaxSectionText-200))))
	}
	return blocks
}

// List renders the open incidents, as a choice when a command needs one.
func (e Env) List(incs []*incident.Incident, intro string) []slack.Block {
	if len(incs) == 0 {
		return Ephemeral("No open incidents. :sunny:")
	}
	blocks := []slack.Block{section(intro)}
	shown := 0
	for _, inc := range incs {
		if len(blocks) >= MaxBlocks-1 {
			break
		}
		line := fmt.Sprintf("*#%d* %s — %s, %s, operator %s, declared %s", inc.ID, inc.Title, e.SeverityLabel(inc.Severity), inc.Status, User(inc.Operator), When(inc.DeclaredAt, e.Now, e.Location))
		if inc.Private {
			line = fmt.Sprintf("*#%d* :lock: private incident — %s, %s", inc.ID, inc.Severity, inc.Status)
		}
		if inc.ChannelID != "" {
			line += " in <#" + inc.ChannelID + ">"
		}
		if inc.Overdue(e.Now) {
			line += " — :warning: update overdue"
		}
		blocks = append(blocks, section(line))
		shown++
	}
	if shown < len(incs) {
		blocks = append(blocks, contextText(fmt.Sprintf("…and %d more.", len(incs)-shown)))
	}
	return blocks
}

// Tasks renders one page (from 1) of the action items, with Done buttons.
// Every block of every page has its own block_id; the buttons of one
// action_id are then unique within their block, as Slack requires.
func (e Env) Tasks(inc *incident.Incident, page int) []slack.Block {
	if len(inc.ActionItems) == 0 {
		return Ephemeral(fmt.Sprintf("Incident #%d has no action items yet. Add one with `/incident task TEXT @owner`.", inc.ID))
	}
	var items []slack.Block
	for _, t := range inc.ActionItems {
		items = append(items, e.taskBlock(inc, t))
	}
	pages := Pages(items)
	if page < 1 {
		page = 1
	}
	if page > len(pages) {
		return Ephemeral(fmt.Sprintf("Incident #%d has %d page(s) of action items; there is no page %d.", inc.ID, len(pages), page))
	}
	blocks := []slack.Block{section(fmt.Sprintf("*Action items of incident #%d* (%d, %d open)", inc.ID, len(inc.ActionItems), inc.OpenTasks()))}
	blocks = append(blocks, pages[page-1]...)
	if len(pages) > 1 {
		note := fmt.Sprintf("Page %d of %d.", page, len(pages))
		if page < len(pages) {
			note += fmt.Sprintf(" More: `/incident %d tasks --page %d`.", inc.ID, page+1)
		}
		blocks = append(blocks, contextText(note))
	}
	return blocks
}

func (e Env) taskBlock(inc *incident.Incident, t incident.ActionItem) slack.Block {
	owner := ""
	if t.Owner != "" {
		owner = " — owner " + User(t.Owner)
	}
	value := fmt.Sprintf("%d:%d", inc.ID, t.ID)
	blockID := fmt.Sprintf("task_%d_%d", inc.ID, t.ID)
	if t.Done {
		return slack.NewSectionBlock(md(Truncate(fmt.Sprintf(":white_check_mark: ~%d. %s~%s", t.ID, t.Text, owner), MaxSectionText)), nil,
			slack.NewAccessory(button(ActionTaskReopen, value, "Reopen", "")), slack.SectionBlockOptionBlockID(blockID))
	}
	return slack.NewSectionBlock(md(Truncate(fmt.Sprintf(":white_large_square: %d. %s%s", t.ID, t.Text, owner), MaxSectionText)), nil,
		slack.NewAccessory(button(ActionTaskDone, value, "Mark done", slack.StylePrimary)), slack.SectionBlockOptionBlockID(blockID))
}

// TaskAdded confirms a new action item, with its Done button.
func (e Env) TaskAdded(inc *incident.Incident, t incident.ActionItem, actor string) ([]slack.Block, string) {
	return []slack.Block{
		section(fmt.Sprintf("%s added an action item to incident #%d:", User(actor), inc.ID)),
		e.taskBlock(inc, t),
	}, "Action item: " + Truncate(t.Text, 200)
}
