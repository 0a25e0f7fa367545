package command

import "strings"

// subscribe reads `subscribe [#N|all] [--tier TIER]` and
// `unsubscribe [#N|all]`: the incident, all of them, or (neither) the
// war room's incident, else all.
func (p *parser) subscribe(cmd *Command, args []token) error {
	k := cmd.Kind
	for i := 0; i < len(args); i++ {
		s := args[i].s
		switch {
		case isFlag(s):
			name, val, hasVal := splitFlag(s)
			if k != KindSubscribe || (name != "--tier" && name != "-t") {
				return unknownFlag(k, s)
			}
			if !hasVal {
				if i+1 >= len(args) || isFlag(args[i+1].s) {
					return missingValue(k, s, "TIER")
				}
				i++
				val = args[i].s
			}
			cmd.Tier = strings.ToLower(val)
		case strings.EqualFold(s, "all"):
			if cmd.Incident != 0 || cmd.All {
				return invalid("Give one incident number or all, not both. Usage: %s", Usage(k))
			}
			cmd.All = true
		case looksLikeNumber(s):
			if cmd.Incident != 0 || cmd.All {
				return invalid("Give one incident number or all, not both. Usage: %s", Usage(k))
			}
			n, err := parseIncidentNumber(s)
			if err != nil {
				return err
			}
			cmd.Incident = n
		default:
			return invalid("Unexpected %s. Usage: %s", quote(s), Usage(k))
		}
	}
	return nil
}

// Publish is an update's status page choice.
type Publish int8

// The choices: the severity's default, --public, --internal.
const (
	PublishDefault Publish = iota
	PublishYes
	PublishNo
)

// publishFlag reads update's --public and --internal.
func publishFlag(cmd *Command, name string) bool {
	switch name {
	case "--public", "--publish":
		cmd.Publish = PublishYes
	case "--internal", "--no-publish":
		cmd.Publish = PublishNo
	default:
		return false
	}
	return true
}
