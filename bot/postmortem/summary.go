package postmortem

import (
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// slackEscape makes user text safe for Slack mrkdwn: entities are decoded
// and re-encoded, so that "<!channel>" or "<https://x|y>" shows literally
// instead of pinging or linking.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func slackText(s string) string {
	return slackEscape.Replace(slackEntities.Replace(strings.Join(strings.Fields(s), " ")))
}

// Summary renders a short Slack mrkdwn summary of inc for the war room:
// title, severity, duration, time to acknowledge, mitigate and resolve,
// updates and open action items. m is ComputeMetrics(inc, events).
func Summary(inc *incident.Incident, m Metrics, o Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*Incident #%d: %s* is %s\n", inc.ID, slackText(inc.Title), slackText(string(inc.Status)))
	dur := incident.FormatDuration(m.Duration)
	if !m.Resolved {
		dur = incident.FormatDuration(o.now().Sub(inc.DeclaredAt)) + " so far"
	}
	fmt.Fprintf(&b, "Severity: *%s* · Duration: %s", slackText(inc.Severity), dur)
	if inc.Private {
		b.WriteString(" · Private")
	}
	fmt.Fprintf(&b, "\nTime to acknowledge %s · to mitigate %s · to resolve %s\n",
		formatMetric(m.TimeToAcknowledge), formatMetric(m.TimeToMitigate), formatMetric(m.TimeToResolve))
	fmt.Fprintf(&b, "Updates: %d", m.Updates)
	if m.LateUpdates > 0 {
		fmt.Fprintf(&b, " (%d late)", m.LateUpdates)
	}
	if m.Escalations > 0 {
		fmt.Fprintf(&b, " · Escalations: %d", m.Escalations)
	}
	fmt.Fprintf(&b, " · Open action items: %d of %d", m.OpenActionItems, m.ActionItems)
	return b.String()
}

// PublicSummary renders one line of Slack mrkdwn about inc for channels
// outside the war room. For a private incident it gives the severity and
// the status only: no title, no names, no details.
func PublicSummary(inc *incident.Incident, o Options) string {
	verb := "is ongoing"
	switch inc.Status {
	case incident.StatusResolved:
		verb = "was resolved"
	case incident.StatusClosed:
		verb = "was closed"
	}
	sev := slackText(inc.Severity)
	if inc.Private {
		return fmt.Sprintf("A private incident (severity %s) %s.", sev, verb)
	}
	s := fmt.Sprintf("Incident #%d *%s* (severity %s) %s", inc.ID, slackText(inc.Title), sev, verb)
	if !inc.ResolvedAt.IsZero() {
		s += " after " + incident.FormatDuration(inc.ResolvedAt.Sub(inc.DeclaredAt))
	}
	return s + "."
}
