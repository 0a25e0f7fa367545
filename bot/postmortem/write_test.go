package postmortem_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/bot/testtool"
)

var testIncident = &incident.Incident{ID: 42, Title: "Checkout fails", DeclaredAt: start}

func TestWriteFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "postmortems", "2026")
	path, err := postmortem.WriteFile(dir, testIncident, "# one\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "2026-03-04-inc-42-checkout-fails.md"); path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	if _, err := postmortem.WriteFile(dir, testIncident, "# two\n"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "# two\n" {
		t.Errorf("content = %q, %v", b, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("dir holds %d files, want 1 (temporary files left behind?)", len(entries))
	}
	t.Run("ErrDirIsFile", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o644)
		if _, err := postmortem.WriteFile(f, testIncident, "x"); err == nil {
			t.Fatal("want an error")
		}
	})
}

// MustGitRepo makes a git repository with no identity configured anywhere.
func MustGitRepo(t *testing.T) string {
	t.Helper()
	testtool.LookPath(t, "git", "apt-get install git")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	return dir
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGitCommit(t *testing.T) {
	repo := MustGitRepo(t)
	ctx := context.Background()
	dir := filepath.Join(repo, "postmortems")
	commit := func(md, msg string) {
		t.Helper()
		path, err := postmortem.WriteFile(dir, testIncident, md)
		if err != nil {
			t.Fatal(err)
		}
		if err := postmortem.GitCommit(ctx, dir, path, msg); err != nil {
			t.Fatal(err)
		}
	}
	commit("# draft\n", "Postmortem draft for incident #42")
	if got := gitOut(t, repo, "log", "--format=%an <%ae>|%cn <%ce>|%s"); got != "incidentbot <incidentbot@localhost>|incidentbot <incidentbot@localhost>|Postmortem draft for incident #42" {
		t.Errorf("log = %q", got)
	}
	// Regenerating the same draft is not an error and makes no commit.
	commit("# draft\n", "again")
	if n := gitOut(t, repo, "rev-list", "--count", "HEAD"); n != "1" {
		t.Errorf("%s commits, want 1", n)
	}
	// Another staged file stays out of the commit.
	os.WriteFile(filepath.Join(repo, "other.txt"), []byte("x"), 0o644)
	gitOut(t, repo, "add", "other.txt")
	commit("# draft v2\n", "Update")
	if n := gitOut(t, repo, "rev-list", "--count", "HEAD"); n != "2" {
		t.Errorf("%s commits, want 2", n)
	}
	if files := gitOut(t, repo, "show", "--name-only", "--format=", "HEAD"); files != "postmortems/2026-03-04-inc-42-checkout-fails.md" {
		t.Errorf("last commit holds %q", files)
	}

	t.Run("ErrNotWorkTree", func(t *testing.T) {
		dir := t.TempDir()
		path, _ := postmortem.WriteFile(dir, testIncident, "x")
		err := postmortem.GitCommit(ctx, dir, path, "m")
		if err == nil || !strings.Contains(err.Error(), "not inside a git work tree") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrNamesTheGitCommand", func(t *testing.T) {
		// Another git process holds the index: the error says which of
		// our commands failed, and git's reason.
		lock := filepath.Join(repo, ".git", "index.lock")
		if err := os.WriteFile(lock, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(lock)
		path, err := postmortem.WriteFile(dir, testIncident, "# draft v3\n")
		if err != nil {
			t.Fatal(err)
		}
		err = postmortem.GitCommit(ctx, dir, path, "m")
		if err == nil || !strings.Contains(err.Error(), ": git add: exit status") || !strings.Contains(err.Error(), "index.lock") {
			t.Fatalf("err = %v, want git add's failure on index.lock", err)
		}
	})
	t.Run("ErrCancelled", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, -time.Second)
		defer cancel()
		if err := postmortem.GitCommit(ctx, dir, filepath.Join(dir, "x.md"), "m"); err == nil {
			t.Fatal("want an error")
		}
	})
}
