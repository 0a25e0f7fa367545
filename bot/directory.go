package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/clock"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/outbound"
	"github.com/incidentbot/incidentbot/bot/views"
)

// How long what Slack said about people stays true enough.
const (
	userTTL      = time.Hour        // users.info: names and flags rarely change
	directoryTTL = 10 * time.Minute // users.list: Tier 2, pages through everyone
	membersTTL   = 30 * time.Second // conversations.members: who may see a private incident
	maxCached    = 10000            // entries per cache, so memory stays bounded
)

// directory caches Slack's users: names for documents, and the checks
// that a role holder is a person.
type directory struct {
	slack *outbound.Client
	clk   clock.Clock

	mu     sync.Mutex
	users  map[string]cachedUser
	all    []slack.User
	allAt  time.Time
	listMu sync.Mutex // one users.list at a time
}

type cachedUser struct {
	u  *slack.User
	at time.Time
}

func newDirectory(c *outbound.Client, clk clock.Clock) *directory {
	return &directory{slack: c, clk: clk, users: map[string]cachedUser{}}
}

// lookup returns user id. With fetch unset it answers from the cache only
// (nil, nil when it does not know). A user Slack does not know is
// ENOTFOUND.
func (d *directory) lookup(ctx context.Context, id string, fetch bool) (*slack.User, error) {
	now := d.clk.Now()
	d.mu.Lock()
	c, ok := d.users[id]
	d.mu.Unlock()
	if ok && now.Sub(c.at) < userTTL {
		return c.u, nil
	}
	if !fetch {
		return nil, nil
	}
	u, err := d.slack.User(ctx, id)
	if outbound.IsCode(err, "user_not_found") {
		return nil, incident.Errorf(incident.ENOTFOUND, "There is no user <@%s> in this workspace.", id)
	} else if err != nil {
		return nil, fmt.Errorf("look up user %s: %w", id, err)
	}
	d.remember(now, u)
	return u, nil
}

func (d *directory) remember(now time.Time, us ...*slack.User) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.users)+len(us) > maxCached {
		clear(d.users)
	}
	for _, u := range us {
		d.users[u.ID] = cachedUser{u: u, at: now}
	}
}

// name renders a user for documents read outside Slack (the postmortem):
// their display name, else real name, else handle, else the ID. It may ask
// Slack; it never fails.
func (d *directory) name(ctx context.Context, id string) string {
	u, err := d.lookup(ctx, id, true)
	if err != nil || u == nil {
		return id
	}
	// A document reads best with full names: "Alice Archer", not "alice".
	for _, n := range []string{u.RealName, u.Profile.RealName, u.Profile.DisplayName, u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return id
}

// byName finds the user called @name (handle or display name), for
// commands typed without Slack's escaping. The directory is listed at most
// every ten minutes: users.list is Tier 2 and pages through everyone.
func (d *directory) byName(ctx context.Context, name string, fetch bool) (string, error) {
	name = strings.ToLower(strings.TrimPrefix(name, "@"))
	find := func(all []slack.User) string {
		for _, u := range all {
			if !u.Deleted && (strings.ToLower(u.Name) == name || strings.ToLower(u.Profile.DisplayName) == name) {
				return u.ID
			}
		}
		return ""
	}
	d.mu.Lock()
	all, fresh := d.all, d.clk.Now().Sub(d.allAt) < directoryTTL
	d.mu.Unlock()
	if id := find(all); id != "" || (fresh && all != nil) {
		return id, d.notFound(id, name)
	}
	if !fetch {
		return "", nil
	}
	all, err := d.list(ctx)
	if err != nil {
		return "", err
	}
	id := find(all)
	return id, d.notFound(id, name)
}

// list returns everyone, listed at most every ten minutes (users.list is
// Tier 2 and pages through everyone), and remembers each user for
// lookup: a task that names many people (an export) then asks Slack a
// page at a time, not a users.info (Tier 4) per person.
func (d *directory) list(ctx context.Context) ([]slack.User, error) {
	d.listMu.Lock()
	defer d.listMu.Unlock()
	d.mu.Lock()
	all, fresh := d.all, d.clk.Now().Sub(d.allAt) < directoryTTL
	d.mu.Unlock()
	if fresh && all != nil {
		return all, nil
	}
	all, err := d.slack.Users(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	now := d.clk.Now()
	d.mu.Lock()
	d.all, d.allAt = all, now
	d.mu.Unlock()
	if len(all) <= maxCached {
		us := make([]*slack.User, len(all))
		for i := range all {
			us[i] = &all[i]
		}
		d.remember(now, us...)
	}
	return all, nil
}

func (d *directory) notFound(id, name string) error {
	if id != "" {
		return nil
	}
	return incident.Errorf(incident.ENOTFOUND, "There is no user called @%s in this workspace. Mention them with @ so Slack completes the name.", views.Escape(name))
}

// memberCache remembers who is in private war rooms, briefly: it decides
// who may see a private incident from outside its war room.
type memberCache struct {
	slack *outbound.Client
	clk   clock.Clock

	mu       sync.Mutex
	channels map[string]cachedMembers
}

type cachedMembers struct {
	ids []string
	at  time.Time
}

func newMemberCache(c *outbound.Client, clk clock.Clock) *memberCache {
	return &memberCache{slack: c, clk: clk, channels: map[string]cachedMembers{}}
}

// isMember reports whether user is in channel. When Slack cannot say, the
// answer is no: a private incident stays hidden rather than leak.
func (m *memberCache) isMember(ctx context.Context, channel, user string) bool {
	now := m.clk.Now()
	m.mu.Lock()
	c, ok := m.channels[channel]
	m.mu.Unlock()
	if !ok || now.Sub(c.at) >= membersTTL {
		ids, err := m.slack.Members(ctx, channel)
		if err != nil {
			return false
		}
		c = cachedMembers{ids: ids, at: now}
		m.mu.Lock()
		if len(m.channels) >= maxCached {
			clear(m.channels)
		}
		m.channels[channel] = c
		m.mu.Unlock()
	}
	return slices.Contains(c.ids, user)
}

// cachedName is name from the cache only, "" when unknown: for answers
// that cannot wait for Slack.
func (d *directory) cachedName(id string) string {
	d.mu.Lock()
	c, ok := d.users[id]
	d.mu.Unlock()
	if !ok || c.u == nil {
		return ""
	}
	for _, n := range []string{c.u.Profile.DisplayName, c.u.RealName, c.u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}
