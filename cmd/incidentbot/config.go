package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes the environment variable of every key:
// "log.level" is INCIDENTBOT_LOG_LEVEL.
const EnvPrefix = "INCIDENTBOT"

// envKeyReplacer turns a key into the rest of its variable name.
var envKeyReplacer = strings.NewReplacer(".", "_")

// EnvName returns the environment variable that overrides key.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(envKeyReplacer.Replace(key))
}

// tokenEnv maps the conventional Slack variables to their keys. They are
// read before the INCIDENTBOT_ ones, so INCIDENTBOT_SLACK_BOT_TOKEN wins
// when both are set.
var tokenEnv = []struct{ name, key string }{
	{"SLACK_BOT_TOKEN", "slack.bot_token"},
	{"SLACK_APP_TOKEN", "slack.app_token"},
	{"SMTP_PASSWORD", "email.password"},
}

// ConfigError lists every problem found in one configuration: its file
// and the environment.
type ConfigError struct {
	Path     string
	Problems []error
}

// Error returns one line for a single problem, else a header and one
// indented line per problem.
func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return fmt.Sprintf("config file %q: %v", e.Path, e.Problems[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "config file %q has %d problems:", e.Path, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems.
func (e *ConfigError) Unwrap() []error { return e.Problems }

// LoadConfig reads the YAML file at path, applies the environment env
// (variable name → value) and validates the result, including that
// postmortem.dir is a git work tree when postmortem.git_commit is on.
// Every problem (unknown keys or variables, values of the wrong type,
// invalid settings) is reported at once in one *ConfigError; a problem
// that comes from a variable names the variable. A file that cannot be
// read is the only other error.
//
// Precedence, highest first: INCIDENTBOT_<KEY> variables, SLACK_BOT_TOKEN
// and SLACK_APP_TOKEN, the file, config.Default(). Lists may be set in the
// environment comma-separated; incidents.severities only in the file. An
// empty variable counts as unset.
func LoadConfig(ctx context.Context, path string, env map[string]string) (config.Config, error) {
	l, err := loadConfig(path, env)
	if err != nil {
		return l.cfg, err
	}
	l.addValidation(l.cfg.Validate())
	l.checkPlaybooks()
	if !l.failedOrInvalid("postmortem.dir", "postmortem.git_commit") && l.cfg.Postmortem.GitCommit && l.cfg.Postmortem.Dir != "" {
		if p := checkGitWorkTree(ctx, l.cfg.Postmortem.Dir); p != nil {
			l.addValidation(p)
		}
	}
	return l.cfg, l.err()
}

// loadOfflineConfig loads and validates the configuration for commands
// that never talk to Slack (backup, export): tokens are not required.
func loadOfflineConfig(path string, env map[string]string) (config.Config, error) {
	l, err := loadConfig(path, env)
	if err != nil {
		return l.cfg, err
	}
	l.addValidation(l.cfg.ValidateWithoutTokens())
	return l.cfg, l.err()
}

// loaded is a configuration being loaded, with what went wrong so far.
type loaded struct {
	path string
	cfg  config.Config
	// problems are rendered for the user: each names a file key or the
	// variable the value came from.
	problems []error
	// envSource maps a key to the variable that set it.
	envSource map[string]string
	// failed holds the keys whose value could not be decoded; they keep
	// their default, and validation problems about them are not repeated.
	failed map[string]bool
	// invalid holds the keys validation found a problem with.
	invalid map[string]bool
}

// loadConfig reads and decodes; it collects problems rather than
// stopping at the first. Its error is non-nil only when the file cannot be
// read or parsed; a *ConfigError then carries the environment's problems
// too.
func loadConfig(path string, env map[string]string) (*loaded, error) {
	l := &loaded{path: path, cfg: config.Default(), envSource: map[string]string{}, failed: map[string]bool{}, invalid: map[string]bool{}}

	if st, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return l, fmt.Errorf("config file %q: not found (copy config.example.yaml)", path)
	} else if err != nil {
		return l, fmt.Errorf("config file %q: %w", path, err)
	} else if st.IsDir() {
		return l, fmt.Errorf("config file %q: is a directory (pass the YAML file, e.g. %s)", path, filepath.Join(path, "config.yaml"))
	}

	envProblems := checkEnvNames(env)
	v := viper.New()
	v.SetConfigFile(path)
	if ext := strings.TrimPrefix(filepath.Ext(path), "."); !slices.Contains(viper.SupportedExts, ext) {
		v.SetConfigType("yaml")
	}
	if err := v.ReadInConfig(); err != nil {
		var perr viper.ConfigParseError
		if errors.As(err, &perr) {
			err = errors.Unwrap(perr)
		}
		l.problems = append(l.problems, fmt.Errorf("%s (fix the YAML syntax; see config.example.yaml)", oneLine(err.Error())))
		l.problems = append(l.problems, envProblems...)
		return l, l.err()
	}
	l.problems = append(l.problems, checkFileKeys(v)...)
	l.problems = append(l.problems, envProblems...)
	l.decode(v, env)
	l.cfg = l.cfg.Normalized()
	return l, nil
}

// err returns the problems as a *ConfigError, or nil.
func (l *loaded) err() error {
	if len(l.problems) == 0 {
		return nil
	}
	return &ConfigError{Path: l.path, Problems: l.problems}
}

// failedOrInvalid reports whether any of keys could not be decoded or
// failed validation.
func (l *loaded) failedOrInvalid(keys ...string) bool {
	for _, k := range keys {
		if l.failed[k] || l.invalid[k] {
			return true
		}
	}
	return false
}

// addValidation adds the problems in err (config.Problems joined), each
// renamed after the variable its value came from, and leaves out those
// about values that could not be decoded: they were reported already.
func (l *loaded) addValidation(err error) {
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var p *config.Problem
		if !errors.As(e, &p) {
			l.problems = append(l.problems, e)
			continue
		}
		if l.decodeFailed(p.Key) || l.decodeFailed(dependsOn[p.Key]) {
			continue
		}
		l.invalid[p.BaseKey()] = true
		l.problems = append(l.problems, fmt.Errorf("%s: %s", l.where(p.Key), p.Msg))
	}
}

// dependsOn maps a key to the key its validation reads too: when that one
// could not be decoded, a problem about the first is only an echo.
var dependsOn = map[string]string{"incidents.default_severity": "incidents.severities"}

// decodeFailed reports whether key, or the entry or section it belongs
// to, could not be decoded.
func (l *loaded) decodeFailed(key string) bool {
	if key == "" {
		return false
	}
	for k := range l.failed {
		if key == k || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[") || strings.HasPrefix(k, key+"[") {
			return true
		}
	}
	return false
}

// where names key for the user: the variable that set it (with the
// entry's position for a comma-separated list), or the key itself.
// Tokens come only from the environment, so a token key is always named
// by its variable.
func (l *loaded) where(key string) string {
	base, index, _ := strings.Cut(key, "[")
	name := l.envSource[base]
	if name == "" {
		for _, t := range tokenEnv {
			if t.key == base {
				name = t.name
			}
		}
	}
	if name == "" {
		return key
	}
	if index != "" {
		var i int
		if _, err := fmt.Sscanf(index, "%d]", &i); err == nil {
			return fmt.Sprintf("%s (entry %d)", name, i+1)
		}
	}
	return name
}

// checkFileKeys reports the keys in the file that Config does not know
// and tokens, which belong in the environment only.
func checkFileKeys(v *viper.Viper) []error {
	known := make(map[string]bool)
	sections := make(map[string]bool)
	for _, k := range knownKeys() {
		known[k] = true
		// A section written with no value ("digest:") is a key too.
		for i := strings.Index(k, "."); i > 0; i = nextDot(k, i) {
			sections[k[:i]] = true
		}
	}
	var problems []error
	for _, k := range v.AllKeys() {
		switch {
		case known[k], underLeaf(k, known):
			// A leaf written as a section ("tick: {a: b}") is the
			// decoder's to report: it says what the key expects.
		case sections[k]:
			if raw := v.Get(k); raw != nil {
				if _, ok := raw.(map[string]any); !ok {
					problems = append(problems, fmt.Errorf("%s: expected a section of keys (as in config.example.yaml), got %s", k, describe(raw)))
				}
			}
		default:
			problems = append(problems, unknownKey(k, "", knownKeys()))
		}
	}
	for _, t := range tokenEnv {
		if v.GetString(t.key) != "" {
			problems = append(problems, fmt.Errorf("%s: set in the config file (tokens come only from the environment: leave it empty and set %s)", t.key, t.name))
		}
	}
	return problems
}

// underLeaf reports whether key lies inside one of the leaves in known.
func underLeaf(key string, known map[string]bool) bool {
	for i := strings.LastIndex(key, "."); i > 0; i = strings.LastIndex(key[:i], ".") {
		if known[key[:i]] {
			return true
		}
	}
	return false
}

func nextDot(s string, i int) int {
	j := strings.Index(s[i+1:], ".")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// unknownKey describes an unknown key, suggesting the closest known one.
func unknownKey(key, prefix string, known []string) error {
	if best := closest(key, known); best != "" {
		return fmt.Errorf("%s%s: unknown key (did you mean %q? see config.example.yaml)", prefix, key, prefix+best)
	}
	return fmt.Errorf("%s%s: unknown key (remove it; config.example.yaml lists every key)", prefix, key)
}

// closest returns the entry of known nearest to s when it is close enough
// to be a typo of it, else "".
func closest(s string, known []string) string {
	best, bestDist := "", 4 // suggest only close matches
	for _, k := range known {
		if d := levenshtein(s, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// levenshtein returns the edit distance between a and b.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// oneLine joins the lines of s with "; " so that a message stays one line.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "; ")
}

// knownKeys returns every leaf key of config.Config ("slack.bot_token"),
// in declaration order. incidents.severities is a leaf.
func knownKeys() []string {
	var keys []string
	walkKeys(reflect.TypeFor[config.Config](), "", func(key string, _ []int) {
		keys = append(keys, key)
	})
	return keys
}

// structKeys returns the mapstructure names of t's fields.
func structKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if name := f.Tag.Get("mapstructure"); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// walkKeys calls fn for each leaf of the struct type t, with its dotted key
// and field index path.
func walkKeys(t reflect.Type, prefix string, fn func(key string, index []int)) {
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := f.Tag.Get("mapstructure")
			if name == "" || name == "-" {
				continue
			}
			key := prefix + name
			idx := append(slices.Clone(index), i)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, key+".", idx)
				continue
			}
			fn(key, idx)
		}
	}
	walk(t, prefix, nil)
}

// flatten returns cfg as leaf key → value.
func flatten(cfg config.Config) map[string]any {
	out := make(map[string]any)
	rv := reflect.ValueOf(cfg)
	walkKeys(rv.Type(), "", func(key string, index []int) {
		out[key] = rv.FieldByIndex(index).Interface()
	})
	return out
}

// NewLogger builds the process logger from the log section: a JSON handler
// for "json", else a text handler, at the configured level.
func NewLogger(cfg config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
