package views

import (
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/slack-go/slack"
)

// Timeline renders an incident's timeline as one or more messages, each
// within Slack's limits. Times carry the date when the incident spans more
// than one day. Edits and deletions of pinned messages are folded into the
// entry they change.
func (e Env) Timeline(inc *incident.Incident, events []incident.Event) [][]slack.Block {
	first, last := inc.DeclaredAt, inc.DeclaredAt
	if len(events) > 0 {
		first, last = events[0].At, events[len(events)-1].At
	}
	fl, ll := first.In(e.Location), last.In(e.Location)
	layout := "15:04"
	if fl.YearDay() != ll.YearDay() || fl.Year() != ll.Year() {
		layout = "Mon 2 Jan 15:04"
	}
	latest := map[string]string{}
	deleted := map[string]bool{}
	for _, ev := range events {
		switch ev.Kind {
		case incident.EventMessageEdited:
			latest[ev.Field("ts")] = ev.Text
		case incident.EventMessageDeleted:
			deleted[ev.Field("ts")] = true
		}
	}
	var lines []string
	for _, ev := range events {
		var line string
		switch ev.Kind {
		case incident.EventMessageEdited, incident.EventMessageDeleted:
			continue
		case incident.EventMessagePinned:
			ts := ev.Field("ts")
			text, suffix := ev.Text, ""
			if t, ok := latest[ts]; ok {
				text, suffix = t, " _(edited)_"
			}
			if deleted[ts] {
				text, suffix = "_message deleted_", ""
			}
			line = fmt.Sprintf(":pushpin: %s: %s%s", User(ev.Field("author")), Truncate(text, 500), suffix)
			if l := ev.Field("permalink"); l != "" && !deleted[ts] {
				line += " <" + l + "|(link)>"
			}
			if f := ev.Field("files"); f != "" && !deleted[ts] {
				line += " files: " + f
			}
		default:
			line = Describe(ev)
		}
		lines = append(lines, fmt.Sprintf("`%s` %s", ev.At.In(e.Location).Format(layout), line))
	}
	head := section(fmt.Sprintf("*Timeline of incident #%d* — %s (%d entries, times %s)", inc.ID, inc.Title, len(lines), e.Location))
	return pageLines(head, lines)
}

// pageLines packs lines into sections of at most MaxSectionText characters
// and messages of at most MaxBlocks blocks.
func pageLines(head slack.Block, lines []string) [][]slack.Block {
	var pages [][]slack.Block
	page := []slack.Block{head}
	var b strings.Builder
	flush := func() {
		if b.Len() == 0 {
			return
		}
		page = append(page, section(b.String()))
		b.Reset()
		if len(page) == MaxBlocks {
			pages = append(pages, page)
			page = nil
		}
	}
	for _, l := range lines {
		l = Truncate(l, 1000)
		if b.Len()+len(l)+1 > MaxSectionText-50 {
			flush()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	flush()
	if len(page) > 0 {
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
		return fmt.Sprintf(":busts_in_silhouette: %s recorded the impact: %s", who, ev.Text)
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
	}
	return fmt.Sprintf("%s: %s %s", ev.Kind, who, ev.Text)
}
