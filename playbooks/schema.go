package playbooks

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Slack ID shapes, as the config accepts them.
var (
	userIDRe      = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	usergroupIDRe = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	channelIDRe   = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	channelNameRe = regexp.MustCompile(`^#[a-z0-9_-]{1,80}$`)
)

func (d *decoder) appliesTo(n *yaml.Node, p string) AppliesTo {
	var a AppliesTo
	d.fields(n, p, []string{"types", "severities", "private", "drill", "rotations"}, func(key string, v *yaml.Node, kpath string) {
		switch key {
		case "types":
			a.Types = d.names(v, kpath, nil)
		case "severities":
			a.Severities = d.names(v, kpath, nil)
		case "private":
			a.Private = d.flag(v, kpath)
		case "drill":
			a.Drill = d.flag(v, kpath)
		case "rotations":
			a.Rotations = d.names(v, kpath, nil)
		}
	})
	return a
}

var stepFields = []string{"id", "text", "owner", "runbook", "required_before_resolve"}

// checklist reads the steps. A step is fields, or just its text. Step.ID
// holds the id as written ("" when derived) until check qualifies it.
func (d *decoder) checklist(n *yaml.Node, p string) []Step {
	var steps []Step
	d.list(n, p, func(_ int, item *yaml.Node, ipath string) {
		var s Step
		switch item.Kind {
		case yaml.ScalarNode:
			t, ok := d.text(item, ipath)
			if !ok {
				return
			}
			if t == "" {
				d.add(item, ipath, "empty step; write its text or remove the dash")
				return
			}
			s.Text = t
			d.oneLine(item, ipath, t, MaxTitle)
		case yaml.MappingNode:
			d.fields(item, ipath, stepFields, func(key string, v *yaml.Node, kpath string) {
				switch key {
				case "id":
					id, ok := d.text(v, kpath)
					if ok && id != "" && (!slugRe.MatchString(id) || len(id) > MaxName) {
						d.add(v, kpath, "%q is not a valid id; use lowercase a-z, 0-9, \"-\" and \"_\", at most %d characters (e.g. %q)", id, MaxName, DeriveStepID(id))
						return
					}
					s.ID = StepID(id)
				case "text":
					s.Text, _ = d.text(v, kpath)
					d.oneLine(v, kpath, s.Text, MaxTitle)
				case "owner":
					s.Owner, _ = d.text(v, kpath)
				case "runbook":
					s.Runbook, _ = d.text(v, kpath)
					d.url(v, kpath, s.Runbook)
				case "required_before_resolve":
					s.RequiredBeforeResolve = isTrue(d.flag(v, kpath))
				}
			})
		default:
			d.add(item, ipath, "want a step (fields such as text: and owner:, or just its text), got %s", describe(item))
			return
		}
		if s.Text == "" && !d.probs.hasKey(ipath+".text") {
			d.add(item, ipath+".text", "missing; write the step as one short instruction, e.g. text: Roll back the last deploy")
		}
		steps = append(steps, s)
		d.kept(p, len(steps)-1, ipath)
	})
	return steps
}

// audience reads invite (notify false) or notify.
func (d *decoder) audience(n *yaml.Node, p string, notify bool) Audience {
	var a Audience
	d.fields(n, p, []string{"usergroups", "users", "channels", "contacts", "rotations"}, func(key string, v *yaml.Node, kpath string) {
		switch key {
		case "usergroups":
			a.Usergroups = d.names(v, kpath, slackID(usergroupIDRe, "a Slack user group ID", "S0123ABCD", "in Slack: the group's menu > Copy group ID"))
		case "users":
			a.Users = d.names(v, kpath, slackID(userIDRe, "a Slack user ID", "U0123ABCD", "in Slack: the profile's menu > Copy member ID"))
		case "channels":
			if !notify {
				d.add(v, kpath, "a channel cannot be invited into the war room; to post a notice in it, move it to notify.channels")
				return
			}
			a.Channels = d.names(v, kpath, func(s string) string {
				if channelIDRe.MatchString(s) || channelNameRe.MatchString(s) {
					return ""
				}
				return fmt.Sprintf("%q is not a channel; use its ID (C0123ABCD) or its name with # (\"#security\")", s)
			})
		case "contacts":
			a.Contacts = d.names(v, kpath, func(s string) string {
				if slugRe.MatchString(s) {
					return ""
				}
				return fmt.Sprintf("%q is not a contact name; use the name the config gives the contact, lowercase, e.g. legal", s)
			})
		case "rotations":
			a.Rotations = d.names(v, kpath, nil)
		}
	})
	return a
}

func slackID(re *regexp.Regexp, what, example, where string) func(string) string {
	return func(s string) string {
		if re.MatchString(s) {
			return ""
		}
		return fmt.Sprintf("%q is not %s; use the ID, e.g. %s (%s)", s, what, example, where)
	}
}

func (d *decoder) bookmarks(n *yaml.Node, p string) []Bookmark {
	var bms []Bookmark
	seen := make(map[string]int)
	d.list(n, p, func(_ int, item *yaml.Node, ipath string) {
		var b Bookmark
		d.fields(item, ipath, []string{"title", "url"}, func(key string, v *yaml.Node, kpath string) {
			switch key {
			case "title":
				b.Title, _ = d.text(v, kpath)
				d.oneLine(v, kpath, b.Title, MaxTitle)
			case "url":
				b.URL, _ = d.text(v, kpath)
				d.url(v, kpath, b.URL)
			}
		})
		if item.Kind != yaml.MappingNode {
			return
		}
		if _, ok := d.lines[ipath+".title"]; !ok {
			d.add(item, ipath+".title", "missing; give the link a short label, e.g. title: Service dashboard")
		}
		if _, ok := d.lines[ipath+".url"]; !ok {
			d.add(item, ipath+".url", "missing; add the link, e.g. url: https://grafana.example.com/d/api")
		} else if first, dup := seen[b.URL]; dup && b.URL != "" {
			d.add(item, ipath+".url", "%q is already bookmarked on line %d; remove one", b.URL, first)
		} else {
			seen[b.URL] = d.lines[ipath+".url"]
		}
		bms = append(bms, b)
	})
	return bms
}

// url checks that s is an absolute http(s) URL: Slack makes nothing else a
// link, and a relative one would point nowhere.
func (d *decoder) url(n *yaml.Node, key, s string) {
	if s == "" {
		d.add(n, key, "empty; write the full address, e.g. https://wiki.example.com/runbooks/db-failover")
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		d.add(n, key, "%q is not an http(s) URL; write the full address, e.g. https://wiki.example.com/runbooks/db-failover", s)
	}
}

// oneLine checks a text shown in a single Slack element.
func (d *decoder) oneLine(n *yaml.Node, key, s string, maxLen int) {
	if strings.ContainsAny(s, "\r\n") {
		d.add(n, key, "must be one line; Slack shows it in a single checkbox or label")
		return
	}
	d.length(n, key, s, maxLen)
}

// length checks that s is at most maxLen characters.
func (d *decoder) length(n *yaml.Node, key, s string, maxLen int) {
	if c := utf8.RuneCountInString(s); c > maxLen {
		d.add(n, key, "is %d characters, longer than %d; say it shorter (put details behind a runbook link)", c, maxLen)
	}
}

// incidentOnlyRe and onCallOnlyRe match the keys that have no meaning in
// the other kind of playbook.
var (
	incidentOnlyRe = regexp.MustCompile(`^(applies_to\.(types|severities|private|drill)|roles|require_private|public_status|invite|notify|checklist\[\d+\]\.(owner|required_before_resolve))$`)
	onCallOnlyRe   = regexp.MustCompile(`^applies_to\.rotations$`)
)

// check runs the checks that need the whole file, qualifies the step ids,
// and settles the defaults.
func (d *decoder) check(pb *Playbook) {
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(pb.File, "\\", "/")), path.Ext(pb.File))
	switch {
	case d.probs.hasKey("name"):
	case pb.Name == "" && d.lines["name"] == 0:
		d.addAt(0, "name", "missing; add a name such as name: %s", DeriveStepID(base))
	case !slugRe.MatchString(pb.Name) || len(pb.Name) > MaxName:
		d.addAt(pb.line("name"), "name", "%q is not a valid name; use lowercase a-z, 0-9, \"-\" and \"_\", at most %d characters (e.g. %q)",
			pb.Name, MaxName, DeriveStepID(pb.Name))
	}
	switch {
	case pb.Kind == KindIncident, pb.Kind == KindOnCall, d.probs.hasKey("kind"):
	default:
		d.addAt(pb.line("kind"), "kind", "%q is not a kind; use incident (the default) or oncall (a checklist for on-call handoffs)", pb.Kind)
	}
	d.qualifyStepIDs(pb)
	if pb.Disabled {
		return // it only switches a built-in playbook off: nothing else is needed
	}
	if pb.Title == "" && !d.probs.hasKey("title") {
		d.addAt(pb.line("title"), "title", "missing; add the name people see in Slack, e.g. title: Database failover")
	}
	switch n := len(pb.Checklist); {
	case n == 0 && d.probs.hasKey("checklist"):
	case n == 0:
		d.addAt(pb.line("checklist"), "checklist", "no steps; a playbook needs at least one (a list of items with text:)")
	case n > MaxSteps:
		d.addAt(pb.line("checklist"), "checklist", "has %d steps, more than %d; nobody reads that many during an incident, so split it or link the details from a runbook", n, MaxSteps)
	}
	forbidden, why := onCallOnlyRe, "is only for on-call playbooks (kind: oncall); to bring in a rotation's on-call, list it under invite.rotations or notify.rotations"
	if pb.Kind == KindOnCall {
		forbidden, why = incidentOnlyRe, "has no meaning in an on-call playbook (kind: oncall), which runs at shift handoffs, not on incidents; remove it"
	}
	for _, key := range sortedKeys(pb.lines) {
		if forbidden.MatchString(key) {
			d.addAt(pb.line(key), key, "%s", why)
		}
	}
	if pb.Kind == KindIncident {
		roles := "none"
		if len(pb.Roles) > 0 {
			roles = strings.Join(pb.Roles, ", ")
		}
		for i, s := range pb.Checklist {
			if s.Owner != "" && !slices.Contains(pb.Roles, s.Owner) {
				key, line := pb.at(fmt.Sprintf("checklist[%d].owner", i))
				d.addAt(line, key, "role %q is not in this playbook's roles (%s); add it to roles so someone is asked to take it, or change the owner",
					s.Owner, roles)
			}
		}
	}
	if pb.RequirePrivate {
		if pb.AppliesTo.Private != nil && !*pb.AppliesTo.Private {
			d.addAt(pb.line("applies_to.private"), "applies_to.private", "false contradicts require_private: true (the playbook would make the incident private, and then no longer apply); remove one of them")
		}
		if pb.PublicStatus && pb.line("public_status") > 0 {
			d.addAt(pb.line("public_status"), "public_status", "true contradicts require_private: true (a private incident never shows on the status page); remove public_status")
		}
		pb.PublicStatus = false
	}
}

// qualifyStepIDs gives every step its StepID and reports ids used twice.
func (d *decoder) qualifyStepIDs(pb *Playbook) {
	seen := make(map[string]int)
	for i := range pb.Checklist {
		s := &pb.Checklist[i]
		local, given := string(s.ID), s.ID != ""
		if !given {
			if s.Text == "" {
				continue
			}
			local = DeriveStepID(s.Text)
		}
		if j, dup := seen[local]; dup {
			other, otherLine := pb.at(fmt.Sprintf("checklist[%d]", j))
			if given {
				key, line := pb.at(fmt.Sprintf("checklist[%d].id", i))
				d.addAt(line, key, "%q is already the id of %s (line %d); give each step its own id", local, other, otherLine)
			} else {
				key, line := pb.at(fmt.Sprintf("checklist[%d]", i))
				d.addAt(line, key, "this step's id %q, derived from its text, is already the id of %s (line %d); give one of them its own id:",
					local, other, otherLine)
			}
		} else {
			seen[local] = i
		}
		s.ID = NewStepID(pb.Name, local)
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hasKey reports whether a problem about key (or inside it) is recorded,
// so that a broken value is not also reported as missing.
func (ps Problems) hasKey(key string) bool {
	for _, p := range ps {
		if p.Key == key || strings.HasPrefix(p.Key, key+"[") || strings.HasPrefix(p.Key, key+".") {
			return true
		}
	}
	return false
}
