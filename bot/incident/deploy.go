package incident

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Deploy is one deployment of a service, as the deploy hook records it.
// Its fields are as sent (checked for length and control characters, not
// escaped): render them escaped.
type Deploy struct {
	// Key is the dedupe identity (intake.DeployKey): one record per Key.
	Key string
	// ID identifies the deployment at its sender (a CI run ID); optional.
	ID          string
	Service     string
	Version     string
	Environment string
	// Time is when the deployment finished.
	Time time.Time
	// Link is an http(s) URL to the pipeline run or release. Optional.
	Link   string
	Commit string
	Author string
	// ReceivedAt is when incidentbot received the record.
	ReceivedAt time.Time
}

// MaxServiceLen is the longest service name kept.
const MaxServiceLen = 100

// ServiceKey is the form of a service name that deploys and incidents are
// matched and indexed by: trimmed and lowercased, so that "Payments" and
// "payments" are one service.
func ServiceKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CheckService validates a service name: one line of at most
// MaxServiceLen characters, without markup.
func CheckService(s string) error {
	s = strings.TrimSpace(s)
	switch {
	case utf8.RuneCountInString(s) > MaxServiceLen:
		return Errorf(EINVALID, "The service name is %d characters long; keep it to %d.", utf8.RuneCountInString(s), MaxServiceLen)
	case strings.ContainsAny(s, "<>\n\r\t*`"):
		return Errorf(EINVALID, "Write the service as a plain name, like `payments` or `checkout-api`, without mentions, links or formatting.")
	}
	return nil
}

// EventServiceSet records the service an incident affects.
const EventServiceSet EventKind = "service_set"

// SetService records the service the incident affects; "" clears it.
func (inc *Incident) SetService(p Policy, actor, service string, now time.Time) ([]Event, error) {
	if err := inc.mustBeActive("change its service"); err != nil {
		return nil, err
	}
	service = strings.TrimSpace(service)
	if err := CheckService(service); err != nil {
		return nil, err
	}
	if service == inc.Service {
		return nil, nil
	}
	from := inc.Service
	inc.Service = service
	inc.touch(p, now)
	return []Event{newEvent(EventServiceSet, actor, now, service, "from", from, "to", service)}, nil
}
