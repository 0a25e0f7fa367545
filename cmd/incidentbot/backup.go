package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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
	cfg, err := loadOfflineConfig(opts.Config, env.vars())
	if err != nil {
		return err
	}
	if cfg.HTTP.Listen != "" {
		err := backupOverHTTP(ctx, cfg.HTTP.Listen, adminTokenPath(cfg.Store.Path), opts.Out)
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

func backupOverHTTP(ctx context.Context, listen, tokenPath, out string) error {
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
	token, err := os.ReadFile(tokenPath)
	if err != nil {
		// No token file: no bot is running on this database (or it runs
		// without the admin server); the file copy below will tell.
		return fmt.Errorf("read the running bot's token %s: %w", tokenPath, syscall.ECONNREFUSED)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
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

// adminTokenPath is where a running bot keeps the token that authorises
// backups through its admin endpoint: beside the database, readable by
// whoever may read the database itself.
func adminTokenPath(storePath string) string { return storePath + ".admin-token" }

// writeAdminToken creates a fresh random token file for this run.
func writeAdminToken(storePath string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make admin token: %w", err)
	}
	token := hex.EncodeToString(b)
	path := adminTokenPath(storePath)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write admin token %s: %w", path, err)
	}
	return token, nil
}
