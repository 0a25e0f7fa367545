// Package publish feeds the status page (bot/statuspage) and the internal
// reports site (bot/reports) from the store. It is the one place that
// decides what leaves the war room:
//
//   - the status page gets public incidents only (incident.Public: not
//     private, not a drill, not cancelled), and of those only the title,
//     severity, status, times, the updates published to the status page
//     and the customer summary;
//   - the reports site gets the postmortems of closed incidents that are
//     neither private nor drills, with their timeline for the replay.
//
// Both sources read the store only when its Version has changed since
// their last read, and then decode the timeline only of incidents whose
// Rev changed, so a status page under load costs an atomic read per
// request.
package publish

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/statuspage"
)

// Store is what the sources read; *store.DB implements it.
type Store interface {
	Version() uint64
	FindIncidentByID(ctx context.Context, id int64) (*incident.Incident, error)
	FindIncidentsPage(ctx context.Context, f incident.Filter, before int64) ([]*incident.Incident, int64, error)
	Events(ctx context.Context, id int64) ([]incident.Event, error)
}

// StatusOptions configure a StatusSource.
type StatusOptions struct {
	Store Store
	// Name is what the page is about ("Acme").
	Name string
	// Severities are the severity names, most severe first.
	Severities []string
	// Days is how far back resolved incidents are read (the page's
	// window); statuspage.DefaultDays when 0.
	Days int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// StatusSource is a statuspage.Source over the store. Its version changes
// only when what the page shows changes: a write to the store that
// touches nothing public (a reminder, a card refresh, a note) leaves it,
// so the page is not rendered again.
type StatusSource struct {
	o StatusOptions

	storeVersion atomic.Uint64 // the store's version the snapshot was read at, +1 (0: never read)
	version      atomic.Uint64

	mu    sync.Mutex // serialises reads of the store
	snap  statuspage.Snapshot
	sum   [32]byte
	cache map[int64]cachedPublic
}

type cachedPublic struct {
	rev uint64
	pub statuspage.PublicIncident
	ok  bool // whether the incident is public
}

var _ statuspage.Source = (*StatusSource)(nil)

// NewStatusSource returns a source over o.Store.
func NewStatusSource(o StatusOptions) *StatusSource {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Days <= 0 {
		o.Days = statuspage.DefaultDays
	}
	return &StatusSource{o: o, cache: map[int64]cachedPublic{}}
}

// Version implements statuspage.Source: an atomic read while the store is
// unchanged; otherwise it reads the store to see whether the public data
// changed.
func (s *StatusSource) Version(ctx context.Context) (uint64, error) {
	if s.storeVersion.Load() == s.o.Store.Version()+1 {
		return s.version.Load(), nil
	}
	_, v, err := s.Snapshot(ctx)
	return v, err
}

// Snapshot implements statuspage.Source.
func (s *StatusSource) Snapshot(ctx context.Context) (statuspage.Snapshot, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Read the version before the data: a write meanwhile leaves the
	// recorded version behind, so the next call reads again.
	sv := s.o.Store.Version()
	if s.storeVersion.Load() == sv+1 {
		return s.snap, s.version.Load(), nil
	}
	snap, err := s.read(ctx)
	if err != nil {
		return statuspage.Snapshot{}, 0, err
	}
	sum := snapshotSum(snap)
	if s.version.Load() == 0 || sum != s.sum {
		snap.Updated = s.o.Now().UTC().Truncate(time.Second)
		s.snap, s.sum = snap, sum
		s.version.Add(1)
	}
	s.storeVersion.Store(sv + 1)
	return s.snap, s.version.Load(), nil
}

// snapshotSum identifies the public content of a snapshot (its Updated
// time aside).
func snapshotSum(s statuspage.Snapshot) [32]byte {
	s.Updated = time.Time{}
	data, _ := json.Marshal(s) // plain data: cannot fail
	return sha256.Sum256(data)
}

// margin widens the window read back: an incident declared before the
// window but resolved inside it is shown.
const margin = 30 * 24 * time.Hour

// read builds the snapshot: every public incident still open, and those
// resolved in the window. It pages through the incidents newest first
// and stops at the first one declared before the window (and its
// margin); open incidents come from the open index, whatever their age.
func (s *StatusSource) read(ctx context.Context) (statuspage.Snapshot, error) {
	snap := statuspage.Snapshot{Name: s.o.Name, Severities: s.o.Severities}
	cutoff := s.o.Now().Add(-time.Duration(s.o.Days)*24*time.Hour - margin)
	seen := map[int64]bool{}
	add := func(inc *incident.Incident) error {
		if seen[inc.ID] {
			return nil
		}
		seen[inc.ID] = true
		pub, ok, err := s.public(ctx, inc)
		if err != nil || !ok {
			return err
		}
		if inc.Status.Open() {
			snap.Current = append(snap.Current, pub)
		} else {
			snap.Recent = append(snap.Recent, pub)
		}
		return nil
	}
	if err := eachIncident(ctx, s.o.Store, incident.Filter{OpenOnly: true}, func(inc *incident.Incident) (bool, error) {
		return true, add(inc)
	}); err != nil {
		return snap, err
	}
	err := eachIncident(ctx, s.o.Store, incident.Filter{}, func(inc *incident.Incident) (bool, error) {
		if inc.DeclaredAt.Before(cutoff) {
			return false, nil
		}
		return true, add(inc)
	})
	return snap, err
}

// public returns what the page may show of inc, from the cache while its
// Rev is unchanged.
func (s *StatusSource) public(ctx context.Context, inc *incident.Incident) (statuspage.PublicIncident, bool, error) {
	if c, ok := s.cache[inc.ID]; ok && c.rev == inc.Rev {
		return c.pub, c.ok, nil
	}
	pub, ok, err := PublicIncident(ctx, s.o.Store, inc)
	if err != nil {
		return pub, false, err
	}
	s.cache[inc.ID] = cachedPublic{rev: inc.Rev, pub: pub, ok: ok}
	return pub, ok, nil
}

// PublicIncident returns what the status page may show of inc, and false
// when nothing may be shown (incident.Public). Texts are made plain:
// Slack's entities decoded, mentions of people replaced by "a team
// member", so no user ID reaches a visitor.
func PublicIncident(ctx context.Context, st Store, inc *incident.Incident) (statuspage.PublicIncident, bool, error) {
	if !inc.Public() || (inc.Status.Ended() && inc.ResolvedAt.IsZero()) {
		return statuspage.PublicIncident{}, false, nil
	}
	pub := statuspage.PublicIncident{
		ID: inc.ID, Title: PlainText(inc.Title), Severity: inc.Severity, Status: string(inc.Status),
		StartedAt: inc.DeclaredAt, ResolvedAt: inc.ResolvedAt,
	}
	evs, err := st.Events(ctx, inc.ID)
	if err != nil {
		return pub, false, fmt.Errorf("read the timeline of incident %d: %w", inc.ID, err)
	}
	for _, e := range evs {
		if !e.Published() {
			continue
		}
		text := PlainText(e.Text)
		if doing := PlainText(e.Field("doing")); doing != "" {
			text = strings.TrimSpace(text + "\n" + doing)
		}
		pub.Updates = append(pub.Updates, statuspage.PublicUpdate{At: e.At, Status: e.Field("status"), Text: text})
	}
	if cs := inc.CustomerSummary; cs != nil && !inc.Status.Open() {
		pub.Summary = &statuspage.CustomerSummary{
			WhatHappened: PlainText(cs.WhatHappened), Impact: PlainText(cs.Impact),
			Apology: PlainText(cs.Apology), Changes: PlainText(cs.Changes),
		}
	}
	return pub, true, nil
}

// pageSize is how many incidents one store read returns.
const pageSize = 100

// eachIncident calls fn with the incidents f selects, newest first, a
// page at a time, until fn returns false.
func eachIncident(ctx context.Context, st Store, f incident.Filter, fn func(*incident.Incident) (bool, error)) error {
	f.Limit = pageSize
	var before int64
	for {
		incs, next, err := st.FindIncidentsPage(ctx, f, before)
		if err != nil {
			return err
		}
		for _, inc := range incs {
			more, err := fn(inc)
			if err != nil || !more {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		before = next
	}
}

var (
	// slackMention is a user, user group or broadcast mention in Slack's
	// markup: <@U123>, <@U123|name>, <!subteam^S123|@team>, <!here>.
	slackMention = regexp.MustCompile(`<[@!][^>]*>`)
	// slackLink is any other markup: <#C123|name>, <https://x|label>.
	slackLink = regexp.MustCompile(`<([^>|]*)(?:\|([^>]*))?>`)
	entities  = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

// PlainText turns text stored for Slack (mrkdwn with its three entities
// and <…> markup) into plain text for a page or an email: mentions of
// people and groups become "a team member", links their label or address,
// channels their name, and the entities their characters.
func PlainText(s string) string {
	s = slackMention.ReplaceAllString(s, "a team member")
	s = slackLink.ReplaceAllStringFunc(s, func(m string) string {
		parts := slackLink.FindStringSubmatch(m)
		if parts[2] != "" {
			return parts[2]
		}
		return strings.TrimPrefix(parts[1], "#")
	})
	return strings.TrimSpace(entities.Replace(s))
}
