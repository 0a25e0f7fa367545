package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/publish"
	"github.com/incidentbot/incidentbot/bot/stakeholders"
	"github.com/incidentbot/incidentbot/bot/views"
)

// The daily email digest (issue 15). Stakeholders whose email addresses
// take the digest (monitor groups, and keep_informed groups with email:
// digest) get one mail a day at the digest's schedule: what the status
// page showed since the previous run.
//
// Each address gets each digest once: the store records the address and
// its mail's outbox effect in one transaction (QueueDigestMail), so a run
// repeated after a crash or a restart queues nothing more, and a bot that
// was down at the digest's time sends it when it starts (MailDigest is
// called then too). Only the latest digest is caught up on: a digest is
// about its day, and older ones are stale.

// DigestMailStore records which addresses each email digest was queued
// for; *store.DB implements it. The App sends the digest when its Store
// does.
type DigestMailStore interface {
	// DigestMailed returns the addresses (lower case) the digest due at
	// at was queued for.
	DigestMailed(ctx context.Context, at time.Time) ([]string, error)
	// QueueDigestMail records to[i] and enqueues effs[i] together, for
	// each address that has not had the digest due at at, and returns the
	// effects enqueued.
	QueueDigestMail(ctx context.Context, at time.Time, to []string, effs []incident.Effect) ([]incident.Effect, error)
	// PruneDigestMail forgets the digests due before before.
	PruneDigestMail(ctx context.Context, before time.Time) (int, error)
}

// Schedule says when a job runs: the first time after a given one.
// robfig/cron's Schedule implements it.
type Schedule interface {
	Next(time.Time) time.Time
}

// DigestMailResult says what MailDigest did.
type DigestMailResult struct {
	// At is the digest's time: the latest run of the schedule, zero when
	// there is no digest to send (no recipient, no email, no store).
	At time.Time
	// Recipients is how many addresses take the digest.
	Recipients int
	// Queued is how many mails were queued now: 0 when every recipient
	// had it already, or when it was empty.
	Queued int
	// Empty says the period had nothing to tell: nothing is sent.
	Empty bool
}

// MailDigest queues the email digest of the latest run of s at or before
// now, for every recipient who has not had it: call it at each run of s
// and once at start (the catch-up). The digest covers the time since the
// run before (a day for a daily schedule; with the default weekdays, the
// weekend on Mondays). A period with nothing public to tell sends
// nothing.
func (a *App) MailDigest(ctx context.Context, s Schedule) (DigestMailResult, error) {
	var res DigestMailResult
	st, _ := a.store.(DigestMailStore)
	to := stakeholders.DigestRecipients(a.opt.Public.Groups)
	if st == nil || a.opt.Public.Mail == nil || len(to) == 0 {
		return res, nil
	}
	at, ok := lastRun(s, a.now())
	if !ok {
		return res, nil
	}
	since, ok := lastRun(s, at.Add(-time.Second)) // cron counts in seconds
	if !ok {
		since = at.Add(-24 * time.Hour)
	}
	res.At, res.Recipients = at, len(to)
	done, err := st.DigestMailed(ctx, at)
	if err != nil {
		return res, err
	}
	to = slices.DeleteFunc(to, func(addr string) bool { return slices.Contains(done, strings.ToLower(addr)) })
	if len(to) == 0 {
		return res, nil
	}
	d, err := publish.ReadDigest(ctx, a.store, since, at, a.policy.SeverityNames())
	if err != nil {
		return res, fmt.Errorf("read the digest of %s: %w", at.Format(time.RFC3339), err)
	}
	if d.Empty() {
		res.Empty = true
		return res, nil
	}
	subject, text, html, err := views.DigestMail(d, a.opt.Public.StatusPageURL, a.loc)
	if err != nil {
		return res, err
	}
	effs := make([]incident.Effect, len(to))
	for i, addr := range to {
		effs[i] = effect(effMail, laneMail(addr), payload{Mail: &mailPayload{To: addr, Subject: subject, Text: text, HTML: html}})
	}
	queued, err := st.QueueDigestMail(ctx, at, to, effs)
	a.outbox.Add(queued...) // a part queued before an error is sent all the same
	res.Queued = len(queued)
	if err != nil {
		return res, err
	}
	a.log.Info("email digest queued", "digest_at", at, "mails", len(queued), "open", len(d.Open), "resolved", len(d.Resolved))
	if _, err := st.PruneDigestMail(ctx, at); err != nil {
		a.log.Warn("prune the records of older email digests", "err", err)
	}
	return res, nil
}

// lastRun returns the latest run of s at or before t, looking back up to
// two years (a yearly schedule); false when s has none.
func lastRun(s Schedule, t time.Time) (time.Time, bool) {
	// Look back a day, then further: a frequent schedule is stepped
	// through over one day only.
	for back := 25 * time.Hour; back < 2*366*24*time.Hour; back *= 2 {
		r := s.Next(t.Add(-back))
		if r.IsZero() || r.After(t) {
			continue
		}
		for {
			n := s.Next(r)
			if n.IsZero() || n.After(t) {
				return r, true
			}
			r = n
		}
	}
	return time.Time{}, false
}
