package command

import (
	"slices"
	"strconv"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func (p *parser) declare(cmd *Command, args []token) error {
	title, err := titleAndFlags(KindDeclare, args, func(name, raw string, hasVal bool, value func(what string) (string, error)) error {
		switch name {
		case "--sev", "--severity", "-s":
			val, err := value("LEVEL")
			if err != nil {
				return err
			}
			if err := checkSeverity(KindDeclare, val); err != nil {
				return err
			}
			cmd.Severity = val
		case "--private", "--security", "-p":
			if hasVal {
				return invalid("%s takes no value. Usage: %s", echo(name), Usage(KindDeclare))
			}
			cmd.Private = true
			if name == "--security" {
				cmd.Security, cmd.SecuritySet = true, true
			}
		case "--type", "--users", "--loss":
			val, err := value(strings.ToUpper(strings.TrimPrefix(name, "--")))
			if err != nil {
				return err
			}
			return triageFlag(cmd, KindDeclare, name, val)
		case "--service":
			val, err := value("SERVICE")
			if err != nil {
				return err
			}
			if err := checkServiceName(KindDeclare, val); err != nil {
				return err
			}
			cmd.Service = val
		default:
			return unknownFlag(KindDeclare, raw)
		}
		return nil
	})
	cmd.Title = title
	return err
}

// titleAndFlags reads the arguments of a command that takes a title among
// its flags (declare, drill): words make the title, joined by single
// spaces, "--" makes the rest title even if it looks like flags, and each
// flag goes to each with value, which takes the flag's value (after "=",
// else the next word; what names it when it is missing).
func titleAndFlags(k Kind, args []token, each func(name, raw string, hasVal bool, value func(what string) (string, error)) error) (string, error) {
	var title []string
	for i := 0; i < len(args); i++ {
		s := args[i].s
		if s == "--" {
			for _, t := range args[i+1:] {
				title = append(title, t.s)
			}
			break
		}
		if !isFlag(s) {
			title = append(title, s)
			continue
		}
		name, val, hasVal := splitFlag(s)
		value := func(what string) (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) || isFlag(args[i+1].s) {
				return "", missingValue(k, s, what)
			}
			i++
			return args[i].s, nil
		}
		if err := each(name, s, hasVal, value); err != nil {
			return "", err
		}
	}
	return strings.Join(title, " "), nil
}

func (p *parser) severity(cmd *Command, args []token) error {
	if len(args) == 0 {
		return invalid("Missing severity. Usage: %s", Usage(KindSeverity))
	}
	if len(args) > 1 {
		return tooMany(KindSeverity, args, 1)
	}
	if err := checkSeverity(KindSeverity, args[0].s); err != nil {
		return err
	}
	cmd.Severity = args[0].s
	return nil
}

func (p *parser) status(cmd *Command, args []token) error {
	if len(args) == 0 {
		return invalid("Missing status. Usage: %s", Usage(KindStatus))
	}
	if len(args) > 1 {
		return tooMany(KindStatus, args, 1)
	}
	if err := checkStatus(KindStatus, args[0].s); err != nil {
		return err
	}
	cmd.Status = args[0].s
	return nil
}

func (p *parser) role(cmd *Command, args []token) error {
	var rest []token
	for _, t := range args {
		switch name, _, hasVal := splitFlag(t.s); {
		case !isFlag(t.s):
			rest = append(rest, t)
		case (name == "--force" || name == "-f") && !hasVal:
			cmd.Force = true
		case (name == "--remove" || name == "--off") && !hasVal:
			cmd.Remove = true
		default:
			return unknownFlag(KindRole, t.s)
		}
	}
	var users, words []token
	for _, t := range rest {
		if looksLikeRef(t.s) {
			users = append(users, t)
		} else {
			words = append(words, t)
		}
	}
	switch {
	case len(users) == 0 && len(words) == 0:
		return invalid("Say which role and who should take it. Usage: %s", Usage(KindRole))
	case len(users) == 0:
		if len(words) == 1 {
			if isRoleWord(words[0].s) {
				return invalid("Say who should be the %s: mention them, e.g. `/incident role %s @alice`.",
					echo(strings.ToLower(words[0].s)), echo(strings.ToLower(words[0].s)))
			}
		}
		return invalid("Say who should take the role: mention them with @. Usage: %s", Usage(KindRole))
	case len(users) > 1:
		return invalid("Give one person, not %d. Usage: %s", len(users), Usage(KindRole))
	case len(words) == 0:
		return invalid("Say which role, e.g. operator or spokesperson. Usage: %s", Usage(KindRole))
	case len(words) > 1:
		return tooMany(KindRole, words, 1)
	}
	// The roles beyond operator and spokesperson come from the config: the
	// bot checks the name against it.
	if !isRoleWord(words[0].s) {
		return invalid("%s is not a role; use operator, spokesperson or a role from the config. Usage: %s", quote(words[0].s), Usage(KindRole))
	}
	cmd.Role = words[0].s
	return setUser(cmd, KindRole, users[0].s)
}

// update flags may come before the text, or after it at the very end
// ("… back to normal --next 1h"); a flag in the middle is text.
func (p *parser) update(cmd *Command, args []token) error {
	apply := func(name, val string) error {
		if name == "--status" {
			if err := checkStatus(KindUpdate, val); err != nil {
				return err
			}
			if st, _ := incident.ParseStatus(val); !st.Open() {
				return invalid("An update cannot resolve or close the incident; use `/incident resolve` for that. Usage: %s", Usage(KindUpdate))
			}
			cmd.Status = val
			return nil
		}
		d, err := parseNext(val)
		cmd.Next = d
		return err
	}
	isUpdateFlag := func(name string) bool { return name == "--next" || name == "-n" || name == "--status" }
	for len(args) > 0 && isFlag(args[0].s) {
		name, val, hasVal := splitFlag(args[0].s)
		if !hasVal && publishFlag(cmd, name) {
			args = args[1:]
			continue
		}
		if !isUpdateFlag(name) {
			return unknownFlag(KindUpdate, args[0].s)
		}
		args = args[1:]
		if !hasVal {
			if len(args) == 0 || isFlag(args[0].s) {
				what := "DURATION"
				if name == "--status" {
					what = "STATUS"
				}
				return missingValue(KindUpdate, name, what)
			}
			val, args = args[0].s, args[1:]
		}
		if err := apply(name, val); err != nil {
			return err
		}
	}
	for n := len(args); n > 1; n = len(args) {
		if name, _, hasVal := splitFlag(args[n-1].s); isFlag(args[n-1].s) && !hasVal && publishFlag(cmd, name) {
			args = args[:n-1]
		} else if name, val, hasVal := splitFlag(args[n-1].s); isFlag(args[n-1].s) && hasVal && isUpdateFlag(name) {
			if err := apply(name, val); err != nil {
				return err
			}
			args = args[:n-1]
		} else if name, _, hasVal := splitFlag(args[n-2].s); isFlag(args[n-2].s) && !hasVal && isUpdateFlag(name) && n > 2 {
			if err := apply(name, args[n-1].s); err != nil {
				return err
			}
			args = args[:n-2]
		} else {
			break
		}
	}
	cmd.Text = p.span(args)
	return nil
}

func (p *parser) task(cmd *Command, args []token) error {
	if len(args) > 0 {
		switch strings.ToLower(args[0].s) {
		case "done", "reopen":
			cmd.Kind = KindTaskDone
			if strings.EqualFold(args[0].s, "reopen") {
				cmd.Kind = KindTaskReopen
			}
			var err error
			cmd.TaskID, err = parseTaskID(cmd.Kind, args[1:])
			return err
		case "list", "ls":
			if len(args) == 1 {
				cmd.Kind = KindTasks
				return nil
			}
		}
	}
	if n := len(args); n > 1 && isPerson(args[n-1].s) {
		if err := setUser(cmd, KindTask, args[n-1].s); err != nil {
			return err
		}
		args = args[:n-1]
	}
	cmd.Text = p.span(args)
	if cmd.Text == "" {
		return invalid("Missing the action item's text. Usage: %s", Usage(KindTask))
	}
	return nil
}

func (p *parser) help(cmd *Command, args []token) error {
	if len(args) == 0 {
		return nil
	}
	word := strings.ToLower(normalizeDash(args[0].s))
	k, ok := lookup[word]
	if !ok {
		return unknownSubcommand(args[0].s)
	}
	if sub, ok := subKinds[k]; ok && len(args) > 1 {
		if sk, ok := sub[strings.ToLower(args[1].s)]; ok {
			k = sk
		}
	}
	cmd.Help = k
	return nil
}

// subKinds are the two-word subcommands help knows, by their first word.
var subKinds = map[Kind]map[string]Kind{
	KindTask:      {"done": KindTaskDone, "reopen": KindTaskReopen},
	KindChecklist: {"done": KindStepDone, "undo": KindStepUndo},
}

// setUser records a person token: a <@U123|name> mention or a plain @name.
func setUser(cmd *Command, k Kind, s string) error {
	if id, ok := mentionID(s); ok {
		cmd.User = id
		return nil
	}
	if name, ok := plainName(s); ok {
		cmd.UserName = name
		return nil
	}
	return invalid("%s is not a person; mention someone with @. Usage: %s", quote(s), Usage(k))
}

func noArgs(k Kind, args []token) error {
	if len(args) == 0 {
		return nil
	}
	return invalid("`/incident %s` takes nothing more, but got %s. Usage: %s", aliasOf(k), quote(args[0].s), Usage(k))
}

// tooMany reports args[i], the first unexpected argument. When a number is
// among args, the user probably meant the incident number.
func tooMany(k Kind, args []token, i int) error {
	hint := ""
	if k != KindTaskDone && k != KindTaskReopen && slices.ContainsFunc(args, func(t token) bool { return looksLikeNumber(t.s) }) {
		hint = " To act on another incident, put its number first, e.g. `/incident 42 sev major`."
	}
	return invalid("Unexpected %s.%s Usage: %s", quote(args[i].s), hint, Usage(k))
}

func unknownFlag(k Kind, s string) error {
	name, _, _ := splitFlag(s)
	return invalid("Unknown flag %s for %s. Usage: %s", quote(name), aliasOf(k), Usage(k))
}

func missingValue(k Kind, flag, what string) error {
	return invalid("%s needs a value (%s). Usage: %s", quote(flag), what, Usage(k))
}

func unknownSubcommand(word string) error {
	if s := suggest(strings.ToLower(normalizeDash(word))); s != "" {
		return invalid("Unknown subcommand %s. Did you mean %q? Run `/incident help` for the list.", quote(word), s)
	}
	return invalid("Unknown subcommand %s. To declare an incident, use `/incident declare TITLE`; run `/incident help` for the list.", quote(word))
}

// maxPage bounds --page: no list is that long, and a bound keeps the
// number from overflowing.
const maxPage = 10000

// parsePage reads the optional --page N of timeline, list and tasks.
func parsePage(kind Kind, args []token) (int, error) {
	if len(args) == 0 {
		return 0, nil
	}
	only := func(got string) error {
		return invalid("`/incident %s` takes only --page N, but got %s. Usage: %s", aliasOf(kind), quote(got), Usage(kind))
	}
	s := args[0].s
	name, val, hasVal := splitFlag(s)
	switch {
	case name != "--page" && name != "-p" && isFlag(s):
		return 0, unknownFlag(kind, s)
	case name != "--page" && name != "-p":
		return 0, only(s)
	}
	rest := args[1:]
	if !hasVal {
		if len(rest) == 0 || isFlag(rest[0].s) {
			return 0, missingValue(kind, s, "N")
		}
		val, rest = rest[0].s, rest[1:]
	}
	n, err := strconv.Atoi(val)
	if err != nil || n < 1 || n > maxPage {
		return 0, invalid("%s must be a page number from 1 to %d, not %s. Usage: %s", echo(name), maxPage, quote(val), Usage(kind))
	}
	if len(rest) > 0 {
		return 0, only(rest[0].s)
	}
	return n, nil
}
