package bot

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

// postmortemOptions returns the rendering options for postmortem drafts.
func (a *App) postmortemOptions() postmortem.Options {
	return postmortem.Options{Location: a.loc, Policy: a.policy, UserName: a.opt.UserName, Now: a.now()}
}

// publishPostmortem drafts the postmortem from the timeline, records that
// it did, uploads it to the war room, writes it to the postmortem
// directory (and git) when configured, and, at close, tells the
// announcement channels that the report is ready. Private incidents are
// never announced beyond their war room.
func (a *App) publishPostmortem(ctx context.Context, id int64, actor string, atClose bool) error {
	inc, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
		if i.Status.Open() {
			return nil, incident.Errorf(incident.ECONFLICT, "Incident #%d is still %s; the postmortem is drafted once it is resolved.", i.ID, i.Status)
		}
		return []incident.Event{{At: a.now(), Actor: actor, Kind: incident.EventPostmortem}}, nil
	})
	if err != nil {
		return err
	}
	evs, err := a.store.Events(ctx, id)
	if err != nil {
		return err
	}
	o := a.postmortemOptions()
	draft, err := postmortem.Draft(inc, evs, o)
	if err != nil {
		return fmt.Errorf("draft postmortem of incident %d: %w", id, err)
	}
	// A private incident's draft stays in its war room: the postmortem
	// directory is usually a shared repository.
	if dir := a.opt.Postmortem.Dir; dir != "" && !inc.Private {
		path, err := postmortem.WriteFile(dir, inc, draft)
		if err != nil {
			a.log.Error("write postmortem file", "incident_id", id, "err", err)
		} else if a.opt.Postmortem.GitCommit {
			msg := fmt.Sprintf("Postmortem draft for incident #%d: %s", inc.ID, views.Plain(inc.Title))
			if err := postmortem.GitCommit(ctx, dir, path, msg); err != nil {
				a.log.Error("commit postmortem", "incident_id", id, "err", err)
			}
		}
	}
	if inc.ChannelID == "" {
		return nil
	}
	m := postmortem.ComputeMetrics(inc, evs)
	_, err = a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Channel:        inc.ChannelID,
		Filename:       postmortem.FileName(inc),
		Title:          fmt.Sprintf("Postmortem draft: incident #%d", inc.ID),
		Content:        draft,
		FileSize:       len(draft),
		InitialComment: postmortem.Summary(inc, m, o),
	})
	if err != nil {
		return fmt.Errorf("upload postmortem of incident %d: %w", id, err)
	}
	if !atClose || inc.Private {
		return nil
	}
	text := fmt.Sprintf(":page_facing_up: Incident #%d (%s) is closed; its postmortem draft is ready in <#%s>.", inc.ID, inc.Title, inc.ChannelID)
	blocks, plain := views.Notice(text)
	for _, ann := range inc.Announcements {
		if _, err := a.post(ctx, ann.ChannelID, blocks, plain, slack.MsgOptionTS(ann.TS), slack.MsgOptionBroadcast()); err != nil {
			a.log.Error("announce postmortem", "incident_id", id, "channel_id", ann.ChannelID, "err", err)
		}
	}
	return nil
}
