package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
)

// Hook names: the last element of each hook's path, and the Hook of every
// Batch it produces. They are a closed set, fit for metric labels.
const (
	HookAlertmanager = "alertmanager"
	HookGrafana      = "grafana"
	HookGeneric      = "generic"
	HookDeploy       = "deploy"
)

// Status is the state of one alert as its sender reports it.
type Status string

// The two alert statuses every sender uses.
const (
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
)

// Link is a titled URL shown with an alert: a runbook, a dashboard, the
// query that fired it. URL is always an absolute http or https URL.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Alert is one alert from any sender, normalised.
type Alert struct {
	// Source is HookAlertmanager, HookGrafana, or the generic sender's own
	// "source" (e.g. "uptime-kuma"). Routes can match it (sources:).
	Source string
	// Fingerprint identifies the alert within its sender; it stays the same
	// from firing to resolved. Alertmanager and Grafana send one; when a
	// sender leaves it empty it is derived from the labels.
	Fingerprint string
	// Status is this alert's own status. An Alertmanager group says
	// "firing" while any of its alerts is, so never read the group's.
	Status Status
	// Name is the alertname label (Alertmanager, Grafana) or the title
	// (generic).
	Name        string
	Labels      map[string]string
	Annotations map[string]string
	// Summary and Description come from the annotations of the same names
	// (generic: title and description).
	Summary     string
	Description string
	// StartsAt is when the alert began. EndsAt is when it resolved, and
	// zero while it fires (Alertmanager sends 0001-01-01T00:00:00Z).
	StartsAt time.Time
	EndsAt   time.Time
	// GeneratorURL links to what fired the alert (a Prometheus graph, a
	// Grafana rule); "" when the sender gave none or gave no http(s) URL.
	GeneratorURL string
	// Links are further http(s) links: runbook_url, Grafana's dashboard,
	// panel and silence URLs, the generic sender's links.
	Links []Link
	// Severity is a hint, lowercased: the "severity" label, or the generic
	// "severity" field. It need not name a configured severity.
	Severity string
	// Values is Grafana's valueString: the query values that fired it.
	Values string
}

// Firing reports whether the alert is firing.
func (a Alert) Firing() bool { return a.Status == StatusFiring }

// Batch is what one webhook request delivers: one alert group. Every alert
// in it shares Key, so a Batch never concerns more than one incident.
type Batch struct {
	// Hook is the hook the batch came through (HookAlertmanager, ...).
	Hook string
	// Key is the dedupe identity of the group; see DedupeKey.
	Key string
	// GroupKey is the sender's raw group key: Alertmanager's and Grafana's
	// groupKey, the generic sender's fingerprint.
	GroupKey string
	// Receiver is the Alertmanager or Grafana receiver (contact point) name.
	Receiver string
	// Status is the group status as sent: "firing" while any alert fires.
	// Informational only: act on each Alert's Status.
	Status Status
	// GroupLabels are the labels the sender grouped by; CommonLabels and
	// CommonAnnotations are those all alerts share.
	GroupLabels       map[string]string
	CommonLabels      map[string]string
	CommonAnnotations map[string]string
	// ExternalURL links back to the sending Alertmanager or Grafana.
	ExternalURL string
	// OrgID, Title, State and Message are Grafana's additions; Title and
	// Message are rendered by Grafana's notification templates.
	OrgID   int64
	Title   string
	State   string
	Message string
	// Truncated counts alerts the sender left out (max_alerts).
	Truncated int
	// Alerts are the group's alerts, at least one, in the sender's order.
	Alerts []Alert
	// ReceivedAt is when incidentbot received the request (injected clock).
	ReceivedAt time.Time
	// Route is the route this group matched (see Router.Match); the handler
	// fills it in before calling the Sink.
	Route Route
}

// Firing returns the alerts of b that are firing.
func (b Batch) Firing() []Alert {
	var out []Alert
	for _, a := range b.Alerts {
		if a.Firing() {
			out = append(out, a)
		}
	}
	return out
}

// AllResolved reports whether every alert of b is resolved: the moment to
// suggest resolving the incident (never to resolve it).
func (b Batch) AllResolved() bool {
	for _, a := range b.Alerts {
		if a.Firing() {
			return false
		}
	}
	return len(b.Alerts) > 0
}

// DedupeKey is the identity of an alert group: the bot keeps one incident
// (or one triage message) per key, however often the group is sent.
//
//   - Alertmanager: its groupKey, which names the route and the values of
//     the group_by labels. It stays the same while alerts join, fire, repeat
//     and resolve, and across retries.
//   - Grafana: its groupKey within its organisation (orgID), since Grafana
//     groups alerts the way Alertmanager does. Each alert's fingerprint is
//     kept on the Alert.
//   - Generic: the sender's source and fingerprint.
//
// The result is "<hook>:" followed by 32 hex digits of a SHA-256 over the
// parts: short and of bounded length (a store key), free of label values.
func DedupeKey(hook string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// A NUL separator keeps the encoding unambiguous because every
		// part but the last is free of NUL (an org ID, a validated source
		// name) and the number of parts is fixed per hook.
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hook + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// labelsFingerprint derives a fingerprint for an alert whose sender gave
// none: a hash of its sorted labels, stable as long as they are.
func labelsFingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write([]byte(labels[n]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// severityHint lowercases and trims a severity label.
func severityHint(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
