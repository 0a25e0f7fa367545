package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/store"
)

// cmdExport prints postmortems (md) or whole incidents with their
// timelines (json, the format documented in bot/postmortem/EXPORT.md).
// It reads the database directly, so the bot must be stopped, or point
// --config at a configuration whose store.path is a backup.
func cmdExport(ctx context.Context, env *Env, args []string) error {
	opts, err := parseExportFlags(env, args)
	if err != nil {
		return err
	}
	cfg, err := loadOfflineConfig(opts.Config, env.vars())
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Store.Path); err != nil {
		return fmt.Errorf("no database at %s (store.path): %w", cfg.Store.Path, errors.Unwrap(err))
	}
	db, err := store.Open(cfg.Store.Path)
	if err != nil {
		return fmt.Errorf("%w; to export while the bot runs, take a backup with 'incidentbot backup' and export from it", err)
	}
	defer db.Close()
	var incs []*incident.Incident
	if opts.Incident != 0 {
		inc, err := db.FindIncidentByID(ctx, opts.Incident)
		if err != nil {
			return fmt.Errorf("incident #%d: %s", opts.Incident, incident.ErrorMessage(err))
		}
		if inc.Private && !opts.IncludePrivate {
			return fmt.Errorf("incident #%d is private; add --include-private to export it", inc.ID)
		}
		incs = append(incs, inc)
	} else {
		incs, err = db.FindIncidents(ctx, incident.Filter{Since: opts.Since})
		if err != nil {
			return err
		}
		// Private incidents stay out unless asked for: an export is often
		// published.
		if !opts.IncludePrivate {
			incs = slices.DeleteFunc(incs, func(i *incident.Incident) bool { return i.Private })
		}
		// Cancelled incidents never happened: they stay out too.
		if !opts.IncludeCancelled {
			incs = slices.DeleteFunc(incs, func(i *incident.Incident) bool { return i.Status == incident.StatusCancelled })
		}
		// Oldest first reads naturally in an export.
		for i, j := 0, len(incs)-1; i < j; i, j = i+1, j-1 {
			incs[i], incs[j] = incs[j], incs[i]
		}
	}
	o := postmortem.Options{Location: cfg.Location(), Policy: policy(cfg), Now: time.Now().UTC()}
	var all []postmortem.ExportIncident
	for i, inc := range incs {
		evs, err := db.Events(ctx, inc.ID)
		if err != nil {
			return err
		}
		if opts.Format == "json" {
			all = append(all, postmortem.Export(inc, evs, o))
			continue
		}
		md, err := postmortem.Draft(inc, evs, o)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprint(env.Stdout, "\n---\n\n")
		}
		fmt.Fprint(env.Stdout, md)
	}
	if opts.Format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if all == nil {
			all = []postmortem.ExportIncident{}
		}
		return enc.Encode(all)
	}
	if len(incs) == 0 {
		fmt.Fprintln(env.Stderr, "no incidents to export")
	}
	return nil
}
