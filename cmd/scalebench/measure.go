package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// formats are the export formats measured.
var formats = []string{"md", "json"}

// binResult is everything measured of one binary at one size.
type binResult struct {
	Connect   []time.Duration // process start → Socket Mode connected
	Start     []memStatus     // idle, settle after connecting
	Mapped    []int64         // database bytes resident in the bot at that moment
	MaxRSS    []int64         // peak over a start-up session's life
	ListCold  []listSample    // the first /incident list after start
	ListWarm  []listSample    // the following ones
	Answer    string          // what the first list answered, for the log
	Long      longResult
	LiveFirst liveExport              // the first export through the running bot (md): names not yet known
	Live      map[string][]liveExport // through the running bot, by format, after LiveFirst
	File      map[string][]command    // from the file, by format
}

// longResult is the session with an hour's worth of ticks.
type longResult struct {
	Ticks        int           // reminder ticks run between the two readings
	Elapsed      time.Duration // between the two readings
	CPU          time.Duration // the bot's CPU time between them
	Start, After memStatus
	MappedStart  int64
	MappedAfter  int64
	OtherJobs    map[int]int // other cron entries' runs in the same time
	MaxRSS       int64       // peak over the whole session, exports included
}

// liveExport is one export asked of the running bot.
type liveExport struct {
	command       // the export client
	BotPeak int64 // the bot's peak RSS while it served the export
}

// listSample is one /incident list, timed by the fake from the moment it
// wrote the envelope to the socket (Ack.SentAt).
type listSample struct {
	Ack    time.Duration // until the ack frame arrived
	Answer time.Duration // until the reply arrived: in the ack, or on response_url
	InAck  bool          // the ack carried the reply
}

// sizeResult is one size's measurements.
type sizeResult struct {
	N              int
	BeforeSchema   int
	BeforeBytes    int64 // the before binary's store file
	AfterBytes     int64
	Before, After  binResult
	Loads          []string // load average as each phase began
	BeforeDB       string
	AfterDB        string
	LongTick       time.Duration
	StartsRun      int
	ExportsPerForm int
}

// measureSize runs every measurement of one size: start-up sessions
// (before and after alternating), the long session (both bots side by
// side, idle, then exports through each in turn), and exports from the
// file (alternating).
func measureSize(ctx context.Context, o options, n int, st stores, logf func(string, ...any)) (*sizeResult, error) {
	r := &sizeResult{N: n, BeforeSchema: o.BeforeSchema, LongTick: o.Tick, StartsRun: o.Starts, ExportsPerForm: o.Exports}
	r.BeforeBytes, r.AfterBytes = fileSize(st.Before), fileSize(st.After)
	dir := filepath.Join(o.Work, fmt.Sprintf("n%d", n))
	type side struct {
		name, bin, src, dir, db string
		res                     *binResult
	}
	sides := []*side{
		{name: "before", bin: o.Before, src: st.Before, res: &r.Before},
		{name: "after", bin: o.After, src: st.After, res: &r.After},
	}
	for _, s := range sides {
		s.dir = filepath.Join(dir, s.name)
		s.db = filepath.Join(s.dir, "bot.db")
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return nil, err
		}
		logf("n=%d: copying %s to %s", n, s.src, s.db)
		if err := copyFile(s.src, s.db); err != nil {
			return nil, err
		}
		s.res.Live, s.res.File = map[string][]liveExport{}, map[string][]command{}
	}
	r.BeforeDB, r.AfterDB = sides[0].db, sides[1].db
	defer func() {
		for _, s := range sides {
			os.Remove(s.db)
		}
	}()

	phase := func(name string) {
		r.Loads = append(r.Loads, name+": "+loadAverage())
		logf("n=%d: %s (load %s)", n, name, loadAverage())
	}
	phase("start-up sessions")
	for i := range o.Starts {
		for _, s := range sides {
			if err := startSession(ctx, o, session{bin: s.bin, db: s.db, dir: s.dir, logLevel: "info", people: st.People}, s.res); err != nil {
				return nil, fmt.Errorf("n=%d %s start-up session %d: %w", n, s.name, i+1, err)
			}
		}
	}
	logf("n=%d: first list answers: before %q, after %q", n, r.Before.Answer, r.After.Answer)

	phase("long session")
	var bots []*botProc
	defer func() {
		for _, b := range bots {
			b.stop()
		}
	}()
	for _, s := range sides {
		b, err := startBot(session{bin: s.bin, db: s.db, dir: s.dir, tick: o.Tick, logLevel: "debug", people: st.People})
		if err != nil {
			return nil, err
		}
		bots = append(bots, b)
	}
	for i, b := range bots {
		if _, err := b.waitConnected(ctx, 2*time.Minute); err != nil {
			return nil, fmt.Errorf("n=%d %s long session: %w", n, sides[i].name, err)
		}
	}
	if err := sleep(ctx, o.Settle); err != nil {
		return nil, err
	}
	marks := make([]snapshot, len(bots))
	for i, b := range bots {
		var err error
		if marks[i], err = b.snapshot(); err != nil {
			return nil, err
		}
	}
	logf("n=%d: waiting for %d ticks of %s", n, o.Ticks, o.Tick)
	deadline := time.Now().Add(time.Duration(o.Ticks)*o.Tick*2 + time.Minute)
	for i, b := range bots {
		for b.logs.jobRuns(tickEntry)-marks[i].runs[tickEntry] < o.Ticks {
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("n=%d %s: %d ticks of %d after %v%s", n, sides[i].name,
					b.logs.jobRuns(tickEntry)-marks[i].runs[tickEntry], o.Ticks, time.Since(marks[i].at), b.logs.tailText())
			}
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
	for i, b := range bots {
		end, err := b.snapshot()
		if err != nil {
			return nil, err
		}
		sides[i].res.Long = between(marks[i], end)
	}
	phase("exports through the running bot")
	// The first export looks up every person's name in Slack, paced to
	// users.info's rate limit; the bot remembers them for an hour. It is
	// reported apart, and the repeated exports measure the data.
	for i, b := range bots {
		if o.Exports > 0 {
			sides[i].res.LiveFirst = exportLive(ctx, b, "md")
		}
	}
	for range o.Exports {
		for _, f := range formats {
			for i, b := range bots {
				sides[i].res.Live[f] = append(sides[i].res.Live[f], exportLive(ctx, b, f))
			}
		}
	}
	for i, b := range bots {
		maxRSS, err := b.stop()
		if err != nil {
			return nil, fmt.Errorf("n=%d %s long session: %w", n, sides[i].name, err)
		}
		sides[i].res.Long.MaxRSS = maxRSS
	}
	bots = nil

	phase("exports from the file")
	for range o.Exports {
		for _, f := range formats {
			for _, s := range sides {
				cfg := filepath.Join(s.dir, "config.yaml")
				c := runCommand(ctx, s.bin, []string{"export", "--config", cfg, "--format", f}, baseEnv())
				s.res.File[f] = append(s.res.File[f], c)
			}
		}
	}
	phase("done")
	return r, nil
}

// tickEntry is the reminder tick's cron entry: the first job scheduled.
const tickEntry = 1

// snapshot is what the long session reads of a bot at its start and end.
type snapshot struct {
	at     time.Time
	mem    memStatus
	mapped int64
	cpu    time.Duration
	runs   map[int]int
}

func (b *botProc) snapshot() (snapshot, error) {
	s := snapshot{at: time.Now(), runs: b.logs.allRuns()}
	var err error
	if s.mem, err = readStatus(b.pid()); err != nil {
		return s, err
	}
	if s.mapped, err = mappedResident(b.pid(), b.db); err != nil {
		return s, err
	}
	s.cpu, err = cpuTime(b.pid())
	return s, err
}

// between is what changed from s0 to s1.
func between(s0, s1 snapshot) longResult {
	l := longResult{
		Ticks: s1.runs[tickEntry] - s0.runs[tickEntry], Elapsed: s1.at.Sub(s0.at), CPU: s1.cpu - s0.cpu,
		Start: s0.mem, After: s1.mem, MappedStart: s0.mapped, MappedAfter: s1.mapped, OtherJobs: map[int]int{},
	}
	for id, runs := range s1.runs {
		if id != tickEntry && runs > s0.runs[id] {
			l.OtherJobs[id] = runs - s0.runs[id]
		}
	}
	return l
}

// startSession starts the bot with default settings, measures start-up,
// idle memory and /incident list, and stops it.
func startSession(ctx context.Context, o options, s session, res *binResult) error {
	b, err := startBot(s)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			b.stop()
		}
	}()
	connect, err := b.waitConnected(ctx, 2*time.Minute)
	if err != nil {
		return err
	}
	res.Connect = append(res.Connect, connect)
	if err := sleep(ctx, o.Settle); err != nil {
		return err
	}
	ms, err := readStatus(b.pid())
	if err != nil {
		return err
	}
	mapped, err := mappedResident(b.pid(), s.db)
	if err != nil {
		return err
	}
	res.Start, res.Mapped = append(res.Start, ms), append(res.Mapped, mapped)
	for i := range o.Lists + 1 {
		l, text, err := b.list(ctx)
		if err != nil {
			return fmt.Errorf("/incident list: %w", err)
		}
		if i == 0 {
			res.ListCold = append(res.ListCold, l)
			res.Answer = text
		} else {
			res.ListWarm = append(res.ListWarm, l)
		}
	}
	stopped = true
	maxRSS, err := b.stop()
	if err != nil {
		return err
	}
	res.MaxRSS = append(res.MaxRSS, maxRSS)
	return nil
}

// list sends one /incident list and times it. It returns the start of
// the answer's text, for the log.
func (b *botProc) list(ctx context.Context) (listSample, string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	before := len(b.fake.Ephemerals(b.channel, b.user))
	d, err := b.fake.SlashCommand(b.user, b.channel, "/incident", "list")
	if err != nil {
		return listSample{}, "", err
	}
	payload, err := d.Wait(ctx)
	if err != nil {
		return listSample{}, "", err
	}
	acks := b.fake.Acks()
	i := len(acks) - 1
	for i >= 0 && acks[i].EnvelopeID != d.EnvelopeID {
		i--
	}
	if i < 0 || acks[i].SentAt.IsZero() || acks[i].Late {
		return listSample{}, "", fmt.Errorf("no timely ack of %s", d.EnvelopeID)
	}
	a := acks[i]
	s := listSample{Ack: a.Time.Sub(a.SentAt)}
	var reply struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	_ = json.Unmarshal(payload, &reply)
	if reply.Text != "" || len(reply.Blocks) > 4 {
		s.Answer, s.InAck = s.Ack, true
		return s, short(reply.Text), nil
	}
	// Answered after the ack, on the response_url: the fake stamps the
	// reply's ts with its arrival.
	err = b.fake.WaitFor(ctx, func() bool { return len(b.fake.Ephemerals(b.channel, b.user)) > before })
	if err != nil {
		return listSample{}, "", fmt.Errorf("no reply after the ack: %w", err)
	}
	m := b.fake.Ephemerals(b.channel, b.user)[before]
	at, err := tsTime(m.TS)
	if err != nil {
		return listSample{}, "", err
	}
	s.Answer = at.Sub(a.SentAt)
	return s, short(m.Text), nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// tsTime reads a Slack ts (seconds.microseconds).
func tsTime(ts string) (time.Time, error) {
	sec, frac, ok := strings.Cut(ts, ".")
	s, err1 := strconv.ParseInt(sec, 10, 64)
	us, err2 := strconv.ParseInt(frac, 10, 64)
	if !ok || err1 != nil || err2 != nil || len(frac) != 6 {
		return time.Time{}, fmt.Errorf("ts %q is not seconds.microseconds", ts)
	}
	return time.Unix(s, us*1000), nil
}

// exportLive runs `incidentbot export` while the bot runs and reads the
// bot's peak RSS over it.
func exportLive(ctx context.Context, b *botProc, format string) liveExport {
	if err := b.resetPeak(); err != nil {
		return liveExport{command: command{Err: "reset the bot's peak RSS: " + err.Error()}}
	}
	c := runCommand(ctx, b.bin, []string{"export", "--config", b.cfg, "--format", format}, childEnv(b.fake))
	e := liveExport{command: c}
	if ms, err := readStatus(b.pid()); err == nil {
		e.BotPeak = ms.HWM
	}
	return e
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// copyFile copies src to dst; dst ends up in the page cache, as a
// database in use is.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
