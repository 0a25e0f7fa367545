package incident

import (
	"strconv"
	"strings"
	"time"
)

// Experience is what users experience during an incident, the first
// question of impact-based triage: it decides the severity instead of a
// debate about the suspected cause.
type Experience string

// The experiences, worst first.
const (
	// ExperienceBlocked: users cannot complete a key journey.
	ExperienceBlocked Experience = "blocked"
	// ExperienceDegraded: users can, but slowly or with errors.
	ExperienceDegraded Experience = "degraded"
	// ExperiencePartial: some users, or a minor feature, are affected.
	ExperiencePartial Experience = "partial"
)

// Experiences lists every experience, worst first.
var Experiences = []Experience{ExperienceBlocked, ExperienceDegraded, ExperiencePartial}

// ParseExperience reads an experience, accepting the words people type.
func ParseExperience(s string) (Experience, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "blocked", "block", "cannot", "cant", "down", "broken", "outage":
		return ExperienceBlocked, nil
	case "degraded", "degrade", "slow", "errors":
		return ExperienceDegraded, nil
	case "partial", "partly", "some", "minor":
		return ExperiencePartial, nil
	}
	return "", Errorf(EINVALID, "%q is not what users experience. Use blocked (they cannot complete a key journey), degraded or partial.", s)
}

// Label says the experience in words, for forms, cards and the postmortem.
func (e Experience) Label() string {
	switch e {
	case ExperienceBlocked:
		return "Users cannot complete a key journey"
	case ExperienceDegraded:
		return "Users are degraded: slow, or errors they can retry"
	case ExperiencePartial:
		return "Partly affected: some users, or a minor feature"
	}
	return ""
}

// TriageLevel is what the organisation does about one kind of impact: the
// severity it proposes and the response expected.
type TriageLevel struct {
	Severity string
	// Response is the expected response, e.g. "restore immediately".
	Response string
}

// Triage maps impact to severity: one level per experience, and one for a
// security impact, which wins over the experience.
type Triage struct {
	Blocked  TriageLevel
	Degraded TriageLevel
	Partial  TriageLevel
	Security TriageLevel
	// Currency labels estimated losses, e.g. "USD" or "€".
	Currency string
}

// DefaultTriage is the mapping of the default config: cannot complete a
// key journey, or security, is critical and restored immediately;
// degraded is major and restored by the next working day; partial is
// minor and restored when possible.
func DefaultTriage() Triage {
	return Triage{
		Blocked:  TriageLevel{Severity: "critical", Response: "restore immediately, around the clock"},
		Degraded: TriageLevel{Severity: "major", Response: "restore by the next working day"},
		Partial:  TriageLevel{Severity: "minor", Response: "restore when possible, in working hours"},
		Security: TriageLevel{Severity: "critical", Response: "contain immediately, around the clock, need-to-know only"},
		Currency: "USD",
	}
}

// Enabled reports whether the triage questions are asked at all.
func (t Triage) Enabled() bool {
	return t.Blocked.Severity != "" || t.Degraded.Severity != "" || t.Partial.Severity != "" || t.Security.Severity != ""
}

// Level returns the level of an experience; false for "".
func (t Triage) Level(e Experience) (TriageLevel, bool) {
	var l TriageLevel
	switch e {
	case ExperienceBlocked:
		l = t.Blocked
	case ExperienceDegraded:
		l = t.Degraded
	case ExperiencePartial:
		l = t.Partial
	}
	return l, l.Severity != ""
}

// Estimate is an estimate of an incident's impact, revised as the team
// learns more.
type Estimate struct {
	Experience Experience
	Security   bool
	// LossPerHour is the money lost per hour, in whole units of
	// Triage.Currency; 0 when not estimated.
	LossPerHour int64
	// At is when the estimate was made, By who made it.
	At time.Time
	By string
}

// Empty reports whether nothing was estimated.
func (e Estimate) Empty() bool { return e.Experience == "" && !e.Security && e.LossPerHour == 0 }

// MaxLossPerHour is the largest loss per hour accepted: anything above is a
// typo (a missing decimal point, a pasted ID), not an estimate.
const MaxLossPerHour = 1_000_000_000

// CheckLoss returns EINVALID for a negative or absurd loss per hour.
func CheckLoss(n int64) error {
	switch {
	case n < 0:
		return Errorf(EINVALID, "A loss of %d per hour is negative; give the money lost per hour as a positive number, e.g. 5000 or 5k, or 0 for none.", n)
	case n > MaxLossPerHour:
		return Errorf(EINVALID, "A loss of %s per hour is beyond any real estimate (at most %s); check the number, e.g. 5000 or 5k.", FormatMoney(n), FormatMoney(MaxLossPerHour))
	}
	return nil
}

// Propose returns the severity and expected response the impact e calls
// for; false when the triage mapping says nothing about it.
func (p Policy) Propose(e Estimate) (TriageLevel, bool) {
	if e.Security && p.Triage.Security.Severity != "" {
		return p.Triage.Security, true
	}
	return p.Triage.Level(e.Experience)
}

// Response returns the response expected of an incident of severity, as
// the triage mapping says for the first kind of impact that proposes it;
// "" when none does.
func (p Policy) Response(severity string) string {
	for _, l := range []TriageLevel{p.Triage.Blocked, p.Triage.Degraded, p.Triage.Partial, p.Triage.Security} {
		if l.Severity == severity && l.Response != "" {
			return l.Response
		}
	}
	return ""
}

// ImpactRevision is a new description or estimate of the impact. Nil
// fields are left as they are.
type ImpactRevision struct {
	// Text is what users see, in words; "" leaves it.
	Text        string
	Experience  *Experience
	Security    *bool
	LossPerHour *int64
}

func (r ImpactRevision) estimates() bool {
	return r.Experience != nil || r.Security != nil || r.LossPerHour != nil
}

// ReviseImpact records what users see and, when given, a new estimate of
// the impact. Each revision is a timeline event; the postmortem reports
// the estimate over time and the total loss. The severity is not changed:
// the event carries the severity the estimate proposes, and the person is
// told.
func (inc *Incident) ReviseImpact(p Policy, actor string, r ImpactRevision, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("change its impact"); err != nil {
		return nil, err
	}
	r.Text = strings.TrimSpace(r.Text)
	if r.Text == "" && !r.estimates() {
		return nil, Errorf(EINVALID, "Say what the impact is, e.g. `/incident impact ...`.")
	}
	if r.LossPerHour != nil {
		if err := CheckLoss(*r.LossPerHour); err != nil {
			return nil, err
		}
	}
	kv := []string{}
	if r.estimates() {
		e := inc.Estimate
		if r.Experience != nil {
			e.Experience = *r.Experience
		}
		if r.Security != nil {
			e.Security = *r.Security
		}
		if r.LossPerHour != nil {
			e.LossPerHour = *r.LossPerHour
		}
		e.At, e.By = now, actor
		inc.Estimate = e
		kv = append(kv, estimateFields(p, e)...)
	}
	if r.Text != "" {
		inc.Impact = r.Text
	}
	inc.touch(p, now)
	return []Event{newEvent(EventImpactRecorded, actor, now, r.Text, kv...)}, nil
}

// estimateFields are the event fields recording estimate e. An estimate
// always records its loss, "0" included, so that the loss over time can be
// read from the events alone.
func estimateFields(p Policy, e Estimate) []string {
	kv := []string{"experience", string(e.Experience), "security", boolField(e.Security),
		"loss_per_hour", strconv.FormatInt(e.LossPerHour, 10)}
	if l, ok := p.Propose(e); ok {
		kv = append(kv, "proposed", l.Severity)
	}
	return kv
}

// FormatMoney renders n with thousands separators: "12,500".
func FormatMoney(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// LossPeriod is a stretch of time during which one estimate of the loss
// per hour held.
type LossPeriod struct {
	From, To    time.Time
	LossPerHour int64
	By          string
}

// LossOverTime reads the estimates of the loss per hour from an incident's
// events, each holding until the next or until end (the resolution, or
// now). It returns the periods and the total estimated loss.
func LossOverTime(events []Event, end time.Time) ([]LossPeriod, int64) {
	var ps []LossPeriod
	for _, e := range events {
		v := e.Field("loss_per_hour")
		if v == "" || (e.Kind != EventDeclared && e.Kind != EventImpactRecorded) {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			continue
		}
		if len(ps) > 0 {
			ps[len(ps)-1].To = e.At
		}
		ps = append(ps, LossPeriod{From: e.At, To: end, LossPerHour: n, By: e.Actor})
	}
	var total float64
	for i := range ps {
		if ps[i].To.Before(ps[i].From) {
			ps[i].To = ps[i].From
		}
		total += float64(ps[i].LossPerHour) * ps[i].To.Sub(ps[i].From).Hours()
	}
	return ps, int64(total + 0.5)
}
