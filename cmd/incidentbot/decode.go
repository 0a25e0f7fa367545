package main

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// The decoder below replaces mapstructure's: it decodes one key at a
// time, so that one bad value does not hide the others, it knows whether
// the value came from the file or a variable, and it says what was
// expected and what was given instead of passing on strconv's and time's
// errors ("strconv.ParseBool: parsing "maybe": invalid syntax").

// decode sets on l.cfg every key given in the file or the environment,
// recording a problem for each value that does not fit its key.
func (l *loaded) decode(v *viper.Viper, env map[string]string) {
	rv := reflect.ValueOf(&l.cfg).Elem()
	walkKeys(rv.Type(), "", func(key string, index []int) {
		raw, from, ok := lookupValue(v, env, key)
		if !ok {
			return
		}
		field := rv.FieldByIndex(index)
		if isStructList(field.Type()) {
			l.decodeStructList(key, from, field, raw)
			return
		}
		val, msg := decodeValue(field.Type(), raw)
		if msg != "" {
			l.failed[key] = true
			l.problems = append(l.problems, fmt.Errorf("%s: %s", cmp.Or(from, key), msg))
			return
		}
		field.Set(val)
		if from != "" {
			l.envSource[key] = from
		}
	})
}

// lookupValue returns the value given for key and the variable it came from
// ("" for the file). Tokens are never taken from the file (checkFileKeys
// reports them there), and an empty variable counts as unset.
func lookupValue(v *viper.Viper, env map[string]string, key string) (raw any, from string, ok bool) {
	if val := env[EnvName(key)]; val != "" {
		return val, EnvName(key), true
	}
	for _, t := range tokenEnv {
		if t.key == key {
			if val := env[t.name]; val != "" {
				return val, t.name, true
			}
			return nil, "", false
		}
	}
	if raw := v.Get(key); raw != nil {
		return raw, "", true
	}
	return nil, "", false
}

// lastPart returns the last part of a dotted key: "routes" of
// "intake.routes".
func lastPart(key string) string { return key[strings.LastIndex(key, ".")+1:] }

// fieldIndex returns the index of t's field whose mapstructure tag is name.
func fieldIndex(t reflect.Type, name string) []int {
	for f := range t.Fields() {
		if f.Tag.Get("mapstructure") == name {
			return f.Index
		}
	}
	panic("no field " + name + " in " + t.String())
}

var (
	durationType   = reflect.TypeFor[time.Duration]()
	stringListType = reflect.TypeFor[[]string]()
)

// durationHint ends every message about a duration.
const durationHint = "write durations like 90s, 15m or 1h30m"

// decodeValue converts raw (from YAML or a variable) to type t. On failure
// it returns a message saying what was expected and what was given.
func decodeValue(t reflect.Type, raw any) (reflect.Value, string) {
	switch {
	case t == durationType:
		d, msg := toDuration(raw)
		return reflect.ValueOf(d), msg
	case t.Kind() == reflect.String:
		s, msg := toString(raw)
		return reflect.ValueOf(s).Convert(t), msg
	case t.Kind() == reflect.Bool:
		b, msg := toBool(raw)
		return reflect.ValueOf(b), msg
	case t == stringListType:
		list, msg := toList(raw)
		return reflect.ValueOf(list), msg
	case t.Kind() == reflect.Int64 || t.Kind() == reflect.Int:
		n, msg := toInt(raw)
		return reflect.ValueOf(n).Convert(t), msg
	}
	// TestDecodeValue_EveryConfigType keeps this unreachable.
	return reflect.Value{}, fmt.Sprintf("cannot be set (incidentbot does not know how to read a %s; please report this)", t)
}

// describe says what raw is, for "got …" in a message: a quoted string,
// a number or a boolean as written, or the kind of structure.
func describe(raw any) string {
	switch r := raw.(type) {
	case string:
		return fmt.Sprintf("%q", r)
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a section of keys"
	case nil:
		return "nothing"
	default:
		return fmt.Sprint(r)
	}
}

// scalar reports whether raw is a single YAML value.
func scalar(raw any) bool {
	switch raw.(type) {
	case string, bool, int, int64, uint64, float64:
		return true
	}
	return false
}

func toString(raw any) (string, string) {
	if s, ok := raw.(string); ok {
		return s, ""
	}
	if scalar(raw) {
		return fmt.Sprint(raw), ""
	}
	return "", "expected a single value, got " + describe(raw)
}

// toInt reads a whole number, from YAML or a variable.
func toInt(raw any) (int64, string) {
	switch r := raw.(type) {
	case int:
		return int64(r), ""
	case int64:
		return r, ""
	case uint64:
		if r <= math.MaxInt64 {
			return int64(r), ""
		}
	case float64:
		if r == math.Trunc(r) && math.Abs(r) < 1<<53 {
			return int64(r), ""
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(r), 10, 64); err == nil {
			return n, ""
		}
	}
	return 0, "expected a whole number, got " + describe(raw)
}

func toBool(raw any) (bool, string) {
	switch r := raw.(type) {
	case bool:
		return r, ""
	case string:
		switch strings.ToLower(strings.TrimSpace(r)) {
		case "true", "yes", "on", "1":
			return true, ""
		case "false", "no", "off", "0":
			return false, ""
		}
	case int:
		if r == 0 || r == 1 {
			return r == 1, ""
		}
	}
	return false, "expected true or false, got " + describe(raw)
}

func toDuration(raw any) (time.Duration, string) {
	switch r := raw.(type) {
	case string:
		s := strings.TrimSpace(r)
		if s == "" || s == "0" {
			return 0, ""
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
				return 0, fmt.Sprintf("%s has no unit (%s)", s, durationHint)
			}
			return 0, fmt.Sprintf("expected a duration, got %q (%s)", s, durationHint)
		}
		return d, ""
	case int, int64, uint64, float64:
		// A bare number would be nanoseconds to Go; nobody means that.
		if reflect.ValueOf(r).IsZero() {
			return 0, ""
		}
		return 0, fmt.Sprintf("%v has no unit (%s)", r, durationHint)
	}
	return 0, fmt.Sprintf("expected a duration, got %s (%s)", describe(raw), durationHint)
}

// toList accepts a YAML list of single values, or one string of
// comma-separated entries (as variables give them); entries are trimmed
// and empty ones dropped.
func toList(raw any) ([]string, string) {
	switch r := raw.(type) {
	case []any:
		out := make([]string, 0, len(r))
		for i, item := range r {
			s, msg := toString(item)
			if msg != "" {
				return nil, fmt.Sprintf("entry %d: %s", i+1, msg)
			}
			out = append(out, s)
		}
		return out, ""
	case string:
		var out []string
		for s := range strings.SplitSeq(r, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, ""
	}
	if scalar(raw) {
		return []string{fmt.Sprint(raw)}, ""
	}
	return nil, "expected a list, got " + describe(raw)
}
