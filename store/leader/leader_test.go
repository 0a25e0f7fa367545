package leader_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/incidentbot/incidentbot/store/etcdtest"
	"github.com/incidentbot/incidentbot/store/leader"
)

// replica runs an Elector whose lead function reports its terms.
type replica struct {
	e     *leader.Elector
	terms chan *leader.Term
	ended chan error // the term's context error when lead returns
	stop  context.CancelFunc
	// done is closed when Run returns; err is what it returned.
	done chan struct{}
	err  error
	// leadFor, when set, makes lead return after it with this error.
	leadFor time.Duration
	leadErr error
	// opts, when set, changes the Elector's options.
	opts func(*leader.Options)
}

func start(t *testing.T, cli *clientv3.Client, name string, ttl time.Duration, r *replica) *replica {
	t.Helper()
	if r == nil {
		r = &replica{}
	}
	o := leader.Options{Client: cli, Prefix: "/election/", TTL: ttl, Name: name}
	if r.opts != nil {
		r.opts(&o)
	}
	r.e = leader.New(o)
	r.terms, r.ended, r.done = make(chan *leader.Term, 10), make(chan error, 10), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() {
		defer close(r.done)
		r.err = r.e.Run(ctx, func(ctx context.Context, term *leader.Term) error {
			r.terms <- term
			if r.leadFor > 0 {
				select {
				case <-time.After(r.leadFor):
					return r.leadErr
				case <-ctx.Done():
				}
			}
			<-ctx.Done()
			r.ended <- context.Cause(ctx)
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func waitTerm(t *testing.T, r *replica, within time.Duration) *leader.Term {
	t.Helper()
	select {
	case term := <-r.terms:
		return term
	case <-time.After(within):
		t.Fatalf("no term within %s", within)
		return nil
	}
}

func noTerm(t *testing.T, r *replica, during time.Duration) {
	t.Helper()
	select {
	case <-r.terms:
		t.Fatal("a second leader")
	case <-time.After(during):
	}
}

func TestElector(t *testing.T) {
	c := etcdtest.Start(t, etcdtest.Options{})
	const ttl = 2 * time.Second

	t.Run("OneLeaderThenTheNext", func(t *testing.T) {
		cli := c.Client(t)
		a := start(t, cli, "a", ttl, nil)
		ta := waitTerm(t, a, 10*time.Second)
		b := start(t, cli, "b", ttl, nil)
		noTerm(t, b, 500*time.Millisecond)
		if a.e.Role() != leader.RoleLeader || b.e.Role() != leader.RoleFollower {
			t.Fatalf("roles %s, %s", a.e.Role(), b.e.Role())
		}
		waitFor(t, func() bool { return b.e.Standby() && b.e.Leader() == "a" && a.e.Leader() == "a" })
		if until, ok := ta.Valid(); !ok || time.Until(until) > ttl || time.Until(until) < ttl/2 {
			t.Fatalf("term valid until %s (in %s), %v", until, time.Until(until), ok)
		}
		if ta.Key() == "" || ta.Rev() == 0 {
			t.Fatalf("term %q %d", ta.Key(), ta.Rev())
		}

		// a stops: it resigns, b leads at once.
		stopped := time.Now()
		a.stop()
		<-a.done
		if !errors.Is(a.err, context.Canceled) {
			t.Fatalf("Run = %v", a.err)
		}
		tb := waitTerm(t, b, 5*time.Second)
		if d := time.Since(stopped); d > ttl {
			t.Errorf("b took over %s after a resigned: it waited for the lease", d)
		}
		if tb.Key() == ta.Key() {
			t.Fatal("same key")
		}
		waitFor(t, func() bool { return b.e.Leader() == "b" })
	})

	t.Run("LeaseLost", func(t *testing.T) {
		// The lease is revoked under the leader (as when etcd expires
		// it): its term ends, the follower's begins.
		cli := c.Client(t)
		a := start(t, cli, "a", ttl, nil)
		ta := waitTerm(t, a, 10*time.Second)
		b := start(t, cli, "b", ttl, nil)
		waitFor(t, b.e.Standby)
		resp, err := cli.Get(context.Background(), ta.Key())
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("the election key: %v", err)
		}
		if _, err := cli.Revoke(context.Background(), clientv3.LeaseID(resp.Kvs[0].Lease)); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-a.ended:
			if err == nil || errors.Is(err, context.Canceled) {
				t.Fatalf("term ended with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the leader did not notice it lost its lease")
		}
		waitTerm(t, b, 5*time.Second)
		// a stands by again, and b's stop hands the role back.
		waitFor(t, func() bool { return a.e.Standby() && a.e.Role() == leader.RoleFollower })
		b.stop()
		waitTerm(t, a, 5*time.Second)
	})

	t.Run("LeaderCutOff", func(t *testing.T) {
		// The leader's connection to etcd is gone (its client closed,
		// as for a partition): it cannot renew. Its term ends at once
		// (its session is gone), and only then does the follower's
		// begin: when the lease expires, or sooner if a's resignation
		// went out as the client closed.
		acli := c.Client(t)
		a := start(t, acli, "a", ttl, nil)
		ta := waitTerm(t, a, 10*time.Second)
		b := start(t, c.Client(t), "b", ttl, nil)
		waitFor(t, b.e.Standby)
		cut := time.Now()
		if err := acli.Close(); err != nil {
			t.Fatal(err)
		}
		var aEnded time.Time
		select {
		case <-a.ended:
			aEnded = time.Now()
		case <-time.After(2 * ttl):
			t.Fatal("the cut-off leader's term did not end")
		}
		tb := waitTerm(t, b, 3*ttl)
		bBegan := time.Now()
		// Closing a client cancels its requests before it closes the
		// connection: a's resignation may still get through, and then b
		// need not wait for the lease. Either way a's term ends first.
		if !bBegan.After(aEnded) {
			t.Fatalf("a's term ended %s after the cut (until %s), b's began %s after it: overlap", aEnded.Sub(cut), ta.Until().Sub(cut), bBegan.Sub(cut))
		}
		if tb.Key() == ta.Key() {
			t.Fatal("same key")
		}
		t.Logf("cut-off leader replaced after %s (TTL %s)", bBegan.Sub(cut), ttl)
	})

	t.Run("LeadError", func(t *testing.T) {
		// A leader whose work fails (Slack unreachable) resigns and Run
		// returns the error, so that the process exits.
		cli := c.Client(t)
		boom := errors.New("no Socket Mode connection")
		a := start(t, cli, "a", ttl, &replica{leadFor: 100 * time.Millisecond, leadErr: boom})
		waitTerm(t, a, 10*time.Second)
		<-a.done
		if !errors.Is(a.err, boom) {
			t.Fatalf("Run = %v", a.err)
		}
		b := start(t, cli, "b", ttl, nil)
		waitTerm(t, b, 5*time.Second)
	})

	t.Run("EtcdUnreachable", func(t *testing.T) {
		// Run waits for etcd instead of failing.
		cli, err := etcdtest.NewClient([]string{"http://127.0.0.1:1"})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		e := leader.New(leader.Options{Client: cli, Prefix: "/election/", TTL: ttl, Name: "x"})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = e.Run(ctx, func(context.Context, *leader.Term) error { t.Error("led without etcd"); return nil })
		if !errors.Is(err, context.DeadlineExceeded) || e.Standby() || e.Role() != leader.RoleFollower {
			t.Fatalf("Run = %v, standby %v, role %s", err, e.Standby(), e.Role())
		}
	})
}

func TestTerm_Valid(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	term := leader.NewTermForTest("k", 1, clock, 5*time.Second)
	term.Renewed(now, 5*time.Second)
	if until, ok := term.Valid(); !ok || !until.Equal(now.Add(4*time.Second)) {
		t.Fatalf("until %s, %v: want the renewal plus the TTL less a fifth", until, ok)
	}
	// An older renewal's answer arriving late does not shorten the term.
	term.Renewed(now.Add(-time.Second), 5*time.Second)
	if until := term.Until(); !until.Equal(now.Add(4 * time.Second)) {
		t.Fatalf("until %s", until)
	}
	mu.Lock()
	now = now.Add(4 * time.Second)
	mu.Unlock()
	if _, ok := term.Valid(); ok {
		t.Fatal("valid at its end")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
