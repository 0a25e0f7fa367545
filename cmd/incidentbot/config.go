package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
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
}

// ConfigError lists every problem found in one config file.
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

// newConfigError splits err (usually from errors.Join) into problems.
func newConfigError(path string, err error) *ConfigError {
	var problems []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		problems = j.Unwrap()
	} else {
		problems = []error{err}
	}
	return &ConfigError{Path: path, Problems: problems}
}

// LoadConfig reads the YAML file at path, applies the environment (getenv,
// os.Getenv when nil) and returns the configuration after Validate. Every
// error is a *ConfigError naming the file, except for a file that cannot be
// read.
func LoadConfig(path string, getenv func(string) string) (config.Config, error) {
	cfg, err := ReadConfig(path, getenv)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, newConfigError(path, err)
	}
	return cfg, nil
}

// ReadConfig is LoadConfig without Validate: it reads, decodes and
// normalizes. Commands that never reach Slack call it and then
// cfg.ValidateWithoutTokens.
//
// Precedence, highest first: INCIDENTBOT_<KEY> variables, SLACK_BOT_TOKEN
// and SLACK_APP_TOKEN, the file, config.Default(). Lists may be set in the
// environment comma-separated; incidents.severities only in the file.
//
// The environment is applied by looking up each known key's variable
// through getenv rather than with viper's AutomaticEnv, which reads the
// process environment only; the variable names are the same
// (SetEnvPrefix("INCIDENTBOT") with "." replaced by "_").
func ReadConfig(path string, getenv func(string) string) (config.Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var cfg config.Config

	if st, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return cfg, fmt.Errorf("config file %q: not found (copy config.example.yaml)", path)
	} else if err != nil {
		return cfg, fmt.Errorf("config file %q: %w", path, err)
	} else if st.IsDir() {
		return cfg, fmt.Errorf("config file %q: is a directory (pass the YAML file, e.g. %s)", path, filepath.Join(path, "config.yaml"))
	}

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
		return cfg, fmt.Errorf("config file %q: %v (fix the YAML syntax; see config.example.yaml)", path, err)
	}

	// Only the file is loaded so far: check its keys before adding defaults.
	if problems := checkFileKeys(v); len(problems) > 0 {
		return cfg, &ConfigError{Path: path, Problems: problems}
	}

	for key, val := range flatten(config.Default()) {
		v.SetDefault(key, val)
	}
	for _, t := range tokenEnv {
		if val := getenv(t.name); val != "" {
			v.Set(t.key, val)
		}
	}
	for _, key := range knownKeys() {
		val := getenv(EnvName(key))
		if val == "" {
			continue
		}
		if key == "incidents.severities" {
			return cfg, fmt.Errorf("%s: severities cannot be set in the environment (unset it and edit incidents.severities in %q)", EnvName(key), path)
		}
		v.Set(key, val)
	}

	err := v.Unmarshal(&cfg,
		viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(durationHook, stringToListHook)),
		func(dc *mapstructure.DecoderConfig) { dc.ErrorUnused = true },
	)
	if err != nil {
		return cfg, &ConfigError{Path: path, Problems: decodeProblems(err)}
	}
	return cfg.Normalized(), nil
}

// checkFileKeys reports the keys in the file that Config does not know,
// including those inside incidents.severities entries, and tokens, which
// belong in the environment only.
func checkFileKeys(v *viper.Viper) []error {
	known := make(map[string]bool)
	for _, k := range knownKeys() {
		known[k] = true
		// A section written with no value ("digest:") is a key too.
		for i := strings.Index(k, "."); i > 0; i = nextDot(k, i) {
			known[k[:i]] = true
		}
	}
	var problems []error
	for _, k := range v.AllKeys() {
		if !known[k] {
			problems = append(problems, unknownKey(k, "", knownKeys()))
		}
	}
	if list, ok := v.Get("incidents.severities").([]any); ok {
		sevKeys := structKeys(reflect.TypeFor[config.Severity]())
		for i, item := range list {
			m, ok := item.(map[string]any)
			if !ok {
				problems = append(problems, fmt.Errorf("incidents.severities[%d]: not a mapping (write name:, description:, update_every: under a \"- \")", i))
				continue
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !slices.Contains(sevKeys, strings.ToLower(k)) {
					problems = append(problems, unknownKey(k, fmt.Sprintf("incidents.severities[%d].", i), sevKeys))
				}
			}
		}
	}
	for _, t := range tokenEnv {
		if v.GetString(t.key) != "" {
			problems = append(problems, fmt.Errorf("%s: set in the config file (tokens come only from the environment: leave it empty and set %s)", t.key, t.name))
		}
	}
	return problems
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
	best, bestDist := "", 4 // suggest only close matches
	for _, k := range known {
		if d := levenshtein(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Errorf("%s%s: unknown key (did you mean %q? see config.example.yaml)", prefix, key, prefix+best)
	}
	return fmt.Errorf("%s%s: unknown key (remove it; config.example.yaml lists every key)", prefix, key)
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

// decodeProblems turns mapstructure's error into one problem per field.
func decodeProblems(err error) []error {
	var errs []error
	if j, ok := errors.Unwrap(err).(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		var de *mapstructure.DecodeError
		if errors.As(e, &de) {
			out = append(out, fmt.Errorf("%s: %v (see config.example.yaml for the expected form)", de.Name(), de.Unwrap()))
			continue
		}
		out = append(out, fmt.Errorf("%v (see config.example.yaml for the expected form)", e))
	}
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// durationHook decodes "15m" into a time.Duration and rejects bare
// numbers other than 0, which mapstructure would read as nanoseconds.
func durationHook(f, t reflect.Type, data any) (any, error) {
	if t != durationType || f == durationType {
		return data, nil
	}
	switch f.Kind() {
	case reflect.String:
		s := strings.TrimSpace(data.(string))
		if s == "" || s == "0" {
			return time.Duration(0), nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration (write durations like 90s, 15m or 1h30m)", s)
		}
		return d, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if reflect.ValueOf(data).IsZero() {
			return time.Duration(0), nil
		}
		return nil, fmt.Errorf("%v has no unit (write durations like 90s, 15m or 1h30m)", data)
	}
	return data, nil
}

// stringToListHook splits a comma-separated string (from the environment)
// into a []string, trimming spaces and dropping empty entries.
func stringToListHook(f, t reflect.Type, data any) (any, error) {
	if f.Kind() != reflect.String || t != reflect.TypeFor[[]string]() {
		return data, nil
	}
	var out []string
	for s := range strings.SplitSeq(data.(string), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
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

// flatten returns cfg as leaf key → value, for viper.SetDefault.
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

// loadOfflineConfig loads and validates the configuration for commands
// that never talk to Slack (backup, export): tokens are not required.
func loadOfflineConfig(path string, getenv func(string) string) (config.Config, error) {
	cfg, err := ReadConfig(path, getenv)
	if err != nil {
		return cfg, err
	}
	if err := cfg.ValidateWithoutTokens(); err != nil {
		return cfg, newConfigError(path, err)
	}
	return cfg, nil
}
