package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// cmdBackup writes a consistent copy of the database. When the bot is
// running it holds the database lock, so the copy is taken through its
// admin HTTP endpoint (a read transaction, safe while it writes);
// otherwise the file is read directly.
func cmdBackup(ctx context.Context, env *Env, args []string) error {
	opts, err := parseBackupFlags(env, args)
	if err != nil {
		return err
	}
	cfg, err := loadOfflineConfig(opts.Config, env.getenv)
	if err != nil {
		return err
	}
	if cfg.HTTP.Listen != "" {
		err := backupOverHTTP(ctx, cfg.HTTP.Listen, opts.Out)
		if err == nil {
			fmt.Fprintf(env.Stdout, "backup written to %s (from the running bot at %s)\n", opts.Out, cfg.HTTP.Listen)
			return nil
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return err
		}
	}
	if err := store.BackupFile(ctx, cfg.Store.Path, opts.Out); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s\n", opts.Out)
	return nil
}

func backupOverHTTP(ctx context.Context, listen, out string) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("http.listen %q: %w", listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/admin/backup", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup from the running bot at %s: HTTP %s", listen, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write backup %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, resp.Body); err != nil {
		tmp.Close()
		return fmt.Errorf("download backup: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write backup %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write backup %s: %w", out, err)
	}
	// Check that what arrived is a whole database before replacing out.
	db, err := store.Open(tmp.Name(), store.WithTimeout(time.Second))
	if err != nil {
		return fmt.Errorf("backup from the running bot is unreadable: %w", err)
	}
	cerr := db.Check()
	db.Close()
	if cerr != nil {
		return fmt.Errorf("backup from the running bot fails its consistency check: %w", cerr)
	}
	return os.Rename(tmp.Name(), out)
}
