package command

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// token is a run of non-space characters; start and end are byte offsets in
// the input, so that free text can be cut out exactly as sent.
type token struct {
	s          string
	start, end int
}

func tokenize(s string) []token {
	var toks []token
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				toks = append(toks, token{s[start:i], start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		toks = append(toks, token{s[start:], start, len(s)})
	}
	return toks
}

// normalizeDash turns a leading em or en dash into "--": Slack clients on
// macOS replace a typed "--" with "—".
func normalizeDash(s string) string {
	for _, d := range []string{"—", "–"} {
		if rest, ok := strings.CutPrefix(s, d); ok {
			return "--" + rest
		}
	}
	return s
}

// isFlag reports whether s looks like --name or -x.
func isFlag(s string) bool {
	s = normalizeDash(s)
	if strings.HasPrefix(s, "--") {
		return len(s) > 2
	}
	return len(s) > 1 && s[0] == '-' && (s[1] >= 'a' && s[1] <= 'z' || s[1] >= 'A' && s[1] <= 'Z')
}

// splitFlag splits "--name=value" into its lower-cased name and value.
func splitFlag(s string) (name, val string, hasVal bool) {
	name, val, hasVal = strings.Cut(normalizeDash(s), "=")
	return strings.ToLower(name), val, hasVal
}

// looksLikeNumber reports whether s is an incident number attempt: 42, #42,
// -42 or #-42.
func looksLikeNumber(s string) bool {
	s = strings.TrimPrefix(s, "#")
	s = strings.TrimPrefix(s, "-")
	return s != "" && allDigits(s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseIncidentNumber(s string) (int64, error) {
	digits := strings.TrimPrefix(s, "#")
	if strings.HasPrefix(digits, "-") {
		return 0, invalid("Incident numbers are positive; %s is not one. Example: `/incident 42 sev major`.", quote(s))
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, invalid("%s is not an incident number. Example: `/incident 42 sev major`.", quote(s))
	}
	return n, nil
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func parseTaskID(k Kind, args []token) (int, error) {
	if len(args) == 0 {
		return 0, invalid("Missing the action item number. Usage: %s", Usage(k))
	}
	if len(args) > 1 {
		return 0, tooMany(k, args, 1)
	}
	s := strings.TrimPrefix(args[0].s, "#")
	if neg, ok := strings.CutPrefix(s, "-"); ok && neg != "" && allDigits(neg) {
		s = "0" // negative: report like zero
	}
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || !allDigits(s) {
		return 0, invalid("%s is not an action item number. Usage: %s", quote(args[0].s), Usage(k))
	}
	if n <= 0 {
		return 0, invalid("Action item numbers start at 1; %s is not one. Usage: %s", quote(args[0].s), Usage(k))
	}
	return n, nil
}

// parseNext reads the --next value: a Go duration (30m, 1h30m) or a bare
// number of minutes, between 1 minute and incident.MaxNextUpdate.
func parseNext(s string) (time.Duration, error) {
	bounds := func() error {
		return invalid("The next update must be due between 1 minute and 7 days from now; %s is not. Usage: %s", quote(s), Usage(KindUpdate))
	}
	var d time.Duration
	if allDigits(s) && s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > int64(incident.MaxNextUpdate/time.Minute) {
			return 0, bounds()
		}
		d = time.Duration(n) * time.Minute
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, invalid("%s is not a duration; use minutes (30) or a duration such as 30m, 1h30m or 2h. Usage: %s", quote(s), Usage(KindUpdate))
		}
	}
	if d < time.Minute || d > incident.MaxNextUpdate {
		return 0, bounds()
	}
	return d, nil
}

// checkSeverity accepts one plain word; the bot checks it against the policy.
func checkSeverity(k Kind, s string) error {
	ok := s != "" && utf8.RuneCountInString(s) <= 32
	for i, r := range s {
		if i == 0 && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			ok = false
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			ok = false
		}
	}
	if !ok {
		return invalid("%s is not a severity level. Usage: %s", quote(s), Usage(k))
	}
	return nil
}

func checkStatus(k Kind, s string) error {
	if _, err := incident.ParseStatus(s); err != nil {
		return invalid("%s is not a status; use investigating, identified, monitoring or resolved. Usage: %s", quote(s), Usage(k))
	}
	return nil
}

// looksLikeRef reports whether s is meant as a mention of some kind.
func looksLikeRef(s string) bool {
	return strings.HasPrefix(s, "@") || strings.HasPrefix(s, "<@") || strings.HasPrefix(s, "<#") || strings.HasPrefix(s, "<!")
}

// isPerson reports whether s is a user mention or a plain @name.
func isPerson(s string) bool {
	_, ok := mentionID(s)
	if !ok {
		_, ok = plainName(s)
	}
	return ok
}

// mentionID returns U123 from <@U123> or <@U123|alice>.
func mentionID(s string) (string, bool) {
	inner, ok := strings.CutPrefix(s, "<@")
	if !ok {
		return "", false
	}
	if inner, ok = strings.CutSuffix(inner, ">"); !ok {
		return "", false
	}
	id, _, _ := strings.Cut(inner, "|")
	if id == "" || len(id) > 32 {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return "", false
		}
	}
	return id, true
}

// plainName returns alice from @alice, which a client sends when it did not
// turn the name into a mention. Broadcast words are not people.
func plainName(s string) (string, bool) {
	name, ok := strings.CutPrefix(s, "@")
	if !ok || name == "" || utf8.RuneCountInString(name) > 80 {
		return "", false
	}
	switch strings.ToLower(name) {
	case "channel", "here", "everyone":
		return "", false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '-' && r != '_' {
			return "", false
		}
	}
	return name, true
}

// echo makes user input safe to repeat in a reply: valid UTF-8, at most
// 100 runes, and no < or > so that the escaped input cannot ping or link.
func echo(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > 100 {
		s = string([]rune(s)[:100]) + "…"
	}
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// quote echoes s in double quotes.
func quote(s string) string { return `"` + echo(s) + `"` }

// suggest returns the known subcommand closest to word, within an edit
// distance of 2, or "".
func suggest(word string) string {
	n := utf8.RuneCountInString(word)
	if n > 20 {
		return ""
	}
	best, bestD := "", 3
	for _, k := range kinds {
		for _, a := range k.aliases {
			if len(a) < 2 || a[0] == '-' {
				continue
			}
			// The length difference bounds the distance from below: skip
			// aliases that cannot beat the best so far.
			if diff := n - utf8.RuneCountInString(a); diff >= bestD || -diff >= bestD {
				continue
			}
			if d := distance(word, a); d < bestD && d < n {
				best, bestD = a, d
			}
		}
	}
	return best
}

// distance is the optimal string alignment distance between a and b, in
// runes: Levenshtein plus transpositions ("stauts" is 1 from "status").
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rolling rows: transpositions look two rows back.
	prev2, prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
