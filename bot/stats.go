package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// effStatsChart uploads a chart of incidents per week to a person's DM
// (payload User, Name: the file's title, Data: the PNG, Text: the legend).
const effStatsChart = "stats_chart"

// errNoStats refuses statistics when the store keeps no statistics index.
var errNoStats = errors.New("the store keeps no statistics index")

// Stats computes the figures of q from the store's statistics index.
func (a *App) Stats(ctx context.Context, q incident.StatsQuery) (incident.Stats, error) {
	r, ok := a.store.(incident.StatsReader)
	if !ok {
		return incident.Stats{}, errNoStats
	}
	return incident.ComputeStats(ctx, r, q, a.policy.SeverityNames())
}

// statsQuery is the query of /incident stats --since since --service
// service, now.
func (a *App) statsQuery(since, service string) (incident.StatsQuery, error) {
	from, err := command.ParseSince(since, a.now())
	// No end: what was declared at this very instant counts too.
	return incident.StatsQuery{Since: from, Service: service}, err
}

// statsReply answers /incident stats in its ack: a read of the window's
// index entries, not of whole incidents. With --chart, the chart is a
// request of its own (stored, then drawn and sent to the person's DM), so
// that the ack never waits for it and a redelivered command sends it once.
func (a *App) statsReply(ctx context.Context, sc slack.SlashCommand, cmd command.Command, keys []string, ack func(any)) {
	if cmd.Drills {
		a.drillsReply(ctx, sc, cmd, ack)
		return
	}
	q, err := a.statsQuery(cmd.Since, cmd.Service)
	if err != nil {
		ack(ackError(err, ""))
		return
	}
	s, err := a.Stats(ctx, q)
	if err != nil {
		a.fail("compute statistics", err, "user_id", sc.UserID)
		ack(ackError(err, ""))
		return
	}
	blocks, text := a.env().StatsReply(s)
	if !cmd.Chart {
		ack(ackBlocks(text, blocks))
		return
	}
	if len(s.Weeks) == 0 {
		ack(ackBlocks(text, append(blocks, views.Context("No incident in the window: no chart."))))
		return
	}
	o := op{Kind: opStatsChart, Actor: sc.UserID, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL, Via: viaCommand, Text: cmd.Since, Service: cmd.Service}
	a.accept(ctx, o, keys, ack, func(c *call, err error) any {
		if err != nil {
			return ackError(err, "")
		}
		return ackBlocks(text, append(blocks, views.Context("The chart of incidents per week is on its way to your DM with incidentbot.")))
	})
}

// StatsChart draws the incidents per week of /incident stats --since
// since --service service and sends the chart to the person's DM.
func (a *App) StatsChart(ctx context.Context, c *call, since, service string) error {
	q, err := a.statsQuery(since, service)
	if err != nil || c.dry {
		return err
	}
	s, err := a.Stats(ctx, q)
	if err != nil {
		return err
	}
	if len(s.Weeks) == 0 {
		return incident.Errorf(incident.ENOTFOUND, "There is no incident in the window to chart.")
	}
	img, err := views.WeeklyChart(s.Weeks)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("incidents-per-week-%s.png", a.now().Format("2006-01-02"))
	e := effect(effStatsChart, "/chart:"+c.Actor, payload{User: c.Actor, Name: name, Data: img, Text: views.WeeklyChartLegend(s, a.policy.SeverityNames())})
	if err := a.finish(ctx, c, []incident.Effect{e}); err != nil {
		return err
	}
	c.finished = true
	return nil
}

// statsChart uploads the chart to the person's DM, unless a retry finds
// it there already.
func (d delivery) statsChart(ctx context.Context) error {
	ch, err := d.a.slack.OpenDM(ctx, d.p.User)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Incidents per week (%d)", d.e.Seq)
	if d.recheck {
		found, err := d.a.slack.FindFile(ctx, ch, title, d.e.CreatedAt)
		if err != nil {
			return err
		}
		if found {
			return d.done(ctx, nil)
		}
	}
	if err := d.a.slack.Upload(ctx, ch, d.p.Name, title, string(d.p.Data), d.p.Text); err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// maxDrillsCompared is how many drills /incident stats --drills compares:
// the latest in the window, so that the reply stays one short message.
const maxDrillsCompared = 10

// defaultDrillsWindow is the window of /incident stats --drills without
// --since: drills are rarer than incidents.
const defaultDrillsWindow = "52w"

// drillsReply answers /incident stats --drills in its ack: the scorecards
// of the latest drills in the window, side by side. The statistics index
// finds them; only those drills and their timelines are read.
func (a *App) drillsReply(ctx context.Context, sc slack.SlashCommand, cmd command.Command, ack func(any)) {
	since, err := command.ParseSince(cmp.Or(cmd.Since, defaultDrillsWindow), a.now())
	if err != nil {
		ack(ackError(err, ""))
		return
	}
	cards, total, err := a.DrillScores(ctx, since)
	if err != nil {
		a.fail("score drills", err, "user_id", sc.UserID)
		ack(ackError(err, ""))
		return
	}
	blocks, text := a.env().DrillsReply(cards, total, since)
	ack(ackBlocks(text, blocks))
}

// DrillScores returns the scorecards of the drills declared since since
// (cancelled ones left out), oldest first, at most maxDrillsCompared of
// them (the latest), and how many drills the window holds.
func (a *App) DrillScores(ctx context.Context, since time.Time) ([]incident.Scorecard, int, error) {
	r, ok := a.store.(incident.StatsReader)
	if !ok {
		return nil, 0, errNoStats
	}
	var ids []int64
	err := r.EachFacts(ctx, since, time.Time{}, func(f incident.Facts) error {
		if f.Drill && f.Status != incident.StatusCancelled {
			ids = append(ids, f.ID)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	total := len(ids)
	ids = ids[max(0, len(ids)-maxDrillsCompared):]
	incs := make([]*incident.Incident, 0, len(ids))
	events := make(map[int64][]incident.Event, len(ids))
	for _, id := range ids {
		inc, err := a.store.FindIncidentByID(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		if events[id], err = a.store.Events(ctx, id); err != nil {
			return nil, 0, err
		}
		incs = append(incs, inc)
	}
	return incident.ScoreDrills(incs, events), total, nil
}
