package incident

import (
	"strings"
	"time"
)

// MaxTitleLen is the longest title we accept: it must fit a channel name,
// a card header and a notification line.
const MaxTitleLen = 80

// Status is where an incident stands in its life.
type Status string

// The statuses, in the order an incident normally goes through them.
const (
	StatusInvestigating Status = "investigating"
	StatusIdentified    Status = "identified"
	StatusMonitoring    Status = "monitoring"
	StatusResolved      Status = "resolved"
	StatusClosed        Status = "closed"
	// StatusCancelled ends an incident declared by mistake; like closed,
	// it is final.
	StatusCancelled Status = "cancelled"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusInvestigating, StatusIdentified, StatusMonitoring, StatusResolved, StatusClosed, StatusCancelled}

// ParseStatus reads a status name, accepting the aliases people type.
func ParseStatus(s string) (Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "investigating", "investigate", "triage", "triaging":
		return StatusInvestigating, nil
	case "identified", "identify", "found":
		return StatusIdentified, nil
	case "monitoring", "monitor", "mitigated", "fixed":
		return StatusMonitoring, nil
	case "resolved", "resolve":
		return StatusResolved, nil
	case "closed", "close":
		return StatusClosed, nil
	case "cancelled", "canceled", "cancel":
		return StatusCancelled, nil
	}
	return "", Errorf(EINVALID, "%q is not a status. Use one of: investigating, identified, monitoring, resolved.", s)
}

// Open reports whether the incident is still being worked on.
func (s Status) Open() bool { return s != StatusResolved && s != StatusClosed && s != StatusCancelled }

// Ended reports whether the incident is over for good: closed or
// cancelled. Ended incidents leave the open-incident index.
func (s Status) Ended() bool { return s == StatusClosed || s == StatusCancelled }

// Role is a responsibility held by one person during an incident.
type Role string

// The two roles.
const (
	// RoleOperator leads the response and does the hands-on work.
	RoleOperator Role = "operator"
	// RoleSpokesperson owns all communication and keeps the log.
	RoleSpokesperson Role = "spokesperson"
)

// ParseRole reads a role name, accepting the aliases people type.
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "operator", "op", "commander", "ic", "lead", "incident-commander":
		return RoleOperator, nil
	case "spokesperson", "spokes", "comms", "communications", "scribe", "spokesman", "spokeswoman":
		return RoleSpokesperson, nil
	}
	return "", Errorf(EINVALID, "%q is not a role. Use operator or spokesperson.", s)
}

// Duty is the short description of what a role expects, sent to whoever takes it.
func (r Role) Duty() string {
	switch r {
	case RoleOperator:
		return "You lead the response and do the hands-on work: decide what to try, keep the status current, and hand off the role if you need a break."
	case RoleSpokesperson:
		return "You own all communication: post status updates before the promised time, answer questions so the operator can focus, and add what matters to the timeline."
	}
	return ""
}

// Incident is the current state of one incident. It is a snapshot derived
// from the timeline: every change to it is made together with an Event.
type Incident struct {
	ID int64
	// Rev counts the stored versions of the incident: the store increments
	// it on every write. What renders the incident (the card) records the
	// Rev it showed, so a later change is never left unrendered.
	Rev          uint64
	Title        string
	Severity     string
	Private      bool
	Status       Status
	Impact       string // what users are seeing
	Cause        string // root cause, as recorded
	Resolution   string // how it was resolved
	DeclaredBy   string
	Operator     string
	Spokesperson string

	// Slack coordinates, opaque to the domain.
	ChannelID     string
	ChannelName   string
	CardTS        string
	Announcements []Announcement
	// CardHash and Topic are what the card and the war-room topic show
	// now, so that an unchanged card or topic costs no Slack call.
	CardHash string
	Topic    string
	// WarRoomError says why Slack would not create the war room, when it
	// refused for good (the workspace forbids it, say); "" otherwise.
	WarRoomError string

	DeclaredAt time.Time
	// AcknowledgedAt is when the operator acknowledged: the real time of
	// the page's Acknowledge click, or when they took the role themselves
	// (declaring, assigning themselves, accepting a handoff). Zero while
	// an operator named by someone else has not answered.
	AcknowledgedAt time.Time
	MitigatedAt    time.Time // first time monitoring
	ResolvedAt     time.Time
	ClosedAt       time.Time // closed, or cancelled
	UpdatedAt      time.Time

	// NextUpdateDue is when the spokesperson promised the next update.
	NextUpdateDue time.Time
	Reminder      ReminderState
	// Pending holds reminders decided by an incidentbot older than the
	// outbox (schema 1) and not yet delivered; the scheduler moves them to
	// the outbox. Nothing adds to it any more.
	Pending []Reminder
	// WakeAt is when the scheduler must next look at this incident; zero
	// means never. It is derived from NextUpdateDue and Reminder by Replan
	// and indexed by the store.
	WakeAt time.Time

	// Pinned lists the ts of war-room messages on the timeline.
	Pinned []string

	// ArchiveAt is when the closed incident's war room is to be archived;
	// zero means never, or already done.
	ArchiveAt time.Time

	Handoff     *Handoff
	ActionItems []ActionItem
	Updates     int // status updates posted
	LateUpdates int // updates that came after their due time
	// Drafts counts the postmortem drafts made: each is uploaded under its
	// own title, "… (draft 2)".
	Drafts int

	// CustomerSummary is the customer-facing account the spokesperson
	// writes once the incident is resolved; nil until then.
	CustomerSummary *CustomerSummary
	// Stakeholders are the names of the stakeholder groups following the
	// incident (stakeholders.groups in config), added by its severity or a
	// playbook: see AddStakeholders.
	Stakeholders []string
	// Playbooks, triage, more roles and drills (issue 12: playbook.go,
	// triage.go, crew.go, drill.go).
	//
	// Type is the incident type chosen at declare (e.g. "security"); ""
	// when the organisation defines no types.
	Type string
	// Drill marks a practice incident: announced only in the drill
	// channel, and left out of metrics, digests and the status page.
	Drill bool
	// NoStatusPage keeps the incident off the status page: a playbook
	// with public_status: false ran on it.
	NoStatusPage bool
	// Playbooks names the playbooks that ran on the incident, in order.
	Playbooks []string
	// Checklist holds the steps of those playbooks, in order, with who
	// did each and when.
	Checklist []Step
	// ChecklistPosts are the war-room messages showing the checklist, one
	// per playbook.
	ChecklistPosts []ChecklistPost
	// Crew holds the configured roles beyond operator and spokesperson.
	Crew []CrewMember
	// RolesNeeded are the roles the playbooks that ran need filled.
	RolesNeeded []Role
	// Estimate is the latest estimate of the impact (what users
	// experience, security, money lost per hour).
	Estimate Estimate

	// Alerts, deploys and numbers (issue 14: alert.go, deploy.go).
	//
	// Service is the service the incident affects (declare --service,
	// /incident service): /incident cause offers its deploys, and the
	// statistics group by it.
	Service string
	// CauseCategory classifies the root cause (CauseChange, ...);
	// CauseDeploy is the Key of the deployment the cause points at.
	CauseCategory string
	CauseDeploy   string
	// Alert is the alert group the incident came from or was first linked
	// to, as last notified; nil for none.
	Alert *AlertRef

	// Page is the paging of the operator and the escalation levels after
	// them (issue 13); nil when nobody was paged.
	Page *Page
}

// Announcement is a message announcing the incident in an announcement
// channel. It is planned at declaration (TS empty), posted (TS set), or
// refused for good by Slack (Error set, e.g. "not_in_channel"): updates
// then go to its thread, or nowhere.
type Announcement struct {
	ChannelID string
	TS        string
	Error     string
}

// Handoff is a role handoff offered but not yet accepted.
type Handoff struct {
	Role      Role
	From      string
	To        string
	Brief     Brief
	OfferedAt time.Time
}

// Brief is what the outgoing role holder tells the incoming one.
type Brief struct {
	State    string // current state
	InFlight string // what is in flight
	Watch    string // what to watch
}

// Empty reports whether nothing was written.
func (b Brief) Empty() bool { return b.State == "" && b.InFlight == "" && b.Watch == "" }

// ActionItem is a follow-up task recorded during or after the incident.
type ActionItem struct {
	ID        int
	Text      string
	Owner     string
	CreatedBy string
	CreatedAt time.Time
	Done      bool
	DoneAt    time.Time
	DoneBy    string
}

// AnnouncementIndex returns the index of the announcement in channel, or -1.
func (inc *Incident) AnnouncementIndex(channel string) int {
	for i, a := range inc.Announcements {
		if a.ChannelID == channel {
			return i
		}
	}
	return -1
}

// SetAnnouncement records the outcome of the announcement in channel: its
// ts, or the error Slack refused it with.
func (inc *Incident) SetAnnouncement(channel, ts, errCode string) {
	if i := inc.AnnouncementIndex(channel); i >= 0 {
		inc.Announcements[i].TS, inc.Announcements[i].Error = ts, errCode
		return
	}
	inc.Announcements = append(inc.Announcements, Announcement{ChannelID: channel, TS: ts, Error: errCode})
}

// Holder returns the user holding role r, or "": for a role several
// people may hold (see RoleSpec.Multi), the one who took it first.
func (inc *Incident) Holder(r Role) string {
	switch r {
	case RoleOperator:
		return inc.Operator
	case RoleSpokesperson:
		return inc.Spokesperson
	}
	if hs := inc.Holders(r); len(hs) > 0 {
		return hs[0]
	}
	return ""
}

// Communicator returns who is expected to post updates: the spokesperson,
// or the operator while there is none.
func (inc *Incident) Communicator() string {
	if inc.Spokesperson != "" {
		return inc.Spokesperson
	}
	return inc.Operator
}

// Overdue reports whether the promised update is late at now.
func (inc *Incident) Overdue(now time.Time) bool {
	return inc.Status.Open() && !inc.NextUpdateDue.IsZero() && !now.Before(inc.NextUpdateDue)
}

// Duration returns how long the incident lasted (until resolved) or has
// lasted so far.
func (inc *Incident) Duration(now time.Time) time.Duration {
	end := now
	if !inc.ResolvedAt.IsZero() {
		end = inc.ResolvedAt
	}
	return end.Sub(inc.DeclaredAt)
}

// Clone returns a deep copy, so that callers can change it freely.
func (inc *Incident) Clone() *Incident {
	c := *inc
	c.Announcements = append([]Announcement(nil), inc.Announcements...)
	c.ActionItems = append([]ActionItem(nil), inc.ActionItems...)
	c.Pending = append([]Reminder(nil), inc.Pending...)
	c.Pinned = append([]string(nil), inc.Pinned...)
	if inc.Handoff != nil {
		h := *inc.Handoff
		c.Handoff = &h
	}
	if inc.CustomerSummary != nil {
		cs := *inc.CustomerSummary
		c.CustomerSummary = &cs
	}
	c.Stakeholders = append([]string(nil), inc.Stakeholders...)
	c.Playbooks = append([]string(nil), inc.Playbooks...)
	c.Checklist = append([]Step(nil), inc.Checklist...)
	c.ChecklistPosts = append([]ChecklistPost(nil), inc.ChecklistPosts...)
	c.Crew = append([]CrewMember(nil), inc.Crew...)
	c.RolesNeeded = append([]Role(nil), inc.RolesNeeded...)
	if inc.Alert != nil {
		a := *inc.Alert
		c.Alert = &a
	}
	c.Page = inc.Page.clone()
	return &c
}
