package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/bot/config"
	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/oncall"
	"github.com/incidentbot/incidentbot/playbooks"
)

// oncallOptions turns the oncall section into the bot's options. The
// handoff checklists are the built-in playbooks of kind oncall; run
// replaces them with the playbooks it assembled (playbooks.dir included).
func oncallOptions(cfg config.Config) bot.OncallOptions {
	rots, _ := cfg.OncallRotations() // validated: no errors left
	pbs, _ := playbooks.Defaults()   // the shipped files are tested
	o := cfg.Oncall
	return bot.OncallOptions{
		Rotations:         rots,
		OperatorRotation:  cfg.OperatorRotation(),
		AckTimeout:        o.AckTimeout,
		Escalation:        cfg.OncallPolicy(),
		ConfirmWithin:     o.Handoff.ConfirmWithin,
		HandoffEscalation: bot.EscalationTarget{UserGroup: o.Handoff.EscalateTo.Usergroup, Users: o.Handoff.EscalateTo.Users},
		OverdueAfter:      o.Handoff.OverdueAfter,
		Checklists:        pbs,
	}
}

// logConfigWarnings logs what the configuration accepts but probably
// does not mean (a rotation of two people, say).
func logConfigWarnings(cfg config.Config, log interface{ Warn(string, ...any) }) {
	for _, w := range cfg.Warnings() {
		log.Warn("config warning", "warning", w)
	}
}

// oncallExportOptions are the flags of 'oncall export'.
type oncallExportOptions struct {
	Config   string
	ICal     bool
	Rotation string
	Days     int
}

func parseOncallFlags(env *Env, args []string) (oncallExportOptions, error) {
	var o oncallExportOptions
	fs := newFlagSet("oncall")
	if len(args) == 0 || args[0] != "export" {
		if len(args) > 0 && strings.HasPrefix(args[0], "-") {
			return o, parseFlags(env, fs, args) // -h
		}
		return o, &usageError{cmd: "oncall", msg: "say what to do: 'incidentbot oncall export --ical'"}
	}
	config := configFlag(fs, env)
	fs.BoolVar(&o.ICal, "ical", false, "write iCalendar (RFC 5545), the only format (required)")
	fs.StringVar(&o.Rotation, "rotation", "", "only the rotation `NAME` (default every rotation)")
	fs.IntVar(&o.Days, "days", bot.FeedDaysDefault, "how many `DAYS` ahead (the calendar also shows the last 30 days)")
	if err := parseFlags(env, fs, args[1:]); err != nil {
		return o, err
	}
	o.Config = *config
	switch {
	case !o.ICal:
		return o, &usageError{cmd: "oncall", msg: "--ical is required (iCalendar is the only format)"}
	case o.Days < 1 || o.Days > bot.FeedDaysMax:
		return o, &usageError{cmd: "oncall", msg: fmt.Sprintf("--days %d is out of range (use 1 to %d)", o.Days, bot.FeedDaysMax)}
	}
	return o, nil
}

// cmdOncall writes the on-call schedule as iCalendar: the rotations of the
// config with the layouts and overrides stored in the database. While the
// bot runs it holds the database, so the calendar is asked of it through
// its admin endpoint; without a database yet, the configured rotations are
// written without overrides.
func cmdOncall(ctx context.Context, env *Env, args []string) error {
	opts, err := parseOncallFlags(env, args)
	if err != nil {
		return err
	}
	cfg, err := loadOfflineConfig(opts.Config, env.vars())
	if err != nil {
		return err
	}
	rots, _ := cfg.OncallRotations()
	if len(rots) == 0 {
		return errors.New("no on-call rotations are configured (oncall.rotations)")
	}
	now := time.Now().UTC()
	var states map[string]oncall.RotationState
	var overrides []oncall.Override
	switch _, serr := os.Stat(cfg.Store.Path); {
	case errors.Is(serr, os.ErrNotExist):
		fmt.Fprintf(env.Stderr, "no database at %s (store.path) yet: the calendar shows the configured rotations, without overrides\n", cfg.Store.Path)
	default:
		db, running, err := openOrBusy(cfg, "the calendar is")
		if running {
			return oncallOverHTTP(ctx, cfg, opts, env)
		}
		if err != nil {
			return err
		}
		defer db.Close()
		if states, err = db.OncallRotations(ctx); err != nil {
			return err
		}
		if overrides, err = db.OncallOverrides(ctx, now.Add(-bot.FeedPast)); err != nil {
			return err
		}
	}
	roster := oncall.BuildRoster(rots, states, overrides, now)
	if opts.Rotation != "" {
		s, err := roster.Find(opts.Rotation)
		if err != nil {
			return errors.New(incident.ErrorMessage(err))
		}
		roster = oncall.Roster{s}
	}
	return oncall.WriteICal(env.Stdout, oncall.Calendar{Schedules: roster, From: now.Add(-bot.FeedPast), To: now.AddDate(0, 0, opts.Days), Now: now})
}

// oncallOverHTTP asks the running bot for the calendar.
func oncallOverHTTP(ctx context.Context, cfg config.Config, opts oncallExportOptions, env *Env) error {
	q := url.Values{"days": {strconv.Itoa(opts.Days)}}
	if opts.Rotation != "" {
		q.Set("rotation", opts.Rotation)
	}
	resp, err := adminRead(ctx, cfg, "/admin/oncall.ics", q, "calendar", "oncall export is not available")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(env.Stdout, resp.Body); err != nil {
		return fmt.Errorf("calendar from the running bot: %w", err)
	}
	return nil
}
