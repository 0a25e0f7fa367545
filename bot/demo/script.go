package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/bot/views"
)

// play is the story: declare, choose a spokesperson, updates, a note, a
// pinned message, a severity change, an overdue update nudged then
// escalated, root cause and an action item, resolve, close.
func (p *player) play(ctx context.Context, general, announce, alice, bob, carol, lead string) error {
	p.section("The incident, step by step")
	p.say("Alice sees checkout errors and types: /incident declare --sev major Checkout fails for EU customers")
	if err := p.slash(ctx, alice, general, "declare --sev major Checkout fails for EU customers"); err != nil {
		return err
	}
	if err := p.wait(ctx, "the war room", func() bool {
		inc := p.incident(ctx)
		return inc.CardTS != "" && len(inc.Announcements) > 0
	}); err != nil {
		return err
	}
	inc := p.incident(ctx)
	p.say("incidentbot opened #%s, pinned the incident card, announced it in #incidents, and asked Alice (the operator) to choose a spokesperson.", inc.ChannelName)

	var picker slackfake.Message
	if err := p.wait(ctx, "the spokesperson picker", func() bool {
		var ok bool
		picker, ok = p.messageWith(inc.ChannelID, "choose a *spokesperson*")
		return ok
	}); err != nil {
		return err
	}
	p.say("Alice picks Bob as spokesperson in the picker.")
	d, err := p.fake.SelectInMessage(alice, inc.ChannelID, picker.TS, views.ActionPickSpokesperson, bob)
	if err != nil {
		return err
	}
	if _, err := d.Wait(ctx); err != nil {
		return err
	}
	if err := p.wait(ctx, "Bob to become spokesperson", func() bool { return p.incident(ctx).Spokesperson == bob }); err != nil {
		return err
	}

	p.clock.Add(4 * time.Minute)
	p.say("Bob posts the first update: /incident update --next 30m Payments to the EU processor time out; investigating.")
	if err := p.slash(ctx, bob, inc.ChannelID, "update --next 30m Payments to the EU processor time out; about 40% of EU checkouts fail. Investigating."); err != nil {
		return err
	}
	if err := p.wait(ctx, "the first update", p.hasEvent(ctx, incident.EventUpdatePosted, 1)); err != nil {
		return err
	}

	p.clock.Add(3 * time.Minute)
	p.say("Carol joins the war room and writes what she sees; Alice adds it to the timeline with a :pushpin: reaction.")
	if err := p.fake.JoinChannel(carol, inc.ChannelID); err != nil {
		return err
	}
	ts, err := p.fake.PostUserMessage(carol, inc.ChannelID, "Error rate jumped at 10:02, right after deploy #4411 of the payments gateway.")
	if err != nil {
		return err
	}
	if err := p.fake.AddReaction(alice, inc.ChannelID, ts, "pushpin"); err != nil {
		return err
	}
	if err := p.wait(ctx, "the pinned message on the timeline", p.hasEvent(ctx, incident.EventMessagePinned, 1)); err != nil {
		return err
	}

	p.clock.Add(2 * time.Minute)
	p.say("Alice notes what she did: /incident note rolled back payments-gateway to #4410")
	if err := p.slash(ctx, alice, inc.ChannelID, "note rolled back payments-gateway to #4410"); err != nil {
		return err
	}
	if err := p.wait(ctx, "the note", p.hasEvent(ctx, incident.EventNote, 1)); err != nil {
		return err
	}

	p.clock.Add(time.Minute)
	p.say("The rollback does not help and US customers fail too: Alice raises it with /incident sev critical")
	if err := p.slash(ctx, alice, inc.ChannelID, "sev critical"); err != nil {
		return err
	}
	if err := p.wait(ctx, "the severity change", func() bool { _, ok := p.messageWith(announce, "from *major* to *critical*"); return ok }); err != nil {
		return err
	}
	inc = p.incident(ctx)
	p.say("Critical means updates every 15 minutes: the next update is now due at %s.", inc.NextUpdateDue.Format("15:04"))

	p.say("Bob is heads-down and misses it. Time passes…")
	for _, stage := range []struct {
		at   time.Time
		kind incident.EventKind
		what string
	}{
		{inc.NextUpdateDue.Add(-5 * time.Minute), incident.EventReminderHeadsUp, "5 minutes before: a heads-up to Bob in the war room"},
		{inc.NextUpdateDue, incident.EventReminderDue, "at the due time: a nudge mentioning Bob, with Post update and Snooze buttons"},
		{inc.NextUpdateDue.Add(10 * time.Minute), incident.EventEscalated, "10 minutes late: an escalation to Alice and Dana, and a note in #incidents that the update is late"},
	} {
		p.clock.Add(stage.at.Sub(p.clock.Now()))
		if _, err := p.sched.Tick(ctx); err != nil {
			return err
		}
		if err := p.wait(ctx, string(stage.kind), p.hasEvent(ctx, stage.kind, 1)); err != nil {
			return err
		}
		p.say("%s.", stage.what)
	}

	p.clock.Add(2 * time.Minute)
	p.say("Bob posts the late update through the form (/incident update): status identified.")
	if err := p.slash(ctx, bob, inc.ChannelID, "update"); err != nil {
		return err
	}
	var viewID string
	if err := p.wait(ctx, "the update form", func() bool {
		vs := p.fake.OpenViews(bob)
		if len(vs) > 0 {
			viewID = vs[len(vs)-1].ID
		}
		return viewID != ""
	}); err != nil {
		return err
	}
	d, err = p.fake.SubmitView(bob, viewID, map[string]string{
		views.InputStatus: "identified",
		views.InputKnown:  "A certificate on the EU payments processor expired at 10:00; the rollback was a red herring.",
		views.InputDoing:  "Rotating the certificate with the processor's support team.",
		views.InputImpact: "All card payments fail; PayPal still works.",
		views.InputNext:   "15m0s",
	})
	if err != nil {
		return err
	}
	if _, err := d.Wait(ctx); err != nil {
		return err
	}
	if err := p.wait(ctx, "the second update", p.hasEvent(ctx, incident.EventUpdatePosted, 2)); err != nil {
		return err
	}

	p.clock.Add(12 * time.Minute)
	p.say("Alice records the root cause and an action item, then resolves: the certificate is rotated.")
	for _, c := range []string{
		"cause The processor's TLS certificate expired; nobody was alerted because its expiry was not monitored.",
		fmt.Sprintf("task Alert 30 days before any payment certificate expires <@%s>", carol),
		"resolve Certificate rotated at 10:41; payments succeed again.",
	} {
		if err := p.slash(ctx, alice, inc.ChannelID, c); err != nil {
			return err
		}
	}
	if err := p.wait(ctx, "the resolution", p.hasEvent(ctx, incident.EventResolved, 1)); err != nil {
		return err
	}

	p.clock.Add(20 * time.Minute)
	p.say("Alice closes the incident: /incident close. incidentbot drafts the postmortem from the timeline.")
	if err := p.slash(ctx, alice, inc.ChannelID, "close"); err != nil {
		return err
	}
	return p.wait(ctx, "the postmortem upload", func() bool {
		fs := p.fake.Files()
		return len(fs) > 0 && len(fs[0].Channels) > 0
	})
}
