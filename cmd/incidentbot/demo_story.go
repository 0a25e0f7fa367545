package main

import (
	"context"
	"fmt"

	"github.com/incidentbot/incidentbot/bot/views"
)

// play is the story: declare, choose a spokesperson, updates, a pinned
// message, a severity change, an overdue update nudged, snoozed and
// escalated, a handoff with its brief, root cause and an action item,
// resolve, close and the postmortem; then a private incident, an incident
// declared by mistake and cancelled, and the next morning's digest.
func (p *player) play(ctx context.Context) error {
	sb := p.sb
	alice, bob, carol, dana := sb.Alice, sb.Bob, sb.Carol, sb.Dana
	p.section("The incident, step by step")

	p.say("Alice sees checkout errors and types: /incident declare --sev major Checkout fails for EU customers")
	if err := p.slash(ctx, alice, sb.General, "declare --sev major Checkout fails for EU customers"); err != nil {
		return err
	}
	inc, err := p.declared(ctx)
	if err != nil {
		return err
	}
	room := inc.ChannelID
	p.say("incidentbot opened #%s, pinned the incident card, announced it in #incidents, and asked Alice (the operator) to choose a spokesperson.", inc.ChannelName)

	picker, err := p.message(room, "choose a *spokesperson*")
	if err != nil {
		return err
	}
	p.say("Alice picks Bob as spokesperson in the picker.")
	d, err := sb.Fake.SelectInMessage(alice, room, picker.TS, views.ActionPickSpokesperson, bob)
	if err := p.wait(ctx, d, err); err != nil {
		return err
	}

	p.at("10:07")
	p.say("Bob posts the first update: /incident update --next 30m Payments to the EU processor time out; investigating.")
	if err := p.slash(ctx, bob, room, "update --next 30m Payments to the EU processor time out; about 40% of EU checkouts fail. Investigating."); err != nil {
		return err
	}

	p.at("10:10")
	p.say("Carol joins the war room and writes what she sees; Alice adds it to the timeline with a :pushpin: reaction.")
	if err := sb.Fake.JoinChannel(carol, room); err != nil {
		return err
	}
	ts, err := sb.Fake.PostUserMessage(carol, room, "Error rate jumped at 10:02, right after deploy #4411 of the payments gateway.")
	if err != nil {
		return err
	}
	if err := sb.Fake.AddReaction(alice, room, ts, "pushpin"); err != nil {
		return err
	}
	if err := p.settle(ctx); err != nil {
		return err
	}

	p.at("10:12")
	p.say("Alice notes what she did: /incident note rolled back payments-gateway to #4410")
	if err := p.slash(ctx, alice, room, "note rolled back payments-gateway to #4410"); err != nil {
		return err
	}

	p.at("10:13")
	p.say("The rollback does not help and US customers fail too: Alice raises it with /incident sev critical")
	if err := p.slash(ctx, alice, room, "sev critical"); err != nil {
		return err
	}
	if err := p.refresh(ctx); err != nil {
		return err
	}
	p.say("Critical means updates every 15 minutes: the next update is now due at %s.", p.story[0].NextUpdateDue.Format("15:04"))

	p.say("Bob is heads-down and misses it. Time passes…")
	for _, stage := range []struct{ at, what string }{
		{"10:23", "5 minutes before: a heads-up to Bob in the war room."},
		{"10:28", "At the due time: a nudge mentioning Bob, with Post update and Snooze buttons."},
	} {
		p.at(stage.at)
		if _, err := sb.Tick(ctx); err != nil {
			return err
		}
		p.say("%s", stage.what)
	}
	nudge, err := p.message(room, "is due now")
	if err != nil {
		return err
	}
	p.at("10:29")
	p.say("Bob clicks Snooze on the nudge: the update is now due at 10:39.")
	d, err = sb.Fake.ClickButton(bob, room, nudge.TS, views.ActionSnooze)
	if err := p.wait(ctx, d, err); err != nil {
		return err
	}
	for _, stage := range []struct{ at, what string }{
		{"10:39", "At the new due time: another nudge."},
		{"10:49", "10 minutes late: an escalation to Alice and Dana, and a note in #incidents that the update is late."},
	} {
		p.at(stage.at)
		if _, err := sb.Tick(ctx); err != nil {
			return err
		}
		p.say("%s", stage.what)
	}

	p.at("10:51")
	p.say("Bob posts the late update through the form (/incident update): status identified.")
	if err := p.slash(ctx, bob, room, "update"); err != nil {
		return err
	}
	form, err := p.topView(bob)
	if err != nil {
		return err
	}
	d, err = sb.Fake.SubmitView(bob, form.ID, map[string]string{
		views.InputStatus: "identified",
		views.InputKnown:  "A certificate on the EU payments processor expired at 10:00; the rollback was a red herring.",
		views.InputDoing:  "Rotating the certificate with the processor's support team.",
		views.InputImpact: "All card payments fail; PayPal still works.",
		views.InputNext:   "15m0s",
	})
	if err := p.wait(ctx, d, err); err != nil {
		return err
	}

	p.at("10:53")
	p.say("Bob's shift ends: he hands the spokesperson role to Carol with a brief (/incident role spokesperson @carol); Carol accepts.")
	if err := p.slash(ctx, bob, room, fmt.Sprintf("role spokesperson <@%s|carol>", carol)); err != nil {
		return err
	}
	if form, err = p.topView(bob); err != nil {
		return err
	}
	d, err = sb.Fake.SubmitView(bob, form.ID, map[string]string{
		views.InputState:    "Certificate identified; the processor's support is rotating it.",
		views.InputInFlight: "Support ticket with the processor; they promised news by 11:00.",
		views.InputWatch:    "The 11:06 update is promised in #incidents.",
	})
	if err := p.wait(ctx, d, err); err != nil {
		return err
	}
	offer, err := p.message(room, "offers the spokesperson role")
	if err != nil {
		return err
	}
	d, err = sb.Fake.ClickButton(carol, room, offer.TS, views.ActionAcceptHandoff)
	if err := p.wait(ctx, d, err); err != nil {
		return err
	}

	p.at("10:55")
	p.say("Alice records the root cause and an action item, then resolves: the certificate is rotated.")
	for _, c := range []string{
		"cause The processor's TLS certificate expired; nobody was alerted because its expiry was not monitored.",
		fmt.Sprintf("task Alert 30 days before any payment certificate expires <@%s|carol>", carol),
		"resolve Certificate rotated at 10:54; payments succeed again.",
	} {
		if err := p.slash(ctx, alice, room, c); err != nil {
			return err
		}
	}

	p.at("11:15")
	p.say("Alice closes the incident: /incident close. incidentbot drafts the postmortem from the timeline.")
	if err := p.slash(ctx, alice, room, "close"); err != nil {
		return err
	}

	p.at("11:20")
	p.say("Dana declares a security incident: /incident declare --private Suspicious logins on the admin console. Its war room is private, and #incidents learns only that a private incident exists.")
	if err := p.slash(ctx, dana, sb.General, "declare --private --sev critical Suspicious logins on the admin console"); err != nil {
		return err
	}
	if _, err := p.declared(ctx); err != nil {
		return err
	}

	p.at("11:22")
	p.say("Carol tries the bot with /incident declare test please ignore, then undoes it with /incident cancel trying the bot out.")
	if err := p.slash(ctx, carol, sb.General, "declare test please ignore"); err != nil {
		return err
	}
	test, err := p.declared(ctx)
	if err != nil {
		return err
	}
	if err := p.slash(ctx, carol, test.ChannelID, "cancel trying the bot out"); err != nil {
		return err
	}

	p.at("09:00")
	p.say("The next morning, the daily digest in #incidents lists what is still open: only the private incident, without its details.")
	if err := sb.App.Digest(ctx, sb.Announce, true); err != nil {
		return err
	}
	if err := p.settle(ctx); err != nil {
		return err
	}
	return p.refresh(ctx)
}
