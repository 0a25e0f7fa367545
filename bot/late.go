package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// DefaultAckDeadline is Slack's: an envelope not acknowledged within 3 s
// shows the user an error (slack-reference.md, 1.3 "Ack, deadline, retries").
const DefaultAckDeadline = 3 * time.Second

// ackBy is how long after an envelope arrived its ack must be sent: Slack's
// deadline less a sixth (0.5 s of 3 s), for the envelope's way to us,
// which Slack's clock counts and ours does not, and the ack's way back.
func (a *App) ackBy() time.Duration { return a.opt.AckDeadline - a.opt.AckDeadline/6 }

// lateCommand handles a slash command whose request was stored too late
// for its ack to reach Slack in time (ackBy). Slack shows the user an
// error then, and a user who sees an error sends the command again: had this one been
// carried out too, a declaration would open two incidents, a note would
// be written twice. So it is not carried out: its request is closed, in
// the same transaction as a DM telling the user that nothing was done and
// to send it again. It reports whether it did so.
//
// Only slash commands: Slack redelivers a late event (its retry carries
// the same event_id, which dedupe recognises, so the stored request must
// run), and a modal resubmitted after an error carries the same view, so
// it too is recognised; a click sent again is checked against the state
// the first left. A crash between storing the request and closing it
// leaves it to run at the next start, as before.
func (a *App) lateCommand(ctx context.Context, o op, seq uint64) bool {
	at := arrived(ctx)
	if o.Via != viaCommand || at.IsZero() {
		return false
	}
	took := time.Since(at)
	if took < a.ackBy() {
		return false
	}
	a.log.Warn("a command was stored too close to Slack's ack deadline: not carried out, and its sender told to send it again",
		"kind", o.Kind, "user_id", o.Actor, "took", took.Round(time.Millisecond), "deadline", a.opt.AckDeadline)
	where := ""
	if o.Channel != "" {
		where = fmt.Sprintf(" in <#%s>", o.Channel)
	}
	text := fmt.Sprintf(":hourglass: Slack stopped waiting for my answer to your `/incident` command%s: my database took %s to store it, too long for Slack, which gives up after %s and may have shown you an error. *Nothing was done.* Please send the command again.",
		where, took.Round(100*time.Millisecond), a.opt.AckDeadline.Round(100*time.Millisecond))
	ch, err := a.store.Apply(ctx, incident.Change{Request: seq, Effects: []incident.Effect{dm(o.Actor, payload{Msg: msgNotice, Text: text})}})
	if err != nil {
		// The request stays stored: carry it out, as a late command was
		// before.
		a.fail("close a late command", err, "kind", o.Kind)
		return false
	}
	a.outbox.Add(ch.Effects...)
	return true
}
