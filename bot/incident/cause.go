package incident

import (
	"strings"
	"time"
)

// Cause categories: what kind of thing caused an incident. They sort
// incidents in the statistics; change, with the deployment it points at,
// feeds the change failure rate.
const (
	CauseChange     = "change"     // a deployment or other change we made
	CauseConfig     = "config"     // a configuration or feature-flag change
	CauseCapacity   = "capacity"   // load beyond what we provisioned
	CauseDependency = "dependency" // a provider or another team's service
	CauseHardware   = "hardware"   // machines, disks, network
	CauseSecurity   = "security"   // an attack or a vulnerability
	CauseUnknown    = "unknown"    // not found (yet)
)

// CauseCategories lists the categories in the order pickers show them.
var CauseCategories = []string{CauseChange, CauseConfig, CauseCapacity, CauseDependency, CauseHardware, CauseSecurity, CauseUnknown}

// ParseCauseCategory reads a category name, accepting a few synonyms.
func ParseCauseCategory(s string) (string, error) {
	switch c := strings.ToLower(strings.TrimSpace(s)); c {
	case CauseChange, "deploy", "deployment", "release", "code":
		return CauseChange, nil
	case CauseConfig, "configuration", "flag", "feature-flag":
		return CauseConfig, nil
	case CauseCapacity, "load", "scale", "scaling":
		return CauseCapacity, nil
	case CauseDependency, "vendor", "provider", "upstream", "third-party":
		return CauseDependency, nil
	case CauseHardware, "infrastructure", "infra", "network":
		return CauseHardware, nil
	case CauseSecurity, "attack":
		return CauseSecurity, nil
	case CauseUnknown, "none", "?":
		return CauseUnknown, nil
	}
	return "", Errorf(EINVALID, "%q is not a cause category. Use one of: %s.", s, strings.Join(CauseCategories, ", "))
}

// Cause is what /incident cause records: the text, the category, and the
// deployment the cause points at.
type Cause struct {
	// Text describes the cause (Slack-safe mrkdwn); empty keeps the
	// current text.
	Text string
	// Category is one of CauseCategories; empty keeps the current one.
	Category string
	// Deploy is the Key of the deployment; empty keeps the current one.
	// It implies the category change.
	Deploy string
	// DeployLabel names the deployment on the timeline ("payments
	// v1.42.0 to production").
	DeployLabel string
}

// RecordCause records the root cause: its text, category and deployment,
// each optional but not all missing. A deployment is a change: pointing at
// one sets the category to change, and another category with it is
// refused.
func (inc *Incident) RecordCause(p Policy, actor string, c Cause, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("change its root cause"); err != nil {
		return nil, err
	}
	c.Text = strings.TrimSpace(c.Text)
	if c.Category != "" {
		cat, err := ParseCauseCategory(c.Category)
		if err != nil {
			return nil, err
		}
		c.Category = cat
	}
	switch {
	case c.Text == "" && c.Category == "" && c.Deploy == "":
		return nil, Errorf(EINVALID, "Say what the root cause is, its category, or the deployment it points at, e.g. `/incident cause --category change --deploy v1.42.0 bad query plan`.")
	case c.Deploy != "" && c.Category == "":
		c.Category = CauseChange
	case c.Deploy != "" && c.Category != CauseChange:
		return nil, Errorf(EINVALID, "A deployment is a change: use the category change with a deployment, or leave the deployment out.")
	}
	if c.Category != "" && c.Category != CauseChange {
		// Another category: the cause no longer points at a deployment.
		inc.CauseDeploy = ""
	}
	if c.Text != "" {
		inc.Cause = c.Text
	}
	if c.Category != "" {
		inc.CauseCategory = c.Category
	}
	if c.Deploy != "" {
		inc.CauseDeploy = c.Deploy
	}
	inc.touch(p, now)
	return []Event{newEvent(EventCauseRecorded, actor, now, c.Text, "category", c.Category, "deploy", c.Deploy, "deploy_label", c.DeployLabel)}, nil
}
