// Package etcdtest runs real etcd clusters on 127.0.0.1 for tests, built
// from etcd's own server (go.etcd.io/etcd/server/v3/embed): in this
// process (Start: fast, for a store test suite), or one process per
// member (StartProcesses: members can be killed with SIGKILL, frozen with
// SIGSTOP to cut them off like a network partition, and restarted).
//
// It does not import the store, so that the store's own tests can use it.
package etcdtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Options shape a cluster. The zero value is one member without fsync.
type Options struct {
	// Members is the number of members (default 1).
	Members int
	// Fsync makes members sync their log and data to disk, as a real
	// deployment does: for benchmarks. Tests leave it off.
	Fsync bool
	// MaxTxnOps is etcd's --max-txn-ops (0: etcd's default, 128).
	MaxTxnOps uint
}

// MemberConfig is one member of a cluster.
type MemberConfig struct {
	Name           string
	Dir            string
	ClientURL      string // http://127.0.0.1:PORT
	PeerURL        string
	InitialCluster string // name=peer-url,…
	// Existing restarts a member of a running cluster on its data.
	Existing  bool
	Fsync     bool
	MaxTxnOps uint
	// quiet discards the member's log (in-process members).
	quiet bool
}

// startTimeout bounds how long a member may take to serve.
const startTimeout = time.Minute

// config turns m into etcd's configuration.
func (m MemberConfig) config() (*embed.Config, error) {
	cu, err := url.Parse(m.ClientURL)
	if err != nil {
		return nil, err
	}
	pu, err := url.Parse(m.PeerURL)
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = m.Name, m.Dir
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = m.InitialCluster
	cfg.InitialClusterToken = "incidentbot-test"
	if m.Existing {
		cfg.ClusterState = embed.ClusterStateFlagExisting
	}
	cfg.UnsafeNoFsync = !m.Fsync
	if m.MaxTxnOps > 0 {
		cfg.MaxTxnOps = m.MaxTxnOps
	}
	cfg.LogLevel = "warn"
	if m.quiet {
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	}
	return cfg, nil
}

// StartMember starts member m in this process and waits until it serves
// clients (which, for a new cluster, needs a quorum of its members
// started).
func StartMember(m MemberConfig) (*embed.Etcd, error) {
	e, err := startMember(m)
	if err != nil {
		return nil, err
	}
	if err := waitReady(e); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func startMember(m MemberConfig) (*embed.Etcd, error) {
	cfg, err := m.config()
	if err != nil {
		return nil, err
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd member %s: %w", m.Name, err)
	}
	return e, nil
}

func waitReady(e *embed.Etcd) error {
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case err := <-e.Err():
		return fmt.Errorf("etcd member %s: %w", e.Config().Name, err)
	case <-time.After(startTimeout):
		return fmt.Errorf("etcd member %s did not start within %s", e.Config().Name, startTimeout)
	}
}

// Cluster is a running cluster.
type Cluster struct {
	members []*member
	// bin is the member binary of a cluster of processes; "" in process.
	bin string
}

type member struct {
	cfg MemberConfig
	// In process:
	etcd *embed.Etcd
	// As a process:
	cmd    *exec.Cmd
	done   chan struct{}
	log    string
	paused bool
}

// New starts a cluster in this process, its data in dir. Close stops it.
func New(dir string, o Options) (*Cluster, error) {
	c := &Cluster{members: plan(dir, o)}
	for _, m := range c.members {
		m.cfg.quiet = true
		e, err := startMember(m.cfg)
		if err != nil {
			c.Close()
			return nil, err
		}
		m.etcd = e
	}
	for _, m := range c.members {
		if err := waitReady(m.etcd); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// Start is New in tb's temporary directory, stopped at cleanup.
func Start(tb testing.TB, o Options) *Cluster {
	tb.Helper()
	c, err := New(tb.TempDir(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// plan assigns names, directories and ports.
func plan(dir string, o Options) []*member {
	n := max(o.Members, 1)
	ms := make([]*member, n)
	addrs := freeAddrs(2 * n)
	var initial []string
	for i := range ms {
		name := fmt.Sprintf("m%d", i)
		m := &member{cfg: MemberConfig{
			Name: name, Dir: filepath.Join(dir, name),
			ClientURL: "http://" + addrs[2*i], PeerURL: "http://" + addrs[2*i+1],
			Fsync: o.Fsync, MaxTxnOps: o.MaxTxnOps,
		}}
		initial = append(initial, name+"="+m.cfg.PeerURL)
		ms[i] = m
	}
	for _, m := range ms {
		m.cfg.InitialCluster = strings.Join(initial, ",")
	}
	return ms
}

// freeAddrs returns n distinct 127.0.0.1 addresses with ports nobody
// listens on now. All n listeners are held until the last is open: a port
// closed at once could be handed out again by the next call (two members
// once got the same peer port that way).
func freeAddrs(n int) []string {
	addrs := make([]string, n)
	for i := range addrs {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(fmt.Sprintf("etcdtest: no free port: %v", err))
		}
		defer l.Close()
		addrs[i] = l.Addr().String()
	}
	return addrs
}

// Endpoints returns every member's client URL.
func (c *Cluster) Endpoints() []string {
	out := make([]string, len(c.members))
	for i, m := range c.members {
		out[i] = m.cfg.ClientURL
	}
	return out
}

// Client returns a client of every member, closed at cleanup.
func (c *Cluster) Client(tb testing.TB) *clientv3.Client {
	tb.Helper()
	cli, err := NewClient(c.Endpoints())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cli.Close() })
	return cli
}

// NewClient returns a quiet client of endpoints.
func NewClient(endpoints []string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
}

// Close stops every member.
func (c *Cluster) Close() {
	var wg sync.WaitGroup
	for i := range c.members {
		wg.Go(func() { _ = c.Kill(i) })
	}
	wg.Wait()
}

// Leader returns the index of the member that leads the Raft group, or
// -1 when none answers.
func (c *Cluster) Leader(ctx context.Context) int {
	for i, m := range c.members {
		if m.etcd == nil && m.cmd == nil || m.paused {
			continue
		}
		cli, err := NewClient([]string{m.cfg.ClientURL})
		if err != nil {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := cli.Status(rctx, m.cfg.ClientURL)
		cancel()
		cli.Close()
		if err == nil && st.Leader == st.Header.MemberId {
			return i
		}
	}
	return -1
}

// WaitHealthy waits until every running member, paused ones aside,
// answers a linearizable read: it is in touch with a Raft leader and has
// caught up (a restarted member, say).
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	for i, m := range c.members {
		if m.etcd == nil && m.cmd == nil || m.paused {
			continue
		}
		cli, err := NewClient([]string{m.cfg.ClientURL})
		if err != nil {
			return err
		}
		for {
			rctx, cancel := context.WithTimeout(clientv3.WithRequireLeader(ctx), time.Second)
			_, err = cli.Get(rctx, "health")
			cancel()
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cli.Close()
		if err != nil {
			return fmt.Errorf("etcd member %d does not answer: %w", i, err)
		}
	}
	return nil
}

// Kill stops member i at once: SIGKILL for a process, a hard stop in
// process. A stopped member is left alone.
func (c *Cluster) Kill(i int) error {
	m := c.members[i]
	switch {
	case m.etcd != nil:
		m.etcd.Server.HardStop()
		m.etcd.Close()
		m.etcd = nil
	case m.cmd != nil:
		if m.paused {
			_ = m.cmd.Process.Signal(syscall.SIGCONT)
			m.paused = false
		}
		_ = m.cmd.Process.Kill()
		<-m.done
		m.cmd = nil
	}
	return nil
}

// Pause freezes member i's process (SIGSTOP): its connections stay open
// and nothing answers on them, as when the network to it is cut.
func (c *Cluster) Pause(i int) error {
	m := c.members[i]
	if m.cmd == nil {
		return errors.New("etcdtest: only a member process can be paused")
	}
	if err := m.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	m.paused = true
	return nil
}

// Resume undoes Pause.
func (c *Cluster) Resume(i int) error {
	m := c.members[i]
	if m.cmd == nil || !m.paused {
		return nil
	}
	m.paused = false
	return m.cmd.Process.Signal(syscall.SIGCONT)
}

// Restart starts member i again on its data, after Kill.
func (c *Cluster) Restart(i int) error {
	m := c.members[i]
	cfg := m.cfg
	cfg.Existing = true
	if c.bin == "" {
		e, err := StartMember(cfg)
		if err != nil {
			return err
		}
		m.etcd = e
		return nil
	}
	return c.startProcess(m, cfg)
}

// StartProcesses starts a cluster of member processes (the member
// command, built into tb's temporary directory), stopped at cleanup. Each
// member's log is in its directory (member.log).
func StartProcesses(tb testing.TB, o Options) *Cluster {
	tb.Helper()
	bin := buildMember(tb)
	c := &Cluster{members: plan(tb.TempDir(), o), bin: bin}
	tb.Cleanup(c.Close)
	errs := make([]error, len(c.members))
	var wg sync.WaitGroup
	for i, m := range c.members {
		wg.Go(func() { errs[i] = c.startProcess(m, m.cfg) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	return c
}

// startProcess runs a member process and waits until it says ready.
func (c *Cluster) startProcess(m *member, cfg MemberConfig) error {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return err
	}
	m.log = filepath.Join(cfg.Dir, "member.log")
	logf, err := os.OpenFile(m.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	args := []string{"-name", cfg.Name, "-data-dir", cfg.Dir, "-client-url", cfg.ClientURL, "-peer-url", cfg.PeerURL,
		"-initial-cluster", cfg.InitialCluster, fmt.Sprintf("-existing=%v", cfg.Existing), fmt.Sprintf("-fsync=%v", cfg.Fsync),
		fmt.Sprintf("-max-txn-ops=%d", cfg.MaxTxnOps)}
	cmd := exec.Command(c.bin, args...)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := sc.Scan() && sc.Text() == "ready"
		ready <- ok
		for sc.Scan() {
		}
	}()
	m.cmd, m.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(m.done)
	}()
	select {
	case ok := <-ready:
		if ok {
			return nil
		}
	case <-time.After(startTimeout):
	}
	_ = cmd.Process.Kill()
	<-m.done
	m.cmd = nil
	data, _ := os.ReadFile(m.log)
	return fmt.Errorf("etcd member %s did not start: %s", cfg.Name, lastLines(string(data), 10))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// buildMember builds the member command.
func buildMember(tb testing.TB) string {
	tb.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		tb.Skip("the go tool is not in PATH: cannot build the etcd member command")
	}
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(tb.TempDir(), "etcd-member")
	cmd := exec.Command("go", "build", "-o", bin, "./member")
	cmd.Dir = filepath.Dir(file)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build the etcd member command: %v\n%s", err, out)
	}
	return bin
}
