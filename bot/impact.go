package bot

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/incidentbot/incidentbot/playbooks"
)

// Impact-based triage (issue 12; alert triage is triage.go): the estimate a request carries, and what
// the person is told about it.

// estimate is the impact estimate of a declaration. The parser and the
// form checked the experience; an unreadable one is left out.
func (o op) estimate() incident.Estimate {
	var e incident.Estimate
	if o.Experience != "" {
		e.Experience, _ = incident.ParseExperience(o.Experience)
	}
	if o.Security != nil {
		e.Security = *o.Security
	}
	if o.Loss != nil {
		e.LossPerHour = *o.Loss
	}
	return e
}

// revision is the impact revision of an impact request.
func (o op) revision(text string) (incident.ImpactRevision, error) {
	r := incident.ImpactRevision{Text: text, Security: o.Security, LossPerHour: o.Loss}
	if o.Experience != "" {
		x, err := incident.ParseExperience(o.Experience)
		if err != nil {
			return r, err
		}
		r.Experience = &x
	}
	return r, nil
}

// impactAck confirms an impact revision and says what the estimate calls
// for when that is not the incident's severity.
func (a *App) impactAck(inc *incident.Incident, r incident.ImpactRevision) string {
	msg := fmt.Sprintf(":busts_in_silhouette: Impact of incident #%d recorded.", inc.ID)
	if r.Experience == nil && r.Security == nil && r.LossPerHour == nil {
		return msg
	}
	msg = fmt.Sprintf(":busts_in_silhouette: Impact estimate of incident #%d revised; it is on the timeline.", inc.ID)
	l, ok := a.policy.Propose(inc.Estimate)
	switch {
	case !ok:
	case l.Severity == inc.Severity:
		msg += fmt.Sprintf(" It matches the severity, *%s*: %s.", inc.Severity, views.Escape(l.Response))
	default:
		msg += fmt.Sprintf(" It calls for *%s* (%s), and the incident is *%s*: change it with `/incident %d sev %s`.", l.Severity, views.Escape(l.Response), inc.Severity, inc.ID, l.Severity)
	}
	return msg
}

// triage copies a command's type and impact estimate into the request.
func (o *op) triage(cmd command.Command) {
	o.Type, o.Experience = cmd.Type, cmd.Experience
	if cmd.SecuritySet {
		sec := cmd.Security
		o.Security = &sec
	}
	if cmd.LossSet {
		loss := cmd.Loss
		o.Loss = &loss
	}
}

// readTriage reads the declare form's type and impact questions into o; on
// a mistake it returns the input to show it against.
func (a *App) readTriage(cb slack.InteractionCallback, o *op) (string, error) {
	o.Type = input(cb, views.InputType).SelectedOption.Value
	o.Experience = input(cb, views.InputExperience).SelectedOption.Value
	if len(input(cb, views.InputSecurity).SelectedOptions) > 0 {
		sec := true
		o.Security = &sec
	}
	if s := strings.TrimSpace(input(cb, views.InputLoss).Value); s != "" {
		n, err := command.ParseLoss(s)
		if err != nil {
			return views.InputLoss, err
		}
		o.Loss = &n
	}
	return "", nil
}

// drillTitle is the title of a drill: the one given, else one naming the
// playbook it practises.
func (a *App) drillTitle(cmd command.Command) string {
	if cmd.Title != "" {
		return cmd.Title
	}
	if pb, ok := playbooks.Find(a.incidentPlaybooks(), cmd.Playbook); ok && cmd.Playbook != "" {
		return "Drill: " + pb.Title
	}
	return "Drill: practice incident"
}

// proposeInForm shows, in the declare form being filled in, the severity
// and response the impact chosen so far calls for. Slack keeps what was
// entered, the inputs being the same.
func (a *App) proposeInForm(ctx context.Context, cb slack.InteractionCallback) {
	var o op
	if block, err := a.readTriage(cb, &o); err != nil && block != views.InputLoss {
		return
	}
	f := a.declareForm(cb.View.PrivateMetadata, cb.User.ID, "")
	f.Estimate = o.estimate()
	if err := a.slack.UpdateView(ctx, cb.View.ID, cb.View.Hash, a.env().DeclareModal(f)); err != nil {
		a.log.Warn("update the declare form", "user_id", cb.User.ID, "err", err)
	}
}

// declareForm is the declare form for user, with the configured types.
// The operator it proposes is whoever is on call, as a one-line declare
// would make them, else the declarer.
func (a *App) declareForm(meta, user, typ string) views.DeclareForm {
	f := views.DeclareForm{Operator: cmp.Or(a.onCallOperator(), user), Metadata: meta, Type: typ}
	for _, t := range a.opt.Playbooks.Types {
		f.Types = append(f.Types, views.TypeChoice{Name: t.Name, Description: t.Description})
	}
	return f
}
