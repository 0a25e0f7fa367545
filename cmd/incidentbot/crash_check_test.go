package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
)

// crashChecker compares three records of one crash run: what people did
// and how Slack saw the acks (the workload), what the bot stored (the
// database, read after a clean stop), and what Slack shows (the fake's
// channels, threads, DMs, files and reactions).
type crashChecker struct {
	t      *testing.T
	w      *crashWorld
	wl     *workload
	db     *store.DB
	report crashReport

	incs   []*incident.Incident
	events map[int64][]incident.Event
	byTag  map[string][]*incident.Incident
}

func newCrashChecker(t *testing.T, w *crashWorld, wl *workload, db *store.DB) *crashChecker {
	return &crashChecker{t: t, w: w, wl: wl, db: db, events: map[int64][]incident.Event{}, byTag: map[string][]*incident.Incident{}}
}

// loss and double report an acked request that left no trace, or more than
// one.
func (c *crashChecker) loss(format string, args ...any) {
	c.t.Helper()
	c.report.Losses++
	c.t.Errorf("LOST: "+format, args...)
}

func (c *crashChecker) double(format string, args ...any) {
	c.t.Helper()
	c.report.Doubles++
	c.t.Errorf("TWICE: "+format, args...)
}

func (c *crashChecker) check() {
	ctx := context.Background()
	if err := c.db.Check(); err != nil {
		c.t.Errorf("the store's consistency check: %v", err)
	}
	if reqs, err := c.db.Requests(ctx, 0); err != nil || len(reqs) > 0 {
		c.t.Errorf("requests left in the inbox after a clean stop: %d (%v)", len(reqs), err)
	}
	if effs, err := c.db.PendingEffects(ctx, 0); err != nil || len(effs) > 0 {
		c.t.Errorf("effects left in the outbox after a clean stop: %d (%v)", len(effs), err)
		for _, e := range effs {
			c.t.Logf("  pending effect %d %s incident %d attempts %d: %s", e.Seq, e.Kind, e.IncidentID, e.Attempts, e.Payload)
		}
	}
	incs, err := c.db.FindIncidents(ctx, incident.Filter{})
	if err != nil {
		c.t.Fatal(err)
	}
	slices.SortFunc(incs, func(a, b *incident.Incident) int { return int(a.ID - b.ID) })
	c.incs = incs
	c.report.Incidents = len(incs)
	for _, inc := range incs {
		evs, err := c.db.Events(ctx, inc.ID)
		if err != nil {
			c.t.Fatal(err)
		}
		c.events[inc.ID] = evs
		c.byTag[inc.Title] = append(c.byTag[inc.Title], inc)
	}
	c.checkRequests()
	c.checkPins()
	for _, inc := range incs {
		c.checkIncident(inc)
	}
	c.checkAnnouncements()
	dups := c.w.fake.Duplicates(
		// Private incidents are announced with the same words: "a private
		// incident was declared (severity major)". checkAnnouncements
		// counts them one by one.
		"A private incident was declared",
	)
	c.report.Duplicates = len(dups)
	for _, d := range dups {
		c.t.Errorf("the bot posted a message twice:\n%s", d)
	}
}

// checkRequests checks that every confirmed command took effect once, and
// every unacknowledged one at most once. Commands that make the same
// change (two severity changes to critical in one incident) are counted
// together.
func (c *crashChecker) checkRequests() {
	wl := c.wl
	wl.mu.Lock()
	defer wl.mu.Unlock()
	type group struct {
		what            string
		accepted, maybe int
		n               int
	}
	groups := map[string]*group{}
	var order []string
	for _, cmd := range wl.cmds {
		if cmd.Kind == "pin" {
			continue // events: checkPins
		}
		c.report.Sent++
		if cmd.Acked {
			c.report.Acked++
		} else {
			c.t.Logf("not acked: %s %q sent at %s: %v", cmd.Kind, cmd.Text, cmd.At.Format("15:04:05.000"), cmd.Err)
		}
		if cmd.Accepted {
			c.report.Accepted++
		}
		if cmd.Kind == "list" || (cmd.Acked && !cmd.Accepted) {
			continue // read-only, or refused in its ack: not a request
		}
		key := cmd.Tag + "\x00" + cmd.Kind + "\x00" + cmd.Marker + "\x00" + cmd.Sev + "\x00" + cmd.User
		g := groups[key]
		if g == nil {
			g = &group{what: fmt.Sprintf("%s %q by %s", cmd.Kind, cmd.Text, c.w.names[cmd.Actor])}
			if cmd.Kind == "declare" {
				g.n = len(c.byTag[cmd.Tag])
			} else {
				g.n = c.effectsOf(cmd)
			}
			groups[key] = g
			order = append(order, key)
		}
		if cmd.Accepted {
			g.accepted++
		} else {
			g.maybe++
		}
	}
	for _, key := range order {
		g := groups[key]
		switch {
		case g.n > g.accepted+g.maybe:
			c.double("%s took effect %d times (%d confirmed, %d unacknowledged)", g.what, g.n, g.accepted, g.maybe)
		case g.n < g.accepted:
			c.loss("%s took effect %d times (%d confirmed, %d unacknowledged)", g.what, g.n, g.accepted, g.maybe)
		}
	}
}

// cmdEvents is the timeline event each kind of command makes.
var cmdEvents = map[string]incident.EventKind{
	"note": incident.EventNote, "update": incident.EventUpdatePosted, "resolve": incident.EventResolved,
	"cancel": incident.EventCancelled, "close": incident.EventClosed, "sev": incident.EventSeverityChanged,
	"role": incident.EventRoleAssigned,
}

// effectsOf counts the timeline events a command made.
func (c *crashChecker) effectsOf(cmd *sentCmd) int {
	n := 0
	for _, inc := range c.byTag[cmd.Tag] {
		for _, e := range c.events[inc.ID] {
			if e.Kind != cmdEvents[cmd.Kind] {
				continue
			}
			var ok bool
			switch cmd.Kind {
			case "close":
				ok = true
			case "sev":
				ok = e.Field("to") == cmd.Sev
			case "role":
				ok = isSpokesperson(e) && e.Field("to") == cmd.User
			default:
				ok = strings.Contains(e.Text, cmd.Marker)
			}
			if ok {
				n++
			}
		}
	}
	return n
}

// checkPins checks that every timeline reaction Slack saw acked put its
// message on the timeline once, and that the bot marked it.
func (c *crashChecker) checkPins() {
	acked := map[string]bool{} // ts of messages whose reaction_added was acked
	for _, e := range c.w.fake.SentEvents() {
		if e.Type != "reaction_added" {
			continue
		}
		var ev struct {
			Reaction string `json:"reaction"`
			Item     struct {
				TS string `json:"ts"`
			} `json:"item"`
		}
		if json.Unmarshal(e.Event, &ev) != nil || ev.Reaction != "pushpin" {
			continue
		}
		acked[ev.Item.TS] = e.Acked
		if e.Deliveries > 1 {
			c.report.Redelivered++
		}
	}
	pinned := map[string][]incident.Event{}
	for _, evs := range c.events {
		for _, e := range evs {
			if e.Kind == incident.EventMessagePinned {
				pinned[e.Field("ts")] = append(pinned[e.Field("ts")], e)
			}
		}
	}
	c.wl.mu.Lock()
	defer c.wl.mu.Unlock()
	for _, cmd := range c.wl.cmds {
		if cmd.Kind != "pin" {
			continue
		}
		c.report.Sent++
		what := fmt.Sprintf("the timeline reaction on %q (%s)", cmd.Marker, cmd.TS)
		if acked[cmd.TS] {
			c.report.Acked++
			c.report.Accepted++
		}
		switch n := len(pinned[cmd.TS]); {
		case n > 1:
			c.double("%s pinned it %d times", what, n)
		case n == 0 && acked[cmd.TS] && cmd.Overtaken:
			c.t.Logf("%s was acked after the incident ended, and refused", what)
		case n == 0 && acked[cmd.TS]:
			c.loss("%s was acked but the message is not on the timeline", what)
		}
	}
}

// roomMessages are the bot's messages in a war room (top level).
type roomMsgs []slackfake.Message

func (ms roomMsgs) with(pred func(m slackfake.Message) bool) []slackfake.Message {
	var out []slackfake.Message
	for _, m := range ms {
		if pred(m) {
			out = append(out, m)
		}
	}
	return out
}

func textHas(subs ...string) func(m slackfake.Message) bool {
	return func(m slackfake.Message) bool {
		for _, s := range subs {
			if !strings.Contains(m.Text, s) {
				return false
			}
		}
		return true
	}
}

func textPrefix(p string, subs ...string) func(m slackfake.Message) bool {
	has := textHas(subs...)
	return func(m slackfake.Message) bool { return strings.HasPrefix(m.Text, p) && has(m) }
}

// expect compares how many messages an effect made with how many it
// should have: exactly want, or between lo and want when some of them may
// rightly have been dropped (a reminder whose promise was kept meanwhile).
func (c *crashChecker) expect(what string, got, lo, want int) {
	c.t.Helper()
	c.report.Effects += want
	switch {
	case got > want:
		c.double("%s: %d messages for %d changes", what, got, want)
	case got < lo:
		c.loss("%s: %d messages for %d changes", what, got, lo)
	}
}

// checkIncident checks one incident's war room, card, DMs, invites,
// notices, threads, reminders and postmortem uploads against its timeline.
func (c *crashChecker) checkIncident(inc *incident.Incident) {
	fake := c.w.fake
	id := inc.ID
	name := fmt.Sprintf("incident #%d (%q)", id, inc.Title)
	evs := c.events[id]
	count := func(kind incident.EventKind) int {
		n := 0
		for _, e := range evs {
			if e.Kind == kind {
				n++
			}
		}
		return n
	}

	// One war room, recorded once.
	roomRe := regexp.MustCompile(fmt.Sprintf(`^inc-%d(-|$)`, id))
	var rooms []slackfake.Channel
	for _, ch := range fake.Channels() {
		if roomRe.MatchString(ch.Name) && ch.Creator == fake.BotUserID() {
			rooms = append(rooms, ch)
		}
	}
	c.report.Effects++
	if len(rooms) != 1 || inc.ChannelID == "" || rooms[0].ID != inc.ChannelID {
		var names []string
		for _, r := range rooms {
			names = append(names, r.Name+"="+r.ID)
		}
		c.t.Errorf("%s: war room %q recorded, channels in Slack: %v", name, inc.ChannelID, names)
		if len(rooms) > 1 {
			c.report.Doubles++
		}
		return
	}
	room := rooms[0]
	if n := count(incident.EventChannelCreated); n != 1 {
		c.t.Errorf("%s: %d channel_created events", name, n)
	}

	// Everyone who should be in the room is.
	want := []string{inc.DeclaredBy, inc.Operator}
	for _, e := range evs {
		if e.Kind == incident.EventRoleAssigned {
			want = append(want, e.Field("to"))
		}
	}
	for _, u := range want {
		c.report.Effects++
		if u != "" && !slices.Contains(room.Members, u) {
			c.loss("%s: %s is not in the war room %s", name, c.w.names[u], room.Name)
		}
	}

	var top roomMsgs
	for _, m := range fake.Messages(room.ID) {
		if m.BotID != "" && !m.Deleted && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
			top = append(top, m)
		}
	}

	// One card, pinned.
	cards := top.with(textPrefix(fmt.Sprintf("Incident #%d (", id)))
	c.expect(name+" card", len(cards), 1, 1)
	if inc.CardTS == "" || !slices.Contains(room.Pins, inc.CardTS) {
		c.loss("%s: the card %q is not pinned (pins %v)", name, inc.CardTS, room.Pins)
	}
	// The spokesperson picker, unless a spokesperson was named first.
	lo := 1
	if slices.ContainsFunc(evs, isSpokesperson) {
		lo = 0
	}
	c.expect(name+" spokesperson picker", len(top.with(textHas("Choose a spokesperson"))), lo, 1)

	// Each change of the timeline that the war room hears of.
	var sevs, resolves, cancels, closes, updates, drafts, escalations int
	for _, e := range evs {
		switch e.Kind {
		case incident.EventSeverityChanged:
			sevs++
			c.expect(fmt.Sprintf("%s severity %s→%s notice", name, e.Field("from"), e.Field("to")),
				len(top.with(textPrefix(":arrow_up_down:", fmt.Sprintf("incident #%d from *%s* to *%s*", id, e.Field("from"), e.Field("to"))))), 1, 1)
		case incident.EventResolved:
			resolves++
		case incident.EventCancelled:
			cancels++
		case incident.EventClosed:
			closes++
		case incident.EventUpdatePosted:
			updates++
			c.expect(fmt.Sprintf("%s update %q", name, e.Text), len(top.with(textHas(fmt.Sprintf("Update on incident #%d: %s", id, e.Text)))), 1, 1)
		case incident.EventRoleAssigned:
			if isSpokesperson(e) {
				c.expect(fmt.Sprintf("%s spokesperson notice", name),
					len(top.with(textPrefix(":bust_in_silhouette:", fmt.Sprintf("<@%s> is now the *spokesperson*", e.Field("to"))))), 1, 1)
			}
		case incident.EventPostmortem:
			drafts++
			title := fmt.Sprintf("Postmortem draft: incident #%d (draft %s)", id, e.Field("draft"))
			c.expect(name+" "+title, len(top.with(func(m slackfake.Message) bool {
				return slices.ContainsFunc(m.Files, func(f slackfake.File) bool { return f.Title == title })
			})), 1, 1)
		case incident.EventEscalated:
			escalations++
		}
	}
	c.expect(name+" resolve notice", len(top.with(textPrefix(":white_check_mark:", fmt.Sprintf("resolved incident #%d ", id)))), resolves, resolves)
	c.expect(name+" cancel notice", len(top.with(textPrefix(":wastebasket:", fmt.Sprintf("cancelled incident #%d:", id)))), cancels, cancels)
	c.expect(name+" close notice", len(top.with(textPrefix(":lock:", fmt.Sprintf("closed incident #%d.", id)))), closes, closes)
	c.expect(name+" uploads", len(top.with(func(m slackfake.Message) bool { return len(m.Files) > 0 })), drafts, drafts)
	c.checkReminders(name, inc, evs, top)

	// Role DMs: one per role given, the operator's at the declaration
	// included.
	for _, e := range evs {
		if e.Kind != incident.EventRoleAssigned {
			continue
		}
		u, n := e.Field("to"), 0
		for _, m := range fake.DMs(u) {
			if m.BotID != "" && m.Text == fmt.Sprintf("You are the %s of incident #%d", e.Field("role"), id) {
				n++
			}
		}
		c.expect(fmt.Sprintf("%s %s DM to %s", name, e.Field("role"), c.w.names[u]), n, 1, 1)
	}

	// The announcement's thread hears of the same changes.
	c.checkThread(name, inc, sevs, resolves, cancels, closes, updates, escalations)

	// Every pinned message is marked.
	for _, e := range evs {
		if e.Kind != incident.EventMessagePinned {
			continue
		}
		c.report.Effects++
		ok := false
		for _, m := range fake.Messages(room.ID) {
			if m.TS == e.Field("ts") {
				ok = slices.Contains(m.Reactions["white_check_mark"], fake.BotUserID())
			}
		}
		if !ok {
			c.loss("%s: the pinned message %s has no check mark from the bot", name, e.Field("ts"))
		}
	}
}

func isSpokesperson(e incident.Event) bool {
	return e.Kind == incident.EventRoleAssigned && e.Field("role") == string(incident.RoleSpokesperson)
}

// checkReminders checks that every reminder the timeline records was
// posted once in the war room, unless its promise was kept or replaced
// before it went out (delivery drops a stale reminder), and that no
// reminder was posted without its event.
func (c *crashChecker) checkReminders(name string, inc *incident.Incident, evs []incident.Event, top roomMsgs) {
	type key struct {
		stage string
		due   string // as the message shows it
	}
	prefixes := map[incident.EventKind]string{
		incident.EventReminderHeadsUp: ":alarm_clock:",
		incident.EventReminderDue:     ":bell:",
		incident.EventEscalated:       ":rotating_light: Escalation",
	}
	type bounds struct{ lo, hi int }
	want := map[key]*bounds{}
	for _, e := range evs {
		p, ok := prefixes[e.Kind]
		if !ok {
			continue
		}
		due, err := time.Parse(time.RFC3339, e.Field("due"))
		if err != nil {
			c.t.Errorf("%s: reminder event with due %q: %v", name, e.Field("due"), err)
			continue
		}
		k := key{p, due.UTC().Format("15:04 MST")}
		if want[k] == nil {
			want[k] = &bounds{}
		}
		want[k].hi++
		// Still the promise in force at the end: nothing made it stale.
		if inc.Status.Open() && inc.NextUpdateDue.Truncate(time.Second).Equal(due) {
			want[k].lo++
		}
	}
	got := map[key]int{}
	dueRe := regexp.MustCompile(`(?:due at|promised for|due) (?:[A-Z][a-z]{2} \d+ [A-Z][a-z]{2} )?(\d\d:\d\d [A-Z]+)`)
	for _, m := range top {
		for _, p := range prefixes {
			if !strings.HasPrefix(m.Text, p) {
				continue
			}
			sm := dueRe.FindStringSubmatch(m.Text)
			if sm == nil {
				c.t.Errorf("%s: reminder without a due time: %q", name, m.Text)
				continue
			}
			got[key{p, sm[1]}]++
		}
	}
	for k, b := range want {
		c.expect(fmt.Sprintf("%s reminder %s due %s", name, k.stage, k.due), got[k], b.lo, b.hi)
	}
	for k, n := range got {
		if want[k] == nil {
			c.double("%s: %d reminders %s due %s without a reminder event", name, n, k.stage, k.due)
		}
	}
}

// checkThread checks the replies under an incident's announcement.
func (c *crashChecker) checkThread(name string, inc *incident.Incident, sevs, resolves, cancels, closes, updates, escalations int) {
	if len(inc.Announcements) != 1 || inc.Announcements[0].TS == "" {
		c.loss("%s: announcements %+v", name, inc.Announcements)
		return
	}
	ann := inc.Announcements[0]
	var replies roomMsgs
	for _, m := range c.w.fake.Thread(ann.ChannelID, ann.TS) {
		if m.BotID != "" && m.TS != ann.TS {
			replies = append(replies, m)
		}
	}
	id := inc.ID
	if inc.Private {
		c.expect(name+" thread severity", len(replies.with(textPrefix(":lock: A private incident is now"))), sevs, sevs)
		c.expect(name+" thread resolve", len(replies.with(textPrefix(":lock: A private incident was resolved"))), resolves, resolves)
		c.expect(name+" thread cancel", len(replies.with(textPrefix(":lock: A private incident was cancelled"))), cancels, cancels)
		c.expect(name+" thread other", len(replies), 0, sevs+resolves+cancels)
		return
	}
	c.expect(name+" thread severity", len(replies.with(textPrefix(":arrow_up_down:", fmt.Sprintf("incident #%d from", id)))), sevs, sevs)
	c.expect(name+" thread resolve", len(replies.with(textPrefix(":white_check_mark:", fmt.Sprintf("resolved incident #%d ", id)))), resolves, resolves)
	c.expect(name+" thread cancel", len(replies.with(textPrefix(":wastebasket:", fmt.Sprintf("cancelled incident #%d:", id)))), cancels, cancels)
	c.expect(name+" thread close", len(replies.with(textPrefix(":page_facing_up:", fmt.Sprintf("Incident #%d ", id)))), closes, closes)
	c.expect(name+" thread updates", len(replies.with(textPrefix(fmt.Sprintf("Update on incident #%d: ", id)))), updates, updates)
	c.expect(name+" thread escalations", len(replies.with(textPrefix(":hourglass:", fmt.Sprintf("incident #%d is late", id)))), escalations, escalations)
	all := sevs + resolves + cancels + closes + updates + escalations
	if len(replies) != all {
		c.t.Errorf("%s: %d replies under the announcement, %d expected", name, len(replies), all)
		for _, m := range replies {
			c.t.Logf("  reply %s: %q", m.TS, m.Text)
		}
	}
}

// checkAnnouncements checks that each incident was announced once.
func (c *crashChecker) checkAnnouncements() {
	var top []slackfake.Message
	for _, m := range c.w.fake.Messages(c.w.announce) {
		if m.BotID != "" && !m.Deleted && (m.ThreadTS == "" || m.ThreadTS == m.TS) {
			top = append(top, m)
		}
	}
	byTS := map[string]int64{}
	for _, inc := range c.incs {
		for _, a := range inc.Announcements {
			if prev, ok := byTS[a.TS]; ok && a.TS != "" {
				c.t.Errorf("incidents #%d and #%d recorded the same announcement %s", prev, inc.ID, a.TS)
			}
			byTS[a.TS] = inc.ID
		}
	}
	c.expect("announcements", len(top), len(c.incs), len(c.incs))
	for _, m := range top {
		if _, ok := byTS[m.TS]; !ok {
			c.t.Errorf("announcement %s belongs to no incident: %q", m.TS, m.Text)
		}
	}
}
