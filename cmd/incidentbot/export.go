package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/postmortem"
	"github.com/incidentbot/incidentbot/store"
)

// cmdExport prints postmortems (md) or whole incidents with their
// timelines (json, the format documented in bot/postmortem/EXPORT.md),
// one incident at a time: memory does not grow with the database. While
// the bot runs it holds the database, so the export is asked of it through
// its admin endpoint (a consistent snapshot of the live database);
// otherwise the file is read directly.
func cmdExport(ctx context.Context, env *Env, args []string) error {
	opts, err := parseExportFlags(env, args)
	if err != nil {
		return err
	}
	cfg, err := loadOfflineConfig(opts.Config, env.vars())
	if err != nil {
		return err
	}
	db, busy, err := openOrBusy(cfg, "the export is")
	if busy {
		return exportOverHTTP(ctx, cfg, opts, env)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	o := postmortem.Options{Location: cfg.Location(), Policy: policy(cfg), Now: time.Now().UTC()}
	n, err := postmortem.WriteExport(ctx, env.Stdout, opts.Format, exportWalker(db, opts), o)
	if code := incident.ErrorCode(err); code == incident.EINVALID || code == incident.ENOTFOUND {
		return errors.New(incident.ErrorMessage(err)) // the user's mistake, in their words
	} else if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(env.Stderr, "no incidents to export")
	}
	return nil
}

// exportWalker visits what opts selects, oldest first. Private and
// cancelled incidents stay out unless asked for: an export is often
// published, and a cancelled incident never happened.
func exportWalker(db *store.DB, opts exportOptions) postmortem.Walker {
	return func(ctx context.Context, fn func(*incident.Incident, []incident.Event) error) error {
		if opts.Incident != 0 {
			inc, err := db.FindIncidentByID(ctx, opts.Incident)
			if code := incident.ErrorCode(err); code == incident.ENOTFOUND {
				return incident.Errorf(code, "incident #%d: %s", opts.Incident, incident.ErrorMessage(err))
			} else if err != nil {
				return err
			}
			if inc.Private && !opts.IncludePrivate {
				return incident.Errorf(incident.EINVALID, "incident #%d is private; add --include-private to export it", inc.ID)
			}
			evs, err := db.Events(ctx, inc.ID)
			if err != nil {
				return err
			}
			return fn(inc, evs)
		}
		f := store.ExportFilter{Since: opts.Since, IncludePrivate: opts.IncludePrivate}
		if !opts.IncludeCancelled {
			for _, s := range incident.Statuses {
				if s != incident.StatusCancelled {
					f.Statuses = append(f.Statuses, s)
				}
			}
		}
		return db.ForEachIncident(ctx, f, fn)
	}
}

// exportQuery carries export options to the running bot's admin endpoint.
func exportQuery(o exportOptions) url.Values {
	q := url.Values{"format": {o.Format}}
	if o.Incident != 0 {
		q.Set("incident", strconv.FormatInt(o.Incident, 10))
	}
	if !o.Since.IsZero() {
		q.Set("since", o.Since.UTC().Format(time.RFC3339))
	}
	if o.IncludePrivate {
		q.Set("include_private", "true")
	}
	if o.IncludeCancelled {
		q.Set("include_cancelled", "true")
	}
	return q
}

// parseExportQuery reads what exportQuery wrote; errors are for the
// operator who typed the URL by hand.
func parseExportQuery(q url.Values) (exportOptions, error) {
	o := exportOptions{Format: q.Get("format")}
	if o.Format == "" {
		o.Format = "md"
	}
	if o.Format != "md" && o.Format != "json" {
		return o, fmt.Errorf("format %q is not supported (use md or json)", o.Format)
	}
	var err error
	if s := q.Get("incident"); s != "" {
		if o.Incident, err = strconv.ParseInt(s, 10, 64); err != nil || o.Incident < 1 {
			return o, fmt.Errorf("incident %q is not an incident number", s)
		}
	}
	if s := q.Get("since"); s != "" {
		if o.Since, err = parseDate(s); err != nil {
			return o, fmt.Errorf("since %q is not a date (use 2006-01-02 or RFC 3339)", s)
		}
	}
	o.IncludePrivate = q.Get("include_private") == "true"
	o.IncludeCancelled = q.Get("include_cancelled") == "true"
	return o, nil
}

// serveExport is the admin endpoint's export: the same as the command,
// from the live database, with the running bot's options (which know
// people's names).
func serveExport(db *store.DB, options func(ctx context.Context) postmortem.Options) func(ctx context.Context, w io.Writer, q url.Values) (int, error) {
	return func(ctx context.Context, w io.Writer, q url.Values) (int, error) {
		opts, err := parseExportQuery(q)
		if err != nil {
			return 0, incident.Errorf(incident.EINVALID, "%s", err)
		}
		return postmortem.WriteExport(ctx, w, opts.Format, exportWalker(db, opts), options(ctx))
	}
}

// exportOverHTTP asks the running bot for the export and copies it out.
func exportOverHTTP(ctx context.Context, cfg config.Config, opts exportOptions, env *Env) error {
	resp, err := adminRead(ctx, cfg, "/admin/export", exportQuery(opts), "export", "export is not available")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(env.Stdout, resp.Body); err != nil {
		return fmt.Errorf("export from the running bot: %w", err)
	}
	if resp.Header.Get("X-Incidentbot-Count") == "0" {
		fmt.Fprintln(env.Stderr, "no incidents to export")
	}
	return nil
}
