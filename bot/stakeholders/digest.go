package stakeholders

import (
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// EmailMode is how a group's email addresses are kept informed.
type EmailMode string

// The email modes.
const (
	// EmailEach sends a mail for every notification the tier wants: the
	// default of every tier but monitor.
	EmailEach EmailMode = "each"
	// EmailDigest sends one mail a day instead, the email digest of what
	// the status page showed (incidents declared, open, resolved): the
	// default of monitor, and keep_informed's other choice.
	EmailDigest EmailMode = "digest"
)

// EmailModes lists the modes, as config takes them.
var EmailModes = []EmailMode{EmailEach, EmailDigest}

// ParseEmailMode reads a group's email mode for tier: "" gives the tier's
// default. Only keep_informed chooses; monitor is sent nothing but the
// digest, and the closer tiers a mail per notification.
func ParseEmailMode(tier Tier, s string) (EmailMode, error) {
	m := EmailMode(strings.ToLower(strings.TrimSpace(s)))
	switch {
	case m == "" && tier == Monitor:
		return EmailDigest, nil
	case m == "":
		return EmailEach, nil
	case !slices.Contains(EmailModes, m):
		return "", incident.Errorf(incident.EINVALID, "%q is not an email mode (use each, a mail per update, or digest, one mail a day).", s)
	case m == EmailEach && tier == Monitor:
		return "", incident.Errorf(incident.EINVALID, "monitor groups are sent no mail per update, only the daily digest (remove email, or set tier: keep_informed).")
	case m == EmailDigest && tier != Monitor && tier != KeepInformed:
		return "", incident.Errorf(incident.EINVALID, "%s groups get a mail for every notification; only keep_informed and monitor groups take the daily digest (remove email, or change the tier).", tier)
	}
	return m, nil
}

// WithEmail returns g with its email mode set: mode is config's value
// ("" for the tier's default), already checked by ParseEmailMode; a bad
// one keeps the default.
func (g Group) WithEmail(mode string) Group {
	if m, err := ParseEmailMode(g.Tier, mode); err == nil {
		g.Email = m
	}
	return g
}

// Digested reports whether g's email addresses get the daily digest
// instead of a mail per notification.
func (g Group) Digested() bool {
	if g.Email == "" {
		return g.Tier == Monitor
	}
	return g.Email == EmailDigest
}

// DigestRecipients lists the email addresses that get the daily digest:
// those of the groups whose mode is digest, each once (compared without
// case), sorted.
func DigestRecipients(groups []Group) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range groups {
		if !g.Digested() {
			continue
		}
		for _, e := range g.Emails {
			if k := strings.ToLower(e); !seen[k] {
				seen[k] = true
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}
