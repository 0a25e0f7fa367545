package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/store"
)

// openOffline opens the database for a command that reads it (export,
// oncall export). While the bot runs it holds the file: running is then
// true, and what is asked for comes from the bot's admin endpoint, which
// needs http.listen (what names what is asked for, in that error).
func openOffline(cfg config.Config, what string) (db *store.DB, running bool, err error) {
	db, err = store.Open(cfg.Store.Path, store.WithTimeout(500*time.Millisecond))
	if errors.Is(err, store.ErrLocked) {
		if cfg.HTTP.Listen == "" {
			return nil, false, fmt.Errorf("%w; with http.listen set, %s is taken from the running bot", err, what)
		}
		return nil, true, nil
	}
	return db, false, err
}

// adminGet asks the running bot's admin endpoint for pathQuery, with the
// token it wrote beside its database.
func adminGet(ctx context.Context, cfg config.Config, pathQuery string) (*http.Response, error) {
	host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %q: %w", cfg.HTTP.Listen, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	token, err := os.ReadFile(adminTokenPath(cfg.Store.Path))
	if err != nil {
		return nil, fmt.Errorf("the database is in use, but the running bot's token %s is unreadable: %w", adminTokenPath(cfg.Store.Path), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+pathQuery, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("the database is in use, and no bot answers at http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	return resp, err
}
