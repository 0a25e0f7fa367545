package intake

import (
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"
)

// GenericAlert is the body of POST /hooks/generic: one alert from any tool
// that can send JSON. Unknown fields are refused, so a misspelt field is
// reported rather than ignored.
//
//	{
//	  "source": "uptime-kuma",              required: [a-z0-9][a-z0-9_.-]{0,62}
//	  "fingerprint": "api-health",          required: the alert's identity, the same when it resolves
//	  "status": "firing",                   required: firing or resolved
//	  "title": "API health check failing",  required when firing
//	  "severity": "critical",               optional hint; also the "severity" label if that is unset
//	  "labels": {"service": "api"},         optional: what routes match
//	  "annotations": {"runbook_url": "https://..."},
//	  "description": "GET /health returned 503 three times",
//	  "links": [{"title": "Monitor", "url": "https://..."}],
//	  "starts_at": "2026-11-22T01:26:05Z",  optional RFC 3339; default: when received
//	  "ends_at": "2026-11-22T01:40:00Z"     resolved only; default: when received
//	}
//
// One source and fingerprint form one group (see DedupeKey): send the same
// fingerprint while the problem lasts and when it resolves.
type GenericAlert struct {
	Source      string            `json:"source"`
	Fingerprint string            `json:"fingerprint"`
	Status      string            `json:"status"`
	Title       string            `json:"title"`
	Severity    string            `json:"severity"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Description string            `json:"description"`
	Links       []Link            `json:"links"`
	StartsAt    string            `json:"starts_at"`
	EndsAt      string            `json:"ends_at"`
}

// Limits of the generic shape, beyond the body size.
const (
	maxFingerprint = 256
	maxTitle       = 1000
	maxDescription = 10000
	maxLabelValue  = 1000
	maxLinks       = 20
)

var labelNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ParseGeneric reads the body of POST /hooks/generic into a Batch of one
// alert received at now. Errors are *RequestError.
func ParseGeneric(body []byte, now time.Time) (Batch, error) {
	var g GenericAlert
	if err := decodeJSON(body, &g, true); err != nil {
		return Batch{}, err
	}
	a, err := g.alert(now)
	if err != nil {
		return Batch{}, err
	}
	return Batch{
		Hook:              HookGeneric,
		Key:               DedupeKey(HookGeneric, g.Source, g.Fingerprint),
		GroupKey:          g.Fingerprint,
		Status:            a.Status,
		GroupLabels:       map[string]string{},
		CommonLabels:      maps.Clone(a.Labels),
		CommonAnnotations: maps.Clone(a.Annotations),
		Alerts:            []Alert{a},
		ReceivedAt:        now,
	}, nil
}

func (g GenericAlert) alert(now time.Time) (Alert, error) {
	switch {
	case g.Source == "":
		return Alert{}, badRequest("source is missing: name the sending tool, e.g. \"uptime-kuma\"")
	case !sourceRe.MatchString(g.Source):
		return Alert{}, badRequest("source %q: use 1 to 63 lowercase letters, digits, _ . and -, starting with a letter or digit", g.Source)
	case g.Source == HookAlertmanager || g.Source == HookGrafana:
		return Alert{}, badRequest("source %q is reserved for /hooks/%s; name the sending tool", g.Source, g.Source)
	case g.Fingerprint == "":
		return Alert{}, badRequest("fingerprint is missing: send a stable identity for this alert, the same when it resolves")
	}
	if err := checkText("fingerprint", g.Fingerprint, maxFingerprint, false); err != nil {
		return Alert{}, err
	}
	status, err := parseStatus("status", g.Status)
	if err != nil {
		return Alert{}, err
	}
	title := strings.TrimSpace(g.Title)
	if title == "" && status == StatusFiring {
		return Alert{}, badRequest("title is missing: a firing alert needs a one-line title")
	}
	if err := checkText("title", title, maxTitle, false); err != nil {
		return Alert{}, err
	}
	if err := checkText("description", g.Description, maxDescription, true); err != nil {
		return Alert{}, err
	}
	sev := severityHint(g.Severity)
	if err := checkText("severity", sev, 40, false); err != nil {
		return Alert{}, err
	}
	labels := make(map[string]string, len(g.Labels)+1)
	for n, v := range g.Labels {
		if !labelNameRe.MatchString(n) {
			return Alert{}, badRequest("labels: %q is not a label name: use letters, digits and _, not starting with a digit", n)
		}
		if err := checkText("labels."+n, v, maxLabelValue, false); err != nil {
			return Alert{}, err
		}
		labels[n] = v
	}
	if _, ok := labels["severity"]; !ok && sev != "" {
		labels["severity"] = sev
	}
	if sev == "" {
		sev = severityHint(labels["severity"])
	}
	annotations := make(map[string]string, len(g.Annotations))
	for n, v := range g.Annotations {
		if err := checkText("annotations."+n, v, maxDescription, true); err != nil {
			return Alert{}, err
		}
		annotations[n] = v
	}
	if len(g.Links) > maxLinks {
		return Alert{}, badRequest("links has %d entries; the limit is %d", len(g.Links), maxLinks)
	}
	var links []Link
	for i, l := range g.Links {
		u := httpURL(l.URL)
		if u == "" {
			return Alert{}, badRequest("links[%d].url: %q is not an absolute http(s) URL", i, l.URL)
		}
		if err := checkText(fmt.Sprintf("links[%d].title", i), l.Title, 200, false); err != nil {
			return Alert{}, err
		}
		links = append(links, Link{Title: l.Title, URL: u})
	}
	if u := httpURL(annotations["runbook_url"]); u != "" {
		links = append(links, Link{Title: "Runbook", URL: u})
	}
	starts, err := parseTime("starts_at", g.StartsAt)
	if err != nil {
		return Alert{}, err
	}
	if starts.IsZero() {
		starts = now
	}
	ends, err := parseTime("ends_at", g.EndsAt)
	if err != nil {
		return Alert{}, err
	}
	switch {
	case status == StatusFiring && !ends.IsZero():
		return Alert{}, badRequest("ends_at is set on a firing alert: send status \"resolved\" when it ends, or leave ends_at out")
	case status == StatusResolved && ends.IsZero():
		ends = now
	}
	if !ends.IsZero() && ends.Before(starts) {
		return Alert{}, badRequest("ends_at (%s) is before starts_at (%s)", ends.Format(time.RFC3339), starts.Format(time.RFC3339))
	}
	description := g.Description
	if description == "" {
		description = annotations["description"]
	}
	name := labels["alertname"]
	if name == "" {
		name = title
	}
	return Alert{
		Source:      g.Source,
		Fingerprint: g.Fingerprint,
		Status:      status,
		Name:        name,
		Labels:      labels,
		Annotations: annotations,
		Summary:     title,
		Description: description,
		StartsAt:    starts,
		EndsAt:      ends,
		Links:       links,
		Severity:    sev,
	}, nil
}
