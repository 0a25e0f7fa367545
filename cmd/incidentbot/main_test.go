package main

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/manifest"

	"go.yaml.in/yaml/v3"
)

// result is what one run of the binary produced.
type result struct {
	code           int
	stdout, stderr string
}

// MustRun runs Dispatch with args and the environment env (nil: empty).
func MustRun(tb testing.TB, env map[string]string, args ...string) result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := Dispatch(context.Background(), &Env{Stdout: &stdout, Stderr: &stderr, Environ: environ(env), Retry: fastRetry}, args)
	return result{code, stdout.String(), stderr.String()}
}

// assertOneLineError checks exit code, empty stdout and a single
// "incidentbot: " line on stderr containing want.
func assertOneLineError(tb testing.TB, r result, code int, want string) {
	tb.Helper()
	if r.code != code {
		tb.Errorf("exit code = %d, want %d", r.code, code)
	}
	if r.stdout != "" {
		tb.Errorf("stdout = %q, want empty", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "incidentbot: ") || strings.Count(r.stderr, "\n") != 1 {
		tb.Errorf("stderr is not one incidentbot: line: %q", r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		tb.Errorf("stderr = %q, want it to contain %q", r.stderr, want)
	}
}

func TestMain_UsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"UnknownCommand", []string{"deploy"}, `incidentbot: unknown command "deploy"; run 'incidentbot help' for the list` + "\n"},
		{"FlagBeforeCommand", []string{"--config", "x.yaml"}, "flag --config given before a command"},
		{"UnknownFlag", []string{"check-config", "--verbose"}, "check-config: flag provided but not defined: -verbose; run 'incidentbot help check-config'"},
		{"MissingFlagValue", []string{"run", "--config"}, "run: flag needs an argument: -config"},
		{"ExtraArgument", []string{"manifest", "extra"}, `manifest: unexpected argument "extra"`},
		{"VersionArgument", []string{"version", "--short"}, "version: flag provided but not defined"},
		{"BackupNoOut", []string{"backup"}, "backup: --out is required"},
		{"ExportFormat", []string{"export", "--format", "pdf"}, `export: --format "pdf" is not supported (use md or json)`},
		{"ExportSince", []string{"export", "--since", "yesterday"}, `export: --since "yesterday" is not a date`},
		{"ExportIncident", []string{"export", "--incident", "-3"}, "export: --incident -3 is not an incident number"},
		{"ExportIncidentNaN", []string{"export", "--incident", "abc"}, `export: invalid value "abc" for flag -incident`},
		{"HelpUnknown", []string{"help", "deploy"}, `help: unknown command "deploy"`},
		{"DemoArgument", []string{"demo", "now"}, `demo: unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertOneLineError(t, MustRun(t, nil, tt.args...), 2, tt.want)
		})
	}

	t.Run("NoArguments", func(t *testing.T) {
		r := MustRun(t, nil)
		if r.code != 2 || !strings.Contains(r.stderr, "Commands:") {
			t.Errorf("got %+v", r)
		}
	})
}

func TestMain_Help(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "help"}} {
		r := MustRun(t, nil, args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%v: got %+v", args, r)
		}
		for _, c := range commands() {
			if !strings.Contains(r.stdout, "\n  "+c.name+" ") {
				t.Errorf("%v: usage does not list %q:\n%s", args, c.name, r.stdout)
			}
		}
	}

	t.Run("Command", func(t *testing.T) {
		for _, args := range [][]string{{"help", "export"}, {"export", "-h"}, {"export", "--help"}} {
			r := MustRun(t, nil, args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%v: got %+v", args, r)
			}
			for _, want := range []string{"Usage: incidentbot export --config FILE", "-format", "-since", "-incident"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%v: missing %q:\n%s", args, want, r.stdout)
				}
			}
		}
	})

	t.Run("ConfigDefaultFromEnv", func(t *testing.T) {
		r := MustRun(t, MapEnv(map[string]string{"INCIDENTBOT_CONFIG": "/etc/ib.yaml"}), "help", "run")
		if !strings.Contains(r.stdout, `(default "/etc/ib.yaml")`) {
			t.Errorf("got %s", r.stdout)
		}
	})
}

func TestMain_Version(t *testing.T) {
	r := MustRun(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "incidentbot dev (go") {
		t.Errorf("got %+v", r)
	}
}

func TestMain_CheckConfig(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		r := MustRun(t, TokenEnv(), "check-config", "--config", examplePath)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("got %+v", r)
		}
		AssertNoSecret(t, r.stdout)
		var got map[string]any
		if err := yaml.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("output is not YAML: %v\n%s", err, r.stdout)
		}
		slack := got["slack"].(map[string]any)
		if slack["bot_token"] != "xoxb-…(redacted)" || slack["app_token"] != "xapp-…(redacted)" {
			t.Errorf("tokens not redacted: %v", slack)
		}
		if got["timezone"] != "UTC" {
			t.Errorf("timezone = %v", got["timezone"])
		}
	})

	t.Run("ConfigFromEnv", func(t *testing.T) {
		r := MustRun(t, TokenEnv("INCIDENTBOT_CONFIG", examplePath), "check-config")
		if r.code != 0 {
			t.Fatalf("got %+v", r)
		}
	})

	t.Run("ErrEveryProblem", func(t *testing.T) {
		path := MustWriteConfig(t, "timezone: Mars/Base\nlog:\n  format: xml\n")
		r := MustRun(t, MapEnv(map[string]string{"SLACK_BOT_TOKEN": "xapp-SECRET-swapped"}), "check-config", "--config", path)
		if r.code != 1 || r.stdout != "" {
			t.Fatalf("got %+v", r)
		}
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "incidentbot: config file ") || !strings.HasSuffix(lines[0], "has 4 problems:") {
			t.Errorf("header = %q", lines[0])
		}
		var keys []string
		for _, l := range lines[1:] {
			keys = append(keys, strings.SplitN(strings.TrimSpace(l), ":", 2)[0])
		}
		if want := []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "timezone", "log.format"}; !slices.Equal(keys, want) {
			t.Errorf("problems for %v, want %v:\n%s", keys, want, r.stderr)
		}
		AssertNoSecret(t, r.stderr)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		assertOneLineError(t, MustRun(t, nil, "check-config", "--config", "nope.yaml"), 1,
			`incidentbot: config file "nope.yaml": not found (copy config.example.yaml)`)
	})
}

func TestMain_Manifest(t *testing.T) {
	r := MustRun(t, nil, "manifest")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("got %+v", r)
	}
	var m manifest.Manifest
	dec := yaml.NewDecoder(strings.NewReader(r.stdout))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest is not valid YAML: %v\n%s", err, r.stdout)
	}
	// The command prints bot/manifest as it is; bot/manifest's own tests
	// check its content.
	if want := manifest.Default(); !reflect.DeepEqual(m, want) {
		t.Errorf("printed manifest differs from manifest.Default():\n got %+v\nwant %+v", m, want)
	}
	if !m.Settings.SocketModeEnabled || !m.Settings.Interactivity.IsEnabled {
		t.Error("socket mode and interactivity must be enabled")
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/incident" || !m.Features.SlashCommands[0].ShouldEscape {
		t.Errorf("slash commands = %+v", m.Features.SlashCommands)
	}
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != bot.CallbackAddToTimeline || m.Features.Shortcuts[0].Type != "message" {
		t.Errorf("shortcuts = %+v", m.Features.Shortcuts)
	}
	if !strings.HasPrefix(r.stdout, "# Slack app manifest for incidentbot") {
		t.Errorf("no usage header:\n%s", r.stdout)
	}

	// The raw document uses Slack's field names.
	var raw map[string]any
	if err := yaml.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	settings := raw["settings"].(map[string]any)
	if settings["socket_mode_enabled"] != true {
		t.Errorf("settings = %v", settings)
	}
}
