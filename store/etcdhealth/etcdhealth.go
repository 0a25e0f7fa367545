// Package etcdhealth keeps an etcd client on a member that answers.
//
// The etcd client spreads requests over every endpoint it was given,
// round robin. A member that is down refuses connections and the client
// passes it over by itself; but a member whose process is frozen, or whose
// network is cut without a reset, keeps its connections open and answers
// nothing, and every request the round robin sends it waits for its
// timeout. gRPC's keepalive would notice, but not under 10 s (its floor
// for clients), and a bot must acknowledge a Slack command within 3 s.
//
// So the client is pinned to one member at a time, as etcd's own client
// did before 3.4. Watch probes each member on its own connection, with a
// linearizable read (what etcd's /health does: it needs the member to be
// in touch with a Raft leader), and moves the client to another member
// that answers when the current one leaves a probe unanswered, or when a
// request to it stalls (Stall): the one that answered a probe last. A
// frozen member the client is not on costs nothing; one it is on costs
// the attempts in flight when it froze. When no member answers (etcd is
// electing a Raft leader, or this replica is the one cut off), the client
// stays where it is and its requests wait or fail as they would have.
package etcdhealth

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Options configure Watch.
type Options struct {
	// Dial returns a client of one endpoint, for its probes: the same
	// TLS and credentials as the watched client. Watch closes them.
	Dial func(endpoint string) (*clientv3.Client, error)
	// Interval between two probes of a member (default 250 ms), and
	// Timeout of one probe (default 500 ms).
	Interval, Timeout time.Duration
	Logger            *slog.Logger
}

// probeKey is what a probe reads: any key will do, and this is the one
// etcd's /health reads.
const probeKey = "health"

// Watcher keeps one client on a member that answers.
type Watcher struct {
	cli    *clientv3.Client
	o      Options
	mu     sync.Mutex
	t      *tracker
	moved  chan struct{} // closed, and replaced, when the client moves
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Watch pins cli to its first endpoint and probes every endpoint until
// Stop, moving cli to another when its member stops answering. With a
// single endpoint there is nothing to choose from, and it does nothing.
func Watch(cli *clientv3.Client, o Options) *Watcher {
	endpoints := slices.Clone(cli.Endpoints())
	if len(endpoints) < 2 {
		return nil
	}
	if o.Interval <= 0 {
		o.Interval = 250 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 500 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{cli: cli, o: o, t: newTracker(endpoints), moved: make(chan struct{}), cancel: cancel}
	cli.SetEndpoints(w.t.current)
	for _, ep := range endpoints {
		w.wg.Go(func() { w.probe(ctx, ep) })
	}
	return w
}

// Stop ends the probes. The client stays on the endpoint it was on.
func (w *Watcher) Stop() {
	if w == nil {
		return
	}
	w.cancel()
	w.wg.Wait()
}

// Stall reports that a request sent at sent got no answer in time: the
// client moves to another member that answered a probe since, if there
// is one and the client has not moved since sent. It may be called from any
// goroutine, and on a nil Watcher.
func (w *Watcher) Stall(sent time.Time) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	from := w.t.current
	if to := w.t.stall(sent, time.Now()); to != "" {
		w.o.Logger.Warn("an etcd member did not answer a request in time: requests go to another", "endpoint", from, "to_endpoint", to)
		w.moveLocked(to)
	}
}

// Moved returns a channel closed when the client next moves to another
// member. A watch stream stays on the member it was opened on, frozen or
// not, so long-lived watches open again when it closes. On a nil Watcher
// it is nil: it never closes.
func (w *Watcher) Moved() <-chan struct{} {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.moved
}

// moveLocked points the client at to.
func (w *Watcher) moveLocked(to string) {
	w.cli.SetEndpoints(to)
	close(w.moved)
	w.moved = make(chan struct{})
}

// Current returns the endpoint the client is on.
func (w *Watcher) Current() string {
	if w == nil {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t.current
}

// probe probes one endpoint every Interval until ctx ends.
func (w *Watcher) probe(ctx context.Context, ep string) {
	var probe *clientv3.Client
	defer func() {
		if probe != nil {
			probe.Close()
		}
	}()
	for {
		var err error
		if probe == nil {
			probe, err = w.o.Dial(ep)
		}
		if err == nil {
			pctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(ctx), w.o.Timeout)
			_, err = probe.Get(pctx, probeKey, clientv3.WithCountOnly())
			cancel()
		}
		if ctx.Err() != nil {
			return
		}
		w.observe(ep, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.o.Interval):
		}
	}
}

// observe records one probe's outcome, and moves the client if its member
// did not answer.
func (w *Watcher) observe(ep string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if to := w.t.observe(ep, answered(err), time.Now()); to != "" {
		w.o.Logger.Warn("an etcd member does not answer: requests go to another", "endpoint", ep, "err", err, "to_endpoint", to)
		w.moveLocked(to)
	}
}

// answered reports whether a probe got an answer from a member in touch
// with a Raft leader. A refusal (say, permission denied on the key) is
// an answer.
func answered(err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, rpctypes.ErrNoLeader):
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Unknown:
		return false
	}
	return true
}

// UntilMoved returns a context that ends with ctx or when moved closes
// (a Watcher's Moved): the context of a watch that must open again on the
// member the client moved to. A nil moved never closes.
func UntilMoved(ctx context.Context, moved <-chan struct{}) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancel(ctx)
	if moved == nil {
		return wctx, cancel
	}
	go func() {
		select {
		case <-moved:
			cancel()
		case <-wctx.Done():
		}
	}()
	return wctx, cancel
}
