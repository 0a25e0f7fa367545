package command

import (
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Subcommands of alerts, services, causes and statistics.
const (
	KindService Kind = "service"
	KindStats   Kind = "stats"
)

// DefaultStatsWindow is how far back /incident stats looks by default.
const DefaultStatsWindow = 30 * 24 * time.Hour

// maxStatsWindow bounds --since: ten years.
const maxStatsWindow = 3660 * 24 * time.Hour

// service reads "service NAME".
func (p *parser) service(cmd *Command, args []token) error {
	cmd.Service = p.span(args)
	if cmd.Service == "" {
		return invalid("Say which service the incident affects. Usage: %s", Usage(KindService))
	}
	return checkServiceName(KindService, cmd.Service)
}

func checkServiceName(k Kind, s string) error {
	if err := incident.CheckService(s); err != nil {
		return invalid("%s Usage: %s", incident.ErrorMessage(err), Usage(k))
	}
	return nil
}

// cause reads "cause [--category C] [--deploy D] [TEXT]": flags first,
// then the text. Nothing at all opens the cause form.
func (p *parser) cause(cmd *Command, args []token) error {
	for len(args) > 0 && isFlag(args[0].s) {
		name, val, hasVal := splitFlag(args[0].s)
		args = args[1:]
		what := ""
		switch name {
		case "--category", "--cat", "-c":
			what = "CATEGORY"
		case "--deploy", "--deployment", "-d":
			what = "DEPLOY"
		default:
			return unknownFlag(KindCause, name)
		}
		if !hasVal {
			if len(args) == 0 || isFlag(args[0].s) {
				return missingValue(KindCause, name, what)
			}
			val, args = args[0].s, args[1:]
		}
		if what == "CATEGORY" {
			cat, err := incident.ParseCauseCategory(val)
			if err != nil {
				return invalid("%s is not a cause category; use one of %s. Usage: %s", quote(val), strings.Join(incident.CauseCategories, ", "), Usage(KindCause))
			}
			cmd.Category = cat
			continue
		}
		if val == "" || len(val) > 200 || strings.ContainsAny(val, "<>") {
			return invalid("%s is not a deploy: give its version or ID, e.g. `--deploy v1.42.0`. Usage: %s", quote(val), Usage(KindCause))
		}
		cmd.Deploy = val
	}
	cmd.Text = p.span(args)
	return nil
}

// stats reads "stats [--since 30d] [--service S]".
func (p *parser) stats(cmd *Command, args []token) error {
	for len(args) > 0 {
		if !isFlag(args[0].s) {
			return invalid("Unexpected %s. Usage: %s", quote(args[0].s), Usage(KindStats))
		}
		name, val, hasVal := splitFlag(args[0].s)
		args = args[1:]
		what := "WINDOW"
		switch name {
		case "--chart":
			if hasVal {
				return invalid("%s takes no value. Usage: %s", echo(name), Usage(KindStats))
			}
			cmd.Chart = true
			continue
		case "--drills":
			if hasVal {
				return invalid("%s takes no value. Usage: %s", echo(name), Usage(KindStats))
			}
			cmd.Drills = true
			continue
		case "--since", "-s":
		case "--service":
			what = "SERVICE"
		default:
			return unknownFlag(KindStats, name)
		}
		if !hasVal {
			if len(args) == 0 || isFlag(args[0].s) {
				return missingValue(KindStats, name, what)
			}
			val, args = args[0].s, args[1:]
		}
		if what == "SERVICE" {
			if err := checkServiceName(KindStats, val); err != nil {
				return err
			}
			cmd.Service = val
			continue
		}
		if _, err := ParseSince(val, time.Time{}); err != nil {
			return invalid("%s Usage: %s", incident.ErrorMessage(err), Usage(KindStats))
		}
		cmd.Since = val
	}
	if cmd.Drills && (cmd.Chart || cmd.Service != "") {
		return invalid("--drills compares the scorecards of drills; it takes --since but not --chart or --service. Usage: %s", Usage(KindStats))
	}
	return nil
}

// ParseSince reads the start of a statistics window, relative to now: a
// number of days, weeks or hours ("30d", "12w", "48h"), another Go
// duration, or a date ("2026-01-31", midnight UTC). "" is the default
// window, DefaultStatsWindow. Errors are EINVALID and say what to write.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return now.Add(-DefaultStatsWindow), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	var d time.Duration
	if n, unit := s[:len(s)-1], s[len(s)-1]; unit == 'd' || unit == 'w' {
		v, err := strconv.Atoi(n)
		if err != nil || v <= 0 {
			return time.Time{}, sinceError(s)
		}
		d = time.Duration(v) * 24 * time.Hour
		if unit == 'w' {
			d *= 7
		}
		if v > 10000 {
			d = maxStatsWindow + 1
		}
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return time.Time{}, sinceError(s)
		}
	}
	if d > maxStatsWindow {
		return time.Time{}, incident.Errorf(incident.EINVALID, "--since %s reaches back more than ten years; give a date instead, e.g. `--since 2026-01-01`.", echo(s))
	}
	return now.Add(-d), nil
}

func sinceError(s string) error {
	return incident.Errorf(incident.EINVALID, "--since takes a number of days or weeks (30d, 12w), hours (48h) or a date (2026-01-31), not %s.", quote(s))
}
