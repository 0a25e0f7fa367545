package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// StatusPageConfig is the "statuspage" section: the public status page.
type StatusPageConfig struct {
	// Listen is the host:port the status page is served on; empty
	// disables it. It is public: bind it where your load balancer or
	// reverse proxy reaches it. Key: statuspage.listen.
	Listen string `mapstructure:"listen" yaml:"listen"`
	// Path is where the page is mounted, starting and ending with "/".
	// Key: statuspage.path. Default "/".
	Path string `mapstructure:"path" yaml:"path"`
	// PublicURL is the page's address as visitors reach it, e.g.
	// "https://status.example.com/": links in the feed, the API, Slack
	// messages and emails use it. Key: statuspage.public_url.
	PublicURL string `mapstructure:"public_url" yaml:"public_url"`
	// Name is what the page is about, e.g. "Acme" ("Acme status").
	// Key: statuspage.name. Default "Our services".
	Name string `mapstructure:"name" yaml:"name"`
	// PublishByDefault lists the severities whose updates go to the
	// status page unless the spokesperson unticks it.
	// Key: statuspage.publish_by_default. Default [critical, major].
	PublishByDefault []string `mapstructure:"publish_by_default" yaml:"publish_by_default"`
}

// ReportsConfig is the "reports" section: the internal reports site.
type ReportsConfig struct {
	// Listen is the host:port of the reports site; empty disables it. It
	// has no login of its own: put it behind the company's SSO proxy.
	// Key: reports.listen.
	Listen string `mapstructure:"listen" yaml:"listen"`
	// Path is where the site is mounted. Key: reports.path. Default "/".
	Path string `mapstructure:"path" yaml:"path"`
	// PublicURL is the site's address behind the proxy, e.g.
	// "https://reports.internal.example.com/": the close announcement
	// links each report there. Key: reports.public_url.
	PublicURL string `mapstructure:"public_url" yaml:"public_url"`
}

// StakeholdersConfig is the "stakeholders" section.
type StakeholdersConfig struct {
	// Groups are the stakeholder groups. Key: stakeholders.groups.
	Groups []StakeholderGroup `mapstructure:"groups" yaml:"groups"`
}

// StakeholderGroup is one entry of stakeholders.groups.
type StakeholderGroup struct {
	// Name is lowercase [a-z0-9_-], unique; playbooks name groups by it.
	Name string `mapstructure:"name" yaml:"name"`
	// Tier is manage_closely, keep_satisfied, keep_informed or monitor.
	Tier string `mapstructure:"tier" yaml:"tier"`
	// Members are Slack user IDs (U…), user group IDs (S…) and email
	// addresses.
	Members []string `mapstructure:"members" yaml:"members"`
	// Channel, for keep_informed, receives every update (ID or "#name").
	Channel string `mapstructure:"channel" yaml:"channel"`
	// Severities follow the group automatically: an incident declared at
	// (or raised to) one of them is followed by the group.
	Severities []string `mapstructure:"severities" yaml:"severities"`
	// Email is how the group's email addresses hear: each (a mail per
	// notification) or digest (the daily email digest, at
	// digest.schedule). keep_informed chooses (default each); monitor
	// gets the digest. Key: stakeholders.groups[].email.
	Email string `mapstructure:"email" yaml:"email"`
}

// EmailConfig is the "email" section: SMTP for stakeholder email.
type EmailConfig struct {
	// Host is the SMTP server; empty disables email. Key: email.host.
	Host string `mapstructure:"host" yaml:"host"`
	// Port is the SMTP port. Key: email.port. Default 587.
	Port string `mapstructure:"port" yaml:"port"`
	// Security is starttls (port 587), tls (implicit TLS, port 465) or
	// none (a relay on localhost only). Key: email.security. Default
	// starttls.
	Security string `mapstructure:"security" yaml:"security"`
	// Username authenticates to the server; empty sends without
	// authentication. Key: email.username.
	Username string `mapstructure:"username" yaml:"username"`
	// Password comes only from the environment: SMTP_PASSWORD or
	// INCIDENTBOT_EMAIL_PASSWORD. Key: email.password.
	Password string `mapstructure:"password" yaml:"password"`
	// From is the sender, e.g. "Acme incidents <incidents@example.com>".
	// Key: email.from.
	From string `mapstructure:"from" yaml:"from"`
}

// Stakeholder tiers, from the most to the least involved.
const (
	TierManageClosely = "manage_closely"
	TierKeepSatisfied = "keep_satisfied"
	TierKeepInformed  = "keep_informed"
	TierMonitor       = "monitor"
)

// Tiers lists the tiers, most involved first.
var Tiers = []string{TierManageClosely, TierKeepSatisfied, TierKeepInformed, TierMonitor}

var emailLike = regexp.MustCompile(`^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$`)

func (c Config) validatePublic(p *problems) {
	sp := c.StatusPage
	if sp.Listen != "" {
		if msg := checkHostPort(sp.Listen); msg != "" {
			p.add("statuspage.listen", `%q %s (use host:port like "0.0.0.0:8081", or "" to disable the status page)`, sp.Listen, msg)
		}
		if sp.Listen == c.HTTP.Listen || sp.Listen == c.Reports.Listen {
			p.add("statuspage.listen", "%q is also the address of http.listen or reports.listen; the public status page needs an address of its own", sp.Listen)
		}
		for i, s := range sp.PublishByDefault {
			if _, ok := c.Severity(s); !ok {
				p.add(fmt.Sprintf("statuspage.publish_by_default[%d]", i), "%q is not a severity in incidents.severities (use some of: %s)", s, strings.Join(c.SeverityNames(), ", "))
			}
		}
	}
	checkPath(p, "statuspage.path", sp.Path)
	checkPublicURL(p, "statuspage.public_url", sp.PublicURL)
	r := c.Reports
	if r.Listen != "" {
		if msg := checkHostPort(r.Listen); msg != "" {
			p.add("reports.listen", `%q %s (use host:port like "127.0.0.1:8082" behind your SSO proxy, or "" to disable the reports site)`, r.Listen, msg)
		}
		if r.Listen == c.HTTP.Listen {
			p.add("reports.listen", "%q is also http.listen; the reports site needs an address of its own", r.Listen)
		}
	}
	checkPath(p, "reports.path", r.Path)
	checkPublicURL(p, "reports.public_url", r.PublicURL)
	c.validateStakeholders(p)
	c.validateEmailDigest(p)
	c.validateEmail(p)
}

func checkPath(p *problems, key, path string) {
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") || strings.ContainsAny(path, "?# ") {
		p.add(key, `%q is not a path (start and end it with "/", e.g. "/" or "/status/")`, path)
	}
}

func checkPublicURL(p *problems, key, u string) {
	if u == "" {
		return
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		p.add(key, `%q is not an absolute http(s) address (use e.g. "https://status.example.com/")`, u)
	}
}

func (c Config) validateStakeholders(p *problems) {
	seen := map[string]int{}
	for i, g := range c.Stakeholders.Groups {
		key := fmt.Sprintf("stakeholders.groups[%d]", i)
		switch {
		case g.Name == "":
			p.add(key+".name", `missing (give each group a lowercase name such as "executives")`)
		case !slugRe.MatchString(g.Name):
			p.add(key+".name", `%q is not valid (use lowercase a-z, 0-9, "-" and "_", e.g. %q)`, g.Name, suggestSlug(g.Name))
		default:
			if j, dup := seen[g.Name]; dup {
				p.add(key+".name", "%q is already used by stakeholders.groups[%d] (give each group a different name)", g.Name, j)
			}
			seen[g.Name] = i
		}
		if !slices.Contains(Tiers, g.Tier) {
			p.add(key+".tier", "%q is not a tier (use one of: %s)", g.Tier, strings.Join(Tiers, ", "))
		}
		checkEmailMode(p, key+".email", g)
		if len(g.Members) == 0 && g.Channel == "" {
			p.add(key+".members", "empty (list Slack user IDs, user group IDs or email addresses, or give keep_informed a channel)")
		}
		for j, m := range g.Members {
			mkey := fmt.Sprintf("%s.members[%d]", key, j)
			switch {
			case userIDRe.MatchString(m), usergroupRe.MatchString(m):
			case strings.Contains(m, "@"):
				if !emailLike.MatchString(m) {
					p.add(mkey, "%q is not an email address (write it as name@example.com, without a display name)", m)
				} else if c.Email.Host == "" {
					p.add(mkey, "%q is an email address, but email.host is not set (configure the email section, or remove the address)", m)
				}
			default:
				p.add(mkey, `%q is neither a Slack user ID ("U0123ABCD"), a user group ID ("S0123ABCD") nor an email address`, m)
			}
		}
		if g.Channel != "" {
			if g.Tier != TierKeepInformed {
				p.add(key+".channel", "only keep_informed groups get a channel (remove it, or set tier: keep_informed)")
			}
			checkChannel(p, key+".channel", g.Channel)
		}
		for j, s := range g.Severities {
			if _, ok := c.Severity(s); !ok {
				p.add(fmt.Sprintf("%s.severities[%d]", key, j), "%q is not a severity in incidents.severities (use some of: %s)", s, strings.Join(c.SeverityNames(), ", "))
			}
		}
	}
}

func (c Config) validateEmail(p *problems) {
	e := c.Email
	if e.Host == "" {
		return
	}
	if n, err := strconv.Atoi(e.Port); err != nil || n < 1 || n > 65535 {
		p.add("email.port", "%q is not a port (use 587 for starttls, 465 for tls)", e.Port)
	}
	switch e.Security {
	case "starttls", "tls":
	case "none":
		if h := e.Host; h != "localhost" && h != "127.0.0.1" && h != "::1" {
			p.add("email.security", "none sends the password and the mail in clear; it is allowed only to a relay on localhost (use starttls or tls)")
		}
	default:
		p.add("email.security", "%q is not a mode (use starttls, tls or none)", e.Security)
	}
	if e.From == "" {
		p.add("email.from", `missing (the sender, e.g. "Acme incidents <incidents@example.com>")`)
	} else if _, err := mail.ParseAddress(e.From); err != nil {
		p.add("email.from", "%q is not an address (write it as incidents@example.com or \"Acme incidents <incidents@example.com>\")", e.From)
	}
	if e.Password != "" && e.Username == "" {
		p.add("email.username", "missing while a password is set (set email.username, or unset SMTP_PASSWORD)")
	}
}

// normalizedPublic trims the public sections and adds the slashes paths
// and addresses need.
func (c Config) normalizedPublic() Config {
	sp := &c.StatusPage
	sp.Listen, sp.Path, sp.PublicURL, sp.Name = strings.TrimSpace(sp.Listen), slashed(sp.Path), slashedURL(sp.PublicURL), strings.TrimSpace(sp.Name)
	sp.PublishByDefault = trimList(sp.PublishByDefault)
	r := &c.Reports
	r.Listen, r.Path, r.PublicURL = strings.TrimSpace(r.Listen), slashed(r.Path), slashedURL(r.PublicURL)
	if len(c.Stakeholders.Groups) > 0 {
		gs := slices.Clone(c.Stakeholders.Groups)
		for i := range gs {
			g := &gs[i]
			g.Name, g.Tier, g.Channel = strings.TrimSpace(g.Name), strings.ToLower(strings.TrimSpace(g.Tier)), strings.TrimSpace(g.Channel)
			g.Email = strings.ToLower(strings.TrimSpace(g.Email))
			g.Members, g.Severities = trimList(g.Members), trimList(g.Severities)
		}
		c.Stakeholders.Groups = gs
	}
	e := &c.Email
	e.Host, e.Port, e.Security = strings.TrimSpace(e.Host), strings.TrimSpace(e.Port), strings.ToLower(strings.TrimSpace(e.Security))
	e.Username, e.From = strings.TrimSpace(e.Username), strings.TrimSpace(e.From)
	return c
}

// slashed makes a path start and end with "/"; empty stays empty.
func slashed(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return p
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

func slashedURL(u string) string {
	u = strings.TrimSpace(u)
	if u != "" && !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}
