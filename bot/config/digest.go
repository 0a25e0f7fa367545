package config

// Email modes of a stakeholder group (stakeholders.groups[].email).
const (
	EmailEach   = "each"   // a mail per notification
	EmailDigest = "digest" // the daily email digest
)

// checkEmailMode checks a group's email mode at key: keep_informed takes
// each or digest, monitor only digest (it is sent nothing per update),
// the closer tiers only each.
func checkEmailMode(p *problems, key string, g StakeholderGroup) {
	switch {
	case g.Email == "":
	case g.Email != EmailEach && g.Email != EmailDigest:
		p.add(key, "%q is not an email mode (use each, a mail per update, or digest, one mail a day at digest.schedule)", g.Email)
	case g.Email == EmailEach && g.Tier == TierMonitor:
		p.add(key, "monitor groups are sent no mail per update, only the daily digest (remove email, or set tier: keep_informed)")
	case g.Email == EmailDigest && (g.Tier == TierManageClosely || g.Tier == TierKeepSatisfied):
		p.add(key, "%s groups get a mail for every notification; only keep_informed and monitor groups take the daily digest (remove email, or change the tier)", g.Tier)
	}
}

// EmailDigest reports whether some stakeholder group gets the daily email
// digest: a monitor group or a keep_informed group with email: digest,
// with an email address among its members.
func (c Config) EmailDigest() bool {
	for _, g := range c.Stakeholders.Groups {
		if g.Email == EmailDigest || (g.Email == "" && g.Tier == TierMonitor) {
			for _, m := range g.Members {
				if emailLike.MatchString(m) {
					return true
				}
			}
		}
	}
	return false
}

// validateEmailDigest checks that the email digest has a time: it runs at
// digest.schedule, whether or not the Slack digest is enabled.
func (c Config) validateEmailDigest(p *problems) {
	if c.EmailDigest() && c.Digest.Schedule == "" {
		p.add("digest.schedule", `missing, and stakeholder groups get the daily email digest at it (use a 5-field cron spec such as "0 9 * * 1-5", 09:00 Monday to Friday)`)
	}
}
