package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/etcdhealth"
	"github.com/incidentbot/incidentbot/store/leader"
)

// openStore opens the store of cfg: the bbolt file, or the store on etcd
// with this replica's elector (nil on bbolt). close closes the store and
// the etcd client.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (db *store.DB, el *leader.Elector, closeStore func(), err error) {
	slog := log.With("component", "store")
	if cfg.Store.Backend != config.BackendEtcd {
		db, err := store.Open(cfg.Store.Path, store.WithLogger(slog))
		if err != nil {
			return nil, nil, nil, err
		}
		return db, nil, func() { db.Close() }, nil
	}
	cc, err := etcdClientConfig(cfg.Store.Etcd)
	if err != nil {
		return nil, nil, nil, err
	}
	cli, err := etcdClient(cc)
	if err != nil {
		return nil, nil, nil, err
	}
	// Keep the client on a member that answers: a frozen or cut off
	// member would otherwise hold requests for their whole attempts.
	health := etcdhealth.Watch(cli, etcdhealth.Options{
		Dial: func(ep string) (*clientv3.Client, error) {
			one := cc
			one.Endpoints = []string{ep}
			return clientv3.New(one)
		},
		Logger: slog,
	})
	// Only the leader writes: a replica's writes wait for its term's
	// fence (SetFence), which etcd checks in every write.
	db, err = store.OpenEtcd(ctx, cli, cfg.Store.Etcd.Prefix, store.WithLogger(slog), store.WithFencing(),
		store.WithMaxTxnOps(cfg.Store.Etcd.MaxTxnOps), store.WithRequestTimeout(cfg.Store.Etcd.RequestTimeout),
		store.WithAttemptTimeout(cfg.Store.Etcd.AttemptTimeout), store.WithStall(health.Stall))
	if err != nil {
		health.Stop()
		cli.Close()
		return nil, nil, nil, fmt.Errorf("%w (store.etcd.endpoints: is the etcd cluster reachable?)", err)
	}
	el = leader.New(leader.Options{Client: cli, Prefix: electionPrefix(cfg.Store.Etcd.Prefix), TTL: cfg.Store.Etcd.LeaseTTL,
		Name: replicaName(), Logger: log.With("component", "election")})
	return db, el, func() { db.Close(); health.Stop(); cli.Close() }, nil
}

// electionPrefix keeps the election's keys beside the store's, not in it:
// the store's check refuses keys it does not know.
func electionPrefix(storePrefix string) string {
	return strings.TrimSuffix(storePrefix, "/") + ".election/"
}

// replicaName names this replica in the election and the logs.
func replicaName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "incidentbot"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// etcdClientConfig is the client configuration of e: its endpoints and
// TLS files.
func etcdClientConfig(e config.EtcdConfig) (clientv3.Config, error) {
	cc := clientv3.Config{Endpoints: e.Endpoints, DialTimeout: e.DialTimeout, Logger: zap.NewNop()}
	if e.TLS.CAFile != "" || e.TLS.CertFile != "" || strings.HasPrefix(e.Endpoints[0], "https://") {
		tlsCfg, err := (transport.TLSInfo{CertFile: e.TLS.CertFile, KeyFile: e.TLS.KeyFile, TrustedCAFile: e.TLS.CAFile}).ClientConfig()
		if err != nil {
			return cc, fmt.Errorf("store.etcd.tls: %w (check the PEM files)", err)
		}
		cc.TLS = tlsCfg
	}
	return cc, nil
}

// etcdClient connects with cc.
func etcdClient(cc clientv3.Config) (*clientv3.Client, error) {
	cli, err := clientv3.New(cc)
	if err != nil {
		return nil, fmt.Errorf("store.etcd.endpoints: connect to %s: %w", strings.Join(cc.Endpoints, ", "), err)
	}
	return cli, nil
}

// leaseGate fences the Slack Web API client of a replica: once closed, a
// call is sent only during a leader's term, and is cut off when the term
// may end. A deposed leader (its lease lost, its process frozen and
// woken) therefore sends nothing once another may have taken over; its
// writes are refused by etcd (store fencing). Before the election starts
// the gate is open, for the start-up checks (auth.test, channel names).
type leaseGate struct {
	next  http.RoundTripper
	state atomic.Pointer[gateState]
}

// gateState is a closed gate (term nil) or a leader's term.
type gateState struct{ term *leader.Term }

// errNotLeader refuses a Slack call outside a leader's term.
var errNotLeader = errors.New("not the leader: Slack calls are fenced")

// wrap puts the gate in front of next (the Slack client's transport).
func (g *leaseGate) wrap(next http.RoundTripper) http.RoundTripper {
	g.next = next
	return g
}

// hold opens the gate for term, or closes it (nil).
func (g *leaseGate) hold(term *leader.Term) { g.state.Store(&gateState{term}) }

// readOnly lists the Web API methods a replica may call outside a term:
// they change nothing in Slack, so no split brain can come of them, and
// they let a follower name people and channels (an export or the reports
// site served by a follower).
var readOnly = map[string]bool{
	"auth.test": true, "users.info": true, "users.list": true, "users.lookupByEmail": true,
	"conversations.info": true, "usergroups.users.list": true,
}

// RoundTrip sends req if the gate is open or the term holds, with the
// term's end as its deadline, and a read-only call at any time.
func (g *leaseGate) RoundTrip(req *http.Request) (*http.Response, error) {
	s := g.state.Load()
	if s == nil || readOnly[path.Base(req.URL.Path)] {
		return g.next.RoundTrip(req)
	}
	if s.term == nil {
		return nil, fmt.Errorf("%w (%s)", errNotLeader, path.Base(req.URL.Path))
	}
	until, ok := s.term.Valid()
	if !ok {
		return nil, fmt.Errorf("%w (the leader's lease may have run out)", errNotLeader)
	}
	ctx, cancel := context.WithDeadline(req.Context(), until)
	resp, err := g.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// cancelOnClose ends a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// roleOf reports this replica's role for /readyz: "" on bbolt.
func roleOf(el *leader.Elector) func() string {
	if el == nil {
		return nil
	}
	return el.Role
}

// registerRole adds incidentbot_leader to /metrics on etcd: 1 while this
// replica leads, 0 while it stands by.
func registerRole(reg *prometheus.Registry, el *leader.Elector) {
	if el == nil {
		return
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "incidentbot_leader",
		Help: "1 while this replica is the leader (store.backend etcd), 0 while it stands by.",
	}, func() float64 {
		if el.Role() == leader.RoleLeader {
			return 1
		}
		return 0
	}))
}

// leadOrStandBy runs serve during each of this replica's terms as leader,
// and stands by otherwise, until ctx ends. Each term gets its own fence
// on the store and on the Slack client.
func leadOrStandBy(ctx context.Context, el *leader.Elector, db *store.DB, gate *leaseGate, log *slog.Logger, serve func(ctx context.Context) error) error {
	gate.hold(nil)
	err := el.Run(ctx, func(tctx context.Context, term *leader.Term) error {
		db.SetFence(term.Key(), term.Rev())
		gate.hold(term)
		defer func() {
			gate.hold(nil)
			db.SetFence("", 0)
		}()
		start := time.Now()
		err := serve(tctx)
		log.Info("term ended", "led_for", time.Since(start).Round(time.Millisecond), "err", err)
		return err
	})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}
