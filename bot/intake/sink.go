package intake

import (
	"context"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Sink receives what the hooks accept. The bot implements it: it stores the
// alerts (and the incident or triage message they lead to) and the deploys.
//
// The contract:
//
//   - The handler answers the sender only after the Sink returns, so
//     return only once what was received is durably stored (the outbox
//     carries the Slack work). A sender that gets 2xx never sends the same
//     notification again; one that gets no answer, or 5xx, sends it again.
//   - Calls are idempotent by Batch.Key (and Deploy.Key): Alertmanager
//     re-sends a whole group on every group_interval while anything in it
//     changes, and on retries. One Key opens at most one incident or one
//     triage message; later batches with the same Key update it (count the
//     repeat, add new alerts to the timeline).
//   - A resolved alert is an event: record it in the timeline and, when
//     Batch.AllResolved, suggest resolving. Never resolve by itself.
//   - Errors choose the answer. An *incident.Error with a code other than
//     EINTERNAL means the request can never succeed as sent: the handler
//     answers 422 with its Message, and Alertmanager does not retry it
//     before the next group_interval. Any other error is transient (a full
//     disk, a closed store, a cancelled context): the handler logs it and
//     answers 503, and Alertmanager retries with backoff.
//   - Methods may be called concurrently; ctx is the request's and is
//     cancelled if the sender hangs up.
type Sink interface {
	// Alerts stores one alert group and acts on it by b.Route.
	Alerts(ctx context.Context, b Batch) (Result, error)
	// Deploy records a deployment; a repeated Key is the same deployment.
	Deploy(ctx context.Context, d Deploy) error
}

// Outcome says what the bot did with a Batch. The handler echoes it to the
// sender and passes it to Options.Observe (a metric label): keep to the
// constants below.
type Outcome string

// Outcomes of Sink.Alerts.
const (
	OutcomeDeclared Outcome = "declared" // a new incident was declared
	OutcomeTriaged  Outcome = "triaged"  // a new triage message was posted
	OutcomeRepeat   Outcome = "repeat"   // the group was known: counted on its incident or message
	OutcomeResolved Outcome = "resolved" // resolved alerts recorded; resolving suggested
	OutcomeIgnored  Outcome = "ignored"  // the group was dismissed, or its incident closed
)

// Outcomes the handler reports to Options.Observe for requests it refuses
// before (or after) the Sink.
const (
	OutcomeRecorded     Outcome = "recorded"     // a deploy was recorded
	OutcomeUnauthorized Outcome = "unauthorized" // 401
	OutcomeInvalid      Outcome = "invalid"      // 400, 404, 405, 413, 415, 422
	OutcomeFailed       Outcome = "failed"       // 503: the Sink failed transiently
)

// Result is what Sink.Alerts did.
type Result struct {
	Outcome Outcome
	// Ref names what the batch landed on, for the sender's log, e.g.
	// "incident 42" or a triage message permalink. Optional.
	Ref string
}

// Deploy is one deployment record: the domain's, so that the bot stores
// what the hook parsed as it is.
type Deploy = incident.Deploy

// Observation is one request's fate, for metrics (Options.Observe).
type Observation struct {
	Hook    string // HookAlertmanager, ...; "" for an unknown path
	Code    int    // the HTTP status answered
	Outcome Outcome
	Alerts  int // alerts in the accepted batch; 0 otherwise
}
