package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

// openDeclareModal opens the declare form, keeping any flags typed with
// the command: `/incident declare --private` must not open a public form.
func (a *App) openDeclareModal(ctx context.Context, sc slack.SlashCommand, r replier, severity string, private bool) {
	if severity != "" {
		if _, err := a.policy.Severity(severity); err != nil {
			r.err(ctx, err, "")
			return
		}
	}
	form := views.DeclareForm{Severity: severity, Private: private, Operator: sc.UserID, Metadata: sc.ChannelID}
	if err := a.openView(ctx, sc.TriggerID, a.env().DeclareModal(form)); err != nil {
		r.err(ctx, err, "")
	}
}

// openView opens a modal, turning Slack's trigger errors into advice.
func (a *App) openView(ctx context.Context, triggerID string, v slack.ModalViewRequest) error {
	_, err := a.api.OpenViewContext(ctx, triggerID, v)
	switch {
	case err == nil:
		return nil
	case slackErr(err, "expired_trigger_id"), slackErr(err, "exchanged_trigger_id"), slackErr(err, "invalid_trigger_id"):
		return incident.Errorf(incident.ECONFLICT, "Slack took too long to open the form. Please try again.")
	}
	return fmt.Errorf("open modal %s: %w", v.CallbackID, err)
}

// declare records a new incident and opens its war room. The incident
// exists (with its number) before any Slack call, so a Slack failure
// delays the war room but never loses the declaration.
func (a *App) declare(ctx context.Context, r replier, req incident.DeclareRequest) {
	inc, evs, err := incident.Declare(a.policy, req, a.now())
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	if err := a.store.CreateIncident(ctx, inc, evs); err != nil {
		r.err(ctx, err, "")
		return
	}
	a.log.Info("incident declared", "incident_id", inc.ID, "severity", inc.Severity, "private", inc.Private)
	if _, err := a.setupWarRoom(ctx, inc.ID); err != nil {
		a.log.Error("set up war room; will retry", "incident_id", inc.ID, "err", err)
	}
	got, err := a.store.FindIncidentByID(ctx, inc.ID)
	if err != nil {
		r.err(ctx, err, "")
		return
	}
	if got.ChannelID == "" {
		r.text(ctx, fmt.Sprintf(":warning: Incident #%d is recorded, but Slack would not create its war room yet. incidentbot keeps trying and will tell you when it is ready; meanwhile `/incident %d …` commands work from any channel.", got.ID, got.ID))
		return
	}
	r.text(ctx, fmt.Sprintf(":rotating_light: Incident #%d declared: <#%s>. You are the %s.", got.ID, got.ChannelID, roleOf(got, r.user)))
}

func roleOf(inc *incident.Incident, user string) string {
	switch user {
	case inc.Operator:
		return "operator"
	case inc.Spokesperson:
		return "spokesperson"
	}
	return "declarer; the operator is <@" + inc.Operator + ">"
}

// ChannelName builds a war-room name within Slack's rules:
// prefix-number-slug, lowercase, at most 80 characters.
func ChannelName(prefix string, id int64, title string, attempt int) string {
	base := prefix + "-" + strconv.FormatInt(id, 10)
	suffix := ""
	if attempt > 0 {
		suffix = "-" + strconv.Itoa(attempt+1)
	}
	slug := postmortem.Slug(views.Plain(title))
	if slug == "incident" || slug == "" {
		return base + suffix
	}
	room := 80 - len(base) - 1 - len(suffix)
	if len(slug) > room {
		slug = strings.TrimRight(slug[:room], "-_")
	}
	if slug == "" {
		return base + suffix
	}
	return base + "-" + slug + suffix
}

// setupWarRoom brings an incident's war room into being, and finishes one
// that an earlier attempt left half done (Slack down, the bot restarted):
// each step is recorded as soon as it lands and skipped when already done.
// After the channel exists, every independent call runs concurrently:
// invites, topic, card (then pin and spokesperson picker), announcements
// and the operator's DM. It reports whether the channel was created now.
func (a *App) setupWarRoom(ctx context.Context, id int64) (created bool, err error) {
	m := a.setupMus.get(id)
	m.Lock()
	defer m.Unlock()
	inc, err := a.store.FindIncidentByID(ctx, id)
	if err != nil {
		return false, err
	}
	if inc.ChannelID == "" {
		if inc, err = a.createWarRoom(ctx, inc); err != nil {
			return false, err
		}
		created = true
	}
	env := a.env()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	goDo := func(what string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", what, err))
				mu.Unlock()
			}
		}()
	}
	// record saves a step's outcome at once, so that what happens meanwhile
	// (a spokesperson chosen, an update posted) sees it.
	record := func(fn func(i *incident.Incident)) error {
		_, _, err := a.store.UpdateIncident(ctx, id, func(i *incident.Incident) ([]incident.Event, error) {
			fn(i)
			return nil, nil
		})
		return err
	}
	ch := inc.ChannelID
	if created {
		for _, u := range slices.Compact([]string{inc.DeclaredBy, inc.Operator}) {
			if u != "" && u != a.botUserID {
				goDo("invite", func() error { return a.invite(ctx, ch, u) })
			}
		}
		if inc.Operator != "" && inc.Operator != a.botUserID {
			goDo("operator DM", func() error {
				_, err := a.post(ctx, inc.Operator, views.Ephemeral(env.RoleDM(inc, incident.RoleOperator)), "You are the operator of incident #"+strconv.FormatInt(inc.ID, 10))
				return err
			})
		}
	}
	goDo("topic", func() error {
		topic := env.Topic(inc)
		err := a.withRetry(ctx, func() error {
			_, err := a.api.SetTopicOfConversationContext(ctx, ch, topic)
			return err
		})
		if err == nil {
			a.mu.Lock()
			a.topics[id] = topic
			a.mu.Unlock()
		}
		return err
	})
	if inc.CardTS == "" {
		goDo("card", func() error {
			ts, err := a.post(ctx, ch, env.Card(inc), env.CardText(inc))
			if err != nil {
				return err
			}
			if err := record(func(i *incident.Incident) { i.CardTS = ts }); err != nil {
				return err
			}
			// The picker follows the card, so the war room reads top-down;
			// it and the pin are independent and go out together.
			goDo("spokesperson picker", func() error {
				_, err := a.post(ctx, ch, env.SpokespersonPicker(inc), "Choose a spokesperson")
				return err
			})
			err = a.withRetry(ctx, func() error {
				return a.api.AddPinContext(ctx, ch, slack.ItemRef{Channel: ch, Timestamp: ts})
			})
			if err != nil && !slackErr(err, "already_pinned") {
				return fmt.Errorf("pin card: %w", err)
			}
			return nil
		})
	}
	for _, ann := range a.opt.AnnounceChannels {
		if slices.ContainsFunc(inc.Announcements, func(x incident.Announcement) bool { return x.ChannelID == ann }) {
			continue
		}
		goDo("announce", func() error {
			blocks, text := env.Announcement(inc, ch)
			ts, err := a.post(ctx, ann, blocks, text)
			if err != nil {
				return err
			}
			return record(func(i *incident.Incident) {
				i.Announcements = append(i.Announcements, incident.Announcement{ChannelID: ann, TS: ts})
			})
		})
	}
	wg.Wait()
	// If the incident changed while the war room was being built (a
	// spokesperson chosen, an update posted), the card and topic catch up.
	if now, err := a.store.FindIncidentByID(ctx, id); err == nil && !now.UpdatedAt.Equal(inc.UpdatedAt) {
		a.refresh(ctx, id)
	}
	return created, errors.Join(errs...)
}

// createWarRoom creates the incident's channel under a free name and
// records it.
func (a *App) createWarRoom(ctx context.Context, inc *incident.Incident) (*incident.Incident, error) {
	var ch *slack.Channel
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		name := ChannelName(a.opt.ChannelPrefix, inc.ID, inc.Title, attempt)
		// Only rate limits are retried here: after a timeout or a 5xx the
		// channel may exist, and a blind retry would orphan it under a
		// suffixed name. Resuming the setup later starts afresh.
		err = a.withRetryIf(ctx, rateLimited, func() error {
			var err error
			ch, err = a.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: inc.Private})
			return err
		})
		if !slackErr(err, "name_taken") {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create channel: %w", err)
	}
	inc, _, err = a.store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
		i.ChannelID, i.ChannelName = ch.ID, ch.Name
		return []incident.Event{{At: a.now(), Kind: incident.EventChannelCreated, Fields: map[string]string{"channel": ch.ID, "name": ch.Name}}}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("record channel %s: %w", ch.ID, err)
	}
	return inc, nil
}

// invite adds user to channel; one call per user, so that one person who
// cannot be invited does not keep the others out.
func (a *App) invite(ctx context.Context, channel, user string) error {
	err := a.withRetry(ctx, func() error {
		_, err := a.api.InviteUsersToConversationContext(ctx, channel, user)
		return err
	})
	if slackErr(err, "already_in_channel") {
		return nil
	}
	return err
}

// ResumeWarRooms finishes the war rooms of open incidents that an earlier
// attempt left half done. The bot runs it at start and periodically.
func (a *App) ResumeWarRooms(ctx context.Context) {
	incs, err := a.store.FindIncidents(ctx, incident.Filter{OpenOnly: true})
	if err != nil {
		a.fail("list open incidents to resume", err)
		return
	}
	for _, inc := range incs {
		if !inc.Status.Open() || !a.setupPending(inc) {
			continue
		}
		created, err := a.setupWarRoom(ctx, inc.ID)
		if err != nil {
			a.log.Warn("war room still incomplete; will retry", "incident_id", inc.ID, "err", err)
			continue
		}
		a.log.Info("war room setup resumed", "incident_id", inc.ID, "channel_created", created)
		if created && inc.DeclaredBy != "" {
			inc, _ = a.store.FindIncidentByID(ctx, inc.ID)
			if inc != nil {
				if _, err := a.post(ctx, inc.DeclaredBy, views.Ephemeral(fmt.Sprintf(":rotating_light: The war room of incident #%d is ready: <#%s>.", inc.ID, inc.ChannelID)), "War room ready"); err != nil {
					a.log.Warn("tell the declarer", "incident_id", inc.ID, "err", err)
				}
			}
		}
	}
}

// setupPending reports whether an incident's war room is missing a part.
func (a *App) setupPending(inc *incident.Incident) bool {
	if inc.ChannelID == "" || inc.CardTS == "" {
		return true
	}
	for _, ann := range a.opt.AnnounceChannels {
		if !slices.ContainsFunc(inc.Announcements, func(x incident.Announcement) bool { return x.ChannelID == ann }) {
			return true
		}
	}
	return false
}
