package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DeclareRequest is what someone supplies to declare an incident.
type DeclareRequest struct {
	Title      string
	Severity   string // empty means the policy's default
	Private    bool
	Impact     string
	DeclaredBy string
	Operator   string // empty means the declarer
}

// CheckTitle validates an incident title.
func CheckTitle(title string) error {
	title = strings.TrimSpace(title)
	switch {
	case title == "":
		return Errorf(EINVALID, "An incident needs a title: say in a few words what is broken.")
	case len([]rune(title)) > MaxTitleLen:
		return Errorf(EINVALID, "The title is %d characters long; keep it to %d. Put details in the impact or a note.", len([]rune(title)), MaxTitleLen)
	case hasBroadcast(title):
		return Errorf(EINVALID, "Titles cannot contain @channel, @here, @everyone or a user group; the title is repeated in announcements.")
	}
	return nil
}

func hasBroadcast(s string) bool {
	return strings.Contains(s, "<!channel") || strings.Contains(s, "<!here") || strings.Contains(s, "<!everyone") ||
		strings.Contains(s, "<!subteam^")
}

// Declare creates a new incident. The store assigns its ID; the events are
// appended to its timeline in the same transaction.
func Declare(p Policy, r DeclareRequest, now time.Time) (*Incident, []Event, error) {
	if err := CheckTitle(r.Title); err != nil {
		return nil, nil, err
	}
	if r.DeclaredBy == "" {
		return nil, nil, Errorf(EINVALID, "Someone must declare the incident.")
	}
	sevName := r.Severity
	if sevName == "" {
		sevName = p.DefaultSeverity
	}
	sev, err := p.Severity(sevName)
	if err != nil {
		return nil, nil, err
	}
	op := r.Operator
	if op == "" {
		op = r.DeclaredBy
	}
	inc := &Incident{
		Title:          strings.TrimSpace(r.Title),
		Severity:       sev.Name,
		Private:        r.Private,
		Status:         StatusInvestigating,
		Impact:         strings.TrimSpace(r.Impact),
		DeclaredBy:     r.DeclaredBy,
		Operator:       op,
		DeclaredAt:     now,
		AcknowledgedAt: now,
		UpdatedAt:      now,
		NextUpdateDue:  now.Add(p.Cadence(sev.Name)),
	}
	inc.Replan(p)
	evs := []Event{
		newEvent(EventDeclared, r.DeclaredBy, now, inc.Title,
			"severity", sev.Name, "private", strconv.FormatBool(r.Private), "impact", inc.Impact,
			"next_update", formatTime(inc.NextUpdateDue)),
		newEvent(EventRoleAssigned, r.DeclaredBy, now, "", "role", string(RoleOperator), "to", op),
	}
	return inc, evs, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (inc *Incident) mustBeOpen(what string) error {
	switch inc.Status {
	case StatusClosed:
		return Errorf(ECONFLICT, "Incident #%d is closed; you cannot %s.", inc.ID, what)
	case StatusResolved:
		return Errorf(ECONFLICT, "Incident #%d is resolved; you cannot %s. Reopen it with `/incident status investigating` first.", inc.ID, what)
	}
	return nil
}

func (inc *Incident) mustNotBeClosed(what string) error {
	if inc.Status == StatusClosed {
		return Errorf(ECONFLICT, "Incident #%d is closed; you cannot %s.", inc.ID, what)
	}
	return nil
}

// SetSeverity changes the severity. A faster cadence pulls the next update
// forward; a slower one never pushes a promise back.
func (inc *Incident) SetSeverity(p Policy, actor, name string, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("change its severity"); err != nil {
		return nil, err
	}
	if err := p.mustManage(inc, actor, "change the severity"); err != nil {
		return nil, err
	}
	sev, err := p.Severity(name)
	if err != nil {
		return nil, err
	}
	if sev.Name == inc.Severity {
		return nil, Errorf(EINVALID, "Incident #%d is already %s.", inc.ID, sev.Name)
	}
	from := inc.Severity
	inc.Severity = sev.Name
	if due := now.Add(p.Cadence(sev.Name)); inc.NextUpdateDue.IsZero() || due.Before(inc.NextUpdateDue) {
		inc.NextUpdateDue = due
		inc.Reminder = ReminderState{}
	}
	inc.touch(p, now)
	return []Event{newEvent(EventSeverityChanged, actor, now, "", "from", from, "to", sev.Name,
		"next_update", formatTime(inc.NextUpdateDue))}, nil
}

// SetStatus moves the incident to status s. Resolving and closing have
// their own commands; moving a resolved incident back to an open status
// reopens it.
func (inc *Incident) SetStatus(p Policy, actor string, s Status, now time.Time) ([]Event, error) {
	switch s {
	case StatusResolved:
		return inc.Resolve(p, actor, "", now)
	case StatusClosed:
		return inc.Close(p, actor, now)
	}
	if !slices.Contains(Statuses, s) {
		return nil, Errorf(EINVALID, "%q is not a status. Use one of: investigating, identified, monitoring, resolved.", s)
	}
	if err := inc.mustNotBeClosed("change its status"); err != nil {
		return nil, err
	}
	if err := p.mustManage(inc, actor, "change the status"); err != nil {
		return nil, err
	}
	if s == inc.Status {
		return nil, Errorf(EINVALID, "Incident #%d is already %s.", inc.ID, s)
	}
	from := inc.Status
	var evs []Event
	if from == StatusResolved {
		inc.ResolvedAt = time.Time{}
		inc.NextUpdateDue = now.Add(p.Cadence(inc.Severity))
		inc.Reminder = ReminderState{}
		evs = append(evs, newEvent(EventReopened, actor, now, ""))
	}
	inc.Status = s
	if s == StatusMonitoring && inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = now
	}
	inc.touch(p, now)
	return append(evs, newEvent(EventStatusChanged, actor, now, "", "from", string(from), "to", string(s))), nil
}

// AssignRole gives role to user at once. It is allowed when nobody holds the
// role, or when force is set by the operator or an admin; otherwise a
// handoff (OfferHandoff, AcceptHandoff) is the way.
func (inc *Incident) AssignRole(p Policy, actor string, role Role, user string, force bool, now time.Time) ([]Event, error) {
	if err := inc.mustNotBeClosed("assign roles"); err != nil {
		return nil, err
	}
	if user == "" {
		return nil, Errorf(EINVALID, "Say who should be the %s, e.g. `/incident role %s @alice`.", role, role)
	}
	holder := inc.Holder(role)
	if holder == user {
		return nil, Errorf(EINVALID, "<@%s> is already the %s.", user, role)
	}
	switch {
	case holder == "":
		// Anyone in the war room may fill an empty role (often themselves),
		// but only managers may appoint others.
		if user != actor {
			if err := p.mustManage(inc, actor, "assign roles"); err != nil {
				return nil, err
			}
		}
	case force:
		if actor != inc.Operator && !p.IsAdmin(actor) {
			return nil, Errorf(EUNAUTHORIZED, "Only the operator or an incidentbot admin can force a role change; ask <@%s> to hand it off.", holder)
		}
	default:
		return nil, Errorf(ECONFLICT, "<@%s> holds the %s role; it changes hands through a handoff with a brief.", holder, role)
	}
	return inc.assign(p, actor, role, user, now, EventRoleAssigned), nil
}

func (inc *Incident) assign(p Policy, actor string, role Role, user string, now time.Time, kind EventKind) []Event {
	from := inc.Holder(role)
	inc.setHolder(role, user)
	if role == RoleOperator && inc.AcknowledgedAt.IsZero() {
		inc.AcknowledgedAt = now
	}
	var evs []Event
	if inc.Handoff != nil && inc.Handoff.Role == role {
		if kind != EventHandoffAccepted {
			evs = append(evs, newEvent(EventHandoffCancelled, actor, now, "", "role", string(role), "to", inc.Handoff.To))
		}
		inc.Handoff = nil
	}
	inc.touch(p, now)
	return append(evs, newEvent(kind, actor, now, "", "role", string(role), "from", from, "to", user))
}

// OfferHandoff records the outgoing holder's brief and offers role to user,
// who takes it with AcceptHandoff.
func (inc *Incident) OfferHandoff(p Policy, actor string, role Role, to string, b Brief, now time.Time) ([]Event, error) {
	if err := inc.mustNotBeClosed("hand off roles"); err != nil {
		return nil, err
	}
	holder := inc.Holder(role)
	if actor != holder && !p.CanManage(inc, actor) {
		return nil, Errorf(EUNAUTHORIZED, "Only the %s or %s can hand off the %s role.", role, p.whoCanManage(inc), role)
	}
	if to == "" {
		return nil, Errorf(EINVALID, "Say who should take over as %s.", role)
	}
	if to == holder {
		return nil, Errorf(EINVALID, "<@%s> is already the %s.", to, role)
	}
	if b.Empty() {
		return nil, Errorf(EINVALID, "Write a short brief for <@%s>: the current state, what is in flight, what to watch.", to)
	}
	inc.Handoff = &Handoff{Role: role, From: holder, To: to, Brief: b, OfferedAt: now}
	inc.touch(p, now)
	return []Event{newEvent(EventHandoffOffered, actor, now, b.Text(), "role", string(role), "from", holder, "to", to)}, nil
}

// Text renders the brief as plain text for the timeline.
func (b Brief) Text() string {
	var parts []string
	if b.State != "" {
		parts = append(parts, "State: "+b.State)
	}
	if b.InFlight != "" {
		parts = append(parts, "In flight: "+b.InFlight)
	}
	if b.Watch != "" {
		parts = append(parts, "Watch: "+b.Watch)
	}
	return strings.Join(parts, "\n")
}

// AcceptHandoff completes a pending handoff; only its recipient may.
func (inc *Incident) AcceptHandoff(p Policy, actor string, now time.Time) ([]Event, error) {
	if err := inc.mustNotBeClosed("accept roles"); err != nil {
		return nil, err
	}
	h := inc.Handoff
	if h == nil {
		return nil, Errorf(ECONFLICT, "There is no handoff waiting on incident #%d; it may have been accepted or replaced already.", inc.ID)
	}
	if h.To != actor {
		return nil, Errorf(EUNAUTHORIZED, "This handoff is offered to <@%s>; only they can accept it.", h.To)
	}
	return inc.assign(p, actor, h.Role, actor, now, EventHandoffAccepted), nil
}

// Update is a status update from the spokesperson.
type Update struct {
	Status Status // optional: a new status
	Text   string // what we know
	Doing  string // what we are doing
	Impact string // impact now
	// Next is the time until the next update; zero means the severity's cadence.
	Next time.Duration
}

// MaxNextUpdate bounds how far ahead an update may promise the next one.
const MaxNextUpdate = 7 * 24 * time.Hour

// PostUpdate records a status update and the promise of the next one.
func (inc *Incident) PostUpdate(p Policy, actor string, u Update, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("post updates (use a note instead)"); err != nil {
		return nil, err
	}
	if !p.CanUpdate(inc, actor) {
		return nil, Errorf(EUNAUTHORIZED, "Only %s can post status updates.", p.whoCanManage(inc))
	}
	u.Text = strings.TrimSpace(u.Text)
	if u.Text == "" && strings.TrimSpace(u.Doing) == "" {
		return nil, Errorf(EINVALID, "An update needs text: what we know and what we are doing.")
	}
	if u.Next != 0 && (u.Next < time.Minute || u.Next > MaxNextUpdate) {
		return nil, Errorf(EINVALID, "The next update must be due between 1 minute and 7 days from now.")
	}
	var evs []Event
	if u.Status != "" && u.Status != inc.Status {
		if !slices.Contains(Statuses, u.Status) {
			return nil, Errorf(EINVALID, "%q is not a status. Use one of: investigating, identified, monitoring.", u.Status)
		}
		if !u.Status.Open() {
			return nil, Errorf(EINVALID, "An update cannot resolve or close; use `/incident resolve` for that.")
		}
		from := inc.Status
		inc.Status = u.Status
		if u.Status == StatusMonitoring && inc.MitigatedAt.IsZero() {
			inc.MitigatedAt = now
		}
		evs = append(evs, newEvent(EventStatusChanged, actor, now, "", "from", string(from), "to", string(u.Status)))
	}
	// Late means after the promised time; an update at the minute is on time.
	late := !inc.NextUpdateDue.IsZero() && now.After(inc.NextUpdateDue)
	if late {
		inc.LateUpdates++
	}
	next := u.Next
	if next == 0 {
		next = p.Cadence(inc.Severity)
	}
	inc.Updates++
	inc.NextUpdateDue = now.Add(next)
	inc.Reminder = ReminderState{}
	if imp := strings.TrimSpace(u.Impact); imp != "" {
		inc.Impact = imp
	}
	inc.touch(p, now)
	return append(evs, newEvent(EventUpdatePosted, actor, now, u.Text,
		"doing", strings.TrimSpace(u.Doing), "impact", strings.TrimSpace(u.Impact), "status", string(inc.Status),
		"next_update", formatTime(inc.NextUpdateDue), "late", boolField(late))), nil
}

func boolField(b bool) string {
	if b {
		return "true"
	}
	return ""
}

// AddNote appends a note to the timeline. Anyone in the war room may.
func (inc *Incident) AddNote(p Policy, actor, text string, now time.Time) ([]Event, error) {
	if err := inc.mustNotBeClosed("add notes"); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Errorf(EINVALID, "A note needs text, e.g. `/incident note rolled back deploy 1234`.")
	}
	inc.touch(p, now)
	return []Event{newEvent(EventNote, actor, now, text)}, nil
}

// PinnedMessage is a war-room message added to the timeline.
type PinnedMessage struct {
	TS        string
	Author    string
	Text      string
	Permalink string
	Files     []string // links to attached files
}

// PinMessage adds a war-room message to the timeline once, however many
// times it is pinned or reacted to.
func (inc *Incident) PinMessage(p Policy, actor string, m PinnedMessage, now time.Time) ([]Event, error) {
	if err := inc.mustNotBeClosed("add to its timeline"); err != nil {
		return nil, err
	}
	if slices.Contains(inc.Pinned, m.TS) {
		return nil, nil
	}
	inc.Pinned = append(inc.Pinned, m.TS)
	inc.touch(p, now)
	return []Event{newEvent(EventMessagePinned, actor, now, m.Text, "ts", m.TS, "author", m.Author,
		"permalink", m.Permalink, "files", strings.Join(m.Files, " "))}, nil
}

// IsPinned reports whether the message ts is on the timeline.
func (inc *Incident) IsPinned(ts string) bool { return slices.Contains(inc.Pinned, ts) }

// EditPinned records a new text for a message on the timeline.
func (inc *Incident) EditPinned(p Policy, actor, ts, text string, now time.Time) ([]Event, error) {
	if !inc.IsPinned(ts) {
		return nil, nil
	}
	inc.touch(p, now)
	return []Event{newEvent(EventMessageEdited, actor, now, text, "ts", ts)}, nil
}

// DeletePinned marks a message on the timeline as deleted.
func (inc *Incident) DeletePinned(p Policy, actor, ts string, now time.Time) ([]Event, error) {
	if !inc.IsPinned(ts) {
		return nil, nil
	}
	inc.touch(p, now)
	return []Event{newEvent(EventMessageDeleted, actor, now, "", "ts", ts)}, nil
}

// Resolve marks the incident resolved and stops the update reminders.
func (inc *Incident) Resolve(p Policy, actor, text string, now time.Time) ([]Event, error) {
	if err := inc.mustBeOpen("resolve it again"); err != nil {
		return nil, err
	}
	if err := p.mustManage(inc, actor, "resolve the incident"); err != nil {
		return nil, err
	}
	from := inc.Status
	inc.Status = StatusResolved
	inc.ResolvedAt = now
	if inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = now
	}
	if text = strings.TrimSpace(text); text != "" {
		inc.Resolution = text
	}
	inc.NextUpdateDue = time.Time{}
	inc.Reminder = ReminderState{}
	inc.touch(p, now)
	return []Event{newEvent(EventResolved, actor, now, text, "from", string(from))}, nil
}

// Close ends a resolved incident for good.
func (inc *Incident) Close(p Policy, actor string, now time.Time) ([]Event, error) {
	switch inc.Status {
	case StatusClosed:
		return nil, Errorf(ECONFLICT, "Incident #%d is already closed.", inc.ID)
	case StatusResolved:
	default:
		return nil, Errorf(ECONFLICT, "Incident #%d is still %s; resolve it first with `/incident resolve`.", inc.ID, inc.Status)
	}
	if err := p.mustManage(inc, actor, "close the incident"); err != nil {
		return nil, err
	}
	inc.Status = StatusClosed
	inc.ClosedAt = now
	inc.Handoff = nil
	if p.ArchiveAfter > 0 && inc.ChannelID != "" {
		inc.ArchiveAt = now.Add(p.ArchiveAfter)
	}
	inc.touch(p, now)
	return []Event{newEvent(EventClosed, actor, now, "")}, nil
}

// SetCause records the root cause.
func (inc *Incident) SetCause(p Policy, actor, text string, now time.Time) ([]Event, error) {
	return inc.setText(p, actor, text, now, &inc.Cause, EventCauseRecorded, "root cause", "cause")
}

// SetImpact records the impact on users.
func (inc *Incident) SetImpact(p Policy, actor, text string, now time.Time) ([]Event, error) {
	return inc.setText(p, actor, text, now, &inc.Impact, EventImpactRecorded, "impact", "impact")
}

func (inc *Incident) setText(p Policy, actor, text string, now time.Time, dst *string, kind EventKind, what, cmd string) ([]Event, error) {
	if err := inc.mustNotBeClosed("change its " + what); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, Errorf(EINVALID, "Say what the %s is, e.g. `/incident %s ...`.", what, cmd)
	}
	*dst = text
	inc.touch(p, now)
	return []Event{newEvent(kind, actor, now, text)}, nil
}

// AddTask records an action item.
func (inc *Incident) AddTask(p Policy, actor, text, owner string, now time.Time) (ActionItem, []Event, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return ActionItem{}, nil, Errorf(EINVALID, "An action item needs text, e.g. `/incident task add an alert on queue depth @alice`.")
	}
	id := 1
	for _, t := range inc.ActionItems {
		id = max(id, t.ID+1)
	}
	t := ActionItem{ID: id, Text: text, Owner: owner, CreatedBy: actor, CreatedAt: now}
	inc.ActionItems = append(inc.ActionItems, t)
	inc.touch(p, now)
	return t, []Event{newEvent(EventTaskAdded, actor, now, text, "task", strconv.Itoa(id), "owner", owner)}, nil
}

// SetTaskDone marks action item id done (or not done).
func (inc *Incident) SetTaskDone(p Policy, actor string, id int, done bool, now time.Time) ([]Event, error) {
	i := slices.IndexFunc(inc.ActionItems, func(t ActionItem) bool { return t.ID == id })
	if i < 0 {
		return nil, Errorf(ENOTFOUND, "Incident #%d has no action item %d; `/incident tasks` lists them.", inc.ID, id)
	}
	t := &inc.ActionItems[i]
	if t.Done == done {
		state := "open"
		if done {
			state = "done"
		}
		return nil, Errorf(EINVALID, "Action item %d is already %s.", id, state)
	}
	t.Done, t.DoneBy, t.DoneAt = done, actor, now
	kind := EventTaskDone
	if !done {
		kind, t.DoneBy, t.DoneAt = EventTaskReopened, "", time.Time{}
	}
	inc.touch(p, now)
	return []Event{newEvent(kind, actor, now, t.Text, "task", strconv.Itoa(id))}, nil
}

// OpenTasks counts action items not yet done.
func (inc *Incident) OpenTasks() int {
	n := 0
	for _, t := range inc.ActionItems {
		if !t.Done {
			n++
		}
	}
	return n
}

func (inc *Incident) touch(p Policy, now time.Time) {
	inc.UpdatedAt = now
	inc.Replan(p)
}

// String identifies the incident in logs and messages.
func (inc *Incident) String() string { return fmt.Sprintf("#%d %s", inc.ID, inc.Title) }

// CheckOpen returns an error explaining why an incident that is resolved
// or closed cannot take updates.
func (inc *Incident) CheckOpen() error { return inc.mustBeOpen("post updates") }
