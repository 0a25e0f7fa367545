package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
)

// RecordCause records the root cause of incident id: its text, its
// category and the deployment it points at. deploy names the deployment
// as the person gave it (see findDeploy) and is resolved to its key here.
func (a *App) RecordCause(ctx context.Context, c *call, id int64, cause incident.Cause) error {
	if cause.Deploy != "" {
		inc, _, err := a.target(ctx, c, id)
		if err != nil {
			return err
		}
		d, err := a.findDeploy(ctx, inc, cause.Deploy)
		if err != nil {
			return err
		}
		cause.Deploy, cause.DeployLabel = d.Key, deployLabel(*d)
	}
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.RecordCause(a.policy, c.Actor, cause, a.now())
		c.ack = fmt.Sprintf(":mag: Root cause of incident #%d recorded; it goes into the postmortem.", id)
		if cause.DeployLabel != "" {
			c.ack = fmt.Sprintf(":mag: Root cause of incident #%d recorded: the deploy %s. It counts in the change failure rate of %s.", id, views.Escape(cause.DeployLabel), views.Escape(inc.Service))
		}
		return incident.Change{Events: evs, Effects: refresh()}, err
	})
	return err
}

// maxDeployChoices is how many recent deploys the cause form offers.
const maxDeployChoices = 25

// findDeploy finds the deployment a person named for incident inc: the
// key of a deploy (as the cause form sends it), or the ID or version of
// one of the recent deploys of inc's service.
func (a *App) findDeploy(ctx context.Context, inc *incident.Incident, name string) (*incident.Deploy, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	if d, err := st.FindDeploy(ctx, name); err == nil {
		return d, nil
	} else if incident.ErrorCode(err) != incident.ENOTFOUND {
		return nil, err
	}
	if inc.Service == "" {
		return nil, incident.Errorf(incident.EINVALID, "Incident #%d has no service, so its deploys are unknown: set it first with `/incident service NAME`.", inc.ID)
	}
	recent, err := st.RecentDeploys(ctx, inc.Service, 200)
	if err != nil {
		return nil, err
	}
	for _, d := range recent {
		if strings.EqualFold(d.ID, name) || strings.EqualFold(d.Version, name) {
			return &d, nil
		}
	}
	return nil, incident.Errorf(incident.ENOTFOUND, "No recent deploy of %s has the ID or version %s. `/incident cause` without text lists them.", views.Escape(inc.Service), views.Escape(name))
}

// deployLabel names a deploy for people: "payments v1.42.0 to production".
func deployLabel(d incident.Deploy) string {
	return fmt.Sprintf("%s %s to %s", d.Service, d.Version, d.Environment)
}

// SetService records the service incident id affects.
func (a *App) SetService(ctx context.Context, c *call, id int64, service string) error {
	_, err := a.change(ctx, c, id, func(inc *incident.Incident, _ bool) (incident.Change, error) {
		evs, err := inc.SetService(a.policy, c.Actor, service, a.now())
		if strings.TrimSpace(service) == "" {
			c.ack = fmt.Sprintf(":gear: Incident #%d has no service now.", id)
		} else {
			c.ack = fmt.Sprintf(":gear: Incident #%d affects %s.", id, views.Escape(strings.TrimSpace(service)))
		}
		return incident.Change{Events: evs, Effects: refresh()}, err
	})
	return err
}

// openCauseForm opens the root-cause form of inc, with the recent deploys
// of its service to choose from.
func (a *App) openCauseForm(ctx context.Context, inc *incident.Incident, sc slack.SlashCommand, ack func(any)) {
	var deploys []incident.Deploy
	if st, err := a.alertStore(); err == nil && inc.Service != "" {
		// A read of a few records: well inside the 3 s the trigger lives.
		if deploys, err = st.RecentDeploys(ctx, inc.Service, maxDeployChoices); err != nil {
			a.fail("read recent deploys", err, "incident_id", inc.ID)
		}
	}
	meta := encodeMeta(formMeta{Incident: inc.ID, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL})
	a.openForm(ctx, sc.TriggerID, a.env().CauseModal(inc, deploys, meta), ack)
}

// onCauseSubmit handles the root-cause form.
func (a *App) onCauseSubmit(ctx context.Context, cb slack.InteractionCallback, o op, keys []string, ack func(any)) {
	o.Kind = opCause
	o.Text = views.FromInput(input(cb, views.InputCauseText).Value)
	o.Category = input(cb, views.InputCauseCategory).SelectedOption.Value
	if d := input(cb, views.InputCauseDeploy).SelectedOption.Value; d != views.NoDeploy {
		o.Deploy = d
	}
	if o.Text == "" && o.Category == "" && o.Deploy == "" {
		ack(fieldErrors(map[string]string{views.InputCauseText: "Say what caused the incident, or choose its category."}))
		return
	}
	a.accept(ctx, o, keys, ack, func(c *call, err error) any {
		switch {
		case err == nil:
			return nil
		case incident.ErrorCode(err) == incident.EINTERNAL:
			return a.ackByReply(o, false)(c, err)
		case o.Deploy != "":
			return a.formError(views.InputCauseDeploy, err)
		}
		return a.formError(views.InputCauseText, err)
	})
}
