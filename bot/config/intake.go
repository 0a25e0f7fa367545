package config

import (
	"strings"

	"github.com/incidentbot/incidentbot/bot/intake"
)

// validateIntake reports the problems of the intake section, each under
// its key, with the routes' severities and types checked against
// incidents.severities and types.
func (c Config) validateIntake(p *problems) {
	h := c.Intake.Hooks
	if c.HTTP.Listen == "" && (h.Alertmanager.Enabled() || h.Grafana.Enabled() || h.Generic.Enabled() || h.Deploy.Enabled()) {
		p.add("intake.hooks", "the hooks are served on http.listen, which is empty: set http.listen (e.g. \":8080\") or remove the hooks' tokens")
	}
	for _, err := range []error{c.Intake.Validate(), c.Intake.ValidateRefs(intake.Refs{Severities: c.SeverityNames(), Types: c.TypeNames()})} {
		if err == nil {
			continue
		}
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			// intake names every key in full: "intake.routes[0].action: …".
			key, msg, ok := strings.Cut(e.Error(), ": ")
			if !ok {
				key, msg = "intake", e.Error()
			}
			p.add(key, "%s", msg)
		}
	}
}

// normalizedIntake trims what people copy with spaces around.
func normalizedIntake(c intake.Config) intake.Config {
	c.TriageChannel = strings.TrimSpace(c.TriageChannel)
	if len(c.Routes) > 0 {
		rs := make([]intake.RouteConfig, len(c.Routes))
		copy(rs, c.Routes)
		for i := range rs {
			rs[i].Name = strings.TrimSpace(rs[i].Name)
			rs[i].Channel = strings.TrimSpace(rs[i].Channel)
			rs[i].Severity = strings.TrimSpace(rs[i].Severity)
		}
		c.Routes = rs
	}
	c.DefaultRoute.Channel = strings.TrimSpace(c.DefaultRoute.Channel)
	return c
}

// redactedIntake hides the hooks' tokens and signing secrets.
func redactedIntake(c intake.Config) intake.Config {
	for _, s := range []*string{&c.Hooks.Alertmanager.Token, &c.Hooks.Grafana.Token, &c.Hooks.Generic.Token,
		&c.Hooks.Generic.SigningSecret, &c.Hooks.Deploy.Token, &c.Hooks.Deploy.SigningSecret} {
		if *s != "" {
			*s = "…(redacted)"
		}
	}
	return c
}
