package views

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/playbooks"
)

// Action, block and callback IDs of the on-call surfaces. Like the others
// they are a contract with messages already sent: never rename one.
const (
	ActionPageAck         = "oncall_page_ack"
	ActionHandoffConfirm  = "oncall_handoff_confirm"
	ActionHandoffCheck    = "oncall_handoff_check"
	BlockHandoffChecklist = "oncall_checklist_" // then the group's index, "|" and the HandoffValue
	CallbackOncall        = "oncall_override"
	InputRotation         = "rotation"
	InputFrom             = "from"
	InputTo               = "to"
	// ChecklistGroup is how many steps one checkboxes element holds:
	// Slack's limit is 10 options.
	ChecklistGroup = 10
)

// OncallTime renders an on-call time in the rotation's zone, with the
// weekday and the date: "Mon 9 Mar 09:00 CET", the year added when it is
// not now's.
func OncallTime(t, now time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Year() != now.In(loc).Year() {
		return t.Format("Mon 2 Jan 2006 15:04 MST")
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}

// PageInfo is what a page DM says besides the incident.
type PageInfo struct {
	// User is who the DM goes to.
	User string
	// Level of the escalation that pages them (1 is the operator).
	Level int
	// Group is the user group they are paged as a member of, if any;
	// Rotation the rotation they are on call in, if any.
	Group, Rotation string
	// Until is when the next level is paged without an acknowledgement.
	Until time.Time
}

// PageDM is the direct message that pages someone, with the Acknowledge
// button. A private incident's title is shown only to its operator.
func (e Env) PageDM(inc *incident.Incident, p PageInfo) ([]slack.Block, string) {
	what := fmt.Sprintf("incident #%d: *%s*", inc.ID, inc.Title)
	if inc.Private && p.User != inc.Operator {
		what = fmt.Sprintf("a private incident (#%d); acknowledge to be added to its war room", inc.ID)
	}
	why := "You are its operator: you lead the response."
	switch {
	case p.User == inc.Operator:
	case p.Group != "":
		why = fmt.Sprintf("You are paged as a member of <!subteam^%s>, because nobody acknowledged in time.", p.Group)
	case p.Rotation != "":
		why = fmt.Sprintf("You are on call in *%s*, and nobody acknowledged in time.", p.Rotation)
	default:
		why = "Nobody acknowledged in time."
	}
	room := "its war room is being created"
	if inc.ChannelID != "" {
		room = "war room <#" + inc.ChannelID + ">"
	}
	blocks := []slack.Block{
		section(fmt.Sprintf(":pager: *You are paged* for %s", what)),
		section(why),
		fields("Severity", e.SeverityLabel(inc.Severity), "Declared by", User(inc.DeclaredBy), "Operator", User(inc.Operator), "Where", room),
	}
	if !p.Until.IsZero() {
		blocks = append(blocks, contextText(fmt.Sprintf("Acknowledge by %s, or the next level of the escalation is paged.", When(p.Until, e.Now, e.Location))))
	}
	blocks = append(blocks, slack.NewActionBlock("page_"+Value(inc.ID),
		button(ActionPageAck, Value(inc.ID), "Acknowledge", slack.StylePrimary)))
	return blocks, fmt.Sprintf("You are paged for incident #%d", inc.ID)
}

// OncallStatus renders who is on call now and next in each rotation.
// missing lists the member emails Slack did not know.
func (e Env) OncallStatus(sts []oncall.Status, locs map[string]*time.Location, missing []string) []slack.Block {
	if len(sts) == 0 {
		return Ephemeral("No on-call rotations are configured; add them under `oncall.rotations` in the config.")
	}
	blocks := []slack.Block{section("*Who is on call*")}
	for _, st := range sts {
		loc := locs[st.Rotation]
		var b strings.Builder
		fmt.Fprintf(&b, "*%s*\n", st.Rotation)
		if st.Current.Member.IsZero() {
			fmt.Fprintf(&b, "Now: _nobody_")
		} else {
			fmt.Fprintf(&b, "Now: %s", member(st.Current.Member))
			if st.Current.FromOverride() {
				fmt.Fprintf(&b, " _(override #%d)_", st.Current.Override.ID)
			}
		}
		if !st.Next.Start.IsZero() {
			fmt.Fprintf(&b, ", until %s", OncallTime(st.Next.Start, e.Now, loc))
		}
		if !st.Next.Member.IsZero() {
			fmt.Fprintf(&b, "\nNext: %s, until %s", member(st.Next.Member), OncallTime(st.Next.End, e.Now, loc))
			if st.Next.FromOverride() {
				fmt.Fprintf(&b, " _(override #%d)_", st.Next.Override.ID)
			}
		}
		blocks = append(blocks, section(b.String()))
	}
	if len(missing) > 0 {
		blocks = append(blocks, contextText(fmt.Sprintf(":warning: No Slack user has the email %s: they cannot be paged until `oncall.rotations` is fixed.", strings.Join(missing, ", "))))
	}
	blocks = append(blocks, contextText("Cover for someone: `/incident oncall override`. Trade turns: `/incident oncall swap ROTATION @user`. List: `/incident oncall overrides`."))
	return blocks
}

// member renders a rotation member: a mention, or their email while
// Slack does not know it.
func member(m oncall.Member) string {
	if m.UserID != "" {
		return User(m.UserID)
	}
	return Escape(m.Email) + " _(not found in Slack)_"
}

// OncallOverrides renders overrides for /incident oncall overrides, with
// who set them and who removed them.
func (e Env) OncallOverrides(os []oncall.Override, locs map[string]*time.Location, rotation string) []slack.Block {
	if len(os) == 0 {
		where := ""
		if rotation != "" {
			where = " in " + rotation
		}
		return Ephemeral("No overrides in force or to come" + where + ". Set one with `/incident oncall override`.")
	}
	var lines []string
	for _, o := range os {
		loc := locs[o.Rotation]
		line := fmt.Sprintf("*#%d* %s: %s covers %s → %s (set by %s, %s)", o.ID, o.Rotation, User(o.User),
			OncallTime(o.From, e.Now, loc), OncallTime(o.To, e.Now, loc), User(o.CreatedBy), OncallTime(o.CreatedAt, e.Now, loc))
		if o.Swap != "" {
			line += " _swap_"
		}
		if o.Removed() {
			line = "~" + line + "~ removed by " + User(o.RemovedBy)
		}
		lines = append(lines, line)
	}
	blocks := []slack.Block{section("*On-call overrides*")}
	blocks = append(blocks, Sections(strings.Join(lines, "\n"))...)
	return append(blocks, contextText("Remove one with `/incident oncall remove N` (both halves of a swap go together)."))
}

// HandoffBrief is what a handoff DM shows.
type HandoffBrief struct {
	// Incoming is true for the DM to whoever takes over (with the
	// checklist and the Confirm button).
	Incoming bool
	Handoff  oncall.HandoffCheck
	// Until is when the incoming stretch ends; From the outgoing one began.
	Until, From time.Time
	Loc         *time.Location
	Open        []*incident.Incident
	MoreOpen    int
	Overdue     []OverdueItem
	MoreOverdue int
	Checklist   []playbooks.Step
}

// OverdueItem is an open action item past its time.
type OverdueItem struct {
	Incident int64
	Item     incident.ActionItem
}

// HandoffValue encodes a handoff in a button value: "rotation@unixnano".
func HandoffValue(rotation string, at time.Time) string {
	return rotation + "@" + strconv.FormatInt(at.UnixNano(), 10)
}

// ParseHandoffValue reads a HandoffValue.
func ParseHandoffValue(v string) (string, time.Time, bool) {
	rot, ns, ok := strings.Cut(v, "@")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || rot == "" || err != nil {
		return "", time.Time{}, false
	}
	return rot, time.Unix(0, n).UTC(), true
}

// ChecklistBlock is the block ID of checkbox group i of a handoff's
// checklist: it carries the handoff, so that a tick needs nothing else.
func ChecklistBlock(i int, rotation string, at time.Time) string {
	return BlockHandoffChecklist + strconv.Itoa(i) + "|" + HandoffValue(rotation, at)
}

// ParseChecklistBlock reads a ChecklistBlock: the group and the handoff
// value ("" when malformed).
func ParseChecklistBlock(id string) (int, string) {
	g, v, ok := strings.Cut(strings.TrimPrefix(id, BlockHandoffChecklist), "|")
	n, err := strconv.Atoi(g)
	if !ok || err != nil || n < 0 || n > 10 {
		return 0, ""
	}
	return n, v
}

// HandoffDM renders the handoff brief for the incoming or the outgoing
// person.
func (e Env) HandoffDM(b HandoffBrief) ([]slack.Block, string) {
	h := b.Handoff
	var head, text string
	if b.Incoming {
		head = fmt.Sprintf(":wave: *You are on call in %s* from %s until %s", h.Rotation, OncallTime(h.At, e.Now, b.Loc), OncallTime(b.Until, e.Now, b.Loc))
		if h.Outgoing != "" {
			head += ", taking over from " + User(h.Outgoing)
		}
		text = fmt.Sprintf("You are on call in %s", h.Rotation)
	} else {
		head = fmt.Sprintf(":wave: *Your on-call shift in %s ends* at %s; %s takes over", h.Rotation, OncallTime(h.At, e.Now, b.Loc), User(h.Incoming))
		text = fmt.Sprintf("Your on-call shift in %s ends", h.Rotation)
	}
	blocks := []slack.Block{section(head + ".")}
	if len(b.Open) == 0 {
		blocks = append(blocks, section("*Open incidents*: none :sunny:"))
	} else {
		var lines []string
		for _, inc := range b.Open {
			title := inc.Title
			if inc.Private {
				title = "_private_"
			}
			lines = append(lines, fmt.Sprintf("• #%d %s (%s, %s), operator %s", inc.ID, title, inc.Severity, inc.Status, User(inc.Operator)))
		}
		if b.MoreOpen > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more: `/incident list`", b.MoreOpen))
		}
		blocks = append(blocks, Sections("*Open incidents*\n"+strings.Join(lines, "\n"))...)
	}
	if len(b.Overdue) > 0 {
		var lines []string
		for _, o := range b.Overdue {
			owner := ""
			if o.Item.Owner != "" {
				owner = ", owner " + User(o.Item.Owner)
			}
			lines = append(lines, fmt.Sprintf("• #%d.%d %s (added %s%s)", o.Incident, o.Item.ID, Truncate(o.Item.Text, 150), o.Item.CreatedAt.In(b.Loc).Format("2 Jan"), owner))
		}
		if b.MoreOverdue > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more", b.MoreOverdue))
		}
		blocks = append(blocks, Sections("*Overdue action items*\n"+strings.Join(lines, "\n"))...)
	}
	if !b.Incoming {
		return append(blocks, contextText("Hand over anything in flight to "+User(h.Incoming)+" directly; they confirm the handoff here.")), text
	}
	if len(b.Checklist) > 0 {
		blocks = append(blocks, section("*Checklist* — tick as you go:"))
		for i := 0; i*ChecklistGroup < len(b.Checklist); i++ {
			group := b.Checklist[i*ChecklistGroup : min((i+1)*ChecklistGroup, len(b.Checklist))]
			var opts, initial []*slack.OptionBlockObject
			for _, s := range group {
				o := slack.NewOptionBlockObject(string(s.ID), plain(Truncate(s.Text, MaxOptionText)), nil)
				opts = append(opts, o)
				if containsStr(h.Checked, string(s.ID)) {
					initial = append(initial, o)
				}
			}
			el := slack.NewCheckboxGroupsBlockElement(ActionHandoffCheck, opts...)
			el.InitialOptions = initial
			blocks = append(blocks, slack.NewActionBlock(ChecklistBlock(i, h.Rotation, h.At), el))
		}
	}
	if h.ConfirmedAt.IsZero() {
		blocks = append(blocks, slack.NewActionBlock("oncall_confirm",
			button(ActionHandoffConfirm, HandoffValue(h.Rotation, h.At), "I have taken over", slack.StylePrimary)))
		if !h.Deadline.IsZero() {
			blocks = append(blocks, contextText(fmt.Sprintf("Please confirm by %s; after that %s and the escalation contacts are told.", OncallTime(h.Deadline, e.Now, b.Loc), userOr(h.Outgoing, "the team"))))
		}
	}
	return blocks, text
}

func userOr(id, none string) string {
	if id == "" {
		return none
	}
	return User(id)
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// HandoffNotice is the DM telling the outgoing person (and the escalation
// contacts) how a handoff went: not confirmed in time, or confirmed.
func (e Env) HandoffNotice(h oncall.HandoffCheck, loc *time.Location, confirmed bool) ([]slack.Block, string) {
	var text string
	if confirmed {
		text = fmt.Sprintf(":white_check_mark: %s confirmed taking over on-call in *%s* (shift change %s).", User(h.ConfirmedBy), h.Rotation, OncallTime(h.At, e.Now, loc))
		if !h.EscalatedAt.IsZero() {
			text += " The gap is closed."
		}
	} else {
		text = fmt.Sprintf(":warning: %s has not confirmed taking over on-call in *%s* (shift change %s, confirmation due %s). Please reach them, or cover until they do.",
			userOr(h.Incoming, "Nobody"), h.Rotation, OncallTime(h.At, e.Now, loc), OncallTime(h.Deadline, e.Now, loc))
	}
	return []slack.Block{section(text)}, Truncate(text, 300)
}

// OverrideForm is what the override modal starts with.
type OverrideForm struct {
	Rotations []string
	Rotation  string
	User      string
	Metadata  string
}

// OverrideModal asks for an override: the rotation, who covers, and when.
func (e Env) OverrideModal(f OverrideForm) slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, r := range f.Rotations {
		o := option(r, r, "")
		opts = append(opts, o)
		if r == f.Rotation {
			initial = o
		}
	}
	rot := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a rotation"), InputRotation, opts...)
	rot.InitialOption = initial
	who := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, plain("Who covers?"), InputUser)
	who.InitialUser = f.User
	hint := plain("now, +8h, 18:00, 2026-03-09, 2026-03-09T09:00 — in the rotation's time zone.")
	from := textInput(InputFrom, "From", "now", "now", false, false, 40)
	from.Hint = hint
	to := textInput(InputTo, "To", "+8h", "", false, false, 40)
	to.Hint = plain("A time as above, or a length after From: +8h, +3d.")
	return modal(CallbackOncall, "On-call override", "Set override", f.Metadata,
		slack.NewInputBlock(InputRotation, plain("Rotation"), nil, rot),
		slack.NewInputBlock(InputUser, plain("Who covers"), plain("They are on call instead of whoever's turn it is."), who),
		from, to,
	)
}
