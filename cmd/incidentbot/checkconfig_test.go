package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/testtool"
)

// problemLines returns the problems of a *ConfigError as their lines.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	var cerr *ConfigError
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	var lines []string
	for _, p := range cerr.Problems {
		lines = append(lines, p.Error())
	}
	return lines
}

// assertLines checks that lines start with want's prefixes, in order.
func assertLines(t *testing.T, lines []string, want ...string) {
	t.Helper()
	if len(lines) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
		return
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestLoadConfig_EveryProblemAtOnce(t *testing.T) {
	// Five mistakes in the file (two that decoding finds, three that
	// validation finds) and two in the environment: all seven are listed.
	path := MustWriteConfig(t, `slack:
  channel_prefx: inc
digest:
  enabled: maybe
scheduler:
  tick: often
timezone: Mars/Base
log:
  level: loud
`)
	_, err := LoadConfig(context.Background(), path, TokenEnv(
		"INCIDENTBOT_LOG_FROMAT", "json",
		"INCIDENTBOT_REMINDERS_SNOOZE", "ten minutes",
	))
	assertLines(t, problemLines(t, err),
		`slack.channel_prefx: unknown key (did you mean "slack.channel_prefix"?`,
		"INCIDENTBOT_LOG_FROMAT: no setting has this variable (did you mean INCIDENTBOT_LOG_FORMAT?",
		`INCIDENTBOT_REMINDERS_SNOOZE: expected a duration, got "ten minutes"`,
		`scheduler.tick: expected a duration, got "often"`,
		`digest.enabled: expected true or false, got "maybe"`,
		`timezone: unknown time zone "Mars/Base"`,
		`log.level: "loud" is not a level`,
	)
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("config file %q has 7 problems:\n  ", path)) {
		t.Errorf("header: %q", err)
	}
}

func TestLoadConfig_ProblemNamesTheVariable(t *testing.T) {
	path := MustWriteConfig(t, "log:\n  format: text\n")
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"Level", TokenEnv("INCIDENTBOT_LOG_LEVEL", "loud"), `INCIDENTBOT_LOG_LEVEL: "loud" is not a level`},
		{"ListEntry", TokenEnv("INCIDENTBOT_SLACK_ADMINS", "U0123ABCD, bob"), `INCIDENTBOT_SLACK_ADMINS (entry 2): "bob" is not a Slack user ID`},
		{"Bool", TokenEnv("INCIDENTBOT_DIGEST_ENABLED", "maybe"), `INCIDENTBOT_DIGEST_ENABLED: expected true or false, got "maybe"`},
		{"Duration", TokenEnv("INCIDENTBOT_SCHEDULER_TICK", "500ms"), "INCIDENTBOT_SCHEDULER_TICK: 500ms is below the minimum of 1s"},
		{"DurationNoUnit", TokenEnv("INCIDENTBOT_SHUTDOWN_GRACE", "8"), "INCIDENTBOT_SHUTDOWN_GRACE: 8 has no unit"},
		{"Severities", TokenEnv("INCIDENTBOT_INCIDENTS_SEVERITIES", "sev1"), "INCIDENTBOT_INCIDENTS_SEVERITIES: incidents.severities cannot be set in the environment"},
		{"BotTokenMissing", map[string]string{"SLACK_APP_TOKEN": testAppToken}, "SLACK_BOT_TOKEN: missing (set SLACK_BOT_TOKEN to the Bot User OAuth Token"},
		{"PrefixedToken", TokenEnv("INCIDENTBOT_SLACK_BOT_TOKEN", "xoxp-1111-SECRET"), "INCIDENTBOT_SLACK_BOT_TOKEN: is a user token (xoxp-…)"},
		{"AppTokenIsBotToken", TokenEnv("SLACK_APP_TOKEN", testBotToken), "SLACK_APP_TOKEN: is a bot token (xoxb-…), which belongs in SLACK_BOT_TOKEN"},
		{"Swapped", TokenEnv("SLACK_BOT_TOKEN", testAppToken, "SLACK_APP_TOKEN", testBotToken), "SLACK_BOT_TOKEN: holds an app-level token (xapp-…) and SLACK_APP_TOKEN a bot token (xoxb-…): the two are swapped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(context.Background(), path, tt.env)
			lines := problemLines(t, err)
			assertLines(t, lines, tt.want)
			AssertNoSecret(t, err.Error())
		})
	}

	t.Run("FileKeyStaysAKey", func(t *testing.T) {
		_, err := LoadConfig(context.Background(), MustWriteConfig(t, "log:\n  level: loud\n"), TokenEnv())
		assertLines(t, problemLines(t, err), `log.level: "loud" is not a level`)
	})
}

func TestLoadConfig_UnknownVariables(t *testing.T) {
	path := MustWriteConfig(t, "")
	tests := []struct {
		name, variable, want string
	}{
		{"Typo", "INCIDENTBOT_LOG_LEVL", "INCIDENTBOT_LOG_LEVL: no setting has this variable (did you mean INCIDENTBOT_LOG_LEVEL? otherwise unset it)"},
		{"MissingSection", "INCIDENTBOT_TICK", "did you mean INCIDENTBOT_SCHEDULER_TICK?"},
		{"MissingUnderscore", "INCIDENTBOT_SLACK_BOTTOKEN", "did you mean INCIDENTBOT_SLACK_BOT_TOKEN?"},
		{"Unrelated", "INCIDENTBOT_FROBNICATE", "INCIDENTBOT_FROBNICATE: no setting has this variable (unset it; a key's variable is INCIDENTBOT_ and the key in upper case"},
		{"LowerCase", "incidentbot_log_level", "incidentbot_log_level: variable names are case-sensitive (write INCIDENTBOT_LOG_LEVEL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(context.Background(), path, TokenEnv(tt.variable, "xoxb-SECRET-value"))
			lines := problemLines(t, err)
			if len(lines) != 1 || !strings.Contains(lines[0], tt.want) {
				t.Errorf("problems %q, want one containing %q", lines, tt.want)
			}
			AssertNoSecret(t, err.Error())
		})
	}

	t.Run("OKNotSettings", func(t *testing.T) {
		// --config's default, CI's switch for the tests, and what
		// Kubernetes sets for a Service named incidentbot.
		env := TokenEnv("INCIDENTBOT_CONFIG", path, "INCIDENTBOT_REQUIRE_TOOLS", "1",
			"INCIDENTBOT_SERVICE_HOST", "10.0.0.7", "INCIDENTBOT_SERVICE_PORT", "8080", "INCIDENTBOT_SERVICE_PORT_HTTP", "8080",
			"INCIDENTBOT_PORT", "tcp://10.0.0.7:8080", "INCIDENTBOT_PORT_8080_TCP", "tcp://10.0.0.7:8080",
			"INCIDENTBOT_PORT_8080_TCP_PROTO", "tcp", "INCIDENTBOT_PORT_8080_TCP_PORT", "8080", "INCIDENTBOT_PORT_8080_TCP_ADDR", "10.0.0.7",
			"HOME", "/root", "SLACK_SIGNING_SECRET", "x")
		if _, err := LoadConfig(context.Background(), path, env); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("CheckConfig", func(t *testing.T) {
		r := MustRun(t, TokenEnv("INCIDENTBOT_LOG_LEVL", "debug"), "check-config", "--config", path)
		assertOneLineError(t, r, 1, "INCIDENTBOT_LOG_LEVL: no setting has this variable (did you mean INCIDENTBOT_LOG_LEVEL?")
	})
}

func TestLoadConfig_NoGoErrors(t *testing.T) {
	files := []string{
		"digest:\n  enabled: maybe\n",
		"digest:\n  enabled: 2\n",
		"digest:\n  enabled: [true]\n",
		"digest: 5\n",
		"scheduler:\n  tick: often\n",
		"scheduler:\n  tick: [15s]\n",
		"scheduler:\n  tick: {a: b}\n",
		"scheduler:\n  tick: 15\n",
		"scheduler:\n  tick: 1.5\n",
		"slack:\n  admins: {a: b}\n",
		"slack:\n  admins: [[U0123ABCD]]\n",
		"timezone: [UTC]\n",
		"incidents:\n  severities: 5\n",
		"incidents:\n  severities:\n    - name: x\n      description: d\n      update_every: fast\n",
		"incidents:\n  severities:\n    - name: [x]\n      update_every: {a: 1}\n",
	}
	envs := []map[string]string{
		TokenEnv("INCIDENTBOT_DIGEST_ENABLED", "maybe"),
		TokenEnv("INCIDENTBOT_REMINDERS_SNOOZE", "10 minutes"),
		TokenEnv("INCIDENTBOT_SCHEDULER_TICK", "15"),
		TokenEnv("INCIDENTBOT_SCHEDULER_TICK", "-"),
		TokenEnv("INCIDENTBOT_POSTMORTEM_GIT_COMMIT", "sure"),
	}
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("accepted")
		}
		for _, raw := range []string{"strconv", "invalid syntax", "time: ", "mapstructure", "cannot parse", "expected type", "unconvertible", "'"} {
			if strings.Contains(err.Error(), raw) {
				t.Errorf("a Go error reaches the user (%q):\n%s", raw, err)
			}
		}
		// The first problem is the bad value; validation may add others.
		if line := problemLines(t, err)[0]; !strings.Contains(line, "expected") && !strings.Contains(line, "no unit") {
			t.Errorf("%q does not say what was expected", line)
		}
	}
	for i, body := range files {
		t.Run(fmt.Sprint("File", i), func(t *testing.T) {
			_, err := LoadConfig(context.Background(), MustWriteConfig(t, body), TokenEnv())
			check(t, err)
		})
	}
	path := MustWriteConfig(t, "")
	for i, env := range envs {
		t.Run(fmt.Sprint("Env", i), func(t *testing.T) {
			_, err := LoadConfig(context.Background(), path, env)
			check(t, err)
		})
	}
}

func TestLoadConfig_Severities(t *testing.T) {
	var b strings.Builder
	b.WriteString("incidents:\n  default_severity: sev0\n  severities:\n")
	for i := range 101 {
		fmt.Fprintf(&b, "    - name: sev%d\n      description: d\n      update_every: 1h\n", i)
	}
	r := MustRun(t, TokenEnv(), "check-config", "--config", MustWriteConfig(t, b.String()))
	assertOneLineError(t, r, 1, "incidents.severities: 101 severities, more than the 100 a Slack menu can list")

	long := strings.Repeat("s", 76)
	r = MustRun(t, TokenEnv(), "check-config", "--config", MustWriteConfig(t, fmt.Sprintf(
		"incidents:\n  default_severity: %s\n  severities:\n    - name: %s\n      description: d\n      update_every: 1h\n", long, long)))
	assertOneLineError(t, r, 1, "incidents.severities[0].name: is 76 characters, more than the 75 a Slack menu option shows")
}

func TestLoadConfig_GitWorkTree(t *testing.T) {
	testtool.LookPath(t, "git", "apt-get install git")
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	sub := filepath.Join(repo, "postmortems")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	plain := t.TempDir()
	file := filepath.Join(plain, "notes.md")
	os.WriteFile(file, nil, 0o600)
	cfgFor := func(dir string, commit bool) string {
		return MustWriteConfig(t, fmt.Sprintf("postmortem:\n  dir: %q\n  git_commit: %v\n", dir, commit))
	}
	load := func(path string, env map[string]string) error {
		_, err := LoadConfig(context.Background(), path, env)
		return err
	}

	for _, dir := range []string{repo, sub} {
		if err := load(cfgFor(dir, true), TokenEnv()); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
	}
	if err := load(cfgFor(plain, false), TokenEnv()); err != nil {
		t.Errorf("a plain directory without git_commit: %v", err)
	}
	tests := []struct {
		name string
		path string
		env  map[string]string
		want string
	}{
		{"ErrPlainDir", cfgFor(plain, true), TokenEnv(), fmt.Sprintf("postmortem.dir: %q is not inside a git work tree (git says: not a git repository", plain)},
		{"ErrMissing", cfgFor(filepath.Join(plain, "nope"), true), TokenEnv(), "postmortem.dir: " + fmt.Sprintf("%q", filepath.Join(plain, "nope")) + " does not exist"},
		{"ErrFile", cfgFor(file, true), TokenEnv(), fmt.Sprintf("postmortem.dir: %q is a file, not a directory", file)},
		{"ErrFromEnv", cfgFor(repo, true), TokenEnv("INCIDENTBOT_POSTMORTEM_DIR", plain), "INCIDENTBOT_POSTMORTEM_DIR: " + fmt.Sprintf("%q", plain) + " is not inside a git work tree"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertLines(t, problemLines(t, load(tt.path, tt.env)), tt.want)
		})
	}
	t.Run("ErrNoGit", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		assertLines(t, problemLines(t, load(cfgFor(repo, true), TokenEnv())), "postmortem.git_commit: needs git, which is not on the PATH")
	})
	t.Run("CheckConfig", func(t *testing.T) {
		r := MustRun(t, TokenEnv(), "check-config", "--config", cfgFor(plain, true))
		assertOneLineError(t, r, 1, "is not inside a git work tree")
	})
}

func TestEnvNames_EveryKey(t *testing.T) {
	// Every key has a variable, and the variables are all different.
	vars := settingVars()
	if len(vars) != len(knownKeys()) || len(slices.Compact(slices.Sorted(slices.Values(vars)))) != len(vars) {
		t.Errorf("variables %v", vars)
	}
	for _, v := range vars {
		if slices.Contains(otherVars, v) || serviceLinkRe.MatchString(v) {
			t.Errorf("%s is a setting and also ignored", v)
		}
	}
}
