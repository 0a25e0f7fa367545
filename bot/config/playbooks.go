package config

import (
	"fmt"
	"slices"
	"strings"
)

// The configuration of issue 12: playbooks, incident types, roles beyond
// operator and spokesperson, impact-based triage and drills.

// PlaybooksConfig is the "playbooks" section.
type PlaybooksConfig struct {
	// Dir is a directory of playbook files (*.yaml) that replace, extend
	// or switch off the built-in playbooks; empty uses the built-in ones
	// only. Key: playbooks.dir.
	Dir string `mapstructure:"dir" yaml:"dir"`
	// Contacts name the people playbooks invite or notify ("security",
	// "legal"), so that a playbook never holds a Slack ID.
	// Key: playbooks.contacts. File only.
	Contacts []Contact `mapstructure:"contacts" yaml:"contacts"`
}

// Contact is one entry of playbooks.contacts.
type Contact struct {
	// Name is how playbooks refer to the contact: lowercase a-z, 0-9, "-"
	// and "_".
	Name string `mapstructure:"name" yaml:"name"`
	// Usergroups are Slack user group IDs (S0123ABCD).
	Usergroups []string `mapstructure:"usergroups" yaml:"usergroups"`
	// Users are Slack user IDs (U0123ABCD).
	Users []string `mapstructure:"users" yaml:"users"`
}

// IncidentType is one entry of "types": a kind of incident the declare
// form offers, which decides the playbooks that run.
type IncidentType struct {
	// Name is lowercase a-z, 0-9, "-" and "_", unique.
	Name string `mapstructure:"name" yaml:"name"`
	// Description is shown when declaring.
	Description string `mapstructure:"description" yaml:"description"`
}

// Role is one entry of "roles": a role beyond operator and spokesperson.
type Role struct {
	// Name is lowercase a-z, 0-9, "-" and "_", unique, not operator or
	// spokesperson.
	Name string `mapstructure:"name" yaml:"name"`
	// Description is what the role expects, sent to whoever takes it.
	Description string `mapstructure:"description" yaml:"description"`
	// SingleHolder means one person at most holds the role, and it changes
	// hands through a handoff; otherwise several people may hold it at
	// once.
	SingleHolder bool `mapstructure:"single_holder" yaml:"single_holder"`
}

// ImpactConfig is the "impact" section: what each kind of impact means
// for severity and response.
type ImpactConfig struct {
	// Blocked: users cannot complete a key journey. Key: impact.blocked.
	Blocked ImpactLevel `mapstructure:"blocked" yaml:"blocked"`
	// Degraded: slow, or errors users can retry. Key: impact.degraded.
	Degraded ImpactLevel `mapstructure:"degraded" yaml:"degraded"`
	// Partial: some users, or a minor feature. Key: impact.partial.
	Partial ImpactLevel `mapstructure:"partial" yaml:"partial"`
	// Security: a security impact, whatever users experience; it wins
	// over the three above. Key: impact.security.
	Security ImpactLevel `mapstructure:"security" yaml:"security"`
	// Currency labels the estimated money lost per hour, e.g. "USD".
	// Key: impact.currency.
	Currency string `mapstructure:"currency" yaml:"currency"`
}

// ImpactLevel is the severity proposed for one kind of impact and the
// response expected.
type ImpactLevel struct {
	// Severity is one of incidents.severities.
	Severity string `mapstructure:"severity" yaml:"severity"`
	// Response is the response expected, shown when declaring and on the
	// incident card.
	Response string `mapstructure:"response" yaml:"response"`
}

// DrillConfig is the "drill" section.
type DrillConfig struct {
	// Channel is where drills are announced (ID or "#name"), and the only
	// place they are: never an announcement channel of real incidents.
	// Empty: drills are not announced. Key: drill.channel.
	Channel string `mapstructure:"channel" yaml:"channel"`
}

// Limits of issue 12's settings.
const (
	// MaxRoles bounds "roles": the role form lists every role as a radio
	// button, and Slack shows at most 10, two of which are operator and
	// spokesperson.
	MaxRoles = 8
	// MaxTypes bounds "types": each is an option of the declare form's
	// menu, which holds at most 100.
	MaxTypes = 100
	// MaxNameLen bounds role, type and contact names (a menu option shows
	// 75 characters; playbook names take 40).
	MaxNameLen = 40
	// MaxResponseLen bounds an impact level's response: it is a line of
	// the incident card and of a form.
	MaxResponseLen = 150
)

// builtinRoles are the roles every incident has; "roles" adds to them.
var builtinRoles = []string{"operator", "spokesperson"}

// defaultPlaybooks returns issue 12's defaults: the names the built-in
// playbooks use.
func defaultPlaybooks(c *Config) {
	c.Playbooks = PlaybooksConfig{Contacts: []Contact{{Name: "security"}, {Name: "legal"}}}
	c.Types = []IncidentType{
		{Name: "general", Description: "An outage or degradation of a service"},
		{Name: "security", Description: "Suspected compromise, leaked secrets or personal data"},
		{Name: "data-loss", Description: "Data deleted, corrupted or unreachable"},
		{Name: "third-party", Description: "A provider we depend on is failing"},
	}
	c.Roles = []Role{
		{Name: "scribe", Description: "You keep the log: pin findings and decisions as they happen, note who does what and when, so the operator can lead and the timeline tells the story.", SingleHolder: true},
		{Name: "subject-matter-lead", Description: "You know the failing system best: explain what it does, propose and check fixes, and tell the operator what is safe to try."},
		{Name: "shadow", Description: "You follow the operator to learn: watch each decision, ask why when there is a pause, and take notes for the review. You change nothing yourself.", SingleHolder: true},
	}
	// The severities are left empty: each then follows the rank of the
	// severities (see ImpactSeverity), so that renaming the severities
	// keeps the mapping working.
	c.Impact = ImpactConfig{
		Blocked:  ImpactLevel{Response: "restore immediately, around the clock"},
		Degraded: ImpactLevel{Response: "restore by the next working day"},
		Partial:  ImpactLevel{Response: "restore when possible, in working hours"},
		Security: ImpactLevel{Response: "contain immediately, around the clock, need-to-know only"},
		Currency: "USD",
	}
}

// impactRank is the severity, by rank from the most severe, that an impact
// level left without one proposes.
var impactRank = map[string]int{"blocked": 0, "degraded": 1, "partial": 2, "security": 0}

// ImpactSeverity returns the severity the impact level named level
// ("blocked", "degraded", "partial", "security") proposes: the one it
// names, or by default the most severe severity for blocked and security,
// the second for degraded and the third for partial (the least severe when
// there are fewer).
func (c Config) ImpactSeverity(level string) string {
	var l ImpactLevel
	switch level {
	case "blocked":
		l = c.Impact.Blocked
	case "degraded":
		l = c.Impact.Degraded
	case "partial":
		l = c.Impact.Partial
	case "security":
		l = c.Impact.Security
	default:
		return ""
	}
	if l.Severity != "" || len(c.Incidents.Severities) == 0 {
		return l.Severity
	}
	sevs := c.Incidents.Severities
	return sevs[min(impactRank[level], len(sevs)-1)].Name
}

// normalizePlaybooks trims issue 12's values and lowercases its names.
func normalizePlaybooks(c *Config) {
	c.Playbooks.Dir = strings.TrimSpace(c.Playbooks.Dir)
	if c.Playbooks.Contacts != nil {
		cs := slices.Clone(c.Playbooks.Contacts)
		for i := range cs {
			cs[i].Name = strings.ToLower(strings.TrimSpace(cs[i].Name))
			cs[i].Usergroups = trimList(cs[i].Usergroups)
			cs[i].Users = trimList(cs[i].Users)
		}
		c.Playbooks.Contacts = cs
	}
	if c.Types != nil {
		ts := slices.Clone(c.Types)
		for i := range ts {
			ts[i].Name = strings.ToLower(strings.TrimSpace(ts[i].Name))
			ts[i].Description = strings.TrimSpace(ts[i].Description)
		}
		c.Types = ts
	}
	if c.Roles != nil {
		rs := slices.Clone(c.Roles)
		for i := range rs {
			rs[i].Name = strings.ToLower(strings.TrimSpace(rs[i].Name))
			rs[i].Description = strings.TrimSpace(rs[i].Description)
		}
		c.Roles = rs
	}
	for _, l := range []*ImpactLevel{&c.Impact.Blocked, &c.Impact.Degraded, &c.Impact.Partial, &c.Impact.Security} {
		l.Severity = strings.ToLower(strings.TrimSpace(l.Severity))
		l.Response = strings.TrimSpace(l.Response)
	}
	c.Impact.Currency = strings.TrimSpace(c.Impact.Currency)
	c.Drill.Channel = strings.TrimSpace(c.Drill.Channel)
}

// RoleNames returns every role name: operator, spokesperson, then "roles".
func (c Config) RoleNames() []string {
	names := slices.Clone(builtinRoles)
	for _, r := range c.Roles {
		names = append(names, r.Name)
	}
	return names
}

// TypeNames returns the names of "types".
func (c Config) TypeNames() []string {
	names := make([]string, len(c.Types))
	for i, t := range c.Types {
		names[i] = t.Name
	}
	return names
}

// ContactNames returns the names of playbooks.contacts.
func (c Config) ContactNames() []string {
	names := make([]string, len(c.Playbooks.Contacts))
	for i, ct := range c.Playbooks.Contacts {
		names[i] = ct.Name
	}
	return names
}

func (c Config) validatePlaybooks(p *problems) {
	c.validateNamed(p, "types", len(c.Types), MaxTypes, "types a Slack menu can list", func(i int) (string, string) {
		return c.Types[i].Name, c.Types[i].Description
	}, "an incident type such as \"general\"")
	c.validateNamed(p, "roles", len(c.Roles), MaxRoles, "roles the role form can offer besides operator and spokesperson", func(i int) (string, string) {
		return c.Roles[i].Name, c.Roles[i].Description
	}, "a role such as \"scribe\"")
	for i, r := range c.Roles {
		if slices.Contains(builtinRoles, r.Name) {
			p.add(fmt.Sprintf("roles[%d].name", i), "%q is built in (list only the roles beyond operator and spokesperson)", r.Name)
		}
	}
	for i, ct := range c.Playbooks.Contacts {
		key := fmt.Sprintf("playbooks.contacts[%d]", i)
		checkName(p, key+".name", ct.Name, "a contact such as \"security\"")
		if j := slices.IndexFunc(c.Playbooks.Contacts[:i], func(o Contact) bool { return o.Name == ct.Name }); j >= 0 && ct.Name != "" {
			p.add(key+".name", "%q is already playbooks.contacts[%d] (give each contact its own name)", ct.Name, j)
		}
		for j, g := range ct.Usergroups {
			if !usergroupRe.MatchString(g) {
				p.add(fmt.Sprintf("%s.usergroups[%d]", key, j), `%q is not a user group ID (use the ID starting with S, e.g. "S0123ABCD", from the group's profile > Copy group ID)`, g)
			}
		}
		for j, u := range ct.Users {
			checkUser(p, fmt.Sprintf("%s.users[%d]", key, j), u)
		}
	}
	sevs := c.SeverityNames()
	for _, l := range []struct {
		key string
		lvl ImpactLevel
	}{{"impact.blocked", c.Impact.Blocked}, {"impact.degraded", c.Impact.Degraded}, {"impact.partial", c.Impact.Partial}, {"impact.security", c.Impact.Security}} {
		switch {
		case l.lvl.Severity != "" && !slices.Contains(sevs, l.lvl.Severity):
			p.add(l.key+".severity", "%q is not a severity in incidents.severities (use one of: %s; or leave it empty to follow the rank of the severities)", l.lvl.Severity, strings.Join(sevs, ", "))
		}
		if n := len([]rune(l.lvl.Response)); n > MaxResponseLen {
			p.add(l.key+".response", "is %d characters, more than %d (say the expected response in one short line, e.g. \"restore immediately\")", n, MaxResponseLen)
		}
	}
	if len([]rune(c.Impact.Currency)) > 10 {
		p.add("impact.currency", "%q is too long (use a code or symbol such as \"USD\" or \"€\")", c.Impact.Currency)
	}
	if ch := c.Drill.Channel; ch != "" {
		checkChannel(p, "drill.channel", ch)
		if slices.Contains(c.Slack.AnnounceChannels, ch) {
			p.add("drill.channel", "%s is also in slack.announce_channels: drills would be announced as real incidents (use a channel of its own, e.g. \"#incident-drills\")", ch)
		}
		if ch == c.Digest.Channel {
			p.add("drill.channel", "%s is also digest.channel (use a channel of its own, e.g. \"#incident-drills\")", ch)
		}
	}
}

// validateNamed checks a list of named entries with descriptions.
func (c Config) validateNamed(p *problems, key string, n, max int, what string, at func(int) (name, desc string), example string) {
	if n > max {
		p.add(key, "%d entries, more than the %d %s", n, max, what)
	}
	seen := map[string]int{}
	for i := range n {
		name, desc := at(i)
		k := fmt.Sprintf("%s[%d]", key, i)
		if checkName(p, k+".name", name, example) {
			if j, dup := seen[name]; dup {
				p.add(k+".name", "%q is already %s[%d] (give each its own name)", name, key, j)
			} else {
				seen[name] = i
			}
		}
		if desc == "" {
			p.add(k+".description", "missing (add one line saying what it is for; it is shown in Slack)")
		}
	}
}

// checkName checks a role, type or contact name; it reports whether the
// name is valid.
func checkName(p *problems, key, name, example string) bool {
	switch {
	case name == "":
		p.add(key, "missing (give %s)", example)
	case len(name) > MaxNameLen:
		p.add(key, "is %d characters, more than %d (use a shorter name)", len(name), MaxNameLen)
	case !slugRe.MatchString(name):
		p.add(key, `%q is not valid (use lowercase a-z, 0-9, "-" and "_", e.g. %q)`, name, suggestSlug(name))
	default:
		return true
	}
	return false
}
