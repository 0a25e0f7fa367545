package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/store"
)

// adminGet asks the running bot for path (an /admin endpoint) with query
// q, presenting the token it wrote beside its database: what export and
// stats do while the bot holds the database. The caller closes the body.
func adminGet(ctx context.Context, cfg config.Config, path string, q url.Values) (*http.Response, error) {
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
	u := "http://" + net.JoinHostPort(host, port) + path + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
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

// openOrBusy opens the database of cfg for a command that reads it
// (export, stats), or reports busy when the running bot holds it and can
// be asked through http.listen instead. what names the command's output
// in the error of a locked database without http.listen.
func openOrBusy(cfg config.Config, what string) (db *store.DB, busy bool, err error) {
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		return nil, false, fmt.Errorf("no database at %s (store.path): %w", cfg.Store.Path, errors.Unwrap(err))
	}
	db, err = store.Open(cfg.Store.Path, store.WithTimeout(500*time.Millisecond))
	switch {
	case errors.Is(err, store.ErrLocked) && cfg.HTTP.Listen == "":
		return nil, false, fmt.Errorf("%w; with http.listen set, %s taken from the running bot", err, what)
	case errors.Is(err, store.ErrLocked):
		return nil, true, nil
	}
	return db, false, err
}

// adminRead asks the running bot for path with query q and returns the
// answer's body for the caller to read and close. what names the output in
// errors ("export", "calendar"). An answer the bot refused for the
// request's own reasons (400, or a 404 other than notFound, the bot's word
// for an endpoint it does not serve) becomes an error in the bot's words:
// the same words the command gives when it reads the file itself.
func adminRead(ctx context.Context, cfg config.Config, path string, q url.Values, what, notFound string) (*http.Response, error) {
	resp, err := adminGet(ctx, cfg, path, q)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(body))
	if msg != "" && (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusNotFound && msg != notFound) {
		return nil, errors.New(msg)
	}
	return nil, fmt.Errorf("%s from the running bot at %s: HTTP %s: %s", what, cfg.HTTP.Listen, resp.Status, msg)
}
