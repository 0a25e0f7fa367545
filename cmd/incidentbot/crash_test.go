package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/etcdtest"
)

// The crash test runs the real incidentbot binary against the fake Slack,
// kills it with SIGKILL at random moments while people use it, restarts it
// on the same store, and at the end checks that nothing acknowledged was
// lost and nothing was done twice. TestCrashLoop keeps the store in a bbolt
// file, TestCrashLoop_Etcd on a three-member etcd cluster. -crash.cycles
// and -crash.seed run them longer or differently; INCIDENTBOT_CRASH_REPORT
// names a file for the counts.
var (
	crashCycles = flag.Int("crash.cycles", 0, "crash test: how many times the bot is killed and restarted (0: 20 on bbolt, 10 on etcd)")
	crashSeed   = flag.Uint64("crash.seed", 1, "crash test: seed of the workload and of the kill times")
	crashKeep   = flag.String("crash.keep", "", "crash test: keep the database and the bot's logs (at debug level) in this directory")
)

// crashReportEnv names the file the crash test appends its counts to.
const crashReportEnv = "INCIDENTBOT_CRASH_REPORT"

func TestCrashLoop(t *testing.T) {
	skipCrashShort(t)
	runCrashLoop(t, crashBackend{name: "bbolt", cycles: 20})
}

// TestCrashLoop_Etcd runs the same loop on etcd: each new process stands
// by until the killed one's election lease (lease_ttl 2s) runs out, then
// leads. The members are processes of their own, not instrumented by the
// race detector that may run this test.
func TestCrashLoop_Etcd(t *testing.T) {
	skipCrashShort(t)
	cluster := etcdtest.StartProcesses(t, etcdtest.Options{Members: 3})
	runCrashLoop(t, crashBackend{name: "etcd (3 members)", cycles: 10, endpoints: cluster.Endpoints()})
}

func skipCrashShort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the incidentbot binary through SIGKILL and restarts; skipped in -short")
	}
}

// crashBackend is where the bot under test keeps its store.
type crashBackend struct {
	name   string
	cycles int // kills when -crash.cycles is not given
	// endpoints are the etcd cluster's client URLs; none: a bbolt file.
	endpoints []string
}

// crashEtcdPrefix is the store's prefix on etcd.
const crashEtcdPrefix = "/crash/"

// storeConfig is the store: section of the bot's configuration. A short
// lease makes a restarted process take over soon after a kill.
func (b crashBackend) storeConfig(path string) string {
	cfg := fmt.Sprintf("store:\n  path: %q\n", path)
	if b.endpoints == nil {
		return cfg
	}
	quoted := make([]string, len(b.endpoints))
	for i, e := range b.endpoints {
		quoted[i] = strconv.Quote(e)
	}
	return cfg + fmt.Sprintf("  backend: etcd\n  etcd:\n    endpoints: [%s]\n    prefix: %q\n    lease_ttl: 2s\n",
		strings.Join(quoted, ", "), crashEtcdPrefix)
}

// open opens the store for the test to read: the bbolt file at path,
// which no process may hold, or the store on etcd, which the bot may be
// using (every read is a snapshot of its own).
func (b crashBackend) open(path string) (db *store.DB, closeDB func(), err error) {
	if b.endpoints == nil {
		db, err := store.Open(path)
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	cli, err := etcdtest.NewClient(b.endpoints)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if db, err = store.OpenEtcd(ctx, cli, crashEtcdPrefix); err != nil {
		cli.Close()
		return nil, nil, err
	}
	return db, func() { db.Close(); cli.Close() }, nil
}

// runCrashLoop runs the workload, the kills and the final checks on b.
func runCrashLoop(t *testing.T, b crashBackend) {
	bin := buildBot(t)
	seed := *crashSeed
	rng := rand.New(rand.NewPCG(seed, 0xC0FFEE))
	w := newCrashWorld(t)
	defer w.fake.Close()
	p := newBotProc(t, bin, w, b)

	wl := newWorkload(w, seed)
	ctx, stopWorkload := context.WithCancel(context.Background())
	defer stopWorkload()
	p.start(t)
	wlDone := make(chan struct{})
	go func() {
		defer close(wlDone)
		wl.run(ctx)
	}()

	cycles := b.cycles
	if *crashCycles > 0 {
		cycles = *crashCycles
	}
	for i := range cycles {
		// Most kills land while people are busy; some come right after
		// start-up, during the replay of what the last process left.
		up := 300*time.Millisecond + time.Duration(rng.Int64N(int64(1800*time.Millisecond)))
		if rng.IntN(5) == 0 {
			up = time.Duration(rng.Int64N(int64(250 * time.Millisecond)))
		}
		time.Sleep(up)
		slow := rng.IntN(3) > 0
		if slow {
			// Most kills land while Slack is answering: the calls of the
			// moment did their work and their answers are slow, so the
			// process dies not knowing what Slack did.
			w.fake.Inject("", slackfake.Fault{Kind: slackfake.FaultSlowAfterWork, Delay: time.Second, Calls: 1 + rng.IntN(4)})
			time.Sleep(time.Duration(50+rng.IntN(250)) * time.Millisecond)
		}
		p.kill(t)
		w.fake.ClearFaults()
		t.Logf("cycle %d: killed at %s after %s (slow answers: %v)", i+1, time.Now().Format("15:04:05.000"), up.Round(time.Millisecond), slow)
		if rng.IntN(3) == 0 {
			// Down for a moment: commands meanwhile wait in Slack.
			time.Sleep(time.Duration(rng.Int64N(int64(400 * time.Millisecond))))
		}
		p.start(t)
	}
	// People stop; whatever they started lands.
	stopWorkload()
	<-wlDone
	for attempt := 1; ; attempt++ {
		drainStart := time.Now()
		if err := p.drain(20*time.Second, 5*time.Minute); err != nil {
			// What it is stuck on: every goroutine's stack, in its log.
			t.Errorf("the bot did not settle: %v", err)
			p.quit(t)
		} else {
			t.Logf("settled in %s", time.Since(drainStart).Round(100*time.Millisecond))
			p.stop(t)
		}
		// A reminder may fall due between the last look and the stop: it
		// is stored, and the next start delivers it.
		reqs, effs, err := p.backlog(false)
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs)+len(effs) == 0 || attempt == 3 {
			break
		}
		t.Logf("%d requests and %d effects stored as the bot stopped; starting it again to deliver them", len(reqs), len(effs))
		p.start(t)
	}

	db, closeDB, err := b.open(p.dbPath)
	if err != nil {
		t.Fatalf("open the store after the run: %v", err)
	}
	defer closeDB()
	c := newCrashChecker(t, w, wl, db)
	c.check()
	r := &c.report
	r.Backend, r.Cycles, r.Seed, r.Takeovers = b.name, cycles, seed, p.takeovers
	out := r.String()
	t.Log(out)
	if path := os.Getenv(crashReportEnv); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("write the crash report: %v", err)
		} else {
			fmt.Fprintln(f, out)
			f.Close()
		}
	}
	if t.Failed() {
		p.dumpLogs(t)
	}
}

// buildBot builds the incidentbot binary of this package into a temporary
// directory.
func buildBot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is not in PATH: cannot build the binary under test")
	}
	bin := filepath.Join(t.TempDir(), "incidentbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashWorld is the fake workspace: the people who use the bot, #general
// where they declare, and #incidents where incidents are announced.
type crashWorld struct {
	fake     *slackfake.Server
	people   []string
	names    map[string]string
	general  string
	announce string
}

func newCrashWorld(t *testing.T) *crashWorld {
	t.Helper()
	// The real clock: the bot runs in another process on it.
	w := &crashWorld{fake: slackfake.New(), names: map[string]string{}}
	for _, n := range []string{"ada", "ben", "cyd", "dee"} {
		id := w.fake.AddUser(slackfake.User{Name: n, RealName: strings.ToUpper(n[:1]) + n[1:]})
		w.people = append(w.people, id)
		w.names[id] = n
	}
	everyone := append([]string{w.fake.BotUserID()}, w.people...)
	var err error
	if w.general, err = w.fake.CreateChannel(w.people[0], "general", false, everyone...); err != nil {
		t.Fatal(err)
	}
	if w.announce, err = w.fake.CreateChannel(w.people[0], "incidents", false, everyone...); err != nil {
		t.Fatal(err)
	}
	return w
}

// Reminder timings short enough that every stage falls due during the run:
// a heads-up 10 s before the update is due, an escalation 10 s after.
const crashConfig = `slack:
  api_url: %q
  announce_channels: [%q]
  connect_timeout: 30s
  call_timeout: 5s
%shttp:
  listen: %q
incidents:
  severities:
    - name: critical
      description: "Down"
      update_every: 30s
    - name: major
      description: "Broken"
      update_every: 40s
    - name: minor
      description: "Degraded"
      update_every: 50s
  default_severity: major
reminders:
  remind_before: 10s
  escalate_after: 10s
  snooze: 30s
scheduler:
  tick: 1s
log:
  level: %s
shutdown_grace: 3s
`

// botProc runs the binary, one process at a time, on one store.
type botProc struct {
	bin     string
	w       *crashWorld
	backend crashBackend
	dir     string
	cfgPath string
	dbPath  string
	listen  string
	env     []string

	n    int // processes started
	cmd  *exec.Cmd
	done chan error
	logs []string
	// takeovers are how long each process took, on etcd, from its start
	// to leading (the killed one's lease running out meanwhile).
	takeovers []time.Duration
}

func newBotProc(t *testing.T, bin string, w *crashWorld, b crashBackend) *botProc {
	dir, level := t.TempDir(), "info"
	if *crashKeep != "" {
		dir, level = *crashKeep, "debug"
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := &botProc{bin: bin, w: w, backend: b, dir: dir, dbPath: filepath.Join(dir, "incidentbot.db"), listen: freePort(t)}
	p.cfgPath = filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf(crashConfig, w.fake.APIURL(), w.announce, b.storeConfig(p.dbPath), p.listen, level)
	if err := os.WriteFile(p.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Only what the binary needs: an INCIDENTBOT_ variable of the test's
	// own (the report file) would be refused as an unknown setting.
	t.Cleanup(func() {
		if p.cmd != nil { // the test ended early: no process outlives it
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	p.env = []string{"SLACK_BOT_TOKEN=" + w.fake.BotToken(), "SLACK_APP_TOKEN=" + w.fake.AppToken(), "PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	return p
}

// start runs a new process and waits until it is connected to the fake:
// on etcd, only the leader connects, and /readyz says so.
func (p *botProc) start(t *testing.T) {
	t.Helper()
	p.n++
	logPath := filepath.Join(p.dir, fmt.Sprintf("bot-%03d.log", p.n))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.logs = append(p.logs, logPath)
	cmd := exec.Command(p.bin, "run", "--config", p.cfgPath)
	cmd.Env, cmd.Stdout, cmd.Stderr = p.env, logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start the bot: %v", err)
	}
	p.cmd, p.done = cmd, make(chan error, 1)
	go func() {
		p.done <- cmd.Wait()
		logf.Close()
	}()
	// Polled: the fake's changes do not tell of the process exiting.
	started := time.Now()
	deadline := started.Add(20 * time.Second)
	ready := &replicaBin{listen: p.listen} // its /readyz
	for {
		select {
		case err := <-p.done:
			p.done <- err
			p.dumpLogs(t)
			t.Fatalf("bot process %d exited at start-up: %v", p.n, err)
		default:
		}
		connected, role := p.w.fake.Connections() > 0, ""
		if connected && p.backend.endpoints != nil {
			role = ready.role()
		}
		switch {
		case connected && p.backend.endpoints == nil:
			return
		case connected && role == "ready (leader)":
			p.takeovers = append(p.takeovers, time.Since(started))
			return
		case time.Now().After(deadline):
			p.dumpLogs(t)
			t.Fatalf("bot process %d did not connect and lead within 20s (connected: %v, /readyz %q)", p.n, connected, role)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL and waits until the fake has seen its
// socket close.
func (p *botProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill the bot: %v", err)
	}
	<-p.done
	p.cmd = nil
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if p.w.fake.WaitFor(ctx, func() bool { return p.w.fake.Connections() == 0 }) != nil {
		p.w.fake.DropSockets()
	}
}

// stop ends the process with SIGTERM, as a redeploy does, and checks that it
// exits cleanly within its grace period.
func (p *botProc) stop(t *testing.T) {
	t.Helper()
	if p.cmd == nil {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stop the bot: %v", err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("the bot exited with %v on SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("the bot did not stop within 15s of SIGTERM")
	}
	p.cmd = nil
}

// quit ends the process with SIGQUIT: the Go runtime writes every
// goroutine's stack to its log.
func (p *botProc) quit(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatalf("quit the bot: %v", err)
	}
	<-p.done
	p.cmd = nil
	t.Logf("goroutine dump in %s", p.logs[len(p.logs)-1])
}

// drain waits until the fake has no envelope waiting for an ack and the
// running bot's store holds neither a request to process nor an effect to
// deliver. After a long run the backlog is long, and grows while it is
// worked off: the announcement channel takes about one message a second,
// each process looks in Slack for every effect it inherits before posting
// it (conversations.history, 50 calls a minute), and the reminders of the
// incidents left open keep falling due. drain gives up when nothing is
// processed or delivered for stall, or the backlog is still there after
// limit.
func (p *botProc) drain(stall, limit time.Duration) error {
	type item struct {
		request bool
		seq     uint64
	}
	start := time.Now()
	moved := start
	var pending map[item]bool // what the last look found
	var last string
	for {
		switch now := time.Now(); {
		case now.Sub(moved) > stall:
			return fmt.Errorf("nothing processed or delivered for %s: %s", stall, last)
		case now.Sub(start) > limit:
			return fmt.Errorf("still busy after %s: %s", limit, last)
		}
		time.Sleep(250 * time.Millisecond)
		if n := p.w.fake.Pending(); n > 0 {
			last = fmt.Sprintf("%d envelopes unacked", n)
			continue
		}
		reqs, effs, err := p.backlog(true)
		if err != nil {
			last = err.Error()
			continue
		}
		if len(reqs)+len(effs) == 0 {
			return nil
		}
		seen := make(map[item]bool, len(reqs)+len(effs))
		for _, r := range reqs {
			seen[item{true, r.Seq}] = true
		}
		for _, e := range effs {
			seen[item{false, e.Seq}] = true
		}
		for it := range pending {
			if !seen[it] {
				moved = time.Now()
				break
			}
		}
		pending = seen
		var b strings.Builder
		fmt.Fprintf(&b, "%d requests and %d effects pending", len(reqs), len(effs))
		for _, e := range effs[:min(len(effs), 10)] {
			fmt.Fprintf(&b, "\n  effect %d %s incident %d lane %s attempts %d not before %s: %s", e.Seq, e.Kind, e.IncidentID, e.Lane, e.Attempts, e.NotBefore.Format(time.TimeOnly), e.Payload)
		}
		last = b.String()
	}
}

// backlog reads the requests and effects pending in the store. While a
// bot runs on bbolt, it reads a consistent copy (the admin backup) of the
// database the bot holds.
func (p *botProc) backlog(running bool) ([]incident.Request, []incident.Effect, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	path := p.dbPath
	if running && p.backend.endpoints == nil {
		path = filepath.Join(p.dir, "drain.db")
		if err := backupOverHTTP(ctx, p.listen, adminTokenPath(p.dbPath), path); err != nil {
			return nil, nil, err
		}
	}
	db, closeDB, err := p.backend.open(path)
	if err != nil {
		return nil, nil, err
	}
	defer closeDB()
	reqs, err := db.Requests(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	effs, err := db.PendingEffects(ctx, 0)
	return reqs, effs, err
}

// dumpLogs prints the end of the last processes' logs.
func (p *botProc) dumpLogs(t *testing.T) {
	t.Helper()
	for _, path := range p.logs[max(0, len(p.logs)-4):] {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Logf("--- %s\n%s", filepath.Base(path), strings.Join(lines, "\n"))
	}
}

// crashReport is what the crash test counted.
type crashReport struct {
	Backend  string
	Seed     uint64
	Cycles   int
	Sent     int // slash commands and reactions
	Acked    int
	Accepted int // acked with the confirmation (the dry run passed)
	// Redelivered counts reactions Slack delivered again, their first
	// delivery unacked.
	Redelivered int
	Incidents   int
	Effects     int // Slack effects checked against the store
	Duplicates  int
	Losses      int
	Doubles     int // acked requests that took effect more than once
	// Takeovers are how long each process took to lead (etcd).
	Takeovers []time.Duration
}

func (r *crashReport) String() string {
	var lead string
	if n := len(r.Takeovers); n > 0 {
		ts := slices.Sorted(slices.Values(r.Takeovers))
		lead = fmt.Sprintf(", start to leader median %s worst %s", ts[n/2].Round(time.Millisecond), ts[n-1].Round(time.Millisecond))
	}
	return fmt.Sprintf("crash test on %s: seed %d, %d cycles, %d commands and reactions sent, %d acked (%d accepted, %d reactions redelivered), %d incidents, %d effects checked, %d duplicates, %d losses, %d done twice%s",
		r.Backend, r.Seed, r.Cycles, r.Sent, r.Acked, r.Accepted, r.Redelivered, r.Incidents, r.Effects, r.Duplicates, r.Losses, r.Doubles, lead)
}
