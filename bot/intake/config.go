package intake

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Defaults.
const (
	DefaultMaxBodyBytes       = 1 << 20 // 1 MiB
	DefaultSignatureTolerance = 5 * time.Minute
	// MinTokenLength is the shortest token or signing secret accepted.
	MinTokenLength = 16
)

// Config is the "intake" section of incidentbot's configuration. Error
// messages name keys under "intake.", where the bot mounts it.
type Config struct {
	// MaxBodyBytes caps a request body; larger ones get 413.
	// Key: intake.max_body_bytes. Default 1048576 (1 MiB).
	MaxBodyBytes int64 `mapstructure:"max_body_bytes" yaml:"max_body_bytes"`
	// SignatureTolerance is how far a signed request's timestamp may be
	// from the bot's clock. Key: intake.signature_tolerance. Default 5m.
	SignatureTolerance time.Duration `mapstructure:"signature_tolerance" yaml:"signature_tolerance"`
	// Hooks holds each hook's credentials; a hook with none is disabled.
	Hooks HooksConfig `mapstructure:"hooks" yaml:"hooks"`
	// TriageChannel receives triage messages for routes that name no
	// channel: an ID or "#name". Key: intake.triage_channel.
	TriageChannel string `mapstructure:"triage_channel" yaml:"triage_channel"`
	// Routes are tried in order; the first that matches wins.
	// Key: intake.routes.
	Routes []RouteConfig `mapstructure:"routes" yaml:"routes"`
	// DefaultRoute applies when no route matches; its matchers and sources
	// must be empty. Key: intake.default_route. Default action: triage.
	DefaultRoute RouteConfig `mapstructure:"default_route" yaml:"default_route"`
}

// HooksConfig is the "intake.hooks" section.
type HooksConfig struct {
	Alertmanager BearerHookConfig `mapstructure:"alertmanager" yaml:"alertmanager"`
	Grafana      BearerHookConfig `mapstructure:"grafana" yaml:"grafana"`
	Generic      HookConfig       `mapstructure:"generic" yaml:"generic"`
	Deploy       HookConfig       `mapstructure:"deploy" yaml:"deploy"`
}

// BearerHookConfig holds the token of a hook whose sender cannot sign its
// requests (Alertmanager, Grafana): it sends "Authorization: Bearer
// TOKEN". Set it from the environment, e.g.
// INCIDENTBOT_INTAKE_HOOKS_ALERTMANAGER_TOKEN.
type BearerHookConfig struct {
	// Token is at least 16 characters; `openssl rand -hex 32` makes one.
	Token string `mapstructure:"token" yaml:"token"`
}

// Enabled reports whether the hook accepts requests.
func (h BearerHookConfig) Enabled() bool { return h.Token != "" }

// hook returns h as a HookConfig, without a signing secret.
func (h BearerHookConfig) hook() HookConfig { return HookConfig{Token: h.Token} }

// HookConfig holds one hook's credentials. Set them from the environment
// (e.g. INCIDENTBOT_INTAKE_HOOKS_ALERTMANAGER_TOKEN), not in the file.
type HookConfig struct {
	// Token is the bearer token senders present ("Authorization: Bearer
	// TOKEN"). At least 16 characters; `openssl rand -hex 32` makes one.
	Token string `mapstructure:"token" yaml:"token"`
	// SigningSecret lets senders sign requests instead (header
	// X-Incidentbot-Signature); generic and deploy hooks only.
	SigningSecret string `mapstructure:"signing_secret" yaml:"signing_secret"`
}

// Enabled reports whether the hook accepts requests.
func (h HookConfig) Enabled() bool { return h.Token != "" || h.SigningSecret != "" }

// Action is what a route does with an alert group.
type Action string

// Route actions.
const (
	// ActionDeclare declares an incident with the route's severity, type
	// and playbook; the alert details go to the card and the timeline.
	ActionDeclare Action = "declare"
	// ActionTriage posts a message in the triage channel with Declare,
	// Link to incident and Dismiss buttons.
	ActionTriage Action = "triage"
)

// RouteConfig is one entry of intake.routes (or intake.default_route).
type RouteConfig struct {
	// Name appears in logs and on the triage message; defaults to
	// "route N" (or "default").
	Name string `mapstructure:"name" yaml:"name"`
	// Matchers select alerts by label, Alertmanager style: each entry is
	// one or more matchers like `severity=~"critical|page"`, and all must
	// match. A missing label matches as "". See ParseMatchers.
	Matchers []string `mapstructure:"matchers" yaml:"matchers"`
	// Sources limits the route to these alert sources: "alertmanager",
	// "grafana" or a generic sender's source. Empty: any.
	Sources []string `mapstructure:"sources" yaml:"sources"`
	// Action is "declare" or "triage".
	Action Action `mapstructure:"action" yaml:"action"`
	// Severity of the incident declared (declare), or preselected in the
	// Declare dialog (triage). Empty: the alert's severity label when it
	// names a configured severity, else incidents.default_severity.
	Severity string `mapstructure:"severity" yaml:"severity"`
	// Type is the incident type; optional.
	Type string `mapstructure:"type" yaml:"type"`
	// Playbook is the playbook the incident starts with; optional.
	Playbook string `mapstructure:"playbook" yaml:"playbook"`
	// Channel overrides intake.triage_channel for this route (triage).
	Channel string `mapstructure:"channel" yaml:"channel"`
}

// Default returns the intake defaults: every hook disabled, groups that
// match no route triaged.
func Default() Config {
	return Config{
		MaxBodyBytes:       DefaultMaxBodyBytes,
		SignatureTolerance: DefaultSignatureTolerance,
		DefaultRoute:       RouteConfig{Action: ActionTriage},
	}
}

var (
	channelRe  = regexp.MustCompile(`^(?:[CG][A-Z0-9]{2,}|#[a-z0-9_-]{1,80})$`)
	sourceRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)
	severityRe = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

// validRouteName reports whether name is 1 to 80 letters, digits, spaces
// and _ . : / -. Not a regular expression: `[\pL\pN …]{1,80}` compiles
// to 80 copies of every letter and digit range in Unicode, 3.2 MB held
// for the life of the process, which was a third of the bot's heap at rest.
func validRouteName(name string) bool {
	n := 0
	for _, r := range name {
		if n++; n > 80 {
			return false
		}
		// An invalid byte reads as U+FFFD, a symbol: refused.
		if !unicode.IsLetter(r) && !unicode.Is(unicode.N, r) && !strings.ContainsRune(" _.:/-", r) {
			return false
		}
	}
	return n > 0
}

// Validate reports every problem in c, joined with errors.Join, one per
// line, each naming its key and how to fix it. Secrets never appear in
// the messages. Names of severities, types and playbooks are checked
// against the rest of the configuration by ValidateRefs.
func (c Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("intake.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 64<<20 {
		add("max_body_bytes", "must be between 1024 and 67108864 (64 MiB), got %d; the default is %d", c.MaxBodyBytes, DefaultMaxBodyBytes)
	}
	if c.SignatureTolerance < 10*time.Second || c.SignatureTolerance > time.Hour {
		add("signature_tolerance", "must be between 10s and 1h, got %s; the default is %s", c.SignatureTolerance, DefaultSignatureTolerance)
	}
	for _, h := range []struct {
		name string
		hc   HookConfig
	}{
		{HookAlertmanager, c.Hooks.Alertmanager.hook()},
		{HookGrafana, c.Hooks.Grafana.hook()},
		{HookGeneric, c.Hooks.Generic},
		{HookDeploy, c.Hooks.Deploy},
	} {
		key := "hooks." + h.name
		checkSecret(add, key+".token", h.hc.Token)
		checkSecret(add, key+".signing_secret", h.hc.SigningSecret)
	}
	if c.TriageChannel != "" && !channelRe.MatchString(c.TriageChannel) {
		add("triage_channel", "%q is not a channel: use an ID like C0123ABCD or a name like #alerts-triage", c.TriageChannel)
	}
	alertsOn := c.Hooks.Alertmanager.Enabled() || c.Hooks.Grafana.Enabled() || c.Hooks.Generic.Enabled()
	for i, r := range c.Routes {
		r.validate(add, fmt.Sprintf("routes[%d]", i), c.TriageChannel, alertsOn)
	}
	r := c.DefaultRoute
	if len(r.Matchers) > 0 || len(r.Sources) > 0 {
		add("default_route", "takes no matchers or sources: it applies to whatever no route matched; move them to a route under intake.routes")
	}
	r.validate(add, "default_route", c.TriageChannel, alertsOn)
	return errors.Join(errs...)
}

// validate checks one route; key is its place, e.g. "routes[2]".
func (r RouteConfig) validate(add func(key, format string, args ...any), key, triageChannel string, alertsOn bool) {
	if r.Name != "" && !validRouteName(r.Name) {
		add(key+".name", "%q: use up to 80 letters, digits, spaces and _ . : / -", r.Name)
	}
	for j, s := range r.Matchers {
		if _, err := ParseMatchers(s); err != nil {
			add(fmt.Sprintf("%s.matchers[%d]", key, j), "%v", err)
		}
	}
	for j, s := range r.Sources {
		if !sourceRe.MatchString(s) {
			add(fmt.Sprintf("%s.sources[%d]", key, j), "%q is not a source name: use alertmanager, grafana, or a generic sender's source (lowercase letters, digits, _ . -)", s)
		}
	}
	if r.Severity != "" && !severityRe.MatchString(r.Severity) {
		add(key+".severity", "%q is not a severity name: use one of incidents.severities (lowercase)", r.Severity)
	}
	if r.Channel != "" && !channelRe.MatchString(r.Channel) {
		add(key+".channel", "%q is not a channel: use an ID like C0123ABCD or a name like #alerts-triage", r.Channel)
	}
	switch r.Action {
	case ActionDeclare:
		if r.Channel != "" {
			add(key+".channel", "only triage routes post to a channel; a declare route opens a war room. Remove it or set action: triage")
		}
	case ActionTriage:
		if r.Channel == "" && triageChannel == "" && alertsOn {
			add(key+".channel", "a triage route needs a channel: set intake.triage_channel (for all routes) or this route's channel")
		}
	case "":
		add(key+".action", "missing: set declare (open an incident) or triage (post to the triage channel)")
	default:
		add(key+".action", "%q is not an action: use declare (open an incident) or triage (post to the triage channel)", r.Action)
	}
}

// checkSecret checks a token or signing secret without ever printing it.
func checkSecret(add func(key, format string, args ...any), key, s string) {
	switch {
	case s == "":
	case strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\r\n"):
		add(key, "contains whitespace; check how it was copied")
	case len(s) < MinTokenLength:
		add(key, "is %d characters; use at least %d (e.g. the output of `openssl rand -hex 32`)", len(s), MinTokenLength)
	}
}

// Refs are the names other parts of the configuration define, for
// ValidateRefs. A nil list is not checked.
type Refs struct {
	Severities []string
	Types      []string
	Playbooks  []string
}

// ValidateRefs reports route severities, types and playbooks that the rest
// of the configuration does not define, naming each key.
func (c Config) ValidateRefs(refs Refs) error {
	var errs []error
	check := func(key, what, name string, known []string) {
		if name == "" || known == nil {
			return
		}
		for _, k := range known {
			if k == name {
				return
			}
		}
		errs = append(errs, fmt.Errorf("intake.%s: %s %q is not defined; known: %s", key, what, name, strings.Join(known, ", ")))
	}
	routes := append(append([]RouteConfig(nil), c.Routes...), c.DefaultRoute)
	for i, r := range routes {
		key := fmt.Sprintf("routes[%d]", i)
		if i == len(c.Routes) {
			key = "default_route"
		}
		check(key+".severity", "severity", r.Severity, refs.Severities)
		check(key+".type", "incident type", r.Type, refs.Types)
		check(key+".playbook", "playbook", r.Playbook, refs.Playbooks)
	}
	return errors.Join(errs...)
}
