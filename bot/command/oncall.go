package command

import (
	"strconv"
	"strings"
	"unicode"
)

// OncallAction names what `/incident oncall` is asked to do.
type OncallAction string

// The on-call actions.
const (
	OncallStatus    OncallAction = "status"    // who is on call now and next
	OncallOverride  OncallAction = "override"  // someone covers a stretch
	OncallSwap      OncallAction = "swap"      // two people trade turns
	OncallOverrides OncallAction = "overrides" // list the overrides
	OncallRemove    OncallAction = "remove"    // withdraw an override
)

// OncallArgs are the arguments of `/incident oncall`. The person (override
// and swap) is Command.User or Command.UserName. Times stay as typed: they
// are read in the rotation's time zone by the bot (see oncall.ParseWhen).
type OncallArgs struct {
	Action OncallAction
	// Rotation as typed, lower-cased; "" for every rotation.
	Rotation string
	// From and To bound an override. For a swap, From is a time in your
	// turn and To a time in theirs; "" means the next turn.
	From, To string
	// ID is the override to remove.
	ID int64
	// Email names the person by email instead of a mention (Slack sends
	// a typed address as <mailto:…|…>); the bot looks it up.
	Email string
	// Form is set for "override" without arguments: the bot opens a modal.
	Form bool
}

// oncallActions maps the words of each action.
var oncallActions = map[string]OncallAction{
	"status": OncallStatus, "now": OncallStatus, "who": OncallStatus,
	"override": OncallOverride, "cover": OncallOverride,
	"swap": OncallSwap, "trade": OncallSwap,
	"overrides": OncallOverrides, "list": OncallOverrides, "ls": OncallOverrides,
	"remove": OncallRemove, "rm": OncallRemove, "delete": OncallRemove, "unoverride": OncallRemove,
}

// maxOverrideID bounds an override number: no workspace sets that many.
const maxOverrideID = 1 << 40

func (p *parser) oncall(cmd *Command, args []token) error {
	o := &cmd.Oncall
	o.Action = OncallStatus
	if len(args) == 0 {
		return nil
	}
	word := strings.ToLower(normalizeDash(args[0].s))
	act, ok := oncallActions[word]
	if !ok {
		// "/incident oncall primary": the status of one rotation.
		if len(args) > 1 {
			return invalid("Unknown on-call action %s. Usage: %s", quote(args[0].s), Usage(KindOncall))
		}
		if isFlag(word) || looksLikeRef(word) {
			return invalid("%s is not a rotation. Usage: %s", quote(args[0].s), Usage(KindOncall))
		}
		o.Rotation = word
		return nil
	}
	o.Action = act
	rest := args[1:]
	switch act {
	case OncallStatus:
		if len(rest) > 1 {
			return invalid("Give one rotation, or none for all. Usage: %s", Usage(KindOncall))
		}
		if len(rest) == 1 {
			o.Rotation = strings.ToLower(rest[0].s)
		}
	case OncallOverrides:
		if len(rest) > 1 {
			return invalid("Give one rotation, or none for all. Usage: %s", oncallUsage(OncallOverrides))
		}
		if len(rest) == 1 {
			o.Rotation = strings.ToLower(rest[0].s)
		}
	case OncallRemove:
		if len(rest) != 1 {
			return invalid("Say which override to remove, by its number. Usage: %s", oncallUsage(OncallRemove))
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(rest[0].s, "#"), 10, 64)
		if err != nil || n < 1 || n > maxOverrideID {
			return invalid("%s is not an override number. `/incident oncall overrides` lists them. Usage: %s", quote(rest[0].s), oncallUsage(OncallRemove))
		}
		o.ID = n
	case OncallOverride, OncallSwap:
		if act == OncallOverride && len(rest) == 0 {
			o.Form = true
			return nil
		}
		return p.oncallPeople(cmd, act, rest)
	}
	return nil
}

// oncallPeople reads "ROTATION @user TIME TIME" (override: both times
// required; swap: both optional).
func (p *parser) oncallPeople(cmd *Command, act OncallAction, rest []token) error {
	o := &cmd.Oncall
	if len(rest) < 2 {
		return invalid("Say which rotation and who. Usage: %s", oncallUsage(act))
	}
	if looksLikeRef(rest[0].s) {
		return invalid("Name the rotation first, then the person. Usage: %s", oncallUsage(act))
	}
	o.Rotation = strings.ToLower(rest[0].s)
	if email, ok := emailOf(rest[1].s); ok {
		o.Email = email
	} else if !isPerson(rest[1].s) {
		return invalid("%s is not a person; mention them with @, or give their email. Usage: %s", quote(rest[1].s), oncallUsage(act))
	} else if err := setUser(cmd, KindOncall, rest[1].s); err != nil {
		return err
	}
	times := joinDateTimes(rest[2:])
	switch {
	case act == OncallOverride && len(times) < 2:
		return invalid("Say when the cover starts and ends, e.g. `now +8h` or `2026-03-09T09:00 2026-03-10T09:00`. Usage: %s", oncallUsage(act))
	case len(times) > 2:
		return invalid("Unexpected %s: give a start and an end. Usage: %s", quote(times[2]), oncallUsage(act))
	}
	if len(times) > 0 {
		o.From = times[0]
	}
	if len(times) > 1 {
		o.To = times[1]
	}
	return nil
}

// emailOf reads an email address, as typed or as Slack links it
// (<mailto:bob@example.com|bob@example.com>). It only tells an address
// from a mention or a name; Slack's users.lookupByEmail is the judge of
// whether anyone has it.
func emailOf(s string) (string, bool) {
	if inner, ok := strings.CutPrefix(s, "<mailto:"); ok {
		link, closed := strings.CutSuffix(inner, ">")
		if !closed {
			return "", false
		}
		s, _, _ = strings.Cut(link, "|")
	}
	user, domain, ok := strings.Cut(s, "@")
	if !ok || user == "" || strings.Contains(domain, "@") || !strings.Contains(strings.Trim(domain, "."), ".") ||
		len(s) > 254 || strings.ContainsFunc(s, notInEmail) {
		return "", false
	}
	return strings.ToLower(s), true
}

// notInEmail reports the characters no address we look up contains:
// spaces and controls, and Slack's markup (so a message quoting the
// address cannot turn into a link or a ping).
func notInEmail(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>|&,;:\"()[]", r)
}

// joinDateTimes reads times, joining a date and the time of day that
// follows it ("2026-03-09 09:00") into one.
func joinDateTimes(toks []token) []string {
	var out []string
	for i := 0; i < len(toks); i++ {
		s := toks[i].s
		if isDate(s) && i+1 < len(toks) && isClock(toks[i+1].s) {
			s += "T" + toks[i+1].s
			i++
		}
		out = append(out, s)
	}
	return out
}

func isDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' && allDigits(s[:4]+s[5:7]+s[8:])
}

func isClock(s string) bool {
	h, m, ok := strings.Cut(s, ":")
	return ok && len(m) == 2 && len(h) >= 1 && len(h) <= 2 && allDigits(h+m)
}

// oncallUsages are the usages of the on-call actions, for their errors.
var oncallUsages = map[OncallAction]string{
	OncallOverride:  "`/incident oncall override ROTATION @user FROM TO` — put someone on call for a while (the person by @mention or email; times like now, +8h, 18:00, 2026-03-09T09:00, in the rotation's zone; without arguments, a form opens), e.g. `/incident oncall override primary @alice now +8h`",
	OncallSwap:      "`/incident oncall swap ROTATION @user [MINE] [THEIRS]` — trade your turn with them (by @mention or email) (the one at MINE, default your next) for theirs (at THEIRS, default their next), e.g. `/incident oncall swap primary @bob`",
	OncallOverrides: "`/incident oncall overrides [ROTATION]` — list the overrides in force and to come, e.g. `/incident oncall overrides primary`",
	OncallRemove:    "`/incident oncall remove N` — remove override N (both halves of a swap), e.g. `/incident oncall remove 3`",
}

func oncallUsage(a OncallAction) string {
	if u, ok := oncallUsages[a]; ok {
		return u
	}
	return Usage(KindOncall)
}

// OncallUsage returns the usage of one on-call action, for the bot's
// replies and help.
func OncallUsage(a OncallAction) string { return oncallUsage(a) }
