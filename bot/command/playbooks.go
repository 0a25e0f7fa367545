package command

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// The grammar of issue 12: incident types, impact estimates, resolving
// with checklist steps open, drills and the checklist.

// roleWordRe is what a configured role name looks like; the bot checks it
// against the config.
var roleWordRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// isRoleWord reports whether s can name a role: an alias of operator or
// spokesperson, or a name a configured role could have.
func isRoleWord(s string) bool {
	if _, err := incident.ParseRole(s); err == nil {
		return true
	}
	return roleWordRe.MatchString(strings.ToLower(s))
}

// typeRe is what an incident type looks like; the bot checks it against
// the config.
var typeRe = roleWordRe

// triageFlag applies --type, --users or --loss with its value.
func triageFlag(cmd *Command, k Kind, name, val string) error {
	switch name {
	case "--type":
		if !typeRe.MatchString(strings.ToLower(val)) {
			return invalid("%s is not an incident type; use a name from the config such as general or security. Usage: %s", quote(val), Usage(k))
		}
		cmd.Type = strings.ToLower(val)
	case "--users":
		if _, err := incident.ParseExperience(val); err != nil {
			return invalid("%s is not what users experience; use blocked (they cannot complete a key journey), degraded or partial. Usage: %s", quote(val), Usage(k))
		}
		cmd.Experience = val
	case "--loss":
		n, err := parseLoss(k, val)
		if err != nil {
			return err
		}
		cmd.Loss, cmd.LossSet = n, true
	}
	return nil
}

// lossRe reads an amount of money per hour as people write it: 5000,
// 12,500, 5k, 2.5m, $5000, 5000/h.
var lossRe = regexp.MustCompile(`^(-?)[$€£¥]?(-?)([0-9][0-9,_]*(?:\.[0-9]+)?)([kKmM]?)(?:/(?:h|hr|hour))?$`)

// parseLoss reads a loss per hour; it refuses a negative or absurd one.
func parseLoss(k Kind, s string) (int64, error) {
	n, err := ParseLoss(s)
	if err != nil {
		return 0, invalid("%s Usage: %s", incident.ErrorMessage(err), Usage(k))
	}
	return n, nil
}

// ParseLoss reads an amount of money lost per hour as people write it
// (5000, 12,500, 5k, 2.5m, $5000/h), in the command or a form. It refuses
// a negative or absurd amount (incident.CheckLoss) with an EINVALID error
// that can be shown as is.
func ParseLoss(s string) (int64, error) {
	s = strings.TrimSpace(s)
	m := lossRe.FindStringSubmatch(s)
	if m == nil {
		return 0, invalid("%s is not an amount of money per hour; write it like 5000, 12,500, 5k or 2.5m.", quote(s))
	}
	digits := strings.NewReplacer(",", "", "_", "").Replace(m[3])
	f, err := strconv.ParseFloat(digits, 64)
	if err != nil {
		return 0, invalid("%s is not an amount of money per hour; write it like 5000, 12,500, 5k or 2.5m.", quote(s))
	}
	switch strings.ToLower(m[4]) {
	case "k":
		f *= 1e3
	case "m":
		f *= 1e6
	}
	if m[1] != "" || m[2] != "" {
		f = -f
	}
	if f > math.MaxInt64/2 {
		f = math.MaxInt64 / 2
	}
	n := int64(math.Round(f))
	if err := incident.CheckLoss(n); err != nil {
		return 0, err
	}
	return n, nil
}

// impact: flags first, then the text; either may be missing, not both.
func (p *parser) impact(cmd *Command, args []token) error {
	for len(args) > 0 && isFlag(args[0].s) {
		name, val, hasVal := splitFlag(args[0].s)
		args = args[1:]
		switch name {
		case "--security", "--no-security":
			if hasVal {
				return invalid("%s takes no value. Usage: %s", echo(name), Usage(KindImpact))
			}
			cmd.Security, cmd.SecuritySet = name == "--security", true
		case "--users", "--loss":
			if !hasVal {
				if len(args) == 0 || isFlag(args[0].s) {
					return missingValue(KindImpact, name, strings.ToUpper(strings.TrimPrefix(name, "--")))
				}
				val, args = args[0].s, args[1:]
			}
			if err := triageFlag(cmd, KindImpact, name, val); err != nil {
				return err
			}
		default:
			return unknownFlag(KindImpact, name)
		}
	}
	cmd.Text = p.span(args)
	if cmd.Text == "" && cmd.Experience == "" && !cmd.SecuritySet && !cmd.LossSet {
		return invalid("Missing text. Usage: %s", Usage(KindImpact))
	}
	return nil
}

// resolve: an optional --anyway before the text.
func (p *parser) resolve(cmd *Command, args []token) error {
	for len(args) > 0 && isFlag(args[0].s) {
		name, _, hasVal := splitFlag(args[0].s)
		if (name != "--anyway" && name != "--confirm" && name != "-y") || hasVal {
			return unknownFlag(KindResolve, args[0].s)
		}
		cmd.Anyway = true
		args = args[1:]
	}
	cmd.Text = p.span(args)
	return nil
}

// drill: --playbook NAME, then the title (which may be empty).
func (p *parser) drill(cmd *Command, args []token) error {
	title, err := titleAndFlags(KindDrill, args, func(name, raw string, _ bool, value func(what string) (string, error)) error {
		if name != "--playbook" && name != "--pb" {
			return unknownFlag(KindDrill, raw)
		}
		val, err := value("NAME")
		if err != nil {
			return err
		}
		if !roleWordRe.MatchString(strings.ToLower(val)) {
			return invalid("%s is not a playbook name. Usage: %s", quote(val), Usage(KindDrill))
		}
		cmd.Playbook = strings.ToLower(val)
		return nil
	})
	cmd.Title = title
	return err
}

// checklist: nothing (show it), or done N / undo N.
func (p *parser) checklist(cmd *Command, args []token) error {
	if len(args) == 0 {
		return nil
	}
	switch strings.ToLower(args[0].s) {
	case "done", "tick", "check":
		cmd.Kind = KindStepDone
	case "undo", "untick", "uncheck", "reopen":
		cmd.Kind = KindStepUndo
	default:
		return invalid("`/incident checklist` takes done N or undo N, not %s. Usage: %s", quote(args[0].s), Usage(KindChecklist))
	}
	args = args[1:]
	if len(args) == 0 {
		return invalid("Missing the step number. Usage: %s", Usage(cmd.Kind))
	}
	if len(args) > 1 {
		return tooMany(cmd.Kind, args, 1)
	}
	s := strings.TrimPrefix(args[0].s, "#")
	n, err := strconv.Atoi(s)
	if err != nil || !allDigits(s) || n <= 0 || n > 10000 {
		return invalid("%s is not a step number; `/incident checklist` numbers the steps from 1. Usage: %s", quote(args[0].s), Usage(cmd.Kind))
	}
	cmd.Step = n
	return nil
}
