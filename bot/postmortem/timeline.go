package postmortem

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// cont continues a timeline entry on a new line: a hard line break, then
// the indent that keeps the line inside its list item.
const cont = "\\\n  "

// renderer holds what rendering one incident needs across sections.
type renderer struct {
	o     Options
	loc   *time.Location
	tl    incident.Timeline // the projection of the events, pins folded
	names map[string]string // user ID → rendered name

	stampMin int64 // the Unix minute stampStr renders
	stampStr string
}

func newRenderer(inc *incident.Incident, events []incident.Event, o Options) *renderer {
	loc := o.location()
	return &renderer{o: o, loc: loc, tl: incident.Project(inc, events, loc), names: make(map[string]string)}
}

// name renders a user for people, escaped.
func (r *renderer) name(id string) string {
	if id == "" {
		return botName
	}
	if n, ok := r.names[id]; ok {
		return n
	}
	n := id
	if r.o.UserName != nil {
		if un := r.o.UserName(id); un != "" {
			n = un
		}
	}
	n = inline(n)
	r.names[id] = n
	return n
}

// stamp renders a time on the timeline: "15:04", or "2006-01-02 15:04"
// when the incident spans more than one day.
func (r *renderer) stamp(t time.Time) string {
	// Neighbouring events often share a minute: format each minute once.
	if m := t.Unix() / 60; m == r.stampMin && r.stampStr != "" {
		return r.stampStr
	} else {
		r.stampMin = m
	}
	layout := "15:04"
	if r.tl.SpansDays {
		layout = "2006-01-02 15:04"
	}
	r.stampStr = t.In(r.loc).Format(layout)
	return r.stampStr
}

// full renders a time with its date and zone.
func (r *renderer) full(t time.Time) string {
	return t.In(r.loc).Format("2006-01-02 15:04 MST")
}

// fieldTime renders an RFC 3339 event field as a stamp.
func (r *renderer) fieldTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return inline(s)
	}
	return r.stamp(t)
}

// timeline renders every entry as a Markdown list item. It writes into
// one builder rather than through the template: a timeline can hold tens
// of thousands of events.
func (r *renderer) timeline() string {
	if len(r.tl.Entries) == 0 {
		return "_The timeline is empty._\n"
	}
	var b strings.Builder
	b.Grow(len(r.tl.Entries) * 112)
	for _, e := range r.tl.Entries {
		b.WriteString("- **")
		b.WriteString(r.stamp(e.At))
		b.WriteString("** ")
		b.WriteString(r.name(e.Actor))
		b.WriteString(" — ")
		r.describe(&b, e)
		b.WriteByte('\n')
	}
	return b.String()
}

// describe writes what happened in e, to follow its actor's name.
func (r *renderer) describe(b *strings.Builder, e incident.Entry) {
	f := e.Field
	w := b.WriteString
	switch e.Kind {
	case incident.EventDeclared:
		w("declared the incident")
		if s := f("severity"); s != "" {
			w(" as **" + inline(s) + "**")
		}
		if f("private") == "true" {
			w(" (private)")
		}
		if e.Text != "" {
			w(": " + inline(e.Text))
		}
		if imp := f("impact"); imp != "" {
			w(cont + "Impact: " + block(imp, "  "))
		}
		r.declaredExtras(b, e.Event)
	case incident.EventSeverityChanged:
		w("changed the severity from " + inline(f("from")) + " to **" + inline(f("to")) + "**")
	case incident.EventStatusChanged:
		w("moved the status from " + inline(f("from")) + " to **" + inline(f("to")) + "**")
	case incident.EventRoleAssigned:
		if f("to") == e.Actor {
			w("took the " + inline(f("role")) + " role")
		} else {
			w("made " + r.name(f("to")) + " the " + inline(f("role")))
		}
		if from := f("from"); from != "" {
			w(", replacing " + r.name(from))
		}
	case incident.EventHandoffOffered:
		w("offered the " + inline(f("role")) + " role to " + r.name(f("to")))
		if e.Text != "" {
			w(", with this brief:" + cont + block(e.Text, "  "))
		}
	case incident.EventHandoffAccepted:
		w("took over as " + inline(f("role")))
		if from := f("from"); from != "" {
			w(" from " + r.name(from))
		}
	case incident.EventHandoffCancelled:
		w("cancelled the handoff of the " + inline(f("role")) + " role to " + r.name(f("to")))
	case incident.EventUpdatePosted:
		w("posted an update")
		if f("late") == "true" {
			w(" (late)")
		}
		sep := ": "
		if e.Text != "" {
			w(sep + block(e.Text, "  "))
			sep = cont
		}
		if s := f("doing"); s != "" {
			w(sep + "Doing: " + block(s, "  "))
			sep = cont
		}
		if s := f("impact"); s != "" {
			w(sep + "Impact: " + block(s, "  "))
		}
	case incident.EventNote:
		w("noted: " + block(e.Text, "  "))
	case incident.EventMessagePinned:
		r.pinned(b, e)
	case incident.EventMessageEdited:
		// Only when the pin itself is not on the timeline (see Project).
		if e.Pin != nil && e.Pin.Deleted {
			w("edited a pinned message, since deleted")
		} else {
			w("edited a pinned message: " + block(e.Text, "  "))
		}
	case incident.EventMessageDeleted:
		w("deleted a pinned message")
	case incident.EventResolved:
		w("resolved the incident")
		if e.Text != "" {
			w(": " + block(e.Text, "  "))
		}
	case incident.EventClosed:
		w("closed the incident")
	case incident.EventReopened:
		w("reopened the incident")
	case incident.EventCauseRecorded:
		w("recorded the root cause: " + block(e.Text, "  "))
	case incident.EventImpactRecorded:
		r.impact(b, e.Event)
	case incident.EventTaskAdded:
		w("added action item " + inline(f("task")) + ": " + block(e.Text, "  "))
		if o := f("owner"); o != "" {
			w(" (owner: " + r.name(o) + ")")
		}
	case incident.EventTaskDone:
		w("completed action item " + inline(f("task")) + ": " + block(e.Text, "  "))
	case incident.EventTaskReopened:
		w("reopened action item " + inline(f("task")) + ": " + block(e.Text, "  "))
	case incident.EventReminderHeadsUp:
		w("heads-up to " + r.name(f("to")))
		if due := f("due"); due != "" {
			w(": update due at " + r.fieldTime(due))
		}
	case incident.EventReminderDue:
		w("update due, nudged " + r.name(f("to")))
	case incident.EventEscalated:
		w("update overdue, escalated")
		if due := f("due"); due != "" {
			w(" (was due at " + r.fieldTime(due) + ")")
		}
	case incident.EventSnoozed:
		w("snoozed the update reminder")
		if next := f("next_update"); next != "" {
			w(" until " + r.fieldTime(next))
		}
	case incident.EventPostmortem:
		w("drafted the postmortem")
	case incident.EventChannelCreated:
		w("created the war-room channel")
		if n := f("name"); n != "" {
			w(" #" + inline(n))
		}
	case incident.EventArchived:
		w("archived the war-room channel")
	case incident.EventPlaybookRun, incident.EventStepDone, incident.EventStepUndone, incident.EventRoleRemoved:
		r.playbookEvent(b, e.Event)
	case incident.EventPaged, incident.EventPageSkipped, incident.EventPageExhausted, incident.EventPageAcknowledged:
		r.page(b, e)
	default:
		r.generic(b, e.Event)
	}
}

// page writes a step of paging (issue 13).
func (r *renderer) page(b *strings.Builder, e incident.Entry) {
	f := e.Field
	switch e.Kind {
	case incident.EventPaged:
		var who []string
		for u := range strings.FieldsSeq(f("users")) {
			who = append(who, r.name(u))
		}
		if g := f("usergroup"); g != "" {
			who = append(who, "user group "+inline(g))
		}
		b.WriteString("paged " + strings.Join(who, ", "))
		if rot := f("rotation"); rot != "" {
			b.WriteString(" (on call in " + inline(rot) + ")")
		}
		b.WriteString(", level " + inline(f("level")))
	case incident.EventPageSkipped:
		b.WriteString("skipped level " + inline(f("level")) + ": nobody on call in " + inline(f("rotation")))
	case incident.EventPageExhausted:
		b.WriteString("stopped paging: nobody acknowledged")
	case incident.EventPageAcknowledged:
		b.WriteString("acknowledged the page")
		if s, err := strconv.Atoi(f("after")); err == nil {
			b.WriteString(" after " + incident.FormatDuration(time.Duration(s)*time.Second))
		}
	}
}

// pinned writes a pinned message with its latest text, or only the fact
// that it existed once it was deleted.
func (r *renderer) pinned(b *strings.Builder, e incident.Entry) {
	b.WriteString("pinned a message")
	if a := e.Field("author"); a != "" {
		b.WriteString(" by " + r.name(a))
	}
	text := e.Text
	if p := e.Pin; p != nil {
		switch {
		case p.Deleted:
			b.WriteString(" (deleted)")
			return
		case p.Edited:
			b.WriteString(" (edited)")
			text = p.Text
		}
	}
	if text != "" {
		b.WriteString(": " + block(text, "  "))
	}
	sep := cont
	if u := e.Field("permalink"); u != "" {
		b.WriteString(sep + link("View in Slack", u))
		sep = " · "
	}
	for u := range strings.FieldsSeq(e.Field("files")) {
		b.WriteString(sep)
		sep = " · "
		if !safeURL(slackEntities.Replace(u)) {
			b.WriteString("File: " + inline(u))
			continue
		}
		name := strings.TrimRight(u, "/")
		name = name[strings.LastIndexByte(name, '/')+1:]
		b.WriteString(link("File: "+inline(name), u))
	}
}

// generic writes an event of a kind this package does not know: its kind,
// text and fields.
func (r *renderer) generic(b *strings.Builder, e incident.Event) {
	kind := inline(strings.ReplaceAll(string(e.Kind), "_", " "))
	if kind == "" {
		kind = "event"
	}
	b.WriteString(kind)
	if e.Text != "" {
		b.WriteString(": " + block(e.Text, "  "))
	}
	if len(e.Fields) > 0 {
		for i, k := range slices.Sorted(maps.Keys(e.Fields)) {
			if i == 0 {
				b.WriteString(" (")
			} else {
				b.WriteString(", ")
			}
			b.WriteString(inline(k) + ": " + inline(e.Fields[k]))
		}
		b.WriteString(")")
	}
}
