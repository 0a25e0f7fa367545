package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store/etcdtest"
)

// failoverKills is how many leaders TestFailover kills; BENCHMARKS.md
// gives the takeover times of 20.
var failoverKills = flag.Int("failover.kills", 2, "leaders TestFailover kills with SIGKILL")

// failoverConfig: reminders due seconds after a declaration, so that they
// fall due while a leader is being replaced.
const failoverConfig = `slack:
  api_url: %q
  announce_channels: [%q]
  connect_timeout: 30s
  call_timeout: 5s
store:
  path: %q
  backend: etcd
  etcd:
    endpoints: [%s]
    prefix: "/failover/"
    lease_ttl: %s
http:
  listen: %q
incidents:
  severities:
    - name: critical
      description: "Down"
      update_every: 6s
  default_severity: critical
reminders:
  remind_before: 3s
  escalate_after: 3s
  snooze: 30s
scheduler:
  tick: 1s
shutdown_grace: 3s
`

// replicaBin is one process of the real binary on etcd.
type replicaBin struct {
	name, listen, log string
	cmd               *exec.Cmd
	done              chan error
}

// startReplicaBin starts a replica with a lease of 2 s: failover as
// fast as etcd allows.
func startReplicaBin(t *testing.T, bin string, w *crashWorld, endpoints []string, name string) *replicaBin {
	t.Helper()
	return startReplicaTTL(t, bin, w, endpoints, name, "2s")
}

// startReplicaTTL starts a replica with a lease of leaseTTL.
func startReplicaTTL(t *testing.T, bin string, w *crashWorld, endpoints []string, name, leaseTTL string) *replicaBin {
	t.Helper()
	dir := t.TempDir()
	r := &replicaBin{name: name, listen: freePort(t), log: filepath.Join(dir, "bot.log"), done: make(chan error, 1)}
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(failoverConfig, w.fake.APIURL(), w.announce, filepath.Join(dir, "bot.db"), strings.Join(endpoints, ", "), leaseTTL, r.listen)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd = exec.Command(bin, "run", "--config", cfgPath)
	r.cmd.Env = []string{"SLACK_BOT_TOKEN=" + w.fake.BotToken(), "SLACK_APP_TOKEN=" + w.fake.AppToken(), "PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		<-r.done
		r.done <- nil
		if t.Failed() {
			b, _ := os.ReadFile(r.log)
			t.Logf("log of %s:\n%s", r.name, b)
		}
	})
	return r
}

// role returns what /readyz says, "" when it does not answer.
func (r *replicaBin) role() string {
	resp, err := http.Get("http://" + r.listen + "/readyz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

func (r *replicaBin) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
}

// TestFailover: two replicas of the real binary on a three-member etcd
// cluster and one fake Slack. Each round declares an incident through the leader and kills the
// leader with SIGKILL a moment later, while the declaration's posts are in
// the outbox and its reminders about to fall due. The follower must take
// over (lease_ttl 2s), finish the posts, post the reminders, and serve the
// next command; nothing may be posted twice. A new follower replaces the
// killed leader. The takeover time (kill to the next declaration's war
// room) is logged; -failover.kills=20 gives BENCHMARKS.md's figures.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBot(t)
	cluster := etcdtest.Start(t, etcdtest.Options{Members: 3})
	w := newCrashWorld(t)
	defer w.fake.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*failoverKills+2)*30*time.Second)
	defer cancel()

	f := &failoverWorld{t: t, ctx: ctx, w: w}
	waitRole, declare, warRoom := f.waitRole, f.declare, f.warRoom
	n := 0
	leader := startReplicaBin(t, bin, w, cluster.Endpoints(), fmt.Sprintf("replica-%d", n))
	waitRole(leader, "ready (leader)")
	n++
	follower := startReplicaBin(t, bin, w, cluster.Endpoints(), fmt.Sprintf("replica-%d", n))
	waitRole(follower, "ready (follower)")

	var takeovers []time.Duration
	for i := 1; i <= *failoverKills; i++ {
		room := declare(2*i-1, i)
		// The declaration is stored and acked. Slack now answers late:
		// the leader dies before its reminders fall due, with calls made
		// whose answers it never read (the war room, perhaps its first
		// posts) and the rest of the declaration's posts in its outbox.
		w.fake.Inject("", slackfake.Fault{Kind: slackfake.FaultSlowAfterWork, Delay: time.Second, Calls: 3})
		time.Sleep(500 * time.Millisecond)
		leader.kill(t)
		killed := time.Now()
		w.fake.ClearFaults()
		// Slack refuses commands while no app is connected (users see
		// dispatch_failed and try again): wait for the new leader's
		// connection, then declare.
		for w.fake.Connections() != 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		waitRole(follower, "ready (leader)")
		for w.fake.Connections() == 0 && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		warRoom(declare(2*i, 100+i))
		took := time.Since(killed)
		takeovers = append(takeovers, took)
		t.Logf("kill %d: the new leader served a declaration %s after the kill", i, took.Round(time.Millisecond))

		// Nothing lost: the killed leader's incident has its war room
		// and the reminders that fell due meanwhile.
		id := warRoom(room)
		if err := w.fake.WaitFor(ctx, func() bool {
			for _, m := range w.fake.Messages(id) {
				// A heads-up (due 3s after the declaration, so from
				// the new leader) or a later reminder.
				if strings.Contains(m.Text, ":alarm_clock:") || strings.Contains(m.Text, ":bell:") {
					return true
				}
			}
			return false
		}); err != nil {
			t.Fatalf("round %d: no reminder in %s after the takeover", i, room)
		}
		// And its announcement, once (Duplicates checks the once).
		title := regexp.MustCompile(fmt.Sprintf(`\bFailover %d\b`, i))
		if err := w.fake.WaitFor(ctx, func() bool {
			return slices.ContainsFunc(w.fake.Messages(w.announce), func(m slackfake.Message) bool { return title.MatchString(m.Text) })
		}); err != nil {
			t.Fatalf("round %d: incident \"Failover %d\" was never announced", i, i)
		}
		leader, follower = follower, startReplicaBin(t, bin, w, cluster.Endpoints(), fmt.Sprintf("replica-%d", n+1))
		n++
		waitRole(leader, "ready (leader)")
		waitRole(follower, "ready (follower)")
	}
	// Nothing doubled, across every takeover.
	for _, d := range w.fake.Duplicates() {
		t.Errorf("posted twice: %s", d)
	}
	if w.fake.Connections() != 1 {
		t.Errorf("%d Socket Mode connections, want the leader's", w.fake.Connections())
	}
	slices.Sort(takeovers)
	t.Logf("takeover after SIGKILL over %d kills (lease_ttl 2s): median %s, worst %s",
		len(takeovers), takeovers[len(takeovers)/2].Round(time.Millisecond), takeovers[len(takeovers)-1].Round(time.Millisecond))
}

// failoverWorld drives replicas of the binary through the fake Slack.
type failoverWorld struct {
	t   *testing.T
	ctx context.Context
	w   *crashWorld
	// misses counts commands Slack got no ack for in time; resent
	// reports that the bot closed one and declare sent it again.
	misses int
	resent bool
}

// waitRole waits until r's /readyz says want.
func (f *failoverWorld) waitRole(r *replicaBin, want string) {
	f.t.Helper()
	for r.role() != want {
		if f.ctx.Err() != nil {
			f.t.Fatalf("%s: /readyz is %q, want %q", r.name, r.role(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// declare declares incident number num, titled after label, as a person
// would (declareAsPerson), and returns its war room's name.
func (f *failoverWorld) declare(num, label int) string {
	f.t.Helper()
	room := fmt.Sprintf("inc-%d-failover-%d", num, label)
	got := declareAsPerson(f.ctx, f.t, f.w.fake, f.w.people[0], f.w.general, fmt.Sprintf("Failover %d", label), room)
	f.misses += got.misses
	f.resent = f.resent || got.resent
	return room
}

// warRoom waits for the channel called name and returns its ID.
func (f *failoverWorld) warRoom(name string) string {
	f.t.Helper()
	var id string
	if err := f.w.fake.WaitFor(f.ctx, func() bool { c, ok := f.w.fake.ChannelByName(name); id = c.ID; return ok }); err != nil {
		f.t.Fatalf("no war room %s", name)
	}
	return id
}

// startEtcdFailover starts three etcd member processes and the fake
// Slack, and builds the binary, for a test of replicas on etcd. The world
// ends with the test, within 2 minutes.
func startEtcdFailover(t *testing.T) (f *failoverWorld, cluster *etcdtest.Cluster, bin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary and three etcd members")
	}
	bin = buildBot(t)
	cluster = etcdtest.StartProcesses(t, etcdtest.Options{Members: 3})
	w := newCrashWorld(t)
	t.Cleanup(w.fake.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &failoverWorld{t: t, ctx: ctx, w: w}, cluster, bin
}

// raftLeader returns the index of the member leading etcd's Raft group.
func (f *failoverWorld) raftLeader(cluster *etcdtest.Cluster) int {
	f.t.Helper()
	raft := cluster.Leader(f.ctx)
	if raft < 0 {
		f.t.Fatal("no etcd member leads")
	}
	return raft
}

// TestFailover_EtcdMembers: two replicas on a three-member etcd cluster
// of processes. The Raft leader among the members is killed, then
// restarted, then another member is frozen (SIGSTOP: its connections
// stay open and nothing answers, like a partition): the bot serves a
// declaration after each, and posts nothing twice.
//
// Each declaration should be acknowledged within Slack's 3 s (declare
// logs a miss and checks what the person gets). While etcd elects a new
// Raft leader (1 to 2 s with its default timeouts), the
// store's requests fail fast (they require a leader) and are tried again;
// a frozen member costs the requests in flight to it one attempt each
// (store.etcd.attempt_timeout, 1 s), and the client moves to another
// (package etcdhealth).
func TestFailover_EtcdMembers(t *testing.T) {
	f, cluster, bin := startEtcdFailover(t)
	w, ctx := f.w, f.ctx
	// The default lease (5 s): a lease must outlast etcd's election of a
	// Raft leader (1 to 2 s), or the bot's leader gives up its term
	// whenever etcd's leader changes.
	a := startReplicaTTL(t, bin, w, cluster.Endpoints(), "replica-a", "5s")
	f.waitRole(a, "ready (leader)")
	b := startReplicaTTL(t, bin, w, cluster.Endpoints(), "replica-b", "5s")
	f.waitRole(b, "ready (follower)")
	f.warRoom(f.declare(1, 1))

	raft := f.raftLeader(cluster)
	if err := cluster.Kill(raft); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	f.warRoom(f.declare(2, 2))
	t.Logf("served a declaration %s after etcd's leader member was killed", time.Since(killed).Round(time.Millisecond))
	if err := cluster.Restart(raft); err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}

	// Freeze a member that does not lead the Raft group: it is cut off
	// from a cluster that goes on (freezing the leader would be the kill
	// above again, an election).
	raft = f.raftLeader(cluster)
	frozen := (raft + 1) % 3
	if err := cluster.Pause(frozen); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	f.warRoom(f.declare(3, 3))
	t.Logf("served a declaration %s after a member was frozen", time.Since(paused).Round(time.Millisecond))
	if err := cluster.Resume(frozen); err != nil {
		t.Fatal(err)
	}
	for _, d := range w.fake.Duplicates() {
		t.Errorf("posted twice: %s", d)
	}
	if n := w.fake.Connections(); n != 1 {
		t.Errorf("%d Socket Mode connections, want the leader's", n)
	}
}

// TestFailover_EtcdWithoutQuorum: two of etcd's three members are frozen
// for longer than Slack waits for an ack, while a declaration comes in.
// The bot cannot store it in time, so it must not carry it out: Slack
// shows its sender an error, and a person who sees an error sends the
// command again. The bot tells the sender that nothing was done; the
// declaration sent again is served, once.
func TestFailover_EtcdWithoutQuorum(t *testing.T) {
	f, cluster, bin := startEtcdFailover(t)
	w := f.w
	// A lease that outlasts the outage: this test is about the command,
	// not about a new term.
	a := startReplicaTTL(t, bin, w, cluster.Endpoints(), "replica-a", "10s")
	f.waitRole(a, "ready (leader)")
	f.warRoom(f.declare(1, 1))

	raft := f.raftLeader(cluster)
	// The Raft leader and one follower: on thawing, the leader leads on
	// at once (the lone follower could not win an election meanwhile),
	// so the outage ends when they thaw, not an election later.
	frozen := []int{raft, (raft + 1) % 3}
	for _, i := range frozen {
		if err := cluster.Pause(i); err != nil {
			t.Fatal(err)
		}
	}
	// Thaw after Slack's 3 s, so that nothing can be stored before Slack
	// gives up, and well within the store's request_timeout (5 s), so
	// that the bot's requests are answered rather than failed.
	// The cluster is not safe for concurrent use: the test waits for the
	// thaw, or thaws itself if it ends first.
	resume := func() {
		for _, i := range frozen {
			cluster.Resume(i)
		}
	}
	thawed := make(chan struct{})
	thaw := time.AfterFunc(3400*time.Millisecond, func() { resume(); close(thawed) })
	defer func() {
		if thaw.Stop() {
			resume()
		} else {
			<-thawed
		}
	}()
	misses := f.misses
	f.warRoom(f.declare(2, 2))
	if f.misses == misses {
		t.Fatal("the declaration sent while etcd had no quorum was acked in time: the test did not test the late path")
	}
	if !f.resent {
		t.Error("the late declaration was carried out instead of being closed")
	}
	b, _ := os.ReadFile(a.log)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "too close") {
			t.Log(l)
		}
	}
	rooms := 0
	for _, c := range w.fake.Channels() {
		if strings.HasSuffix(c.Name, "-failover-2") {
			rooms++
		}
	}
	if rooms != 1 {
		t.Errorf("%d war rooms for declaration 2, want 1", rooms)
	}
	for _, d := range w.fake.Duplicates() {
		t.Errorf("posted twice: %s", d)
	}
}
