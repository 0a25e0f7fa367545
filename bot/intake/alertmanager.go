package intake

import (
	"fmt"
	"strconv"
	"time"
)

// amMessage is Alertmanager's webhook payload (version 4) and Grafana's
// (version 1), which adds orgId, title, state and message to the message
// and dashboard, panel and silence URLs and values to each alert. Times
// are strings so that a bad one can be reported with its field.
type amMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []amAlert         `json:"alerts"`

	// Grafana only.
	OrgID   int64  `json:"orgId"`
	Title   string `json:"title"`
	State   string `json:"state"`
	Message string `json:"message"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`

	// Grafana only.
	SilenceURL   string `json:"silenceURL"`
	DashboardURL string `json:"dashboardURL"`
	PanelURL     string `json:"panelURL"`
	ValueString  string `json:"valueString"`
}

// ParseAlertmanager reads the body of an Alertmanager webhook (version 4)
// into a Batch received at now. Errors are *RequestError.
func ParseAlertmanager(body []byte, now time.Time) (Batch, error) {
	var m amMessage
	if err := decodeJSON(body, &m, false); err != nil {
		return Batch{}, err
	}
	switch {
	case m.Version == "4":
	case m.Version == "":
		return Batch{}, badRequest(`version is missing: this hook reads Alertmanager's webhook (version "4"); is the sender Alertmanager?`)
	case m.Version == "1" && (m.OrgID != 0 || m.Title != ""):
		return Batch{}, badRequest(`this is Grafana's webhook (version "1"): point Grafana's contact point at /hooks/grafana instead`)
	default:
		return Batch{}, badRequest(`Alertmanager webhook version %q is not supported: incidentbot reads version "4"`, m.Version)
	}
	return m.batch(HookAlertmanager, DedupeKey(HookAlertmanager, m.GroupKey), now)
}

// ParseGrafana reads the body of a Grafana Alerting webhook (version 1)
// into a Batch received at now. Errors are *RequestError.
func ParseGrafana(body []byte, now time.Time) (Batch, error) {
	var m amMessage
	if err := decodeJSON(body, &m, false); err != nil {
		return Batch{}, err
	}
	switch m.Version {
	case "1":
	case "":
		return Batch{}, badRequest(`version is missing: this hook reads Grafana Alerting's webhook (version "1", Grafana 8 and later); legacy dashboard alerts are not supported`)
	case "4":
		return Batch{}, badRequest(`this is Alertmanager's webhook (version "4"): point Alertmanager at /hooks/alertmanager instead`)
	default:
		return Batch{}, badRequest(`Grafana webhook version %q is not supported: incidentbot reads version "1"`, m.Version)
	}
	if m.OrgID < 0 {
		return Batch{}, badRequest("orgId is %d; Grafana organisation IDs are positive", m.OrgID)
	}
	// Grafana organisations are separate tenants: the same groupKey in two
	// of them is two groups.
	b, err := m.batch(HookGrafana, DedupeKey(HookGrafana, strconv.FormatInt(m.OrgID, 10), m.GroupKey), now)
	if err != nil {
		return Batch{}, err
	}
	b.OrgID, b.Title, b.State, b.Message = m.OrgID, m.Title, m.State, m.Message
	return b, nil
}

// batch normalises m, shared by Alertmanager and Grafana.
func (m *amMessage) batch(hook, key string, now time.Time) (Batch, error) {
	if m.GroupKey == "" {
		return Batch{}, badRequest("groupKey is missing: incidentbot needs it to keep one incident per alert group")
	}
	if len(m.Alerts) == 0 {
		return Batch{}, badRequest("alerts is empty: there is nothing to record")
	}
	if m.TruncatedAlerts < 0 {
		return Batch{}, badRequest("truncatedAlerts is %d; it counts alerts left out and cannot be negative", m.TruncatedAlerts)
	}
	b := Batch{
		Hook:              hook,
		Key:               key,
		GroupKey:          m.GroupKey,
		Receiver:          m.Receiver,
		Status:            Status(m.Status),
		GroupLabels:       nonNil(m.GroupLabels),
		CommonLabels:      nonNil(m.CommonLabels),
		CommonAnnotations: nonNil(m.CommonAnnotations),
		ExternalURL:       httpURL(m.ExternalURL),
		Truncated:         m.TruncatedAlerts,
		Alerts:            make([]Alert, 0, len(m.Alerts)),
		ReceivedAt:        now,
	}
	for i, in := range m.Alerts {
		a, err := in.alert(hook, fmt.Sprintf("alerts[%d]", i))
		if err != nil {
			return Batch{}, err
		}
		b.Alerts = append(b.Alerts, a)
	}
	return b, nil
}

func (in amAlert) alert(source, field string) (Alert, error) {
	status, err := parseStatus(field+".status", in.Status)
	if err != nil {
		return Alert{}, err
	}
	starts, err := parseTime(field+".startsAt", in.StartsAt)
	if err != nil {
		return Alert{}, err
	}
	ends, err := parseTime(field+".endsAt", in.EndsAt)
	if err != nil {
		return Alert{}, err
	}
	if status == StatusFiring {
		// A firing alert has not ended, whatever end Prometheus predicted.
		ends = time.Time{}
	}
	a := Alert{
		Source:       source,
		Fingerprint:  in.Fingerprint,
		Status:       status,
		Labels:       nonNil(in.Labels),
		Annotations:  nonNil(in.Annotations),
		StartsAt:     starts,
		EndsAt:       ends,
		GeneratorURL: httpURL(in.GeneratorURL),
		Values:       in.ValueString,
	}
	if a.Fingerprint == "" {
		a.Fingerprint = labelsFingerprint(a.Labels)
	}
	a.Name = a.Labels["alertname"]
	a.Summary = a.Annotations["summary"]
	a.Description = a.Annotations["description"]
	a.Severity = severityHint(a.Labels["severity"])
	for _, l := range []Link{
		{"Runbook", a.Annotations["runbook_url"]},
		{"Dashboard", in.DashboardURL},
		{"Panel", in.PanelURL},
		{"Silence", in.SilenceURL},
	} {
		if u := httpURL(l.URL); u != "" {
			a.Links = append(a.Links, Link{Title: l.Title, URL: u})
		}
	}
	return a, nil
}
