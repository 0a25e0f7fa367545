package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRun_Tiny runs the whole program on a store of five incidents, with
// the incidentbot of this tree as both binaries (it migrates the
// before store, schema 1, when it opens it), so that scalebench keeps
// working as the bot changes. Five incidents mention fewer people than
// users.info's burst, so the first export through the bot does not wait
// for the rate limit.
func TestRun_Tiny(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin, err := buildTree(ctx, root, dir, "incidentbot")
	if err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	err = run(ctx, []string{
		"--before", bin, "--after", bin, "--before-schema", "1", "--sizes", "5",
		"--starts", "2", "--lists", "2", "--ticks", "2", "--exports", "1", "--settle", "100ms",
		"--cache", filepath.Join(dir, "cache"), "--work", filepath.Join(dir, "work"),
	}, &out, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	md := out.String()
	for _, want := range []string{
		"### 5 incidents",
		"| Start-up to connected | < 200 ms |",
		"`/incident list`, first after start: envelope sent → answer",
		", in the ack",
		"Idle RSS after 2 ticks of 1s",
		"`export --format json` through the running bot, names known: wall time",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	// Both sides are this tree's binary: nothing is unavailable.
	if strings.Contains(md, "n/a") || strings.Contains(md, "failed") {
		t.Errorf("something failed:\n%s\n%s", md, log.String())
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1000", 1000, true}, {"1k", 1000, true}, {"100K", 100000, true}, {"5", 5, true},
		{"", 0, false}, {"k", 0, false}, {"0", 0, false}, {"-1k", 0, false}, {"1m", 0, false},
	} {
		got, err := parseSize(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("parseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestTSTime(t *testing.T) {
	got, err := tsTime("1772615520.000300")
	if err != nil || !got.Equal(time.Unix(1772615520, 300_000)) {
		t.Errorf("tsTime = %v, %v", got, err)
	}
	for _, bad := range []string{"", "1772615520", "1772615520.3", "x.000001", "1.00000x"} {
		if _, err := tsTime(bad); err == nil {
			t.Errorf("tsTime(%q) accepted", bad)
		}
	}
}

func TestReason(t *testing.T) {
	in := `incidentbot: open store "/x/bot.db": the database is locked by another process (is incidentbot already running?); to export while the bot runs, take a backup`
	if got, want := reason(in), "the database is locked by another process (is incidentbot already running?)"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
}

func TestIsUserID(t *testing.T) {
	for id, want := range map[string]bool{
		"U0000123ABC": true, "W012ABCDEF": true, "C0123ABCD": false, "U01": false, "u0000123abc": false,
		"critical": false, "U0000123-BC": false,
	} {
		if isUserID(id) != want {
			t.Errorf("isUserID(%q) = %v", id, !want)
		}
	}
}

// TestMain lets this test binary serve as the launcher that measures a
// command's peak RSS (spawn.go), as scalebench's main does.
func TestMain(m *testing.M) {
	if os.Getenv(spawnEnv) != "" {
		os.Exit(spawnMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestRunMeasured_OwnPeak checks that a command's peak RSS is its own,
// not the measuring process's: after this process has touched 96 MB, a
// command doing nothing still shows a few MB (started directly, it
// shows the 96 MB on Linux: the reason for the launcher). A command's
// exit status and output come through, and it does not inherit the
// launcher's report descriptor.
func TestRunMeasured_OwnPeak(t *testing.T) {
	ballast := make([]byte, 96<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	ctx := context.Background()
	direct := exec.Command("true")
	if err := direct.Run(); err != nil {
		t.Fatal(err)
	}
	t.Logf("true(1) started directly shows %d MB", rusageMaxRSS(direct.ProcessState)>>20)
	got, err := runMeasured(ctx, "true", nil, os.Environ(), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("true(1) through the launcher shows %d kB", got>>10)
	if got <= 0 || got >= 64<<20 {
		t.Errorf("true(1) through the launcher shows %d bytes, want its own few MB", got)
	}
	var out bytes.Buffer
	_, err = runMeasured(ctx, "sh", []string{"-c", "echo hello; exit 3"}, os.Environ(), &out, io.Discard)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || out.String() != "hello\n" {
		t.Errorf("sh -c 'echo hello; exit 3': err %v, output %q", err, out.String())
	}
	// The launcher's report descriptor (3) is not passed on.
	out.Reset()
	if _, err := runMeasured(ctx, "sh", []string{"-c", "if [ -e /proc/$$/fd/3 ]; then echo inherited; else echo closed; fi"}, os.Environ(), &out, io.Discard); err != nil || out.String() != "closed\n" {
		t.Errorf("descriptor 3 in the command: %q, %v", out.String(), err)
	}
	runtime.KeepAlive(ballast)
}
