package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// moduleRoot returns the directory of the Go module around the current
// directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the repository (go env GOMOD): %w; pass --src", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the incidentbot module; run from the repository or pass --src")
	}
	return filepath.Dir(mod), nil
}

// buildTree builds ./cmd/incidentbot of the module at src into
// dir/name, as the Dockerfile builds the binary that is shipped (static,
// without symbols): what runs in production is what is measured. A
// default build links the C library, which adds about 1.4 MB of resident
// file pages.
func buildTree(ctx context.Context, src, dir, name string) (string, error) {
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/incidentbot")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s in %s: %w\n%s", name, src, err, out)
	}
	return bin, nil
}

// buildRev extracts commit rev of the repository at src (git archive) into
// dir and builds its incidentbot there.
func buildRev(ctx context.Context, src, rev, dir string) (string, error) {
	tree := filepath.Join(dir, "src-"+rev)
	if err := os.RemoveAll(tree); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "git", "-C", src, "archive", "--format=tar", rev)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("git archive %s: %w", rev, err)
	}
	xerr := untar(out, tree)
	if err := cmd.Wait(); err != nil {
		return "", fmt.Errorf("git archive %s: %w: %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	if xerr != nil {
		return "", fmt.Errorf("extract %s: %w", rev, xerr)
	}
	return buildTree(ctx, tree, dir, "incidentbot-"+rev)
}

// untar writes the regular files and directories of a tar stream under
// dir; other entries (links, pax headers) are skipped.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(path, filepath.Clean(dir)+string(filepath.Separator)) {
			return fmt.Errorf("%q leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// binaryInfo names a binary in the report.
type binaryInfo struct {
	Path   string
	SHA256 string // first 12 hex digits
	Size   int64
}

func describeBinary(path string) binaryInfo {
	b := binaryInfo{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return b
	}
	defer f.Close()
	h := sha256.New()
	b.Size, _ = io.Copy(h, f)
	b.SHA256 = hex.EncodeToString(h.Sum(nil))[:12]
	return b
}

// machine describes where the run happened.
type machine struct {
	CPU, Kernel, Go string
	CPUs            int
	MemTotal        int64 // bytes
}

func describeMachine(ctx context.Context) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.Go = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				m.MemTotal = kB(v)
			}
		}
	}
	return m
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
