// Package leader elects one leader among the replicas of a bot on etcd
// (concurrency.Election on a lease) and tells the leader until when it
// may act.
//
// A replica campaigns with a lease of TTL. The winner runs its term; the
// others wait, standing by. A leader that dies stops renewing its lease:
// etcd deletes its election key when the lease expires, TTL after the last
// renewal, and the next replica in line wins. A leader cut off from etcd
// cannot know when etcd will expire its lease, but it knows when etcd
// renewed it last: every renewal it asks for at t0 keeps the lease until
// at least t0 + TTL. Term.Until is that time less a margin, and the term's
// context ends there, so a leader stops acting (sending to Slack) before
// another can start. Its writes are refused by etcd itself: the store's
// fence (store.DB.SetFence) requires the election key of the term.
package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/incidentbot/incidentbot/store/etcdhealth"
)

// Roles a replica reports.
const (
	RoleLeader   = "leader"
	RoleFollower = "follower"
)

// Options configure an Elector.
type Options struct {
	Client *clientv3.Client
	// Prefix starts the election's keys, e.g. "/incidentbot/election/".
	Prefix string
	// TTL is the lease's time to live, in whole seconds (etcd's unit).
	TTL time.Duration
	// Name identifies this replica in the election (what Leader returns)
	// and in logs: a host or pod name.
	Name   string
	Logger *slog.Logger
	// Now reads the clock that times the lease; default time.Now. It must
	// be the real clock: etcd times the lease with its own.
	Now func() time.Time
	// Stall, if set, is called when a renewal sent at sent got no answer
	// in time: the client's etcd member may be frozen or cut off (see
	// package etcdhealth).
	Stall func(sent time.Time)
	// Moved, if set, returns a channel closed when the client moves to
	// another etcd member (etcdhealth's Watcher.Moved): the election's
	// watches, which stay on the member they were opened on, open again.
	Moved func() <-chan struct{}
}

// Elector runs the election for one replica.
type Elector struct {
	o   Options
	log *slog.Logger

	role    atomic.Value // string
	standby atomic.Bool  // campaigning with a live session
	mu      sync.Mutex
	leader  string // the leader's name, as last observed
}

// New returns an Elector; Run campaigns.
func New(o Options) *Elector {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Elector{o: o, log: o.Logger}
	e.role.Store(RoleFollower)
	return e
}

// Role returns RoleLeader while this replica leads, else RoleFollower.
func (e *Elector) Role() string { return e.role.Load().(string) }

// Standby reports whether this replica is ready to take over: it is
// campaigning on a live lease. A leader is not standing by.
func (e *Elector) Standby() bool { return e.standby.Load() }

// Leader returns the name of the leader as last observed ("" when there
// is none or etcd cannot be reached).
func (e *Elector) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

func (e *Elector) setLeader(name string) {
	e.mu.Lock()
	e.leader = name
	e.mu.Unlock()
}

// Term is one period of leadership.
type Term struct {
	key    string
	rev    int64
	margin time.Duration
	until  atomic.Int64 // UnixNano
	now    func() time.Time
}

// Key and Rev identify the term's election key, for store.DB.SetFence.
func (t *Term) Key() string { return t.key }

// Rev is the election key's create revision.
func (t *Term) Rev() int64 { return t.rev }

// Until returns when this replica stops being certain that it leads: the
// lease's last renewal plus its TTL, less a margin.
func (t *Term) Until() time.Time { return time.Unix(0, t.until.Load()) }

// Valid reports whether the term still certainly holds, and until when.
func (t *Term) Valid() (until time.Time, ok bool) {
	u := t.Until()
	return u, t.now().Before(u)
}

// renewed records that etcd renewed the lease for ttl from a request
// sent at sent.
func (t *Term) renewed(sent time.Time, ttl time.Duration) {
	until := sent.Add(ttl - t.margin).UnixNano()
	for {
		old := t.until.Load()
		if until <= old || t.until.CompareAndSwap(old, until) {
			return
		}
	}
}

// margin is how long before its lease could expire a leader stops: a
// Slack call sent just before Until is cut off at Until, and the next
// leader cannot start before the lease expires, a margin later.
func margin(ttl time.Duration) time.Duration { return max(ttl/5, 200*time.Millisecond) }

// errLost ends a term whose leadership ended.
var errLost = errors.New("leadership lost")

// Run campaigns until ctx ends. Each time this replica wins, lead runs
// with a context that ends when the term ends (the lease could not be
// renewed in time, or the election key is gone) or ctx does; when lead
// returns, the replica resigns, so that another takes over at once, and
// campaigns again. An error from lead, other than its context's, ends Run
// with that error (after resigning): the process should exit, so that its
// supervisor restarts it. etcd being unreachable is not an error: Run
// waits and tries again.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context, t *Term) error) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	octx, stopObserve := context.WithCancel(ctx)
	defer stopObserve()
	wg.Go(func() { e.observe(octx) })
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := e.campaign(ctx, lead)
		var leadErr leadError
		switch {
		case errors.As(err, &leadErr):
			return leadErr.err
		case errors.Is(err, errMoved):
			e.log.Debug("election: the client moved to another etcd member; campaigning there")
			backoff = 100 * time.Millisecond
		case err != nil && ctx.Err() == nil:
			e.log.Warn("election: campaign failed; trying again", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff + rand.N(backoff)):
			}
			backoff = min(2*backoff, 5*time.Second)
		default:
			backoff = 100 * time.Millisecond
		}
	}
	return ctx.Err()
}

// errMoved ends a campaign whose client moved to another member: its
// wait for the leader's key to go was watching the member left behind.
var errMoved = errors.New("the etcd client moved to another member")

// moved returns the channel of Options.Moved, or nil.
func (e *Elector) moved() <-chan struct{} {
	if e.o.Moved == nil {
		return nil
	}
	return e.o.Moved()
}

// leadError carries an error of the lead function out of campaign.
type leadError struct{ err error }

func (l leadError) Error() string { return l.err.Error() }

// campaign runs one lease: it waits to win, leads, and resigns.
func (e *Elector) campaign(ctx context.Context, lead func(ctx context.Context, t *Term) error) error {
	ttl := int64(max(e.o.TTL/time.Second, 1))
	granted := e.o.Now()
	gctx, cancel := context.WithTimeout(ctx, time.Second)
	lease, err := e.o.Client.Grant(gctx, ttl)
	cancel()
	if err != nil {
		return fmt.Errorf("grant a lease: %w", err)
	}
	term := &Term{margin: margin(e.o.TTL), now: e.o.Now}
	term.renewed(granted, time.Duration(lease.TTL)*time.Second)

	sctx, cancelSession := context.WithCancel(ctx)
	sess, err := concurrency.NewSession(e.o.Client, concurrency.WithLease(lease.ID), concurrency.WithContext(sctx))
	if err != nil {
		cancelSession()
		e.revoke(ctx, lease.ID)
		return fmt.Errorf("open a session: %w", err)
	}
	var wg sync.WaitGroup
	defer func() {
		cancelSession()
		wg.Wait()
		<-sess.Done()
		// Revoke the lease, so that a follower need not wait for it.
		e.revoke(ctx, lease.ID)
	}()

	// Renew the lease, and know when etcd last did.
	lost := make(chan struct{})
	var lostOnce sync.Once
	markLost := func() { lostOnce.Do(func() { close(lost) }) }
	wg.Go(func() { e.keepAlive(sctx, lease.ID, term, markLost) })

	el := concurrency.NewElection(sess, e.o.Prefix)
	e.standby.Store(true)
	cctx, stopCampaign := context.WithCancel(sctx)
	moved, wasMoved := e.moved(), atomic.Bool{}
	go func() {
		select {
		case <-lost:
		case <-sess.Done():
		case <-moved:
			wasMoved.Store(true)
		case <-cctx.Done():
		}
		stopCampaign()
	}()
	err = el.Campaign(cctx, e.o.Name)
	stopCampaign()
	e.standby.Store(false)
	if err != nil {
		if wasMoved.Load() && ctx.Err() == nil {
			return errMoved
		}
		return fmt.Errorf("campaign: %w", err)
	}
	select {
	case <-lost:
		return errLost
	default:
	}
	term.key, term.rev = el.Key(), el.Rev()

	// Lead until the term ends.
	tctx, endTerm := context.WithCancelCause(ctx)
	wg.Go(func() { e.watchTerm(tctx, term, lost, endTerm) })
	e.role.Store(RoleLeader)
	e.log.Info("elected leader", "name", e.o.Name, "key", term.key, "until", term.Until().Format(time.RFC3339Nano))
	err = lead(tctx, term)
	cause, ended := context.Cause(tctx), tctx.Err() != nil
	endTerm(nil)
	e.role.Store(RoleFollower)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	if rerr := el.Resign(rctx); rerr != nil {
		e.log.Debug("election: resign", "err", rerr)
	}
	cancel()
	switch {
	case err != nil && !errors.Is(err, context.Canceled) && !ended:
		e.log.Error("leader stopped with an error; resigned", "err", err)
		return leadError{err}
	case errors.Is(cause, errLost):
		e.log.Warn("leadership lost: the lease could not be renewed in time, or the election key is gone; standing by again", "name", e.o.Name)
	default:
		e.log.Info("resigned leadership", "name", e.o.Name)
	}
	return nil
}

// revoke ends the lease (a best effort: it expires anyway).
func (e *Elector) revoke(ctx context.Context, id clientv3.LeaseID) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if _, err := e.o.Client.Revoke(rctx, id); err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
		e.log.Debug("election: revoke the lease", "err", err)
	}
}

// keepAlive renews the lease every third of its TTL, recording each
// renewal in term, and calls lost when etcd says the lease is gone. The
// session keeps the lease alive too; these renewals are the ones whose
// sending time this replica knows.
//
// A renewal that fails is tried again soon, not a third of the TTL later:
// while etcd elects a Raft leader, or while the client moves off a frozen
// member, every renewal missed brings the end of the term closer. Each
// attempt is bounded by a second, as the store's are, so that a silent
// member costs no more than that.
func (e *Elector) keepAlive(ctx context.Context, id clientv3.LeaseID, term *Term, lost func()) {
	every := max(e.o.TTL/3, 100*time.Millisecond)
	attempt := min(every, time.Second)
	for {
		sent := e.o.Now()
		// Not WithRequireLeader: KeepAliveOnce tries again at once on
		// "no leader" (codes.Unavailable), so during an election it would
		// open stream after stream for the whole attempt. Without it, the
		// member holds the renewal until etcd has a leader again.
		rctx, cancel := context.WithTimeout(ctx, attempt)
		resp, err := e.o.Client.KeepAliveOnce(rctx, id)
		cancel()
		next := every
		switch {
		case err == nil:
			term.renewed(sent, time.Duration(resp.TTL)*time.Second)
		case errors.Is(err, rpctypes.ErrLeaseNotFound):
			lost()
			return
		case ctx.Err() == nil:
			e.log.Debug("election: renew the lease", "err", err)
			if errors.Is(err, context.DeadlineExceeded) && e.o.Stall != nil {
				e.o.Stall(sent)
			}
			next = renewRetry
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(0, next-e.o.Now().Sub(sent))):
		}
	}
}

// renewRetry is how soon a failed renewal is tried again.
const renewRetry = 100 * time.Millisecond

// watchTerm ends the term when its lease is about to be out of reach, or
// gone, or the election key was deleted.
//
// It does not end the term when the session's own keep-alive gives up
// (sess.Done): that stream is tied to one etcd member, and gives up when
// that member alone goes silent, while keepAlive's renewals, each sent
// afresh, reach the others. The renewals decide (term.Valid).
func (e *Elector) watchTerm(ctx context.Context, term *Term, lost <-chan struct{}, end context.CancelCauseFunc) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		rev := term.rev + 1
		for wctx.Err() == nil {
			mctx, stop := etcdhealth.UntilMoved(wctx, e.moved())
			for wr := range e.o.Client.Watch(clientv3.WithRequireLeader(mctx), term.key, clientv3.WithRev(rev)) {
				for _, ev := range wr.Events {
					if ev.Type == clientv3.EventTypeDelete {
						stop()
						return
					}
				}
				rev = max(rev, wr.Header.Revision+1)
				if wr.Canceled && mctx.Err() == nil {
					// A watch cut off from etcd's leader: the lease
					// check decides.
					stop()
					<-wctx.Done()
					return
				}
			}
			// Ended by a move to another member: watch again there.
			stop()
		}
	}()
	tick := max(margin(e.o.TTL)/4, 20*time.Millisecond)
	for {
		if _, ok := term.Valid(); !ok {
			end(errLost)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-lost:
			end(errLost)
			return
		case <-gone:
			if ctx.Err() == nil {
				end(errLost)
			}
			return
		case <-time.After(tick):
		}
	}
}

// observe keeps Leader up to date.
func (e *Elector) observe(ctx context.Context) {
	for ctx.Err() == nil {
		gctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := e.o.Client.Get(gctx, e.o.Prefix, clientv3.WithFirstCreate()...)
		cancel()
		if err != nil {
			e.setLeader("")
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		if len(resp.Kvs) == 0 {
			e.setLeader("")
		} else {
			e.setLeader(string(resp.Kvs[0].Value))
		}
		mctx, cancel := etcdhealth.UntilMoved(ctx, e.moved())
		wctx := clientv3.WithRequireLeader(mctx)
		for wr := range e.o.Client.Watch(wctx, e.o.Prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1)) {
			if len(wr.Events) > 0 || wr.Err() != nil {
				break
			}
		}
		cancel()
	}
}
