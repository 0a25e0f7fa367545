package postmortem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// WriteFile writes markdown to dir/FileName(inc), creating dir if needed.
// The file appears whole or not at all: it is written to a temporary file
// in dir and renamed over the old draft. It returns the file's path.
func WriteFile(dir string, inc *incident.Incident, markdown string) (path string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write postmortem: %w", err)
	}
	path = filepath.Join(dir, FileName(inc))
	f, err := os.CreateTemp(dir, ".postmortem-*.tmp")
	if err != nil {
		return "", fmt.Errorf("write postmortem %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o644); err != nil {
		return "", fmt.Errorf("write postmortem %s: %w", path, err)
	}
	if _, err := f.WriteString(markdown); err != nil {
		return "", fmt.Errorf("write postmortem %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("write postmortem %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write postmortem %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("write postmortem %s: %w", path, err)
	}
	return path, nil
}

// gitAuthor is who commits postmortems.
const gitAuthor = "incidentbot <incidentbot@localhost>"

// errNotWorkTree reports a postmortem directory outside any git work tree.
var errNotWorkTree = errors.New("not inside a git work tree")

// GitCommit commits the file at path, in the git work tree holding dir,
// with message. It needs no git identity configured. Committing a file
// that has not changed is not an error: nothing happens. Other staged
// changes are left out of the commit.
func GitCommit(ctx context.Context, dir, path, message string) error {
	out, err := git(ctx, dir, "rev-parse", "--is-inside-work-tree")
	var ee *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &ee):
		return fmt.Errorf("commit postmortem %s: %w", path, err) // no git, or cancelled
	case err != nil || string(bytes.TrimSpace(out)) != "true":
		return fmt.Errorf("commit postmortem %s: %s: %w", path, dir, errNotWorkTree)
	}
	if _, err := git(ctx, dir, "add", "--", path); err != nil {
		return fmt.Errorf("commit postmortem %s: %w", path, err)
	}
	// diff --quiet exits 1 when the staged file differs from HEAD (or
	// there is no HEAD yet), 0 when there is nothing to commit.
	_, err = git(ctx, dir, "diff", "--cached", "--quiet", "--", path)
	if err == nil {
		return nil
	} else if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		return fmt.Errorf("commit postmortem %s: %w", path, err)
	}
	if _, err := git(ctx, dir, "commit", "--quiet", "-m", message, "--author", gitAuthor, "--", path); err != nil {
		return fmt.Errorf("commit postmortem %s: %w", path, err)
	}
	return nil
}

// git runs git in dir with incidentbot as committer and returns its output.
// Errors carry git's stderr and wrap *exec.ExitError.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(),
		"GIT_COMMITTER_NAME=incidentbot",
		"GIT_COMMITTER_EMAIL=incidentbot@localhost",
		"GIT_TERMINAL_PROMPT=0",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("git %s: %w: %s", args[0], err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}
