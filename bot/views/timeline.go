package views

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
)

// Timeline renders one page of an incident's timeline as one message
// within Slack's limits: page 1 holds the latest entries, page 2 those
// before, and so on, each in time order. Times carry the date when the
// incident spans more than one day; edits and deletions of pinned messages
// fold into the entry they change (incident.Project). The text says which
// page it is and how to see the others.
func (e Env) Timeline(inc *incident.Incident, events []incident.Event, page int) ([]slack.Block, string) {
	tl := incident.Project(inc, events, e.Location)
	layout := "15:04"
	if tl.SpansDays {
		layout = "Mon 2 Jan 15:04"
	}
	lines := make([]string, 0, len(tl.Entries))
	for _, en := range tl.Entries {
		lines = append(lines, fmt.Sprintf("`%s` %s", en.At.In(e.Location).Format(layout), describeEntry(en)))
	}
	pages := pageLines(lines)
	if page < 1 {
		page = 1
	}
	title := fmt.Sprintf("*Timeline of incident #%d* — %s (%d entries, times %s)", inc.ID, inc.Title, len(lines), e.Location)
	if page > len(pages) {
		text := fmt.Sprintf("Incident #%d's timeline has %d page(s); there is no page %d.", inc.ID, len(pages), page)
		return []slack.Block{section(title), section(text)}, text
	}
	body := pages[len(pages)-page]
	blocks := append([]slack.Block{section(title)}, body...)
	if len(pages) > 1 {
		note := fmt.Sprintf("Page %d of %d, newest first.", page, len(pages))
		if page < len(pages) {
			note += fmt.Sprintf(" Older entries: `/incident %d timeline --page %d`.", inc.ID, page+1)
		}
		blocks = append(blocks, contextText(note))
	}
	return blocks, fmt.Sprintf("Timeline of incident #%d", inc.ID)
}

func describeEntry(en incident.Entry) string {
	if en.Kind != incident.EventMessagePinned {
		if en.Pin != nil && en.Pin.Deleted && en.Kind == incident.EventMessageEdited {
			return ":pencil2: a message on the timeline was edited, then deleted"
		}
		return Describe(en.Event)
	}
	text, suffix := en.Text, ""
	if en.Pin != nil && en.Pin.Edited {
		text, suffix = en.Pin.Text, " _(edited)_"
	}
	if en.Pin != nil && en.Pin.Deleted {
		return fmt.Sprintf(":pushpin: %s: _message deleted_", User(en.Field("author")))
	}
	line := fmt.Sprintf(":pushpin: %s: %s%s", User(en.Field("author")), Truncate(text, 500), suffix)
	if l := en.Field("permalink"); l != "" {
		line += " <" + l + "|(link)>"
	}
	if f := en.Field("files"); f != "" {
		line += " files: " + f
	}
	return line
}

// pageLines packs lines into pages, each a list of sections of at most
// MaxSectionText characters, small enough for one message with its title
// (Slack refuses more than about 12,000 characters of blocks).
func pageLines(lines []string) [][]slack.Block {
	const budget = pageText - 1000 // room for the title and the page note
	var pages [][]slack.Block
	var page []slack.Block
	var b strings.Builder
	size := 0
	flush := func() {
		if b.Len() > 0 {
			page = append(page, section(b.String()))
			b.Reset()
		}
	}
	for _, l := range lines {
		l = Truncate(l, 1000)
		n := utf8.RuneCountInString(l) + 1
		if size+n > budget || len(page) >= MaxBlocks-3 {
			flush()
			pages = append(pages, page)
			page, size = nil, 0
		}
		if b.Len()+len(l)+1 > MaxSectionText-50 {
			flush()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		size += n
	}
	flush()
	if len(page) > 0 || len(pages) == 0 {
		pages = append(pages, page)
	}
	return pages
}

// Describe renders one event as a line of mrkdwn.
func Describe(ev incident.Event) string {
	who := User(ev.Actor)
	if ev.Actor == "" {
		who = "incidentbot"
	}
	f := ev.Field
	if s, ok := describeIntake(ev, who); ok {
		return s
	}
	switch ev.Kind {
	case incident.EventDeclared:
		s := fmt.Sprintf(":rotating_light: %s declared the incident (%s): %s", who, f("severity"), ev.Text)
		if f("private") == "true" {
			s += " :lock: private"
		}
		return s
	case incident.EventSeverityChanged:
		return fmt.Sprintf(":arrow_up_down: %s changed severity %s → %s", who, f("from"), f("to"))
	case incident.EventStatusChanged:
		return fmt.Sprintf(":traffic_light: %s changed status %s → %s", who, f("from"), f("to"))
	case incident.EventRoleAssigned:
		return fmt.Sprintf(":bust_in_silhouette: %s made %s the %s", who, User(f("to")), f("role"))
	case incident.EventHandoffOffered:
		return fmt.Sprintf(":arrows_counterclockwise: %s offered the %s role to %s. Brief: %s", who, f("role"), User(f("to")), strings.ReplaceAll(ev.Text, "\n", " · "))
	case incident.EventHandoffAccepted:
		return fmt.Sprintf(":handshake: %s accepted the %s role from %s", who, f("role"), User(f("from")))
	case incident.EventHandoffCancelled:
		return fmt.Sprintf(":x: the %s handoff to %s was cancelled", f("role"), User(f("to")))
	case incident.EventUpdatePosted:
		late := ""
		if f("late") == "true" {
			late = " _(late)_"
		}
		return fmt.Sprintf(":mega: %s posted an update%s: %s", who, late, Truncate(ev.Text, 500))
	case incident.EventNote:
		return fmt.Sprintf(":memo: %s: %s", who, Truncate(ev.Text, 500))
	case incident.EventResolved:
		if ev.Text != "" {
			return fmt.Sprintf(":white_check_mark: %s resolved the incident: %s", who, ev.Text)
		}
		return fmt.Sprintf(":white_check_mark: %s resolved the incident", who)
	case incident.EventClosed:
		return fmt.Sprintf(":lock: %s closed the incident", who)
	case incident.EventReopened:
		return fmt.Sprintf(":leftwards_arrow_with_hook: %s reopened the incident", who)
	case incident.EventCauseRecorded:
		return fmt.Sprintf(":mag: %s recorded the root cause: %s", who, ev.Text)
	case incident.EventImpactRecorded:
		return describeImpact(ev, who)
	case incident.EventPlaybookRun, incident.EventStepDone, incident.EventStepUndone, incident.EventRoleRemoved:
		return describePlaybook(ev, who)
	case incident.EventTaskAdded:
		return fmt.Sprintf(":ballot_box_with_check: %s added action item %s: %s", who, f("task"), ev.Text)
	case incident.EventTaskDone:
		return fmt.Sprintf(":white_check_mark: %s completed action item %s", who, f("task"))
	case incident.EventTaskReopened:
		return fmt.Sprintf(":repeat: %s reopened action item %s", who, f("task"))
	case incident.EventReminderHeadsUp:
		return fmt.Sprintf(":alarm_clock: reminded %s that an update is due soon", User(f("to")))
	case incident.EventReminderDue:
		return fmt.Sprintf(":bell: update due; nudged %s", User(f("to")))
	case incident.EventEscalated:
		return ":rotating_light: update overdue; escalated"
	case incident.EventSnoozed:
		return fmt.Sprintf(":zzz: %s snoozed the update reminder", who)
	case incident.EventPostmortem:
		return fmt.Sprintf(":page_facing_up: %s generated the postmortem draft", who)
	case incident.EventChannelCreated:
		return fmt.Sprintf(":door: war room <#%s> opened", f("channel"))
	case incident.EventArchived:
		return ":file_cabinet: war room archived"
	case incident.EventCancelled:
		if ev.Text != "" {
			return fmt.Sprintf(":wastebasket: %s cancelled the incident (declared by mistake): %s", who, ev.Text)
		}
		return fmt.Sprintf(":wastebasket: %s cancelled the incident (declared by mistake)", who)
	case incident.EventDeliveryFailed:
		return fmt.Sprintf(":warning: incidentbot could not %s (%s)", ev.Text, f("error"))
	case incident.EventPaged:
		var who []string
		for _, u := range strings.Fields(f("users")) {
			who = append(who, User(u))
		}
		if g := f("usergroup"); g != "" {
			who = append(who, "<!subteam^"+g+">")
		}
		return fmt.Sprintf(":pager: paged %s (level %s)", strings.Join(who, ", "), f("level"))
	case incident.EventPageSkipped:
		return fmt.Sprintf(":fast_forward: level %s skipped: nobody on call in %s", f("level"), f("rotation"))
	case incident.EventPageExhausted:
		return ":warning: nobody acknowledged the page; paging stopped"
	case incident.EventPageAcknowledged:
		return fmt.Sprintf(":white_check_mark: %s acknowledged the page", who)
	}
	return fmt.Sprintf("%s: %s %s", ev.Kind, who, ev.Text)
}
