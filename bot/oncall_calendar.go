package bot

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
)

// The calendar feed: the on-call schedule as iCalendar, for people to
// subscribe to in their calendar apps.
//
// Who may read it: the schedule names people (their Slack names or
// emails) and when they are on call, which is personal data but no
// secret inside the company. So the feed is a capability URL, as calendar
// apps expect (they cannot send headers): whoever has the URL with the
// token reads it, nobody else. The token is oncall.feed_token; changing it
// revokes every subscription. Calendar services (Google Calendar and
// Outlook fetch from their own servers) can only reach the feed if
// http.listen is exposed, which means a reverse proxy with TLS in front of
// the bot: the token travels in the URL and must not cross a network in
// clear text. The admin routes stay loopback-only either way.

// Window of the feed: a month back, half a year ahead by default.
const (
	FeedPast        = 30 * 24 * time.Hour
	FeedDaysDefault = 180
	FeedDaysMax     = 730
)

// CalendarFeed serves the schedule at GET …?token=TOKEN[&rotation=NAME]
// [&days=N], for calendar subscriptions. An empty token disables it (404).
func (a *App) CalendarFeed(token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token == "" {
			http.Error(w, "the on-call calendar feed is off (set oncall.feed_token)", http.StatusNotFound)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(token)) != 1 {
			http.Error(w, "the on-call calendar feed needs its token: ?token=…", http.StatusUnauthorized)
			return
		}
		a.serveCalendar(w, r)
	})
}

// CalendarAdmin serves the same calendar without a token of its own: mount
// it behind the admin guard (loopback and the admin token), where
// `incidentbot oncall export` asks a running bot for it.
func (a *App) CalendarAdmin() http.Handler { return http.HandlerFunc(a.serveCalendar) }

func (a *App) serveCalendar(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	days := FeedDaysDefault
	if s := q.Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > FeedDaysMax {
			http.Error(w, fmt.Sprintf("days must be a number of days from 1 to %d", FeedDaysMax), http.StatusBadRequest)
			return
		}
		days = n
	}
	if !a.oc.configured() {
		http.Error(w, "no on-call rotations are configured", http.StatusNotFound)
		return
	}
	roster := a.oc.roster()
	if roster == nil {
		http.Error(w, "the on-call schedule is not loaded yet", http.StatusServiceUnavailable)
		return
	}
	if name := q.Get("rotation"); name != "" {
		s, err := roster.Find(name)
		if err != nil {
			http.Error(w, incident.ErrorMessage(err), http.StatusNotFound)
			return
		}
		roster = oncall.Roster{s}
	}
	now := a.now()
	cal := oncall.Calendar{
		Schedules: roster, From: now.Add(-FeedPast), To: now.AddDate(0, 0, days), Now: now,
		DisplayName: a.calendarName,
	}
	var buf bytes.Buffer
	if err := oncall.WriteICal(&buf, cal); err != nil {
		a.log.Error("write the on-call calendar", "err", err)
		http.Error(w, "could not write the calendar", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="oncall.ics"`)
	w.Header().Set("Cache-Control", "private, max-age=300")
	_, _ = w.Write(buf.Bytes())
}

// calendarName names a member in the feed by their full name, as the
// directory knows it (without asking Slack: a feed must not cost a call per
// person); "" leaves the feed to use their email or ID.
func (a *App) calendarName(m oncall.Member) string {
	if m.UserID == "" {
		return ""
	}
	u, _ := a.users.lookup(context.Background(), m.UserID, false)
	if u == nil {
		return ""
	}
	for _, n := range []string{u.RealName, u.Profile.RealName, u.Profile.DisplayName, u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}
