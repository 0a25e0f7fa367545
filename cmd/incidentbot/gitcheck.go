package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
)

// gitCheckTimeout bounds the git call: a hung network file system must
// not hang start-up.
const gitCheckTimeout = 10 * time.Second

// checkGitWorkTree returns a problem when postmortem drafts cannot be
// committed in dir: git is missing, dir is missing, or dir is not inside
// a git work tree. It asks git itself (rev-parse --is-inside-work-tree),
// so it agrees with the commits the bot will make.
func checkGitWorkTree(ctx context.Context, dir string) *config.Problem {
	if _, err := exec.LookPath("git"); err != nil {
		return &config.Problem{Key: "postmortem.git_commit", Msg: "needs git, which is not on the PATH (install git, or set postmortem.git_commit: false)"}
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &config.Problem{Key: "postmortem.dir", Msg: fmt.Sprintf("%q does not exist, and postmortem.git_commit needs a git work tree there (run git init %s, or clone your postmortems repository there)", dir, dir)}
	case err != nil:
		return &config.Problem{Key: "postmortem.dir", Msg: fmt.Sprintf("%q cannot be read (%v; check its owner and mode)", dir, reason(err))}
	case !fi.IsDir():
		return &config.Problem{Key: "postmortem.dir", Msg: fmt.Sprintf("%q is a file, not a directory (name the git work tree drafts go into)", dir)}
	}
	ctx, cancel := context.WithTimeout(ctx, gitCheckTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--is-inside-work-tree")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err == nil && strings.TrimSpace(stdout.String()) == "true" {
		return nil
	}
	why := firstLine(stderr.String())
	if why == "" && err != nil {
		why = err.Error()
	}
	if why == "" {
		why = "inside a .git directory"
	}
	return &config.Problem{Key: "postmortem.dir", Msg: fmt.Sprintf("%q is not inside a git work tree (git says: %s); run git init in it or clone your postmortems repository there, or set postmortem.git_commit: false", dir, why)}
}

// firstLine returns the first non-empty line of s without git's "fatal: ".
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return strings.TrimPrefix(line, "fatal: ")
		}
	}
	return ""
}

// reason returns the bare cause of a file-system error, e.g.
// "permission denied", without repeating the path.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
