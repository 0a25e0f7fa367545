package storetest

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// GenOptions shapes generated data. The zero value is the default.
type GenOptions struct {
	// Seed makes the data; the same seed gives the same incidents.
	Seed uint64
	// Now is when the newest incident is declared (default Epoch). The
	// incidents spread over the five years before it.
	Now time.Time
	// OpenFraction of the incidents are open (default 0.1), spread over
	// the whole history.
	OpenFraction float64
	// PrivateFraction of the incidents are private (default 0.05).
	PrivateFraction float64
	// Events is the mean number of timeline events (default 30; each
	// incident has Events ± 20%).
	Events int
	// SeenKeys is the number of deduplication keys remembered, spread over
	// the seven days before Now (default: one per incident).
	SeenKeys int
	// Batch is the number of incidents per transaction (default 500).
	Batch int
}

func (o GenOptions) withDefaults() GenOptions {
	if o.Now.IsZero() {
		o.Now = Epoch
	}
	if o.OpenFraction == 0 {
		o.OpenFraction = 0.1
	}
	if o.PrivateFraction == 0 {
		o.PrivateFraction = 0.05
	}
	if o.Events == 0 {
		o.Events = 30
	}
	if o.Batch == 0 {
		o.Batch = 500
	}
	return o
}

// Generate fills db with n realistic incidents and their timelines (see
// Incidents) and o.SeenKeys deduplication keys (see SeenKeys), through
// the store's bulk methods, o.Batch incidents per transaction (one on
// etcd, whose transactions are small). The store
// numbers the incidents after those it already holds.
func Generate(ctx context.Context, db *store.DB, n int, o GenOptions) error {
	o = o.withDefaults()
	if db.Backend() == "etcd" {
		// One etcd transaction holds one incident and its timeline.
		o.Batch = 1
	}
	var incs []*incident.Incident
	var chs []incident.Change
	flush := func() error {
		if len(incs) == 0 {
			return nil
		}
		if _, err := db.CreateIncidents(ctx, incs, chs); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		incs, chs = incs[:0], chs[:0]
		return nil
	}
	for inc, evs := range Incidents(n, o) {
		incs = append(incs, inc)
		chs = append(chs, incident.Change{Events: evs})
		if len(incs) >= o.Batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var keys []string
	var at time.Time
	for k, t := range SeenKeys(n, o) {
		if !t.Equal(at) && len(keys) > 0 {
			if err := db.RememberKeys(ctx, at, keys); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
			keys = keys[:0]
		}
		keys, at = append(keys, k), t
	}
	if len(keys) > 0 {
		if err := db.RememberKeys(ctx, at, keys); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	return nil
}

// seenGroup is how many generated keys share one time.
const seenGroup = 100

// SeenKeys yields the deduplication keys Generate remembers (o.SeenKeys,
// default n), oldest first, in groups of 100 sharing one time, spread
// over the seven days before o.Now.
func SeenKeys(n int, o GenOptions) iter.Seq2[string, time.Time] {
	o = o.withDefaults()
	total := o.SeenKeys
	if total == 0 {
		total = n
	}
	return func(yield func(string, time.Time) bool) {
		r := rand.New(rand.NewPCG(o.Seed, 7))
		week := 7 * 24 * time.Hour
		groups := (total + seenGroup - 1) / seenGroup
		for i := range total {
			g := i / seenGroup
			at := o.Now.Add(-week + week*time.Duration(g+1)/time.Duration(groups+1))
			kind := []string{"env", "event", "trigger"}[r.IntN(3)]
			if !yield(fmt.Sprintf("%s:%s%s", kind, strings.ToUpper(kind[:2]), id36(r, 10)), at) {
				return
			}
		}
	}
}

// Incidents yields n realistic incidents with their timelines,
// deterministic for o.Seed, oldest first: for writers other than Generate
// (benchmarks write the same data in the old format). IDs are left to
// the store.
//
// About o.OpenFraction of them are open (investigating, identified,
// monitoring or resolved, with a next update due and a WakeAt), the
// others closed with a cause, a resolution and action items. Each has a
// war room, one or two announcements, pinned messages and about o.Events
// events: notes, status updates, pins, role and status changes, tasks and
// reminders, with texts of a few words to a few sentences and the fields
// the domain records.
func Incidents(n int, o GenOptions) iter.Seq2[*incident.Incident, []incident.Event] {
	o = o.withDefaults()
	return func(yield func(*incident.Incident, []incident.Event) bool) {
		r := rand.New(rand.NewPCG(o.Seed, 1))
		g := &gen{r: r, o: o}
		span := 5 * 365 * 24 * time.Hour
		step := span / time.Duration(max(n, 1))
		for i := range n {
			declared := o.Now.Add(-span + step*time.Duration(i+1)).Add(-time.Duration(r.Int64N(int64(step/2) + 1)))
			if i == n-1 {
				declared = o.Now
			}
			inc, evs := g.incident(i, declared)
			if !yield(inc, evs) {
				return
			}
		}
	}
}

type gen struct {
	r *rand.Rand
	o GenOptions
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *gen) user() string { return "U0" + strconv.Itoa(1000000 + g.r.IntN(400))[1:] + "ABC" }

// ts returns a Slack message timestamp at t.
func (g *gen) ts(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), g.r.IntN(1000000))
}

// sentences returns between lo and hi sentences of incident-room prose.
func (g *gen) sentences(lo, hi int) string {
	n := lo + g.r.IntN(hi-lo+1)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(g.pick(sentenceTemplates), g.pick(services), g.r.IntN(90)+2, g.pick(regions))
	}
	return strings.Join(parts, " ")
}

func (g *gen) incident(i int, declared time.Time) (*incident.Incident, []incident.Event) {
	r := g.r
	svc, symptom, region := g.pick(services), g.pick(symptoms), g.pick(regions)
	title := fmt.Sprintf("%s %s in %s", svc, symptom, region)
	if len(title) > incident.MaxTitleLen {
		title = title[:incident.MaxTitleLen]
	}
	open := r.Float64() < g.o.OpenFraction
	sev := []string{"critical", "major", "major", "minor", "minor"}[r.IntN(5)]
	declarer, operator, spokes := g.user(), g.user(), g.user()
	// Unique per seed and index: a war room belongs to one incident.
	channel := fmt.Sprintf("C%03s%07s", strings.ToUpper(strconv.FormatUint(g.o.Seed%46656, 36)), strings.ToUpper(strconv.FormatInt(int64(i), 36)))
	inc := &incident.Incident{
		Title: title, Severity: sev, Private: r.Float64() < g.o.PrivateFraction,
		Status:     incident.StatusClosed,
		Impact:     g.sentences(1, 2),
		DeclaredBy: declarer, Operator: operator, Spokesperson: spokes,
		ChannelID: channel, ChannelName: fmt.Sprintf("inc-%s-%s", strconv.FormatInt(int64(i+1), 36), slug(title)),
		CardTS:         g.ts(declared),
		DeclaredAt:     declared,
		AcknowledgedAt: declared.Add(time.Duration(r.IntN(300)) * time.Second),
	}
	for range 1 + r.IntN(2) {
		inc.Announcements = append(inc.Announcements, incident.Announcement{ChannelID: "C0ANN" + id36(r, 4), TS: g.ts(declared)})
	}

	// The timeline.
	at := declared
	var evs []incident.Event
	ev := func(kind incident.EventKind, actor, text string, kv ...string) {
		e := incident.Event{At: at, Actor: actor, Kind: kind, Text: text}
		if len(kv) > 0 {
			e.Fields = map[string]string{}
			for j := 0; j+1 < len(kv); j += 2 {
				e.Fields[kv[j]] = kv[j+1]
			}
		}
		evs = append(evs, e)
		at = at.Add(time.Duration(30+r.IntN(900)) * time.Second)
	}
	next := func() string { return at.Add(30 * time.Minute).UTC().Format(time.RFC3339) }
	ev(incident.EventDeclared, declarer, title, "severity", sev, "private", strconv.FormatBool(inc.Private), "impact", inc.Impact, "next_update", next())
	ev(incident.EventRoleAssigned, declarer, "", "role", "operator", "to", operator)
	ev(incident.EventChannelCreated, "", "", "channel", channel, "name", inc.ChannelName)
	ev(incident.EventRoleAssigned, operator, "", "role", "spokesperson", "to", spokes)
	want := g.o.Events*4/5 + r.IntN(g.o.Events*2/5+1)
	tail := 2
	if !open {
		tail = 4
	}
	status := incident.StatusInvestigating
	tasks := 0
	for len(evs) < want-tail {
		switch x := r.IntN(100); {
		case x < 38:
			ev(incident.EventNote, g.pick([]string{operator, spokes, g.user()}), g.sentences(1, 3))
		case x < 58:
			inc.Updates++
			ev(incident.EventUpdatePosted, spokes, g.sentences(2, 4), "status", string(status), "doing", g.sentences(1, 1), "next_update", next())
		case x < 73:
			ts := g.ts(at)
			inc.Pinned = append(inc.Pinned, ts)
			ev(incident.EventMessagePinned, operator, g.sentences(1, 3), "ts", ts, "author", g.user())
		case x < 79:
			to := incident.StatusIdentified
			if status == to {
				to = incident.StatusMonitoring
			}
			ev(incident.EventStatusChanged, operator, "", "from", string(status), "to", string(to))
			status = to
		case x < 82:
			to := []string{"critical", "major", "minor"}[r.IntN(3)]
			if to == inc.Severity {
				break
			}
			ev(incident.EventSeverityChanged, operator, "", "from", inc.Severity, "to", to)
			inc.Severity = to
		case x < 89:
			tasks++
			item := incident.ActionItem{ID: tasks, Text: fmt.Sprintf(g.pick(taskTemplates), g.pick(services)), Owner: g.user(), CreatedBy: operator, CreatedAt: at}
			inc.ActionItems = append(inc.ActionItems, item)
			ev(incident.EventTaskAdded, operator, item.Text, "task", strconv.Itoa(item.ID), "owner", item.Owner)
		case x < 95:
			kind := []incident.EventKind{incident.EventReminderHeadsUp, incident.EventReminderDue, incident.EventEscalated}[r.IntN(3)]
			ev(kind, "", "", "due", next(), "to", spokes)
		default:
			inc.Cause = g.sentences(1, 2)
			ev(incident.EventCauseRecorded, operator, inc.Cause)
		}
	}
	inc.UpdatedAt = at
	if open {
		inc.Status = []incident.Status{incident.StatusInvestigating, incident.StatusIdentified, incident.StatusMonitoring, incident.StatusResolved}[r.IntN(4)]
		ev(incident.EventNote, operator, g.sentences(1, 2))
		inc.Updates++
		ev(incident.EventUpdatePosted, spokes, g.sentences(2, 4), "status", string(inc.Status), "next_update", next())
		if inc.Status != incident.StatusResolved {
			inc.NextUpdateDue = g.o.Now.Add(time.Duration(5+r.IntN(55)) * time.Minute)
			inc.WakeAt = inc.NextUpdateDue.Add(-5 * time.Minute)
			if r.IntN(50) == 0 {
				inc.Reminder.Stage = incident.StageHeadsUp
				inc.Pending = []incident.Reminder{{Stage: incident.StageHeadsUp, Due: inc.NextUpdateDue, To: spokes, NextAttempt: g.o.Now}}
			}
		} else {
			inc.ResolvedAt = at
			inc.Resolution = g.sentences(1, 2)
		}
		return inc, evs
	}
	inc.MitigatedAt = at
	inc.Resolution = g.sentences(1, 2)
	if inc.Cause == "" {
		inc.Cause = g.sentences(1, 2)
	}
	ev(incident.EventResolved, operator, inc.Resolution, "from", string(status))
	inc.ResolvedAt = at
	ev(incident.EventClosed, operator, "")
	inc.ClosedAt = at
	ev(incident.EventPostmortem, "", "", "path", fmt.Sprintf("postmortems/%s-%s.md", declared.Format("2006-01-02"), slug(title)))
	ev(incident.EventArchived, "", "", "channel", channel)
	for j := range inc.ActionItems {
		if r.IntN(3) > 0 {
			inc.ActionItems[j].Done, inc.ActionItems[j].DoneAt, inc.ActionItems[j].DoneBy = true, at, inc.ActionItems[j].Owner
		}
	}
	inc.UpdatedAt = at
	return inc, evs
}

// id36 returns n random characters of Slack-ID alphabet.
func id36(r *rand.Rand, n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// slug makes a channel-name part of s.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

var services = []string{"Checkout API", "payments-gateway", "Search", "login service", "mobile push", "billing worker",
	"CDN edge", "orders database", "inventory sync", "email relay", "GraphQL gateway", "Kafka cluster", "auth tokens",
	"image resizer", "recommendations", "status page", "webhooks", "admin console", "rate limiter", "DNS"}

var symptoms = []string{"returning 5xx", "latency above SLO", "timing out", "down for some customers", "degraded",
	"dropping messages", "serving stale data", "failing health checks", "out of disk", "stuck in a crash loop"}

var regions = []string{"eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2", "eu-central-1", "all regions"}

// sentenceTemplates take a service, a number and a region.
var sentenceTemplates = []string{
	"Rolled back the last deploy of %s; error rate is down to %d%% in %s.",
	"%s is failing over to the standby; about %d%% of requests in %s still fail.",
	"We see connection pool exhaustion on %s, %d pods restarted in %s.",
	"Customer support reports checkout failures; %s dashboards show a %d%% drop in %s.",
	"Scaling %s from %d to twice as many replicas in %s to absorb the retry storm.",
	"The provider confirmed an outage affecting %s; ETA %d minutes for %s.",
	"Disk usage on %s reached %d%% in %s after the log level was left at debug.",
	"Paged the owning team of %s; %d engineers on the bridge, focus on %s.",
	"Feature flag disabled for %s; watching the next %d minutes of traffic in %s before calling it mitigated.",
	"Latency on %s is back under the SLO for %d minutes in %s; keeping the incident open while we monitor.",
	"Root cause candidate: a certificate rotation on %s expired %d hours early in %s.",
	"Next update after the database team reviews %s replication lag (%d s) in %s.",
}

// taskTemplates take a service.
var taskTemplates = []string{
	"Add an alert on %s error budget burn",
	"Write a runbook for failing over %s",
	"Load test %s at twice the peak traffic",
	"Remove the manual step from the %s deploy",
	"Review connection pool limits of %s",
	"Automate certificate rotation checks for %s",
}
