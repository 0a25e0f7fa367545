// Package intake is incidentbot's HTTP intake of alerts and deployment
// records: Prometheus Alertmanager's webhook, Grafana Alerting's webhook, a
// small generic JSON shape (GenericAlert) and deploy records
// (DeployRecord). It authenticates, size-limits and decodes each request,
// normalises every alert into one Alert type, groups them in a Batch with
// a dedupe Key, picks the Route the configuration gives it, and hands it to
// a Sink that the bot implements. It knows nothing of Slack or storage.
//
// # Wiring
//
//	h, err := intake.New(intake.Options{Config: cfg.Intake, Sink: bot, Now: clk.Now, Logger: log})
//	mux.Handle(intake.PathPrefix, h)
//
// # Delivery and dedupe
//
// The handler answers only after the Sink returns, and the Sink returns
// only after storing: a 2xx means stored, so Alertmanager's retries never
// double anything. Alertmanager sends a group again on every
// group_interval while it changes (new alerts, resolutions) and after
// repeat_interval; each send carries the same groupKey, hence the same
// Batch.Key. The bot keeps a map Key → incident (or triage message): the
// first firing Batch of a Key declares or triages by its Route, later ones
// are repeats counted on what exists. A 4xx answer is not retried by
// Alertmanager before the next group_interval; a 5xx is retried with
// backoff. See Sink for how errors choose between them.
//
// # Resolution
//
// A resolved alert is an event for the timeline. When every alert of a
// group is resolved (Batch.AllResolved) the bot suggests resolving the
// incident; it never resolves by itself, because an alert going quiet is
// not the people in the war room agreeing that it is over. Alertmanager
// also resolves alerts on its own when their sender stops reporting them
// (resolve_timeout), which says nothing about the service.
//
// # Configuration
//
//	intake:
//	  max_body_bytes: 1048576
//	  signature_tolerance: 5m
//	  hooks:                       # a hook without credentials is off (404)
//	    alertmanager: {token: ""}  # INCIDENTBOT_INTAKE_HOOKS_ALERTMANAGER_TOKEN
//	    grafana: {token: ""}
//	    generic: {token: "", signing_secret: ""}
//	    deploy: {token: "", signing_secret: ""}
//	  triage_channel: "#alerts-triage"
//	  routes:                      # first match wins
//	    - name: page
//	      matchers: ['severity=~"critical|page"', 'env="prod"']
//	      action: declare
//	      severity: critical
//	    - name: grafana-db
//	      sources: [grafana]
//	      matchers: ['team="db"']
//	      action: triage
//	      channel: "#db-alerts"
//	  default_route:
//	    action: triage
package intake
