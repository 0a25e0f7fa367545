package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/oncall"
)

// OncallConfig is the "oncall" section: rotations, who is paged when an
// incident is declared and how paging escalates, shift handoffs and the
// calendar feed. With no rotations, a declared incident's operator is the
// declarer (or whoever they name), and an operator named by someone else
// is still paged.
type OncallConfig struct {
	// Rotations are the on-call rotations. Key: oncall.rotations. File only.
	Rotations []Rotation `mapstructure:"rotations" yaml:"rotations"`
	// OperatorRotation names the rotation whose on-call person becomes the
	// operator of a new incident (and is paged). "" means the first
	// rotation; "none" keeps the declarer as operator.
	// Key: oncall.operator_rotation.
	OperatorRotation string `mapstructure:"operator_rotation" yaml:"operator_rotation"`
	// AckTimeout is how long the operator has to acknowledge the page
	// before the first escalation level is paged. Key: oncall.ack_timeout.
	// Default 5m; between 1m and 24h.
	AckTimeout time.Duration `mapstructure:"ack_timeout" yaml:"ack_timeout"`
	// Escalation lists who is paged, in order, when the operator does not
	// acknowledge. Key: oncall.escalation. File only.
	Escalation []EscalationLevel `mapstructure:"escalation" yaml:"escalation"`
	// Handoff: what happens at each shift change.
	Handoff OncallHandoff `mapstructure:"handoff" yaml:"handoff"`
	// FeedToken enables the calendar feed on the HTTP server
	// (/oncall/calendar.ics?token=…): whoever has the URL can read the
	// schedule. Empty disables the feed. Set it with
	// INCIDENTBOT_ONCALL_FEED_TOKEN. Key: oncall.feed_token.
	FeedToken string `mapstructure:"feed_token" yaml:"feed_token"`
}

// Rotation is one entry of oncall.rotations.
type Rotation struct {
	// Name identifies the rotation in commands, e.g. "primary".
	Name string `mapstructure:"name" yaml:"name"`
	// Members take turns in this order: Slack user IDs ("U0123ABCD") or
	// emails, resolved with users.lookupByEmail.
	Members []string `mapstructure:"members" yaml:"members"`
	// Shift is the length of a turn. Default one week (168h).
	Shift time.Duration `mapstructure:"shift" yaml:"shift,omitempty"`
	// Start is the date of the first shift, "2026-01-05".
	Start string `mapstructure:"start" yaml:"start"`
	// HandoffTime is the local time shifts change hands, "09:00".
	HandoffTime string `mapstructure:"handoff_time" yaml:"handoff_time"`
	// TimeZone is the rotation's IANA zone. Default: the top-level timezone.
	TimeZone string `mapstructure:"time_zone" yaml:"time_zone,omitempty"`
}

// EscalationLevel is one entry of oncall.escalation: who is paged, and how
// long they have to acknowledge before the next level.
type EscalationLevel struct {
	// Rotation pages whoever is on call in it at that moment.
	Rotation string `mapstructure:"rotation" yaml:"rotation,omitempty"`
	// Users are Slack user IDs paged directly.
	Users []string `mapstructure:"users" yaml:"users,omitempty"`
	// Usergroup is a Slack user group ID; each of its members is paged.
	Usergroup string `mapstructure:"usergroup" yaml:"usergroup,omitempty"`
	// AckTimeout defaults to oncall.ack_timeout.
	AckTimeout time.Duration `mapstructure:"ack_timeout" yaml:"ack_timeout,omitempty"`
}

// OncallHandoff is the "oncall.handoff" section.
type OncallHandoff struct {
	// ConfirmWithin is how long the incoming person has to confirm a
	// handoff before it is escalated; 0 never escalates.
	// Key: oncall.handoff.confirm_within. Default 30m.
	ConfirmWithin time.Duration `mapstructure:"confirm_within" yaml:"confirm_within"`
	// EscalateTo is who hears about an unconfirmed handoff, besides the
	// outgoing person. Key: oncall.handoff.escalate_to.
	EscalateTo EscalateTo `mapstructure:"escalate_to" yaml:"escalate_to"`
	// OverdueAfter is how long after it was added an open action item
	// counts as overdue in the handoff brief.
	// Key: oncall.handoff.overdue_after. Default 168h (a week).
	OverdueAfter time.Duration `mapstructure:"overdue_after" yaml:"overdue_after"`
}

// Defaults of the oncall section.
const (
	DefaultAckTimeout    = 5 * time.Minute
	DefaultConfirmWithin = 30 * time.Minute
	DefaultOverdueAfter  = 7 * 24 * time.Hour
	// NoOperatorRotation as oncall.operator_rotation keeps the declarer as
	// operator.
	NoOperatorRotation = "none"
	// MinFeedToken is the shortest oncall.feed_token: it is the only thing
	// that keeps the schedule (names, emails) private.
	MinFeedToken = 16
)

func defaultOncall() OncallConfig {
	return OncallConfig{
		AckTimeout: DefaultAckTimeout,
		Handoff:    OncallHandoff{ConfirmWithin: DefaultConfirmWithin, OverdueAfter: DefaultOverdueAfter},
	}
}

// normalized trims what people type around values.
func (o OncallConfig) normalized() OncallConfig {
	if o.Rotations != nil {
		rs := make([]Rotation, len(o.Rotations))
		for i, r := range o.Rotations {
			r.Name = strings.ToLower(strings.TrimSpace(r.Name))
			r.Members = trimList(r.Members)
			r.Start, r.HandoffTime, r.TimeZone = strings.TrimSpace(r.Start), strings.TrimSpace(r.HandoffTime), strings.TrimSpace(r.TimeZone)
			rs[i] = r
		}
		o.Rotations = rs
	}
	if o.Escalation != nil {
		ls := make([]EscalationLevel, len(o.Escalation))
		for i, l := range o.Escalation {
			l.Rotation = strings.ToLower(strings.TrimSpace(l.Rotation))
			l.Users = trimList(l.Users)
			l.Usergroup = strings.TrimSpace(l.Usergroup)
			ls[i] = l
		}
		o.Escalation = ls
	}
	o.OperatorRotation = strings.ToLower(strings.TrimSpace(o.OperatorRotation))
	o.FeedToken = strings.TrimSpace(o.FeedToken)
	o.Handoff.EscalateTo.Usergroup = strings.TrimSpace(o.Handoff.EscalateTo.Usergroup)
	o.Handoff.EscalateTo.Users = trimList(o.Handoff.EscalateTo.Users)
	return o
}

// OncallRotations parses oncall.rotations into the domain's rotations,
// with every problem (errors and warnings) keyed from the config's root.
// A rotation without a time_zone uses the top-level timezone.
func (c Config) OncallRotations() ([]oncall.Rotation, []oncall.Problem) {
	var out []oncall.Rotation
	var ps []oncall.Problem
	seen := map[string]int{}
	for i, r := range c.Oncall.Rotations {
		prefix := fmt.Sprintf("oncall.rotations[%d].", i)
		spec := oncall.RotationSpec{Name: r.Name, Members: r.Members, Shift: r.Shift, Start: r.Start, HandoffTime: r.HandoffTime, TimeZone: r.TimeZone}
		if _, err := time.LoadLocation(c.Timezone); spec.TimeZone == "" && err == nil {
			spec.TimeZone = c.Timezone
		}
		rot, probs := oncall.ParseRotation(spec)
		for _, p := range probs {
			p.Key = prefix + p.Key
			ps = append(ps, p)
		}
		if j, dup := seen[r.Name]; dup && r.Name != "" {
			ps = append(ps, oncall.Problem{Key: prefix + "name", Message: fmt.Sprintf("%q is already the name of oncall.rotations[%d] (give each rotation its own name)", r.Name, j)})
		} else {
			seen[r.Name] = i
		}
		out = append(out, rot)
	}
	return out, ps
}

// RotationNames returns the names of oncall.rotations, which playbooks may
// name (applies_to.rotations, invite.rotations, notify.rotations).
func (c Config) RotationNames() []string {
	names := make([]string, 0, len(c.Oncall.Rotations))
	for _, r := range c.Oncall.Rotations {
		if r.Name != "" {
			names = append(names, r.Name)
		}
	}
	return names
}

// OncallPolicy is the escalation policy of oncall.escalation: the levels
// paged after the operator, each with its timeout (oncall.ack_timeout
// when it sets none). The operator's own level is added by the bot, which
// knows who the operator is.
func (c Config) OncallPolicy() oncall.Policy {
	p := oncall.Policy{Name: "default"}
	for _, l := range c.Oncall.Escalation {
		t := l.AckTimeout
		if t == 0 {
			t = c.Oncall.AckTimeout
		}
		p.Levels = append(p.Levels, oncall.Level{Rotation: l.Rotation, Users: l.Users, UserGroup: l.Usergroup, AckTimeout: t})
	}
	return p
}

// OperatorRotation returns the rotation whose on-call person becomes a new
// incident's operator, "" for none.
func (c Config) OperatorRotation() string {
	switch o := c.Oncall.OperatorRotation; {
	case o == NoOperatorRotation:
		return ""
	case o != "":
		return o
	case len(c.Oncall.Rotations) > 0:
		return c.Oncall.Rotations[0].Name
	}
	return ""
}

// Warnings returns what is accepted but probably not meant, each as
// "key: message": a rotation of fewer than three people, for instance.
func (c Config) Warnings() []string {
	_, ps := c.OncallRotations()
	var out []string
	for _, p := range ps {
		if p.Warning {
			out = append(out, p.String())
		}
	}
	return out
}

var feedTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (c Config) validateOncall(p *problems) {
	o := c.Oncall
	_, ps := c.OncallRotations()
	for _, pr := range oncall.Errors(ps) {
		p.add(pr.Key, "%s", pr.Message)
	}
	var names []string
	for _, r := range o.Rotations {
		if r.Name != "" {
			names = append(names, r.Name)
		}
	}
	switch op := o.OperatorRotation; {
	case op == "" || op == NoOperatorRotation:
	case len(names) == 0:
		p.add("oncall.operator_rotation", "%q names a rotation, but oncall.rotations is empty (define the rotation, or remove the key)", op)
	case !slices.Contains(names, op):
		p.add("oncall.operator_rotation", "%q is not a rotation (use one of: %s, or %q to keep the declarer as operator)", op, strings.Join(names, ", "), NoOperatorRotation)
	}
	if o.AckTimeout < oncall.MinAckTimeout || o.AckTimeout > oncall.MaxAckTimeout {
		p.add("oncall.ack_timeout", "%s is out of range (use between %s and %s, e.g. 5m)", fmtDuration(o.AckTimeout), fmtDuration(oncall.MinAckTimeout), fmtDuration(oncall.MaxAckTimeout))
	}
	if len(o.Escalation) > 0 {
		pol := c.OncallPolicy()
		for i, l := range o.Escalation {
			if l.AckTimeout == 0 {
				// Checked above as oncall.ack_timeout: do not repeat it.
				pol.Levels[i].AckTimeout = oncall.MinAckTimeout
			}
		}
		for _, pr := range pol.Validate(names) {
			key := "oncall.escalation" + strings.TrimPrefix(pr.Key, "levels")
			p.add(key, "%s", pr.Message)
		}
	}
	h := o.Handoff
	if h.ConfirmWithin < 0 {
		p.add("oncall.handoff.confirm_within", "must not be negative (use 0 to never escalate an unconfirmed handoff, or e.g. 30m)")
	}
	if h.OverdueAfter <= 0 {
		p.add("oncall.handoff.overdue_after", "must be greater than 0 (how long after it was added an open action item is overdue, e.g. 168h)")
	}
	h.EscalateTo.validate(p, "oncall.handoff.escalate_to")
	switch t := o.FeedToken; {
	case t == "":
	case len(t) < MinFeedToken:
		p.add("oncall.feed_token", "is %d characters, fewer than %d (anyone with the feed's URL reads the schedule: use a long random value, e.g. from `openssl rand -hex 24`)", len(t), MinFeedToken)
	case !feedTokenRe.MatchString(t):
		p.add("oncall.feed_token", `contains characters that need escaping in a URL (use letters, digits, "-" and "_", e.g. from `+"`openssl rand -hex 24`)")
	}
}
