// Command scalebench measures incidentbot as a process, before and after
// the work of issue 10 ("Fast at any size"), on stores of 1k, 10k and 100k
// generated incidents: start-up to connected, idle RSS after start and
// after an hour's worth of scheduler ticks, /incident list latency,
// `incidentbot export` (md and json) from the file and through the running
// bot, and how much of the database file the bot touches at start-up.
//
// It generates the stores itself (schema 3 with storetest.Generate, and
// the same incidents in schema 2, the JSON format the old binary reads),
// runs each binary against an in-process fake Slack (bot/slackfake) over
// Socket Mode, and prints a Markdown table per size with before and after
// side by side and each goal beside them. Run it from the repository:
//
//	go run ./cmd/scalebench --sizes 1k,10k,100k > scale.md
//
// Without --before and --after it builds both: after from the working
// tree, before from --before-rev (git archive of that commit). Generated
// stores are cached under --cache; 100k takes several minutes to make.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if os.Getenv(spawnEnv) != "" {
		os.Exit(spawnMain(os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}

// options are scalebench's flags.
type options struct {
	Sizes     []int
	Before    string // binary; empty: built from BeforeRev
	After     string // binary; empty: built from Src
	BeforeRev string
	// BeforeSchema is the store schema the before binary reads.
	BeforeSchema int
	Src          string // the repository (module root)
	Cache        string // generated stores
	Work         string // run directories; empty: a temporary one
	Keep         bool   // keep Work
	Starts       int    // start-up sessions per binary and size
	Lists        int    // /incident list commands per start-up session, after the first
	Ticks        int    // scheduler ticks in the long session
	Tick         time.Duration
	Exports      int // exports from the file per binary, size and format
	Settle       time.Duration
	Out          string
	CmdLine      string
	// GenerateOnly makes the stores and stops.
	GenerateOnly bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("scalebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "1k,10k,100k", "store sizes, comma-separated (1000 or 1k)")
	fs.StringVar(&o.Before, "before", "", "the before binary (default: built from --before-rev)")
	fs.StringVar(&o.After, "after", "", "the after binary (default: built from --src)")
	fs.StringVar(&o.BeforeRev, "before-rev", "44db07c", "commit the before binary is built from, without --before")
	fs.IntVar(&o.BeforeSchema, "before-schema", 1, "store schema the before binary reads (1 or 2; 44db07c reads 1)")
	fs.StringVar(&o.Src, "src", "", "the repository's root (default: the module of the current directory)")
	fs.StringVar(&o.Cache, "cache", "", "directory of generated stores (default $TMPDIR/incidentbot-scalebench)")
	fs.StringVar(&o.Work, "work", "", "directory for the runs' databases and binaries (default: a temporary one)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work directory")
	fs.IntVar(&o.Starts, "starts", 5, "start-up sessions per binary and size")
	fs.IntVar(&o.Lists, "lists", 30, "/incident list commands per start-up session, after the first")
	fs.IntVar(&o.Ticks, "ticks", 240, "scheduler ticks in the long session (240 is an hour at the default 15s)")
	fs.DurationVar(&o.Tick, "tick", time.Second, "scheduler.tick of the long session (the bot's minimum is 1s)")
	fs.IntVar(&o.Exports, "exports", 3, "exports from the file per binary, size and format")
	fs.DurationVar(&o.Settle, "settle", 3*time.Second, "wait after connecting before measuring idle RSS")
	fs.BoolVar(&o.GenerateOnly, "generate-only", false, "generate (or check) the cached stores of --sizes, measure nothing")
	fs.StringVar(&o.Out, "out", "", "write the Markdown report here (default stdout)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for s := range strings.SplitSeq(*sizes, ",") {
		n, err := parseSize(strings.TrimSpace(s))
		if err != nil {
			return o, fmt.Errorf("--sizes: %w", err)
		}
		o.Sizes = append(o.Sizes, n)
	}
	switch {
	case o.Starts < 1:
		return o, fmt.Errorf("--starts %d: at least 1", o.Starts)
	case o.Lists < 0, o.Ticks < 0, o.Exports < 0:
		return o, fmt.Errorf("--lists, --ticks and --exports cannot be negative")
	case o.BeforeSchema != 1 && o.BeforeSchema != 2:
		return o, fmt.Errorf("--before-schema %d: 1 or 2", o.BeforeSchema)
	case o.Tick < time.Second:
		return o, fmt.Errorf("--tick %s: the bot's scheduler.tick is at least 1s", o.Tick)
	}
	// The binaries run from other directories: absolute paths.
	for _, p := range []*string{&o.Before, &o.After} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				return o, err
			}
			*p = abs
		}
	}
	o.CmdLine = "scalebench " + strings.Join(args, " ")
	return o, nil
}

// parseSize reads 1000, 1k or 100k.
func parseSize(s string) (int, error) {
	mult := 1
	if t, ok := strings.CutSuffix(strings.ToLower(s), "k"); ok {
		s, mult = t, 1000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a size (write 1000 or 1k)", s)
	}
	return n * mult, nil
}

// run is the whole program; main only wires signals and the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, time.Now().Format("15:04:05 ")+format+"\n", a...)
	}
	if o.Src == "" {
		if o.Src, err = moduleRoot(ctx); err != nil {
			return err
		}
	}
	if o.Cache == "" {
		o.Cache = defaultCache()
	}
	if o.Work == "" {
		if o.Work, err = os.MkdirTemp("", "scalebench-"); err != nil {
			return err
		}
	}
	if !o.Keep {
		defer os.RemoveAll(o.Work)
	}
	if o.GenerateOnly {
		for _, n := range o.Sizes {
			st, err := ensureStores(ctx, o.Src, o.Cache, n, o.BeforeSchema, logf)
			if err != nil {
				return err
			}
			logf("%d incidents: %s (%s), %s (%s), %d people", n, st.Before, mb(fileSize(st.Before)), st.After, mb(fileSize(st.After)), len(st.People))
		}
		return nil
	}
	if o.After == "" {
		logf("building the after binary from %s", o.Src)
		if o.After, err = buildTree(ctx, o.Src, o.Work, "incidentbot-after"); err != nil {
			return err
		}
	}
	if o.Before == "" {
		logf("building the before binary from %s", o.BeforeRev)
		if o.Before, err = buildRev(ctx, o.Src, o.BeforeRev, o.Work); err != nil {
			return err
		}
	}
	rep := &report{Opts: o, Machine: describeMachine(ctx), Started: time.Now()}
	rep.Before, rep.After = describeBinary(o.Before), describeBinary(o.After)
	// What a command that does nothing shows as its peak: the floor of
	// every command's peak RSS (spawn.go).
	if rep.Floor, err = runMeasured(ctx, "true", nil, baseEnv(), io.Discard, io.Discard); err != nil {
		return fmt.Errorf("measure the floor of a command's peak RSS with true(1): %w", err)
	}
	for _, n := range o.Sizes {
		stores, err := ensureStores(ctx, o.Src, o.Cache, n, o.BeforeSchema, logf)
		if err != nil {
			return err
		}
		sr, err := measureSize(ctx, o, n, stores, logf)
		if err != nil {
			return err
		}
		rep.Sizes = append(rep.Sizes, sr)
	}
	rep.Finished = time.Now()
	if o.Out == "" {
		rep.write(stdout)
		return nil
	}
	f, err := os.Create(o.Out)
	if err != nil {
		return err
	}
	rep.write(f)
	return f.Close()
}
