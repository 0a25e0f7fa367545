package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/views"
)

// Postmortem drafts the postmortem of a resolved or closed incident again,
// from its timeline as it is now.
func (a *App) Postmortem(ctx context.Context, c *call, id int64) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		if inc.Status.Open() {
			return incident.Change{}, incident.Errorf(incident.ECONFLICT, "The postmortem is drafted once incident #%d is resolved; it is still %s.", inc.ID, inc.Status)
		}
		if inc.Status == incident.StatusCancelled {
			return incident.Change{}, incident.Errorf(incident.ECONFLICT, "Incident #%d was cancelled: it needs no postmortem.", inc.ID)
		}
		c.ack = fmt.Sprintf(":page_facing_up: The postmortem draft of incident #%d is on its way to its war room.", inc.ID)
		return a.draftPostmortem(inc, c.Actor, false), nil
	})
	return err
}

// draftPostmortem records that a draft is made and queues it: uploaded to
// the war room, written to the postmortem directory (and git) for a public
// incident, and at close announced as ready.
func (a *App) draftPostmortem(inc *incident.Incident, actor string, atClose bool) incident.Change {
	inc.Drafts++
	ch := incident.Change{Events: []incident.Event{{At: a.now(), Actor: actor, Kind: incident.EventPostmortem, Fields: map[string]string{"draft": fmt.Sprint(inc.Drafts)}}}}
	ch.Effects = append(ch.Effects, effect(effUpload, laneRoom, payload{Draft: inc.Drafts}))
	// A private incident's draft stays in its war room: the postmortem
	// directory is usually a shared repository.
	if a.opt.Postmortem.Dir != "" && !inc.Private {
		ch.Effects = append(ch.Effects, effect(effPostmortemFile, laneGit, payload{Draft: inc.Drafts}))
	}
	if atClose && !inc.Private {
		text := fmt.Sprintf(":page_facing_up: Incident #%d (%s) is closed; its postmortem draft is ready in <#%s>.", inc.ID, inc.Title, inc.ChannelID) + a.reportLink(inc)
		ch.Effects = append(ch.Effects, threads(inc, payload{Msg: msgNotice, Text: text}, true)...)
	}
	return ch
}

// PostmortemOptions renders drafts and exports with people's names, asked
// of Slack (and cached): a draft is read outside Slack, where <@U123>
// means nothing. The names are looked up with ctx.
func (a *App) PostmortemOptions(ctx context.Context) postmortem.Options {
	return postmortem.Options{Location: a.loc, Policy: a.policy, Now: a.now(),
		UserName: func(id string) string { return a.users.name(ctx, id) }}
}

// ExportOptions is PostmortemOptions for an export, which names everyone
// who ever acted in an incident: the workspace's directory is listed first
// (users.list, a page of people per call), so that the names do not each
// cost a users.info at Slack's pace (hundreds of people took minutes). If
// the list fails, names are asked for one by one.
func (a *App) ExportOptions(ctx context.Context) postmortem.Options {
	if _, err := a.users.list(ctx); err != nil {
		a.log.Warn("list the workspace's users for an export; asking for names one by one", "err", err)
	}
	return a.PostmortemOptions(ctx)
}

// draft renders the postmortem of the delivery's incident.
func (d delivery) draft(ctx context.Context) (string, postmortem.Options, []incident.Event, error) {
	evs, err := d.a.store.Events(ctx, d.inc.ID)
	if err != nil {
		return "", postmortem.Options{}, nil, err
	}
	o := d.a.PostmortemOptions(ctx)
	md, err := postmortem.Draft(d.inc, evs, o)
	if err != nil {
		return "", o, nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return md, o, evs, nil
}

// upload shares the draft in the war room, under a title unique to the
// draft so that an upload whose answer was lost is found, not repeated.
func (d delivery) upload(ctx context.Context) error {
	room, err := d.room()
	if err != nil || room == "" {
		return d.orDone(ctx, err)
	}
	title := fmt.Sprintf("Postmortem draft: incident #%d (draft %d)", d.inc.ID, d.p.Draft)
	if d.recheck {
		found, err := d.a.slack.FindFile(ctx, room, title, d.e.CreatedAt)
		if err != nil {
			return err
		}
		if found {
			return d.done(ctx, nil)
		}
	}
	md, o, evs, err := d.draft(ctx)
	if err != nil {
		return err
	}
	summary := postmortem.Summary(d.inc, postmortem.ComputeMetrics(d.inc, evs), o)
	_, summary = views.MarkDrill(d.inc, nil, summary)
	if err := d.a.slack.Upload(ctx, room, postmortem.FileName(d.inc), title, md, summary); err != nil {
		return err
	}
	return d.done(ctx, nil)
}

// postmortemFile writes the draft to the postmortem directory and commits
// it. Writing the same file again is harmless, and committing an unchanged
// file does nothing, so a repeat after a crash changes nothing.
func (d delivery) postmortemFile(ctx context.Context) error {
	md, _, _, err := d.draft(ctx)
	if err != nil {
		return err
	}
	dir := d.a.opt.Postmortem.Dir
	path, err := postmortem.WriteFile(dir, d.inc, md)
	if err != nil {
		return outbound.PermanentError(err.Error())
	}
	if d.a.opt.Postmortem.GitCommit {
		msg := fmt.Sprintf("Postmortem draft for incident #%d: %s", d.inc.ID, views.Plain(d.inc.Title))
		if err := postmortem.GitCommit(ctx, dir, path, msg); err != nil {
			return err
		}
	}
	return d.done(ctx, nil)
}
