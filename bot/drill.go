package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Drills (issue 12): practice incidents, announced only in the drill
// channel, marked as drills in every message, left out of digests, and
// scored when they close.

// announceChannels are where inc is announced: the announcement channels,
// or for a drill only the drill channel.
func (a *App) announceChannels(inc *incident.Incident) []string {
	if !inc.Drill {
		return a.opt.AnnounceChannels
	}
	if ch := a.opt.Playbooks.DrillChannel; ch != "" {
		return []string{ch}
	}
	return nil
}

// checkDrillChannel refuses a drill whose announcement would land in a
// channel where real incidents are announced: people there would take it
// for real.
func (a *App) checkDrillChannel() error {
	if ch := a.opt.Playbooks.DrillChannel; ch != "" && slices.Contains(a.opt.AnnounceChannels, ch) {
		return incident.Errorf(incident.EINVALID, "Drills are announced in <#%s>, which is also where real incidents are announced: people would take the drill for real. Ask an admin to set drill.channel to a channel of its own.", ch)
	}
	return nil
}

// declaringAck answers a declaration before the war room exists, saying
// the severity the impact gave it.
func (a *App) declaringAck(inc *incident.Incident) string {
	what := "the incident"
	if inc.Drill {
		what = "a drill"
	}
	msg := fmt.Sprintf(":hourglass_flowing_sand: Declaring %s…", what)
	if l, ok := a.policy.Propose(inc.Estimate); ok && l.Severity == inc.Severity {
		msg = fmt.Sprintf(":hourglass_flowing_sand: Declaring %s as *%s*, from the impact; expected response: %s.", what, inc.Severity, views.Escape(l.Response))
	}
	return msg
}

// declareNotes are the war-room messages a declaration adds for issue 12:
// a drill's introduction.
func (a *App) declareNotes(inc *incident.Incident) incident.Change {
	if !inc.Drill {
		return incident.Change{}
	}
	return incident.Change{Effects: []incident.Effect{roomPost(payload{Msg: msgDrillIntro})}}
}

// drillEvents reads the timeline of incident id when it is a drill about
// to be closed: its scorecard is computed from it. The dry run reads
// nothing.
func (a *App) drillEvents(ctx context.Context, c *call, id int64) ([]incident.Event, error) {
	if c.dry || id == 0 {
		return nil, nil
	}
	inc, err := a.store.FindIncidentByID(ctx, id)
	if err != nil || !inc.Drill {
		return nil, nil // the use case reports a missing incident
	}
	return a.store.Events(ctx, id)
}

// scorecard posts a closing drill's scorecard in its war room and in the
// drill channel's thread.
func (a *App) scorecard(inc *incident.Incident, events []incident.Event) incident.Change {
	if !inc.Drill {
		return incident.Change{}
	}
	blocks, text := a.env().Scorecard(inc, incident.Score(inc, events))
	p := payload{Msg: msgBlocks, Blocks: blocksJSON(blocks), Text: text}
	ch := incident.Change{Effects: []incident.Effect{roomPost(p)}}
	ch.Effects = append(ch.Effects, threads(inc, p, false)...)
	return ch
}
