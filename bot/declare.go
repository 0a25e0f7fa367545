package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/views"
	"github.com/slack-go/slack"
)

func (a *App) openDeclareModal(ctx context.Context, sc slack.SlashCommand, r replier) {
	operator := sc.UserID
	if err := a.openView(ctx, sc.TriggerID, a.env().DeclareModal("", operator, sc.ChannelID)); err != nil {
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
	if err := a.setupWarRoom(ctx, inc); err != nil {
		a.log.Error("set up war room", "incident_id", inc.ID, "err", err)
		r.err(ctx, incident.Errorf(incident.EINTERNAL, "Incident #%d is recorded, but its war room could not be set up: %v. Check the bot's scopes and try `/incident %d timeline`.", inc.ID, err, inc.ID), "")
		return
	}
	inc, _ = a.store.FindIncidentByID(ctx, inc.ID)
	r.text(ctx, fmt.Sprintf(":rotating_light: Incident #%d declared: <#%s>. You are the %s.", inc.ID, inc.ChannelID, roleOf(inc, r.user)))
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

// setupWarRoom creates the channel, then runs every independent Slack call
// concurrently: invites, topic, card, announcements, spokesperson picker
// and role DMs.
func (a *App) setupWarRoom(ctx context.Context, inc *incident.Incident) error {
	var ch *slack.Channel
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		name := ChannelName(a.opt.ChannelPrefix, inc.ID, inc.Title, attempt)
		err = a.withRetry(ctx, func() error {
			var err error
			ch, err = a.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: inc.Private})
			return err
		})
		if !slackErr(err, "name_taken") {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	inc, _, err = a.store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
		i.ChannelID, i.ChannelName = ch.ID, ch.Name
		return []incident.Event{{At: a.now(), Kind: incident.EventChannelCreated, Fields: map[string]string{"channel": ch.ID, "name": ch.Name}}}, nil
	})
	if err != nil {
		return fmt.Errorf("record channel: %w", err)
	}
	env := a.env()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var announcements []incident.Announcement
	var cardTS string
	goDo := func(what string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil {
				a.log.Error("war room setup step", "step", what, "incident_id", inc.ID, "channel_id", ch.ID, "err", err)
			}
		}()
	}
	var invite []string
	for _, u := range []string{inc.DeclaredBy, inc.Operator} {
		if u != "" && u != a.botUserID && !contains(invite, u) {
			invite = append(invite, u)
		}
	}
	if len(invite) > 0 {
		goDo("invite", func() error {
			err := a.withRetry(ctx, func() error {
				_, err := a.api.InviteUsersToConversationContext(ctx, ch.ID, invite...)
				return err
			})
			if slackErr(err, "already_in_channel") {
				return nil
			}
			return err
		})
	}
	goDo("topic", func() error {
		topic := env.Topic(inc)
		err := a.withRetry(ctx, func() error {
			_, err := a.api.SetTopicOfConversationContext(ctx, ch.ID, topic)
			return err
		})
		if err == nil {
			a.mu.Lock()
			a.topics[inc.ID] = topic
			a.mu.Unlock()
		}
		return err
	})
	goDo("card", func() error {
		ts, err := a.post(ctx, ch.ID, env.Card(inc), env.CardText(inc))
		if err != nil {
			return err
		}
		mu.Lock()
		cardTS = ts
		mu.Unlock()
		// The picker follows the card, so the war room reads top-down; it
		// and the pin are independent and go out together.
		goDo("spokesperson picker", func() error {
			_, err := a.post(ctx, ch.ID, env.SpokespersonPicker(inc), "Choose a spokesperson")
			return err
		})
		if err := a.withRetry(ctx, func() error {
			return a.api.AddPinContext(ctx, ch.ID, slack.ItemRef{Channel: ch.ID, Timestamp: ts})
		}); err != nil && !slackErr(err, "already_pinned") {
			return fmt.Errorf("pin card: %w", err)
		}
		return nil
	})
	for _, ann := range a.opt.AnnounceChannels {
		goDo("announce", func() error {
			blocks, text := env.Announcement(inc, ch.ID)
			ts, err := a.post(ctx, ann, blocks, text)
			if err != nil {
				return err
			}
			mu.Lock()
			announcements = append(announcements, incident.Announcement{ChannelID: ann, TS: ts})
			mu.Unlock()
			return nil
		})
	}
	if inc.Operator != "" && inc.Operator != a.botUserID {
		goDo("operator DM", func() error {
			_, err := a.post(ctx, inc.Operator, views.Ephemeral(env.RoleDM(inc, incident.RoleOperator)), "You are the operator of incident #"+strconv.FormatInt(inc.ID, 10))
			return err
		})
	}
	wg.Wait()
	_, _, err = a.store.UpdateIncident(ctx, inc.ID, func(i *incident.Incident) ([]incident.Event, error) {
		i.CardTS = cardTS
		i.Announcements = append(i.Announcements, announcements...)
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("record card: %w", err)
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
