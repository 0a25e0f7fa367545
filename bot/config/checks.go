package config

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Checks shared by the sections: channels, users, addresses, names.

// checkChannel accepts a channel ID ("C0123ABCD") or a "#name".
func checkChannel(p *problems, key, ch string) {
	if channelIDRe.MatchString(ch) || channelNameRe.MatchString(ch) {
		return
	}
	if slugRe.MatchString(ch) {
		p.add(key, `%q is ambiguous (write a channel name with its #, "#%s", or use the channel ID)`, ch, ch)
		return
	}
	p.add(key, `%q is neither a channel ID nor a #name (use an ID like "C0123ABCD" or a lowercase name like "#incidents")`, ch)
}

// checkUser accepts a Slack user ID ("U0123ABCD" or "W0123ABCD").
func checkUser(p *problems, key, u string) {
	if userIDRe.MatchString(u) {
		return
	}
	hint := "from the user's profile > ⋮ > Copy member ID"
	if strings.HasPrefix(u, "@") {
		hint = "names change, IDs do not; copy it " + hint
	}
	p.add(key, `%q is not a Slack user ID (use the ID starting with U, e.g. "U0123ABCD", %s)`, u, hint)
}

// checkHostPort returns what is wrong with a host:port, or "".
func checkHostPort(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "is not host:port"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "has an invalid port"
	}
	return ""
}

// suggestSlug lowercases s and replaces characters not allowed in a name.
func suggestSlug(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	return string(b)
}

// fmtDuration formats d without trailing zero units: 15m, 1h, 1h30m, 90ms.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
