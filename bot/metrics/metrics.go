// Package metrics is incidentbot's Prometheus exposition (GET /metrics):
// the incident figures, read from the store's statistics index, and the
// counters of what the running process did (Slack calls, envelope acks,
// alerts received, reminders sent, the outbox).
//
// Incident figures leave out drills and cancelled incidents, and private
// incidents never give a label its value: they are counted with their
// severity and status only, and an empty type. Every label value comes
// from the configuration or a closed set in the code (severities,
// statuses, types, hooks, outcomes, Slack method names): never from what
// people or alerts wrote.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/intake"
	"github.com/incidentbot/incidentbot/bot/outbound"
)

// Namespace prefixes every metric name.
const Namespace = "incidentbot"

// Source is where incident figures come from: the statistics index, and a
// version that changes with every write (see incident.Store.Version).
type Source interface {
	EachFacts(ctx context.Context, since, until time.Time, fn func(incident.Facts) error) error
	Version() uint64
}

// Options configure Metrics.
type Options struct {
	// Source gives the incident figures; nil leaves them out.
	Source Source
	// Refresh is how stale incident figures may be: a scrape reads the
	// index again only when the store changed and the last reading is
	// older than this (default 15 s), so scrapes cost nothing while
	// nothing happens and at most one walk of the index per Refresh
	// otherwise.
	Refresh time.Duration
	// Now is the clock of Refresh (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// NoProcess leaves out the Go runtime and process collectors (tests
	// that compare the whole exposition).
	NoProcess bool
}

// DurationBuckets are the upper bounds, in seconds, of the time to
// acknowledge, mitigate and resolve: from a minute to a week.
var DurationBuckets = []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600}

// AckBuckets are the upper bounds, in seconds, of envelope ack latency:
// Slack allows 3 s.
var AckBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3}

// Metrics holds incidentbot's metrics. Its methods are safe for
// concurrent use, and a nil *Metrics ignores them, so callers need no
// checks.
type Metrics struct {
	reg *prometheus.Registry

	slackCalls    *prometheus.CounterVec
	slackDuration *prometheus.HistogramVec
	ackLatency    prometheus.Histogram
	requests      *prometheus.CounterVec
	alerts        *prometheus.CounterVec
	reminders     *prometheus.CounterVec
	outboxDepth   atomic.Pointer[func() int]
}

// New registers incidentbot's metrics in a registry of their own.
func New(o Options) *Metrics {
	if o.Refresh <= 0 {
		o.Refresh = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.slackCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "slack_api_calls_total",
		Help: "Slack Web API calls by method and result: ok, rate_limited (HTTP 429 or ratelimited), permanent (Slack refused) or ambiguous (a timeout, a 5xx: it may have happened).",
	}, []string{"method", "result"})
	m.slackDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "slack_api_call_duration_seconds",
		Help:    "How long Slack Web API calls took, by method.",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method"})
	m.ackLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "envelope_ack_seconds",
		Help:    "Time from receiving a Socket Mode envelope to acknowledging it (Slack allows 3 s).",
		Buckets: AckBuckets,
	})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "intake_requests_total",
		Help: "Requests to the alert and deploy hooks, by hook and outcome (declared, triaged, repeat, resolved, ignored, recorded, unauthorized, invalid, failed).",
	}, []string{"hook", "outcome"})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "alerts_received_total",
		Help: "Alerts received, by source (alertmanager, grafana, generic) and what became of their group.",
	}, []string{"source", "outcome"})
	m.reminders = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "reminders_total",
		Help: "Update reminders posted, by stage: heads_up, due (the nudge) and escalation. Drills are left out.",
	}, []string{"stage"})
	for _, s := range []string{"heads_up", "due", "escalation"} {
		m.reminders.WithLabelValues(s)
	}
	outbox := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "outbox_depth",
		Help: "Effects (Slack calls and other deliveries) waiting in the outbox.",
	}, func() float64 {
		if f := m.outboxDepth.Load(); f != nil {
			return float64((*f)())
		}
		return 0
	})
	m.reg.MustRegister(m.slackCalls, m.slackDuration, m.ackLatency, m.requests, m.alerts, m.reminders, outbox)
	if o.Source != nil {
		m.reg.MustRegister(newIncidentCollector(o))
	}
	if !o.NoProcess {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Handler serves the exposition, in the format the scraper asks for.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry returns the registry, for tests and for more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SlackCall counts one Web API call (outbound.Options.Observe).
func (m *Metrics) SlackCall(method string, err error, took time.Duration) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		class, _ := outbound.Classify(err)
		result = class.String()
	}
	m.slackCalls.WithLabelValues(method, result).Inc()
	m.slackDuration.WithLabelValues(method).Observe(took.Seconds())
}

// Ack records how long an envelope waited for its ack.
func (m *Metrics) Ack(d time.Duration) {
	if m == nil {
		return
	}
	m.ackLatency.Observe(d.Seconds())
}

// Intake counts one hook request (intake.Options.Observe). source is the
// batch's source for alerts (the hook: generic senders name themselves
// freely, which would make the label unbounded).
func (m *Metrics) Intake(o intake.Observation) {
	if m == nil {
		return
	}
	hook := o.Hook
	if hook == "" {
		hook = "unknown"
	}
	m.requests.WithLabelValues(hook, string(o.Outcome)).Inc()
	if o.Alerts > 0 && hook != intake.HookDeploy {
		m.alerts.WithLabelValues(hook, string(o.Outcome)).Add(float64(o.Alerts))
	}
}

// Reminder counts a reminder posted at stage (heads_up, due, escalation).
func (m *Metrics) Reminder(stage string) {
	if m == nil {
		return
	}
	m.reminders.WithLabelValues(stage).Inc()
}

// SetOutboxDepth sets how outbox_depth is read.
func (m *Metrics) SetOutboxDepth(f func() int) {
	if m == nil {
		return
	}
	m.outboxDepth.Store(&f)
}

// incidentCollector exposes the incident figures, read from the
// statistics index at most once per Refresh and only after a write.
type incidentCollector struct {
	o Options

	incidents *prometheus.Desc
	tta       *prometheus.Desc
	ttm       *prometheus.Desc
	ttr       *prometheus.Desc
	updates   *prometheus.Desc
	errors    prometheus.Counter

	mu      sync.Mutex
	version uint64
	at      time.Time
	snap    *snapshot
}

func newIncidentCollector(o Options) *incidentCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
	}
	return &incidentCollector{
		o:         o,
		incidents: desc("incidents", "Incidents by severity, status and type; drills and cancelled incidents left out, private ones without their type.", "severity", "status", "type"),
		tta:       desc("incident_time_to_acknowledge_seconds", "Time from declaration to the first operator, of incidents that have one, by severity.", "severity"),
		ttm:       desc("incident_time_to_mitigate_seconds", "Time from declaration to the first monitoring status, of incidents that reached it, by severity.", "severity"),
		ttr:       desc("incident_time_to_resolve_seconds", "Time from declaration to resolution, of resolved incidents, by severity.", "severity"),
		updates:   desc("incident_updates_total", "Status updates posted, on time or late (after the promised time).", "timeliness"),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "metrics_read_errors_total",
			Help: "Readings of the statistics index that failed; the previous figures were served.",
		}),
	}
}

// Describe implements prometheus.Collector.
func (c *incidentCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.incidents, c.tta, c.ttm, c.ttr, c.updates} {
		ch <- d
	}
	c.errors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *incidentCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.current()
	for k, n := range s.incidents {
		ch <- prometheus.MustNewConstMetric(c.incidents, prometheus.GaugeValue, float64(n), k.severity, string(k.status), k.typ)
	}
	for _, h := range []struct {
		desc *prometheus.Desc
		by   map[string]*hist
	}{{c.tta, s.tta}, {c.ttm, s.ttm}, {c.ttr, s.ttr}} {
		for sev, x := range h.by {
			ch <- prometheus.MustNewConstHistogram(h.desc, x.count, x.sum, x.buckets(), sev)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.updates, prometheus.CounterValue, float64(s.onTime), "on_time")
	ch <- prometheus.MustNewConstMetric(c.updates, prometheus.CounterValue, float64(s.late), "late")
	c.errors.Collect(ch)
}

// current returns the figures, read again when the store changed and the
// last reading is older than Refresh.
func (c *incidentCollector) current() *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, now := c.o.Source.Version(), c.o.Now()
	if c.snap != nil && (v == c.version || now.Sub(c.at) < c.o.Refresh) {
		return c.snap
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := read(ctx, c.o.Source)
	if err != nil {
		c.errors.Inc()
		c.o.Logger.Error("read incident figures for /metrics", "err", err)
		if c.snap == nil {
			return newSnapshot()
		}
		return c.snap
	}
	c.snap, c.version, c.at = s, v, now
	return s
}

// key is one incidents gauge.
type key struct {
	severity string
	status   incident.Status
	typ      string
}

// snapshot is the incident figures at one version of the store.
type snapshot struct {
	incidents     map[key]int
	tta, ttm, ttr map[string]*hist
	onTime, late  int
}

func newSnapshot() *snapshot {
	return &snapshot{incidents: map[key]int{}, tta: map[string]*hist{}, ttm: map[string]*hist{}, ttr: map[string]*hist{}}
}

// read walks the whole statistics index once.
func read(ctx context.Context, src Source) (*snapshot, error) {
	s := newSnapshot()
	err := src.EachFacts(ctx, time.Time{}, time.Time{}, func(f incident.Facts) error {
		s.add(f)
		return nil
	})
	return s, err
}

// add counts one incident.
func (s *snapshot) add(f incident.Facts) {
	if !f.Counted() {
		return
	}
	typ := f.Type
	if f.Private {
		typ = ""
	}
	s.incidents[key{f.Severity, f.Status, typ}]++
	for _, m := range []struct {
		at time.Time
		by map[string]*hist
	}{{f.AcknowledgedAt, s.tta}, {f.MitigatedAt, s.ttm}, {f.ResolvedAt, s.ttr}} {
		if d, ok := f.TimeTo(m.at); ok {
			h := m.by[f.Severity]
			if h == nil {
				h = &hist{counts: make([]uint64, len(DurationBuckets))}
				m.by[f.Severity] = h
			}
			h.observe(d.Seconds())
		}
	}
	s.late += f.LateUpdates
	s.onTime += f.Updates - f.LateUpdates
}

// hist is a histogram being filled: counts per bucket, not cumulative.
type hist struct {
	counts []uint64
	count  uint64
	sum    float64
}

func (h *hist) observe(v float64) {
	h.count++
	h.sum += v
	for i, b := range DurationBuckets {
		if v <= b {
			h.counts[i]++
			return
		}
	}
}

// buckets returns the cumulative counts Prometheus wants.
func (h *hist) buckets() map[float64]uint64 {
	out := make(map[float64]uint64, len(DurationBuckets))
	var cum uint64
	for i, b := range DurationBuckets {
		cum += h.counts[i]
		out[b] = cum
	}
	return out
}
