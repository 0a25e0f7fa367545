package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	slashcmd "github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/incidentbot/incidentbot/store"
)

// statsOptions are the flags of 'stats'.
type statsOptions struct {
	Config  string
	Since   string // as /incident stats takes it: 30d, 12w, 48h, 2026-01-31
	Service string
	Format  string // "text" or "json"
}

func parseStatsFlags(env *Env, args []string) (statsOptions, error) {
	var o statsOptions
	fs := newFlagSet("stats")
	config := configFlag(fs, env)
	fs.StringVar(&o.Since, "since", "30d", "figures of incidents declared since `WHEN`: days, weeks or hours ago (30d, 12w, 48h) or a date (2026-01-31)")
	fs.StringVar(&o.Service, "service", "", "only incidents and deploys of service `NAME` (private incidents left out)")
	fs.StringVar(&o.Format, "format", "text", "output `format`: text or json")
	if err := parseFlags(env, fs, args); err != nil {
		return o, err
	}
	o.Config = *config
	if _, err := slashcmd.ParseSince(o.Since, time.Now()); err != nil {
		return o, &usageError{cmd: "stats", msg: incident.ErrorMessage(err)}
	}
	if err := incident.CheckService(o.Service); err != nil {
		return o, &usageError{cmd: "stats", msg: "--service: " + incident.ErrorMessage(err)}
	}
	if o.Format != "text" && o.Format != "json" {
		return o, &usageError{cmd: "stats", msg: fmt.Sprintf("--format %q is not supported (use text or json)", o.Format)}
	}
	return o, nil
}

// cmdStats prints the figures /incident stats shows, computed by the same
// code from the statistics index: counts by severity, MTTA, MTTR, updates
// on time, late updates and the change failure rate. While the bot runs it
// holds the database, so the figures are asked of it through its admin
// endpoint.
func cmdStats(ctx context.Context, env *Env, args []string) error {
	opts, err := parseStatsFlags(env, args)
	if err != nil {
		return err
	}
	cfg, err := loadOfflineConfig(opts.Config, env.vars())
	if err != nil {
		return err
	}
	var s incident.Stats
	db, busy, err := openOrBusy(cfg, "the figures are")
	switch {
	case busy:
		if s, err = statsOverHTTP(ctx, cfg, opts); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		defer db.Close()
		q, err := statsQuery(opts.Since, opts.Service, time.Now())
		if err != nil {
			return err
		}
		if s, err = incident.ComputeStats(ctx, db, q, cfg.SeverityNames()); err != nil {
			return err
		}
	}
	// Further sections go here: the drill scorecard (--drills) of the
	// playbooks feature prints after these figures.
	if opts.Format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(statsJSON(s))
	}
	_, err = io.WriteString(env.Stdout, formatStats(s, cfg.Location()))
	return err
}

// statsQuery builds the query of --since and --service at now.
func statsQuery(since, service string, now time.Time) (incident.StatsQuery, error) {
	from, err := slashcmd.ParseSince(since, now)
	if err != nil {
		return incident.StatsQuery{}, err
	}
	return incident.StatsQuery{Since: from, Service: service}, nil
}

// serveStats is the admin endpoint's figures: the same as the command's,
// from the live database. The query holds since and service.
func serveStats(db *store.DB, cfg config.Config) func(ctx context.Context, q url.Values) (any, error) {
	return func(ctx context.Context, q url.Values) (any, error) {
		if err := incident.CheckService(q.Get("service")); err != nil {
			return nil, err
		}
		sq, err := statsQuery(q.Get("since"), q.Get("service"), time.Now())
		if err != nil {
			return nil, err
		}
		s, err := incident.ComputeStats(ctx, db, sq, cfg.SeverityNames())
		if err != nil {
			return nil, err
		}
		return statsJSON(s), nil
	}
}

// statsOverHTTP asks the running bot for the figures.
func statsOverHTTP(ctx context.Context, cfg config.Config, opts statsOptions) (incident.Stats, error) {
	resp, err := adminRead(ctx, cfg, "/admin/stats", url.Values{"since": {opts.Since}, "service": {opts.Service}}, "figures", "stats is not available")
	if err != nil {
		return incident.Stats{}, err
	}
	defer resp.Body.Close()
	var j statsDoc
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&j); err != nil {
		return incident.Stats{}, fmt.Errorf("figures from the running bot: %w", err)
	}
	return j.stats(), nil
}

// statsDoc is the JSON form of the figures (stats --format json, and
// /admin/stats): durations in seconds, rates as fractions.
type statsDoc struct {
	Since        time.Time      `json:"since"`
	Until        time.Time      `json:"until,omitzero"`
	Service      string         `json:"service,omitempty"`
	Incidents    int            `json:"incidents"`
	BySeverity   []severityDoc  `json:"by_severity"`
	Drills       int            `json:"drills_left_out"`
	Cancelled    int            `json:"cancelled_left_out"`
	Acknowledged int            `json:"acknowledged"`
	MTTASeconds  float64        `json:"mtta_seconds"`
	Resolved     int            `json:"resolved"`
	MTTRSeconds  float64        `json:"mttr_seconds"`
	Updates      int            `json:"updates"`
	LateUpdates  int            `json:"late_updates"`
	OnTimeRate   *float64       `json:"on_time_rate"`
	ByCause      map[string]int `json:"by_cause"`
	Deploys      int            `json:"deploys"`
	FailedDeploy int            `json:"failed_deploys"`
	CFR          *float64       `json:"change_failure_rate"`
	Services     []serviceDoc   `json:"services"`
}

type severityDoc struct {
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

type serviceDoc struct {
	Service string   `json:"service"`
	Deploys int      `json:"deploys"`
	Failed  int      `json:"failed"`
	CFR     *float64 `json:"change_failure_rate"`
}

func rate(r float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &r
}

// statsJSON is the JSON form of s.
func statsJSON(s incident.Stats) statsDoc {
	d := statsDoc{
		Since: s.Query.Since.UTC(), Until: s.Query.Until.UTC(), Service: s.Query.Service,
		Incidents: s.Incidents, Drills: s.Drills, Cancelled: s.Cancelled,
		Acknowledged: s.Acknowledged, MTTASeconds: s.MTTA.Seconds(), Resolved: s.Resolved, MTTRSeconds: s.MTTR.Seconds(),
		Updates: s.Updates, LateUpdates: s.LateUpdates, OnTimeRate: rate(s.OnTimeRate()), ByCause: s.ByCause,
		Deploys: s.Total.Deploys, FailedDeploy: s.Total.Failed, CFR: rate(s.Total.Rate()),
		BySeverity: []severityDoc{}, Services: []serviceDoc{},
	}
	for _, c := range s.BySeverity {
		d.BySeverity = append(d.BySeverity, severityDoc{c.Severity, c.Count})
	}
	for _, c := range s.Changes {
		d.Services = append(d.Services, serviceDoc{c.Service, c.Deploys, c.Failed, rate(c.Rate())})
	}
	return d
}

// stats reads the figures back from their JSON form.
func (d statsDoc) stats() incident.Stats {
	s := incident.Stats{
		Query:     incident.StatsQuery{Since: d.Since, Until: d.Until, Service: d.Service},
		Incidents: d.Incidents, Drills: d.Drills, Cancelled: d.Cancelled,
		Acknowledged: d.Acknowledged, MTTA: time.Duration(d.MTTASeconds * float64(time.Second)),
		Resolved: d.Resolved, MTTR: time.Duration(d.MTTRSeconds * float64(time.Second)),
		Updates: d.Updates, LateUpdates: d.LateUpdates, ByCause: d.ByCause,
		Total: incident.ServiceCFR{Deploys: d.Deploys, Failed: d.FailedDeploy},
	}
	for _, c := range d.BySeverity {
		s.BySeverity = append(s.BySeverity, incident.SeverityCount{Severity: c.Severity, Count: c.Count})
	}
	for _, c := range d.Services {
		s.Changes = append(s.Changes, incident.ServiceCFR{Service: c.Service, Deploys: c.Deploys, Failed: c.Failed})
	}
	return s
}

// formatStats renders the figures as /incident stats shows them, in
// plain text.
func formatStats(s incident.Stats, loc *time.Location) string {
	var b strings.Builder
	scope := "all services"
	if s.Query.Service != "" {
		scope = "service " + s.Query.Service + " (private incidents left out)"
	}
	fmt.Fprintf(&b, "Incidents since %s, %s\n", s.Query.Since.In(loc).Format("Mon 2 Jan 2006 15:04 MST"), scope)
	var sev []string
	for _, c := range s.BySeverity {
		sev = append(sev, fmt.Sprintf("%s %d", c.Severity, c.Count))
	}
	row := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "  %-21s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	row("Incidents", "%d (%s)", s.Incidents, strings.Join(sev, ", "))
	row("MTTA", "%s over %d acknowledged", views.Mean(s.MTTA, s.Acknowledged), s.Acknowledged)
	row("MTTR", "%s over %d resolved", views.Mean(s.MTTR, s.Resolved), s.Resolved)
	row("Updates on time", "%s of %d", views.Percent(s.OnTimeRate()), s.Updates)
	row("Late updates", "%d", s.LateUpdates)
	row("Change failure rate", "%s (%d of %d deploys)", views.Percent(s.Total.Rate()), s.Total.Failed, s.Total.Deploys)
	for _, c := range s.Changes {
		fmt.Fprintf(&b, "    %-19s %s (%d of %d)\n", c.Service, views.Percent(c.Rate()), c.Failed, c.Deploys)
	}
	if s.Drills+s.Cancelled > 0 {
		fmt.Fprintf(&b, "  Left out: %d drills, %d cancelled\n", s.Drills, s.Cancelled)
	}
	return b.String()
}
