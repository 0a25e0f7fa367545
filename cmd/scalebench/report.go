package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// report is the whole run, rendered as Markdown.
type report struct {
	Opts              options
	Machine           machine
	Before, After     binaryInfo
	Started, Finished time.Time
	Sizes             []*sizeResult
	// Floor is the peak RSS a command doing nothing shows: the launcher's
	// own (spawn.go).
	Floor int64
}

// Goals of issue 10, at 100k stored incidents.
const (
	goalConnect = 200 * time.Millisecond
	goalIdleRSS = 30_000_000
	goalList    = 15 * time.Millisecond
	goalExport  = 64_000_000
	// linearSlack: an export is linear when its time per incident at the
	// largest size is at most this times that at the smallest.
	linearSlack = 1.5
)

func (r *report) write(w io.Writer) {
	o := r.Opts
	fmt.Fprintf(w, "## scalebench: before and after, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "- Command: `%s` (%s)\n", o.CmdLine, r.Finished.Sub(r.Started).Round(time.Second))
	m := r.Machine
	fmt.Fprintf(w, "- Machine: %s, %d CPUs, %s RAM, Linux %s, %s\n", m.CPU, m.CPUs, mb(m.MemTotal), m.Kernel, m.Go)
	fmt.Fprintf(w, "- Before: sha256 %s (%s); after: sha256 %s. Binaries scalebench builds are built as the Dockerfile builds "+
		"the shipped one: `CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\"`.\n", r.Before.SHA256, o.BeforeRev, r.After.SHA256)
	fmt.Fprintf(w, "- Each size: %d start-up sessions per binary (alternating; default configuration), idle RSS read %s after connecting, "+
		"then %d `/incident list` after the first; one long session per binary (both side by side) with %d scheduler ticks of %s; "+
		"%d exports per format from the file and through the running bot.\n", o.Starts, o.Settle, o.Lists, o.Ticks, o.Tick, o.Exports)
	fmt.Fprintf(w, "- Cells: median (min–max) over the runs; verdicts use the worst run. MB = 10^6 bytes. "+
		"Goals are for 100k stored incidents; smaller sizes are judged against the same numbers.\n")
	fmt.Fprintf(w, "- Peak RSS: the bots' is their highest VmHWM; a command's is its ru_maxrss, taken through a small launcher "+
		"(Linux carries the starting process's peak over exec); a command doing nothing shows %s.\n\n", mb(r.Floor))
	for _, s := range r.Sizes {
		s.write(w)
	}
	r.writeLinearity(w)
}

func (s *sizeResult) write(w io.Writer) {
	b, a := &s.Before, &s.After
	fmt.Fprintf(w, "### %s incidents\n\n", thousands(s.N))
	fmt.Fprintf(w, "Stores: before (schema %d) %s, after (schema 3) %s. Load average as each phase began: %s.\n\n",
		s.BeforeSchema, mb(s.BeforeBytes), mb(s.AfterBytes), strings.Join(s.Loads, "; "))
	t := &table{}
	t.row("Start-up to connected", "< 200 ms", durs(b.Connect), durs(a.Connect), verdictDur(a.Connect, goalConnect))
	rss := func(ms []memStatus, f func(memStatus) int64) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, f(m))
		}
		return out
	}
	vm := func(m memStatus) int64 { return m.RSS }
	anon := func(m memStatus) int64 { return m.Anon }
	file := func(m memStatus) int64 { return m.File }
	bStart, aStart := append(slices.Clone(b.Start), b.Long.Start), append(slices.Clone(a.Start), a.Long.Start)
	t.row("Idle RSS after start (VmRSS)", "< 30 MB", sizes(rss(bStart, vm)), sizes(rss(aStart, vm)), verdictSize(rss(aStart, vm), goalIdleRSS))
	t.row("… of which anonymous (heap, stacks: RssAnon)", "", sizes(rss(bStart, anon)), sizes(rss(aStart, anon)), "")
	t.row("… of which file pages (binary, database: RssFile)", "", sizes(rss(bStart, file)), sizes(rss(aStart, file)), "")
	t.row("Database resident in the bot after start (smaps Rss of the file)", "reads only unfinished setups",
		sizes(append(slices.Clone(b.Mapped), b.Long.MappedStart))+" of "+mb(s.BeforeBytes),
		sizes(append(slices.Clone(a.Mapped), a.Long.MappedStart))+" of "+mb(s.AfterBytes), "see text")
	t.row("Peak RSS over a start-up session (VmHWM)", "", sizes(b.MaxRSS), sizes(a.MaxRSS), "")
	ticks := fmt.Sprintf("Idle RSS after %d ticks of %s (VmRSS)", a.Long.Ticks, s.LongTick)
	t.row(ticks, "< 30 MB", s.longRSS(b), s.longRSS(a), verdictSize([]int64{a.Long.After.RSS}, goalIdleRSS))
	t.row("… anonymous / file pages after the ticks", "", sizePair(b.Long.After), sizePair(a.Long.After), "")
	t.row("… database resident after the ticks", "", mb(b.Long.MappedAfter), mb(a.Long.MappedAfter), "")
	t.row("CPU per tick (the bot's user+system time / ticks)", "", cpuPerTick(b.Long), cpuPerTick(a.Long), "")
	t.row("Other scheduled jobs in that time", "", jobs(b.Long), jobs(a.Long), "")
	answer := func(ls []listSample) []time.Duration {
		var out []time.Duration
		for _, l := range ls {
			out = append(out, l.Answer)
		}
		return out
	}
	acks := func(ls []listSample) []time.Duration {
		var out []time.Duration
		for _, l := range ls {
			out = append(out, l.Ack)
		}
		return out
	}
	t.row("`/incident list`, first after start: envelope sent → answer", "< 15 ms", durs(answer(b.ListCold))+how(b.ListCold), durs(answer(a.ListCold))+how(a.ListCold), verdictDur(answer(a.ListCold), goalList))
	t.row("`/incident list`, repeated: answer p50 / p99 / max", "< 15 ms", pcts(answer(b.ListWarm)), pcts(answer(a.ListWarm)), verdictDur(answer(a.ListWarm), goalList))
	t.row("`/incident list`, all: ack p50 / p99 / max", "", pcts(acks(append(slices.Clone(b.ListCold), b.ListWarm...))), pcts(acks(append(slices.Clone(a.ListCold), a.ListWarm...))), "")
	t.row("Peak RSS over the long session (VmHWM; exports included)", "", mb(b.Long.MaxRSS), mb(a.Long.MaxRSS), "")
	t.row("First `export --format md` through the running bot (names looked up in Slack): wall time", "",
		liveDurs([]liveExport{b.LiveFirst}), liveDurs([]liveExport{a.LiveFirst}), "")
	t.row("… the bot's peak RSS while it serves it", "< 64 MB", livePeak([]liveExport{b.LiveFirst}), livePeak([]liveExport{a.LiveFirst}), verdictLive([]liveExport{a.LiveFirst}))
	for _, f := range formats {
		bf, af := b.File[f], a.File[f]
		t.row(fmt.Sprintf("`export --format %s` from the file: wall time", f), "linear", cmdDurs(bf), cmdDurs(af), "see below")
		t.row(fmt.Sprintf("`export --format %s` from the file: max RSS", f), "< 64 MB", cmdRSS(bf), cmdRSS(af), verdictCmdRSS(af))
		bl, al := b.Live[f], a.Live[f]
		t.row(fmt.Sprintf("`export --format %s` through the running bot, names known: wall time", f), "", liveDurs(bl), liveDurs(al), "")
		t.row("… the bot's peak RSS while it serves the export", "< 64 MB", livePeak(bl), livePeak(al), verdictLive(al))
		t.row("… the export client's max RSS", "", liveClientRSS(bl), liveClientRSS(al), "")
		t.row(fmt.Sprintf("`export --format %s` output", f), "", outBytes(bf), outBytes(af), "")
	}
	t.write(w)
	fmt.Fprintln(w)
}

func (s *sizeResult) longRSS(b *binResult) string {
	if b.Long.After.RSS == 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%s before the ticks)", mb(b.Long.After.RSS), mb(b.Long.Start.RSS))
}

// writeLinearity compares export times per incident across sizes.
func (r *report) writeLinearity(w io.Writer) {
	if len(r.Sizes) < 2 {
		return
	}
	fmt.Fprintf(w, "### Export time per 1,000 incidents (median wall time / size)\n\n")
	t := &table{head: []string{"Export", "Binary"}}
	for _, s := range r.Sizes {
		t.head = append(t.head, thousands(s.N))
	}
	t.head = append(t.head, fmt.Sprintf("largest / smallest (linear: ≤ %.1f)", linearSlack))
	first, last := r.Sizes[0], r.Sizes[len(r.Sizes)-1]
	for _, f := range formats {
		for _, side := range []string{"before", "after"} {
			pick := func(s *sizeResult) *binResult {
				if side == "before" {
					return &s.Before
				}
				return &s.After
			}
			for _, live := range []bool{false, true} {
				where := "from the file"
				if live {
					where = "through the bot"
				}
				per := func(s *sizeResult) (time.Duration, bool) {
					var ds []time.Duration
					if live {
						for _, e := range pick(s).Live[f] {
							if e.Err == "" {
								ds = append(ds, e.Wall)
							}
						}
					} else {
						for _, c := range pick(s).File[f] {
							if c.Err == "" {
								ds = append(ds, c.Wall)
							}
						}
					}
					if len(ds) == 0 {
						return 0, false
					}
					return median(ds) * 1000 / time.Duration(s.N), true
				}
				cells := []string{fmt.Sprintf("%s %s", f, where), side}
				for _, s := range r.Sizes {
					if d, ok := per(s); ok {
						cells = append(cells, fmtDur(d))
					} else {
						cells = append(cells, "n/a")
					}
				}
				d0, ok0 := per(first)
				d1, ok1 := per(last)
				if ok0 && ok1 && d0 > 0 {
					ratio := float64(d1) / float64(d0)
					v := "linear"
					if ratio > linearSlack {
						v = "not linear"
					}
					cells = append(cells, fmt.Sprintf("%.2f (%s)", ratio, v))
				} else {
					cells = append(cells, "n/a")
				}
				t.rows = append(t.rows, cells)
			}
		}
	}
	t.write(w)
	fmt.Fprintln(w)
}

// table is a Markdown table; its default head is the per-size one.
type table struct {
	head []string
	rows [][]string
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	head := t.head
	if head == nil {
		head = []string{"Figure", "Goal (at 100k)", "Before", "After", "After vs goal"}
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
	said := map[string]bool{} // n/a reasons are given once
	for _, r := range t.rows {
		for i := range r {
			if strings.HasPrefix(r[i], "n/a: ") {
				if said[r[i]] {
					r[i] = "n/a (as above)"
				}
				said[r[i]] = true
			}
			r[i] = strings.ReplaceAll(r[i], "|", "\\|")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

func median[T cmp.Ordered](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// quantile is the nearest-rank q-quantile of xs.
func quantile[T cmp.Ordered](xs []T, q float64) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

// spread renders median (min–max), or the one value.
func spread[T cmp.Ordered](xs []T, f func(T) string) string {
	if len(xs) == 0 {
		return "—"
	}
	if len(xs) == 1 {
		return f(xs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", f(median(xs)), f(slices.Min(xs)), f(slices.Max(xs)))
}

func durs(ds []time.Duration) string { return spread(ds, fmtDur) }
func sizes(bs []int64) string        { return spread(bs, mb) }

func pcts(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	return fmt.Sprintf("%s / %s / %s (n=%d)", fmtDur(quantile(ds, 0.5)), fmtDur(quantile(ds, 0.99)), fmtDur(slices.Max(ds)), len(ds))
}

// how says where the list's answer came.
func how(ls []listSample) string {
	if len(ls) == 0 {
		return ""
	}
	if ls[0].InAck {
		return ", in the ack"
	}
	return ", on response_url"
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
}

func mb(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(b)/1e9)
	case b >= 100e6:
		return fmt.Sprintf("%.0f MB", float64(b)/1e6)
	default:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	}
}

func sizePair(m memStatus) string {
	if m.RSS == 0 {
		return "—"
	}
	return mb(m.Anon) + " / " + mb(m.File)
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func verdictDur(ds []time.Duration, goal time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	return verdict(slices.Max(ds) < goal)
}

func verdictSize(bs []int64, goal int64) string {
	if len(bs) == 0 {
		return "—"
	}
	return verdict(slices.Max(bs) < goal)
}

func cpuPerTick(l longResult) string {
	if l.Ticks == 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%s over %d ticks in %s)", fmtDur(l.CPU/time.Duration(l.Ticks)), fmtDur(l.CPU), l.Ticks, l.Elapsed.Round(time.Second))
}

func jobs(l longResult) string {
	if len(l.OtherJobs) == 0 {
		return "none"
	}
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(l.OtherJobs)) {
		parts = append(parts, fmt.Sprintf("cron entry %d ran %d×", id, l.OtherJobs[id]))
	}
	return strings.Join(parts, ", ")
}

// failed renders commands that all failed as n/a with the reason.
func failed(errs []string) (string, bool) {
	if len(errs) == 0 {
		return "", false
	}
	return "n/a: " + reason(errs[0]), true
}

// reason shortens a command's error line to what it says: without the
// program's name, the path it opened, or the advice after a semicolon.
func reason(s string) string {
	s = strings.TrimPrefix(s, "incidentbot: ")
	if i := strings.Index(s, `": `); strings.HasPrefix(s, "open store ") && i > 0 {
		s = s[i+3:]
	}
	s, _, _ = strings.Cut(s, ";")
	return s
}

// cmdErrs returns the errors of cs when every command failed; a partial
// failure is reported beside the figure instead (see partial).
func cmdErrs(cs []command) []string {
	errs := allErrs(cs)
	if len(errs) < len(cs) {
		return nil
	}
	return errs
}

func allErrs(cs []command) []string {
	var errs []string
	for _, c := range cs {
		if c.Err != "" {
			errs = append(errs, c.Err)
		}
	}
	return errs
}

func cmdOK(cs []command) []command {
	var ok []command
	for _, c := range cs {
		if c.Err == "" {
			ok = append(ok, c)
		}
	}
	return ok
}

func cmdDurs(cs []command) string {
	if s, bad := failed(cmdErrs(cs)); bad {
		return s
	}
	var ds []time.Duration
	for _, c := range cmdOK(cs) {
		ds = append(ds, c.Wall)
	}
	return durs(ds) + partial(cs)
}

func cmdRSS(cs []command) string {
	if s, bad := failed(cmdErrs(cs)); bad {
		return s
	}
	var bs []int64
	for _, c := range cmdOK(cs) {
		bs = append(bs, c.MaxRSS)
	}
	return sizes(bs)
}

func verdictCmdRSS(cs []command) string {
	if len(cmdOK(cs)) < len(cs) || len(cs) == 0 {
		return "**missed** (failed)"
	}
	var bs []int64
	for _, c := range cs {
		bs = append(bs, c.MaxRSS)
	}
	return verdictSize(bs, goalExport)
}

func outBytes(cs []command) string {
	ok := cmdOK(cs)
	if len(ok) == 0 {
		return "—"
	}
	return mb(ok[0].Bytes)
}

func partial(cs []command) string {
	if n := len(cs) - len(cmdOK(cs)); n > 0 {
		return fmt.Sprintf(" (%d of %d failed: %s)", n, len(cs), allErrs(cs)[0])
	}
	return ""
}

func liveCommands(es []liveExport) []command {
	var cs []command
	for _, e := range es {
		cs = append(cs, e.command)
	}
	return cs
}

func liveDurs(es []liveExport) string { return cmdDurs(liveCommands(es)) }

func liveClientRSS(es []liveExport) string { return cmdRSS(liveCommands(es)) }

func livePeak(es []liveExport) string {
	if s, bad := failed(cmdErrs(liveCommands(es))); bad {
		return s
	}
	var bs []int64
	for _, e := range es {
		if e.Err == "" {
			bs = append(bs, e.BotPeak)
		}
	}
	return sizes(bs)
}

func verdictLive(es []liveExport) string {
	if len(es) == 0 || len(cmdOK(liveCommands(es))) < len(es) {
		return "**missed** (failed)"
	}
	var bs []int64
	for _, e := range es {
		bs = append(bs, e.BotPeak)
	}
	return verdictSize(bs, goalExport)
}
