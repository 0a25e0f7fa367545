package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackfake"
)

// botProc is one incidentbot process ("run") serving its own fake Slack.
type botProc struct {
	bin, cfg, db  string
	fake          *slackfake.Server
	user, channel string // who sends commands, and where
	cmd           *exec.Cmd
	logs          *logWatch
	started       time.Time
	exited        chan struct{}
	exitErr       error
	// peak is the highest VmHWM read before a reset (resetPeak).
	peak int64
}

// session says how to run the bot.
type session struct {
	bin, db, dir string
	tick         time.Duration // scheduler.tick; 0 leaves the default
	logLevel     string
	people       []string // user IDs the workspace knows besides alice
}

// startBot writes a configuration for s and starts the bot on it. The
// caller must stop it.
func startBot(s session) (*botProc, error) {
	fake := slackfake.New()
	user := fake.AddUser(slackfake.User{Name: "alice", RealName: "Alice Example"})
	channel, err := fake.CreateChannel(user, "general", false, user)
	if err != nil {
		fake.Close()
		return nil, err
	}
	for _, id := range s.people {
		fake.AddUser(slackfake.User{ID: id, RealName: "Person " + id})
	}
	listen, err := freePort()
	if err != nil {
		fake.Close()
		return nil, err
	}
	cfg := fmt.Sprintf("slack:\n  api_url: %q\nstore:\n  path: %q\nhttp:\n  listen: %q\nlog:\n  level: %s\n  format: json\n",
		fake.APIURL(), s.db, listen, s.logLevel)
	if s.tick > 0 {
		cfg += fmt.Sprintf("scheduler:\n  tick: %s\n", s.tick)
	}
	b := &botProc{bin: s.bin, db: s.db, fake: fake, user: user, channel: channel,
		cfg: filepath.Join(s.dir, "config.yaml"), exited: make(chan struct{})}
	if err := os.WriteFile(b.cfg, []byte(cfg), 0o600); err != nil {
		fake.Close()
		return nil, err
	}
	// The whole log is kept beside the database (see --keep).
	logFile, err := os.OpenFile(filepath.Join(s.dir, "bot.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		fake.Close()
		return nil, err
	}
	b.logs = newLogWatch(logFile)
	b.cmd = exec.Command(s.bin, "run", "--config", b.cfg)
	b.cmd.Env = childEnv(fake)
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		fake.Close()
		return nil, err
	}
	b.started = time.Now()
	if err := b.cmd.Start(); err != nil {
		fake.Close()
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", s.bin, err)
	}
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		b.logs.read(stderr)
		logFile.Close()
	}()
	go func() {
		<-logsDone // Wait closes the pipe: read it to the end first
		b.exitErr = b.cmd.Wait()
		close(b.exited)
	}()
	return b, nil
}

// baseEnv is this process's environment without incidentbot's settings
// and Slack tokens, which would override the configuration written here.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INCIDENTBOT_") && !strings.HasPrefix(kv, "SLACK_") {
			env = append(env, kv)
		}
	}
	return env
}

// childEnv is baseEnv plus the fake's tokens.
func childEnv(fake *slackfake.Server) []string {
	return append(baseEnv(), "SLACK_BOT_TOKEN="+fake.BotToken(), "SLACK_APP_TOKEN="+fake.AppToken())
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitConnected waits for the bot's Socket Mode connection and returns
// the time from starting the process to the fake accepting it.
func (b *botProc) waitConnected(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	go func() {
		select {
		case <-b.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := b.fake.WaitFor(ctx, func() bool { return b.fake.Connections() > 0 }); err != nil {
		return 0, fmt.Errorf("%s did not connect: %w%s", b.bin, err, b.logs.tailText())
	}
	return time.Since(b.started), nil
}

// stop ends the bot with SIGTERM (SIGKILL after a minute) and returns its
// peak resident set from its start to the signal: the highest VmHWM read,
// across resets. Not the wait4 figure: that would be at least
// scalebench's own peak (see spawn.go); shutdown is not counted.
func (b *botProc) stop() (maxRSS int64, err error) {
	defer b.fake.Close()
	b.notePeak()
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(time.Minute):
		_ = b.cmd.Process.Kill()
		<-b.exited
		err = errors.New("did not stop within a minute of SIGTERM; killed")
	}
	if b.exitErr != nil && err == nil {
		err = fmt.Errorf("exited with %v%s", b.exitErr, b.logs.tailText())
	}
	return b.peak, err
}

// notePeak folds the bot's VmHWM into peak.
func (b *botProc) notePeak() {
	if ms, err := readStatus(b.pid()); err == nil {
		b.peak = max(b.peak, ms.HWM)
	}
}

// resetPeak resets the bot's VmHWM to its current RSS (proc(5),
// clear_refs), after noting the peak so far.
func (b *botProc) resetPeak() error {
	b.notePeak()
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", b.pid()), []byte("5"), 0)
}

func (b *botProc) pid() int { return b.cmd.Process.Pid }

// memStatus is the memory of a running process, in bytes, from
// /proc/PID/status.
type memStatus struct {
	RSS, Anon, File, HWM int64
}

func readStatus(pid int) (memStatus, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	var m memStatus
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.RSS
		case "RssAnon":
			dst = &m.Anon
		case "RssFile":
			dst = &m.File
		case "VmHWM":
			dst = &m.HWM
		default:
			continue
		}
		*dst = kB(v)
	}
	return m, nil
}

// kB reads "  1234 kB" as bytes.
func kB(v string) int64 {
	f := strings.Fields(v)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n * 1024
}

// mappedResident is how much of the file at path is resident in the
// process's mappings (/proc/PID/smaps): the pages of the database the bot
// has touched (bbolt reads through mmap), give or take the kernel's
// fault-around of neighbouring cached pages.
func mappedResident(pid int, path string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[5] == path
			continue
		}
		if in {
			if v, ok := strings.CutPrefix(line, "Rss:"); ok {
				total += kB(v)
			}
		}
	}
	return total, sc.Err()
}

// cpuTime is the user and system CPU time of a running process.
func cpuTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces), from field 3.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// logWatch reads the bot's JSON log: cron job runs (at debug level) and
// the last lines, for error messages. It copies every line to out.
type logWatch struct {
	out  io.Writer
	mu   sync.Mutex
	runs map[int]int // cron entry ID → runs
	tail []string
}

func newLogWatch(out io.Writer) *logWatch { return &logWatch{out: out, runs: map[int]int{}} }

func (w *logWatch) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(w.out, line)
		var rec struct {
			Msg       string `json:"msg"`
			Component string `json:"component"`
			Entry     int    `json:"entry"`
		}
		_ = json.Unmarshal([]byte(line), &rec)
		w.mu.Lock()
		if rec.Component == "cron" && rec.Msg == "run" {
			w.runs[rec.Entry]++
		}
		w.tail = append(w.tail, line)
		if len(w.tail) > 20 {
			w.tail = w.tail[1:]
		}
		w.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// allRuns returns the runs of every cron entry so far.
func (w *logWatch) allRuns() map[int]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.runs)
}

// jobRuns returns how many times cron entry id has run.
func (w *logWatch) jobRuns(id int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.runs[id]
}

func (w *logWatch) tailText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.tail) == 0 {
		return ""
	}
	return "\nlast lines of its log:\n" + strings.Join(w.tail, "\n")
}

// lastLine is the last non-empty line of s, or s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// countWriter counts bytes and drops them.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// command is one run of a short-lived command: its wall time, peak RSS
// and output size.
type command struct {
	Wall   time.Duration
	MaxRSS int64
	Bytes  int64
	Err    string // the command's last stderr line when it failed
}

// runCommand runs bin with args in env, measuring it.
func runCommand(ctx context.Context, bin string, args, env []string) command {
	var out countWriter
	var stderr bytes.Buffer
	start := time.Now()
	maxRSS, err := runMeasured(ctx, bin, args, env, &out, &stderr)
	c := command{Wall: time.Since(start), MaxRSS: maxRSS, Bytes: out.n}
	if err != nil {
		c.Err = lastLine(stderr.String())
		if c.Err == "" {
			c.Err = err.Error()
		}
	}
	return c
}
