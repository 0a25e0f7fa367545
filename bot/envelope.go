package bot

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// acker acknowledges one envelope, once.
type acker struct {
	once sync.Once
	sm   *socketmode.Client
	req  *socketmode.Request
	a    *App
	// start is when the envelope arrived, for the ack latency metric.
	start time.Time
}

func (k *acker) ack(payload any) {
	k.once.Do(func() {
		if k.req == nil || k.req.EnvelopeID == "" {
			return
		}
		var err error
		if payload == nil {
			err = k.sm.Ack(*k.req)
		} else {
			err = k.sm.Ack(*k.req, payload)
		}
		if err != nil {
			k.a.log.Error("ack envelope", "envelope_id", k.req.EnvelopeID, "err", err)
		} else if !k.start.IsZero() {
			k.a.observeAck(k.start)
			k.a.log.Debug("envelope acked", "envelope_id", k.req.EnvelopeID, "took", time.Since(k.start).Round(time.Microsecond))
		}
	})
}

// dispatch routes one Socket Mode event. Connection events change the
// readiness; envelopes are handled each in its own goroutine (slack-go's
// reader must never wait on one), which acks them whatever happens.
func (a *App) dispatch(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.log.Info("connected to Slack over Socket Mode")
		a.setReady(true)
		a.connOnce.Do(func() { close(a.connected) })
		return
	case socketmode.EventTypeConnecting:
		a.setReady(false)
		a.log.Debug("connecting to Slack")
		return
	case socketmode.EventTypeConnectionError:
		a.setReady(false)
		a.log.Warn("cannot reach Slack over Socket Mode; retrying", "err", evt.Data)
		return
	case socketmode.EventTypeDisconnect:
		a.setReady(false)
		return
	case socketmode.EventTypeHello:
		return
	case socketmode.EventTypeErrorBadMessage:
		// An event slack-go cannot parse still has an envelope that must be
		// acked, or Slack redelivers it for ever.
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
				k := &acker{sm: sm, req: &socketmode.Request{EnvelopeID: env.EnvelopeID}, a: a}
				k.ack(nil)
			}
		}
		return
	case socketmode.EventTypeIncomingError, socketmode.EventTypeInvalidAuth:
		a.log.Warn("Socket Mode error", "type", evt.Type, "err", evt.Data)
		return
	}
	if evt.Request == nil {
		return
	}
	k := &acker{sm: sm, req: evt.Request, a: a, start: time.Now()}
	a.log.Debug("envelope received", "envelope_id", evt.Request.EnvelopeID, "type", evt.Type)
	ctx = context.WithValue(ctx, arrivedKey{}, k.start)
	a.work.Add(1)
	a.active.Add(1)
	go func() {
		defer a.work.Done()
		defer a.active.Add(-1)
		defer k.ack(nil) // whatever happens, the envelope is acked
		defer func() {
			if r := recover(); r != nil {
				a.log.Error("handler panicked", "type", evt.Type, "panic", r)
			}
		}()
		env := envelopeKey(evt.Request.EnvelopeID)
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			if cmd, ok := evt.Data.(slack.SlashCommand); ok {
				a.onSlash(ctx, cmd, env, k.ack)
			}
		case socketmode.EventTypeInteractive:
			if cb, ok := evt.Data.(slack.InteractionCallback); ok {
				a.onInteraction(ctx, cb, env, k.ack)
			}
		case socketmode.EventTypeEventsAPI:
			if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
				a.onEvent(ctx, ev, env, k.ack)
			}
		}
	}()
}

// arrivedKey keys, in a handler's context, when its envelope arrived.
type arrivedKey struct{}

// arrived returns when the envelope being handled arrived, or the zero
// time outside one.
func arrived(ctx context.Context) time.Time {
	t, _ := ctx.Value(arrivedKey{}).(time.Time)
	return t
}

// envelopeKey is the deduplication key of an envelope: Slack may deliver
// one twice (bolt-js#2487), whatever its type.
func envelopeKey(id string) string {
	if id == "" {
		return ""
	}
	return "env:" + id
}
