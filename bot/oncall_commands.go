package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/command"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
)

// onOncallCommand routes /incident oncall: who is on call and the list of
// overrides are answered in the ack; overrides, swaps and removals are
// requests like any other (checked, stored, acknowledged, then done); the
// override form opens a modal. Times are read here, once, in the
// rotation's zone, so that the check and the change agree on them.
func (a *App) onOncallCommand(ctx context.Context, sc slack.SlashCommand, cmd command.Command, keys []string, ack func(any)) {
	args := cmd.Oncall
	switch args.Action {
	case command.OncallStatus:
		ack(a.oncallStatusReply(ctx, args.Rotation))
		return
	case command.OncallOverrides:
		ack(a.overridesReply(ctx, args.Rotation))
		return
	}
	o := op{Actor: sc.UserID, Channel: sc.ChannelID, ResponseURL: sc.ResponseURL, Via: viaCommand, Rotation: args.Rotation}
	switch args.Action {
	case command.OncallRemove:
		o.Kind, o.ID = opRemoveOverride, args.ID
	case command.OncallOverride, command.OncallSwap:
		if args.Form {
			a.openOverrideForm(ctx, sc, ack)
			return
		}
		s, err := a.schedule(ctx, args.Rotation)
		if err != nil {
			ack(ackError(err, ""))
			return
		}
		o.Rotation, o.User, o.UserName, o.Email = s.Rotation.Name, cmd.User, cmd.UserName, args.Email
		o.Kind = opOverride
		if args.Action == command.OncallSwap {
			o.Kind = opSwap
		}
		if o.From, o.To, err = a.oncallTimes(s, args.Action == command.OncallOverride, args.From, args.To); err != nil {
			ack(ackError(err, ""))
			return
		}
	}
	a.accept(ctx, o, keys, ack, ackFor(""))
}

// oncallTimes reads FROM (from now) and TO (from FROM) in the rotation's
// zone. For a swap both are optional: zero means the next turn.
func (a *App) oncallTimes(s oncall.Schedule, required bool, from, to string) (time.Time, time.Time, error) {
	now, loc := a.now(), s.Rotation.Loc()
	var f, t time.Time
	var err error
	if from != "" || required {
		if f, err = oncall.ParseWhen(from, now, loc); err != nil {
			return f, t, err
		}
	}
	if to != "" || required {
		ref := f
		if !required {
			ref = now // a swap's two times are both in the future, from now
		}
		if t, err = oncall.ParseWhen(to, ref, loc); err != nil {
			return f, t, err
		}
	}
	return f.UTC(), t.UTC(), nil
}

// schedule finds a rotation's schedule in the roster.
func (a *App) schedule(ctx context.Context, rotation string) (oncall.Schedule, error) {
	if !a.oc.configured() {
		return oncall.Schedule{}, incident.Errorf(incident.ENOTFOUND, "No on-call rotations are configured; add them under `oncall.rotations` in the config.")
	}
	snap := a.freshSnap(ctx)
	if snap == nil {
		return oncall.Schedule{}, fmt.Errorf("the on-call roster is not loaded")
	}
	return snap.roster.Find(rotation)
}

// rotationZones maps each rotation to its time zone, for rendering.
func (a *App) rotationZones() map[string]*time.Location {
	out := map[string]*time.Location{}
	for _, r := range a.oc.opt.Rotations {
		out[r.Name] = r.Loc()
	}
	return out
}

// oncallStatusReply answers /incident oncall [ROTATION].
func (a *App) oncallStatusReply(ctx context.Context, rotation string) map[string]any {
	if !a.oc.configured() {
		return ackText("No on-call rotations are configured; add them under `oncall.rotations` in the config.")
	}
	snap := a.freshSnap(ctx)
	if snap == nil {
		return ackText("The on-call schedule is not loaded yet; try again in a minute.")
	}
	r := snap.roster
	if rotation != "" {
		s, err := r.Find(rotation)
		if err != nil {
			return ackError(err, "")
		}
		r = oncall.Roster{s}
	}
	return ackBlocks("Who is on call", a.env().OncallStatus(r.Status(a.now()), a.rotationZones(), snap.missing))
}

// overridesReply answers /incident oncall overrides [ROTATION]: those in
// force and to come, and those removed within the last day, for the
// audit.
func (a *App) overridesReply(ctx context.Context, rotation string) map[string]any {
	if rotation != "" {
		if _, err := a.schedule(ctx, rotation); err != nil {
			return ackError(err, "")
		}
	} else if !a.oc.configured() {
		return ackText("No on-call rotations are configured; add them under `oncall.rotations` in the config.")
	}
	snap := a.freshSnap(ctx)
	if snap == nil {
		return ackText("The on-call schedule is not loaded yet; try again in a minute.")
	}
	now := a.now()
	var list []oncall.Override
	for _, o := range snap.overrides {
		if rotation != "" && o.Rotation != rotation {
			continue
		}
		standing := !o.Removed() && o.To.After(now)
		if standing || o.Removed() && now.Sub(o.RemovedAt) < 24*time.Hour {
			list = append(list, o)
		}
	}
	return ackBlocks("On-call overrides", a.env().OncallOverrides(list, a.rotationZones(), rotation))
}

// execOncall runs an on-call request.
func (a *App) execOncall(ctx context.Context, c *call) error {
	o := &c.op
	switch o.Kind {
	case opPageAck:
		return a.AcknowledgePage(ctx, c, o.Incident)
	case opOverride:
		return a.SetOverride(ctx, c, o.Rotation, o.User, o.UserName, o.From, o.To)
	case opSwap:
		return a.SwapTurns(ctx, c, o.Rotation, o.User, o.UserName, o.From, o.To)
	case opRemoveOverride:
		return a.RemoveOverride(ctx, c, o.ID)
	case opHandoffConfirm:
		return a.ConfirmHandoff(ctx, c, o.Rotation, o.From)
	case opHandoffCheck:
		return a.TickHandoffChecklist(ctx, c, o.Rotation, o.From, o.Steps, o.Selected)
	}
	return fmt.Errorf("unknown on-call request %q", o.Kind)
}

// SetOverride puts user (or the person called userName) on call in
// rotation over [from, to), whoever's turn it is. Members of the rotation,
// the person covering and admins may; the override records who set it.
// The person covering and those whose turns it covers are told by DM.
func (a *App) SetOverride(ctx context.Context, c *call, rotation, user, userName string, from, to time.Time) error {
	s, err := a.schedule(ctx, rotation)
	if err != nil {
		return err
	}
	if user, err = a.oncallPerson(ctx, c, user, userName); err != nil || user == "" {
		c.ack = fmt.Sprintf(":bust_in_silhouette: Looking up %s…", views.Escape(cmp.Or(c.Email, "@"+userName)))
		return err
	}
	if !a.mayChangeRotation(s, c.Actor, user) {
		return incident.Errorf(incident.EUNAUTHORIZED, "Only members of %s, the person covering, or an incidentbot admin can set overrides in %s.", s.Rotation.Name, s.Rotation.Name)
	}
	now := a.now()
	o := oncall.Override{Rotation: s.Rotation.Name, User: user, From: from, To: to, CreatedBy: c.Actor, CreatedAt: now}
	if err := s.CheckOverride(o, now); err != nil {
		return err
	}
	loc := s.Rotation.Loc()
	span := fmt.Sprintf("from %s to %s", views.OncallTime(from, now, loc), views.OncallTime(to, now, loc))
	c.ack = fmt.Sprintf(":white_check_mark: %s is on call in *%s* %s.", views.User(user), s.Rotation.Name, span)
	if c.dry {
		return nil
	}
	_, ch, err := a.oc.store.AddOncallOverrides(ctx, from, func(current []oncall.Override) ([]oncall.Override, incident.Change, error) {
		s := s
		s.Overrides = oncall.Effective(current)
		if err := s.CheckOverride(o, now); err != nil {
			return nil, incident.Change{}, err
		}
		var effs []incident.Effect
		if user != c.Actor {
			effs = append(effs, oncallDM(user, fmt.Sprintf(":pager: %s put you on call in *%s* %s.", views.User(c.Actor), s.Rotation.Name, span)))
		}
		for _, u := range displaced(s, from, to, user, c.Actor) {
			effs = append(effs, oncallDM(u, fmt.Sprintf(":arrows_counterclockwise: %s set %s to cover your on-call time in *%s* %s.", views.User(c.Actor), views.User(user), s.Rotation.Name, span)))
		}
		return []oncall.Override{o}, incident.Change{Effects: effs, Request: c.seq}, nil
	})
	return a.oncallWritten(ctx, c, ch, err, "override set", "rotation", s.Rotation.Name, "user_id", user)
}

// oncallPerson resolves and checks the person an on-call command names.
// Unlike a role, an override is not seen at work at once, so a person Slack
// does not know must be refused in the ack, not after it: the check asks
// Slack (cached, Tier 4) even in the dry run, within a second; only when
// Slack does not answer in time is the check left to the request itself.
func (a *App) oncallPerson(ctx context.Context, c *call, user, userName string) (string, error) {
	if c.Email != "" {
		return a.personByEmail(ctx, c, c.Email)
	}
	if !c.dry || user == "" {
		return a.person(ctx, c, user, userName)
	}
	lctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := a.checkPerson(lctx, &call{op: c.op}, user)
	if incident.ErrorCode(err) == incident.EINTERNAL {
		return user, nil
	}
	return user, err
}

// personByEmail finds the person with this email (users.lookupByEmail)
// and checks them. In the dry run a Slack that does not answer within a
// second leaves the lookup to the request itself.
func (a *App) personByEmail(ctx context.Context, c *call, email string) (string, error) {
	lctx := ctx
	if c.dry {
		var cancel context.CancelFunc
		lctx, cancel = context.WithTimeout(ctx, time.Second)
		defer cancel()
	}
	u, err := a.slack.UserByEmail(lctx, email)
	switch {
	case outbound.IsCode(err, "users_not_found"):
		return "", incident.Errorf(incident.EINVALID, "No Slack user has the email %s; mention the person with @ instead.", views.Escape(email))
	case err != nil && c.dry:
		return "", nil // "Looking up…": the request checks again
	case err != nil:
		return "", fmt.Errorf("look up %s: %w", email, err)
	}
	a.users.remember(a.clk.Now(), u)
	return u.ID, a.checkPerson(ctx, c, u.ID)
}

// displaced returns who would have been on call in [from, to) but for an
// override, except the people named in except.
func displaced(s oncall.Schedule, from, to time.Time, except ...string) []string {
	var out []string
	for _, sh := range s.Shifts(from, to) {
		if u := sh.Member.UserID; u != "" && !slices.Contains(except, u) && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// oncallDM is a direct message about on call, belonging to no incident.
func oncallDM(user, text string) incident.Effect {
	return dm(user, payload{Msg: msgBlocks, Blocks: blocksJSON(views.Ephemeral(text)), Text: text})
}

// oncallWritten finishes an on-call change: it queues its effects and
// reloads the roster, so that the next page and command see it.
func (a *App) oncallWritten(ctx context.Context, c *call, ch incident.Change, err error, msg string, attrs ...any) error {
	if err != nil {
		return err
	}
	c.finished = c.seq != 0
	a.outbox.Add(ch.Effects...)
	if err := a.reloadOncall(ctx); err != nil {
		a.log.Error("reload the on-call roster", "err", err)
	}
	a.log.Info(msg, append(attrs, "by", c.Actor)...)
	return nil
}

// SwapTurns trades one turn of the actor's for one of other's in
// rotation: the turn containing mine (zero: the actor's next) for the turn
// containing theirs (zero: other's next). It is stored as two overrides
// that are listed and removed together (see oncall.PlanSwap).
func (a *App) SwapTurns(ctx context.Context, c *call, rotation, other, otherName string, mine, theirs time.Time) error {
	s, err := a.schedule(ctx, rotation)
	if err != nil {
		return err
	}
	if other, err = a.oncallPerson(ctx, c, other, otherName); err != nil || other == "" {
		c.ack = fmt.Sprintf(":bust_in_silhouette: Looking up %s…", views.Escape(cmp.Or(c.Email, "@"+otherName)))
		return err
	}
	now := a.now()
	if mine.IsZero() {
		t, ok := s.NextTurn(c.Actor, now)
		if !ok {
			return incident.Errorf(incident.EINVALID, "You have no turn in %s to trade.", s.Rotation.Name)
		}
		mine = t.Start
	}
	if theirs.IsZero() {
		t, ok := s.NextTurn(other, now)
		if !ok {
			return incident.Errorf(incident.EINVALID, "%s has no turn in %s to trade.", views.User(other), s.Rotation.Name)
		}
		theirs = t.Start
	}
	req := oncall.SwapRequest{Rotation: s.Rotation.Name, A: c.Actor, B: other, AAt: maxT(mine, now), BAt: maxT(theirs, now), CreatedBy: c.Actor}
	pair, err := s.PlanSwap(req, now)
	if err != nil {
		return err
	}
	loc := s.Rotation.Loc()
	span := func(o oncall.Override) string {
		return views.OncallTime(o.From, now, loc) + " → " + views.OncallTime(o.To, now, loc)
	}
	c.ack = fmt.Sprintf(":arrows_counterclockwise: Swapped in *%s*: %s covers your turn %s, and you cover theirs %s.", s.Rotation.Name, views.User(other), span(pair[0]), span(pair[1]))
	if c.dry {
		return nil
	}
	_, ch, err := a.oc.store.AddOncallOverrides(ctx, minT(pair[0].From, pair[1].From), func(current []oncall.Override) ([]oncall.Override, incident.Change, error) {
		s := s
		s.Overrides = oncall.Effective(current)
		pair, err := s.PlanSwap(req, now)
		if err != nil {
			return nil, incident.Change{}, err
		}
		text := fmt.Sprintf(":arrows_counterclockwise: %s swapped on-call turns with you in *%s*: you cover %s, they cover %s.", views.User(c.Actor), s.Rotation.Name, span(pair[0]), span(pair[1]))
		return pair[:], incident.Change{Effects: []incident.Effect{oncallDM(other, text)}, Request: c.seq}, nil
	})
	return a.oncallWritten(ctx, c, ch, err, "turns swapped", "rotation", s.Rotation.Name, "user_id", other)
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// RemoveOverride withdraws override id, and its other half when it is
// part of a swap: one in progress ends now, one to come no longer counts;
// both stay listed as removed, with who removed them. Whoever set it, the
// person covering, members of the rotation and admins may.
func (a *App) RemoveOverride(ctx context.Context, c *call, id int64) error {
	if a.oc.store == nil {
		return incident.Errorf(incident.ENOTFOUND, "No on-call rotations are configured.")
	}
	o, err := a.oc.store.OncallOverride(ctx, id)
	if err != nil {
		return err
	}
	ids := []int64{id}
	if o.Swap != "" {
		if snap := a.freshSnap(ctx); snap != nil {
			for _, x := range snap.overrides {
				if x.Swap == o.Swap && x.ID != id {
					ids = append(ids, x.ID)
				}
			}
		}
	}
	s, _ := a.oc.roster().Find(o.Rotation)
	if c.Actor != o.CreatedBy && !a.mayChangeRotation(s, c.Actor, o.User) {
		return incident.Errorf(incident.EUNAUTHORIZED, "Only %s (who set override #%d), the person covering, members of %s or an incidentbot admin can remove it.", views.User(o.CreatedBy), id, o.Rotation)
	}
	now := a.now()
	remove := func(os []oncall.Override) ([]oncall.Override, error) {
		out := make([]oncall.Override, len(os))
		for i, x := range os {
			r, err := x.Remove(c.Actor, now)
			if err != nil {
				if len(os) > 1 && incident.ErrorCode(err) == incident.ECONFLICT && !x.Removed() {
					r = x // a swap's half that is over stays as it was
				} else {
					return nil, err
				}
			}
			out[i] = r
		}
		return out, nil
	}
	if _, err := remove([]oncall.Override{o}); err != nil {
		return err
	}
	c.ack = fmt.Sprintf(":wastebasket: Override #%d removed.", id)
	if len(ids) > 1 {
		c.ack = fmt.Sprintf(":wastebasket: The swap (overrides #%d and #%d) is removed.", ids[0], ids[1])
	}
	if c.dry {
		return nil
	}
	_, ch, err := a.oc.store.UpdateOncallOverrides(ctx, ids, func(os []oncall.Override) ([]oncall.Override, incident.Change, error) {
		out, err := remove(os)
		if err != nil {
			return nil, incident.Change{}, err
		}
		var effs []incident.Effect
		loc := s.Rotation.Loc()
		// Who is on call once the removal counts: they are told, as they
		// were told when the override took their time.
		after := s
		after.Overrides = oncall.Effective(withOverrides(s.Overrides, out))
		for i, x := range os {
			if x.User != c.Actor {
				effs = append(effs, oncallDM(x.User, fmt.Sprintf(":wastebasket: %s removed override #%d: you no longer cover *%s* from %s to %s.",
					views.User(c.Actor), x.ID, x.Rotation, views.OncallTime(x.From, now, loc), views.OncallTime(x.To, now, loc))))
			}
			if !out[i].Removed() || !x.To.After(now) {
				continue // a swap's half that is over stays as it was
			}
			from := maxT(x.From, now)
			for _, u := range displaced(after, from, x.To, c.Actor, x.User) {
				effs = append(effs, oncallDM(u, fmt.Sprintf(":arrows_counterclockwise: %s removed override #%d: you are on call in *%s* again from %s to %s.",
					views.User(c.Actor), x.ID, x.Rotation, views.OncallTime(from, now, loc), views.OncallTime(x.To, now, loc))))
			}
		}
		return out, incident.Change{Effects: effs, Request: c.seq}, nil
	})
	return a.oncallWritten(ctx, c, ch, err, "override removed", "override", id)
}

// withOverrides returns os with each override of changed (by ID) in place
// of its old version.
func withOverrides(os, changed []oncall.Override) []oncall.Override {
	out := slices.Clone(os)
	for i, o := range out {
		if j := slices.IndexFunc(changed, func(c oncall.Override) bool { return c.ID == o.ID }); j >= 0 {
			out[i] = changed[j]
		}
	}
	return out
}

// openOverrideForm opens the override modal.
func (a *App) openOverrideForm(ctx context.Context, sc slack.SlashCommand, ack func(any)) {
	if !a.oc.configured() {
		ack(ackText("No on-call rotations are configured; add them under `oncall.rotations` in the config."))
		return
	}
	var names []string
	for _, r := range a.oc.opt.Rotations {
		names = append(names, r.Name)
	}
	meta := encodeMeta(formMeta{Channel: sc.ChannelID, ResponseURL: sc.ResponseURL})
	a.openForm(ctx, sc.TriggerID, a.env().OverrideModal(views.OverrideForm{Rotations: names, Rotation: names[0], User: sc.UserID, Metadata: meta}), ack)
}

// onOverrideSubmission reads the override modal: errors show against
// their inputs, and nothing is changed.
func (a *App) onOverrideSubmission(ctx context.Context, cb slack.InteractionCallback, o op, keys []string, ack func(any), onError func(block string) func(c *call, err error) any) {
	s, err := a.schedule(ctx, input(cb, views.InputRotation).SelectedOption.Value)
	if err != nil {
		ack(a.formError(views.InputRotation, err))
		return
	}
	o.Kind, o.Rotation, o.User = opOverride, s.Rotation.Name, input(cb, views.InputUser).SelectedUser
	if o.User == "" {
		ack(fieldErrors(map[string]string{views.InputUser: "Choose who covers."}))
		return
	}
	from, err := oncall.ParseWhen(input(cb, views.InputFrom).Value, a.now(), s.Rotation.Loc())
	if err != nil {
		ack(a.formError(views.InputFrom, err))
		return
	}
	to, err := oncall.ParseWhen(input(cb, views.InputTo).Value, from, s.Rotation.Loc())
	if err != nil {
		ack(a.formError(views.InputTo, err))
		return
	}
	o.From, o.To = from.UTC(), to.UTC()
	a.accept(ctx, o, keys, ack, func(c *call, err error) any {
		switch incident.ErrorCode(err) {
		case "":
			return nil
		case incident.EUNAUTHORIZED:
			return onError(views.InputUser)(c, err)
		}
		if !to.After(from) {
			return onError(views.InputTo)(c, err)
		}
		return onError(views.InputFrom)(c, err)
	})
}
