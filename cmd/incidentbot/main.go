// Command incidentbot is a Slack-first incident response bot: one binary,
// one bbolt file, Socket Mode. Run 'incidentbot help' for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the timezone key must work in scratch images too

	"go.yaml.in/yaml/v3"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Main runs the subcommand named by args[0] against the process environment
// and returns the exit code: 0 on success, 1 on a runtime failure, 2 on a
// usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Dispatch(ctx, &Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Environ: os.Environ}, args)
}

// Env is what a subcommand may touch of the outside world. Tests pass their
// own; nothing reads globals.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads an environment variable; nil reads none.
	Getenv func(string) string
	// Environ lists the environment as "NAME=value" entries, like
	// os.Environ; nil lists none. Configuration loading reads it, so that
	// it can refuse an INCIDENTBOT_ variable that names no setting.
	Environ func() []string
	// Retry paces what 'run' does while Slack is unreachable; the zero
	// value is production's pacing.
	Retry RetryPolicy
}

// getenv calls Getenv, or looks key up in Environ when Getenv is nil.
func (e *Env) getenv(key string) string {
	if e.Getenv == nil {
		return e.vars()[key]
	}
	return e.Getenv(key)
}

// vars returns Environ as a map; a later entry wins, as in os.Getenv.
func (e *Env) vars() map[string]string {
	m := map[string]string{}
	if e.Environ == nil {
		return m
	}
	for _, kv := range e.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// command is one subcommand.
type command struct {
	name     string
	synopsis string // flags, as shown in usage
	summary  string // one line, lower case
	run      func(ctx context.Context, env *Env, args []string) error
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"run", "--config FILE", "connect to Slack over Socket Mode and run the bot", cmdRun},
		{"check-config", "--config FILE", "validate the config and print the resolved settings, tokens redacted", cmdCheckConfig},
		{"manifest", "", "print the Slack app manifest to create the app from", cmdManifest},
		{"backup", "--config FILE --out FILE", "write a consistent copy of the database", cmdBackup},
		{"migrate", "--from STORE --to STORE [--config FILE] [--prefix PREFIX]", "copy the data between bbolt and etcd, checked and compared", cmdMigrate},
		{"export", "--config FILE [--incident N] [--format md|json] [--since DATE]", "export incidents as Markdown or JSON", cmdExport},
		{"stats", "--config FILE [--since 30d] [--service NAME] [--format text|json]", "print the response figures /incident stats shows", cmdStats},
		{"oncall", "export --ical [--rotation NAME] [--days N] --config FILE", "write the on-call schedule as iCalendar", cmdOncall},
		{"demo", "[--keep DIR]", "play a scripted incident against a fake Slack; no tokens needed", cmdDemo},
		{"version", "", "print the version", cmdVersion},
		{"help", "[COMMAND]", "list the commands, or show one command's flags", cmdHelp},
	}
}

// lookup returns the command called name.
func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Dispatch runs args[0] with env and returns the exit code. Errors are
// written to env.Stderr prefixed with "incidentbot: ".
func Dispatch(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		printUsage(env.Stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	}
	cmd, ok := lookup(name)
	if !ok {
		msg := fmt.Sprintf("unknown command %q; run 'incidentbot help' for the list", name)
		if strings.HasPrefix(name, "-") {
			msg = fmt.Sprintf("flag %s given before a command; run 'incidentbot help' for the list", name)
		}
		fmt.Fprintln(env.Stderr, "incidentbot: "+msg)
		return 2
	}
	err := cmd.run(ctx, env, args[1:])
	var uerr *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &uerr):
		fmt.Fprintln(env.Stderr, "incidentbot: "+uerr.Error())
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 0 // interrupted: a graceful shutdown
	default:
		fmt.Fprintln(env.Stderr, "incidentbot: "+err.Error())
		return 1
	}
}

// errHelpShown reports that -h was given and help was printed.
var errHelpShown = errors.New("help shown")

// usageError is a mistake on the command line: exit code 2.
type usageError struct {
	cmd string
	msg string
}

// Error returns "cmd: msg; run 'incidentbot help cmd'".
func (e *usageError) Error() string {
	return fmt.Sprintf("%s: %s; run 'incidentbot help %s'", e.cmd, e.msg, e.cmd)
}

// newFlagSet returns a silent ContinueOnError FlagSet: parseFlags reports
// its errors as one line.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// configFlag adds --config, defaulting to $INCIDENTBOT_CONFIG or config.yaml.
func configFlag(fs *flag.FlagSet, env *Env) *string {
	def := env.getenv("INCIDENTBOT_CONFIG")
	if def == "" {
		def = "config.yaml"
	}
	return fs.String("config", def, "config `FILE` (env INCIDENTBOT_CONFIG)")
}

// parseFlags parses args into fs. It prints the command's help to stdout
// for -h (returning errHelpShown), and rejects positional arguments.
func parseFlags(env *Env, fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(env.Stdout, fs)
		return errHelpShown
	}
	if err != nil {
		return &usageError{cmd: fs.Name(), msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{cmd: fs.Name(), msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// printCommandHelp writes one command's synopsis, summary and flags.
func printCommandHelp(w io.Writer, fs *flag.FlagSet) {
	cmd, _ := lookup(fs.Name())
	fmt.Fprintf(w, "Usage: incidentbot %s %s\n\n%s.\n", cmd.name, cmd.synopsis, upperFirst(cmd.summary))
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// printUsage writes the list of commands.
func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("incidentbot: Slack-first incident response bot.\n\nUsage:\n  incidentbot <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Settings come from the config file (--config, default $INCIDENTBOT_CONFIG or
config.yaml; see config.example.yaml). Any key can be overridden in the
environment as INCIDENTBOT_<KEY>, e.g. INCIDENTBOT_LOG_LEVEL=debug; the Slack
tokens come from SLACK_BOT_TOKEN and SLACK_APP_TOKEN.
Run 'incidentbot help <command>' for a command's flags.
`)
	io.WriteString(w, b.String())
}

// cmdHelp prints the command list, or one command's help.
func cmdHelp(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("help")
	if err := fs.Parse(args); err != nil && !errors.Is(err, flag.ErrHelp) {
		return &usageError{cmd: "help", msg: err.Error()}
	}
	switch {
	case fs.NArg() > 1:
		return &usageError{cmd: "help", msg: fmt.Sprintf("unexpected argument %q", fs.Arg(1))}
	case fs.NArg() == 0 || fs.Arg(0) == "help":
		printUsage(env.Stdout)
		return nil
	}
	cmd, ok := lookup(fs.Arg(0))
	if !ok {
		return &usageError{cmd: "help", msg: fmt.Sprintf("unknown command %q", fs.Arg(0))}
	}
	return cmd.run(ctx, env, []string{"-h"})
}

// cmdVersion prints the version and the Go toolchain.
func cmdVersion(_ context.Context, env *Env, args []string) error {
	if err := parseFlags(env, newFlagSet("version"), args); err != nil {
		return err
	}
	_, err := fmt.Fprintf(env.Stdout, "incidentbot %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// cmdManifest prints the Slack app manifest.
func cmdManifest(_ context.Context, env *Env, args []string) error {
	if err := parseFlags(env, newFlagSet("manifest"), args); err != nil {
		return err
	}
	return writeManifest(env.Stdout)
}

// cmdCheckConfig loads and validates the config, then prints the resolved
// settings as YAML with the tokens redacted. Every problem is reported.
func cmdCheckConfig(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet("check-config")
	path := configFlag(fs, env)
	if err := parseFlags(env, fs, args); err != nil {
		return err
	}
	cfg, err := LoadConfig(ctx, *path, env.vars())
	if err != nil {
		return err
	}
	var out strings.Builder
	fmt.Fprintf(&out, "# %s is valid. Resolved settings (defaults, file, environment); tokens redacted:\n", *path)
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(&out, "# warning: %s\n", w)
	}
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(cfg.Redacted()); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	_, err = io.WriteString(env.Stdout, out.String())
	return err
}

// runOptions are the flags of 'run'.
type runOptions struct {
	Config string
}

func parseRunFlags(env *Env, args []string) (runOptions, error) {
	var o runOptions
	fs := newFlagSet("run")
	config := configFlag(fs, env)
	if err := parseFlags(env, fs, args); err != nil {
		return o, err
	}
	o.Config = *config
	return o, nil
}

// backupOptions are the flags of 'backup'.
type backupOptions struct {
	Config string
	Out    string // file to write; required
}

func parseBackupFlags(env *Env, args []string) (backupOptions, error) {
	var o backupOptions
	fs := newFlagSet("backup")
	config := configFlag(fs, env)
	fs.StringVar(&o.Out, "out", "", "write the backup to `FILE` (required)")
	if err := parseFlags(env, fs, args); err != nil {
		return o, err
	}
	o.Config = *config
	if o.Out == "" {
		return o, &usageError{cmd: "backup", msg: "--out is required (e.g. --out backup.db)"}
	}
	return o, nil
}

// exportOptions are the flags of 'export'.
type exportOptions struct {
	Config   string
	Incident int64     // 0: all incidents
	Format   string    // "md" or "json"
	Since    time.Time // zero: no lower bound; a date alone is midnight UTC
	// IncludePrivate exports private (security) incidents too.
	IncludePrivate bool
	// IncludeCancelled exports incidents declared by mistake too.
	IncludeCancelled bool
}

func parseExportFlags(env *Env, args []string) (exportOptions, error) {
	var o exportOptions
	var since string
	fs := newFlagSet("export")
	config := configFlag(fs, env)
	fs.Int64Var(&o.Incident, "incident", 0, "export only incident `N` (default all)")
	fs.StringVar(&o.Format, "format", "md", "output `format`: md or json")
	fs.StringVar(&since, "since", "", "only incidents declared on or after `DATE` (2006-01-02 or RFC 3339)")
	fs.BoolVar(&o.IncludePrivate, "include-private", false, "include private (security) incidents, which are left out by default")
	fs.BoolVar(&o.IncludeCancelled, "include-cancelled", false, "include incidents cancelled as declared by mistake, which are left out by default")
	if err := parseFlags(env, fs, args); err != nil {
		return o, err
	}
	o.Config = *config
	if o.Incident < 0 {
		return o, &usageError{cmd: "export", msg: fmt.Sprintf("--incident %d is not an incident number (use a number from 1 up)", o.Incident)}
	}
	if o.Format != "md" && o.Format != "json" {
		return o, &usageError{cmd: "export", msg: fmt.Sprintf("--format %q is not supported (use md or json)", o.Format)}
	}
	if since != "" {
		t, err := parseDate(since)
		if err != nil {
			return o, &usageError{cmd: "export", msg: fmt.Sprintf("--since %q is not a date (use 2006-01-02 or 2006-01-02T15:04:05Z)", since)}
		}
		o.Since = t
	}
	return o, nil
}

// parseDate accepts a date (midnight UTC) or an RFC 3339 timestamp.
func parseDate(s string) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, time.UTC); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// demoOptions are the flags of 'demo'.
type demoOptions struct {
	Keep string // keep the demo database in this directory; "" uses a temporary one
}

func parseDemoFlags(env *Env, args []string) (demoOptions, error) {
	var o demoOptions
	fs := newFlagSet("demo")
	fs.StringVar(&o.Keep, "keep", "", "keep the demo database and postmortem in `DIR` instead of a temporary directory")
	if err := parseFlags(env, fs, args); err != nil {
		return o, err
	}
	return o, nil
}
