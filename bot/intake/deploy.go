package intake

import (
	"strings"
	"time"
)

// DeployRecord is the body of POST /hooks/deploy. Unknown fields are
// refused.
//
//	{
//	  "service": "payments",                 required
//	  "version": "v1.42.0",                  required
//	  "environment": "production",           required
//	  "time": "2026-11-22T01:20:00Z",        optional RFC 3339; default: when received
//	  "link": "https://ci.example/runs/981", optional http(s) URL
//	  "commit": "9f8e7d6",                   optional
//	  "author": "alice",                     optional
//	  "id": "ci-run-981"                     optional; makes retries safe
//	}
//
// Posting the same id again records nothing new. Without an id, a retry
// is recognised only if it repeats the same time.
type DeployRecord struct {
	ID          string `json:"id"`
	Service     string `json:"service"`
	Version     string `json:"version"`
	Environment string `json:"environment"`
	Time        string `json:"time"`
	Link        string `json:"link"`
	Commit      string `json:"commit"`
	Author      string `json:"author"`
}

// maxDeployAhead is how far in the future a deploy time may be: clocks
// drift, but a deploy an hour ahead is a mistake (a local time sent as
// UTC, typically).
const maxDeployAhead = 5 * time.Minute

// earliestDeploy bounds backfilled history from below.
var earliestDeploy = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ParseDeploy reads the body of POST /hooks/deploy received at now.
// Errors are *RequestError.
func ParseDeploy(body []byte, now time.Time) (Deploy, error) {
	var in DeployRecord
	if err := decodeJSON(body, &in, true); err != nil {
		return Deploy{}, err
	}
	d := Deploy{
		ID:          strings.TrimSpace(in.ID),
		Service:     strings.TrimSpace(in.Service),
		Version:     strings.TrimSpace(in.Version),
		Environment: strings.TrimSpace(in.Environment),
		Commit:      strings.TrimSpace(in.Commit),
		Author:      strings.TrimSpace(in.Author),
		ReceivedAt:  now,
	}
	for _, f := range []struct {
		name, value string
		required    bool
		max         int
	}{
		{"service", d.Service, true, 100},
		{"version", d.Version, true, 100},
		{"environment", d.Environment, true, 100},
		{"id", d.ID, false, 200},
		{"commit", d.Commit, false, 100},
		{"author", d.Author, false, 200},
	} {
		if f.required && f.value == "" {
			return Deploy{}, badRequest("%s is missing; a deploy needs service, version and environment", f.name)
		}
		if err := checkText(f.name, f.value, f.max, false); err != nil {
			return Deploy{}, err
		}
	}
	if in.Link != "" {
		if d.Link = httpURL(in.Link); d.Link == "" {
			return Deploy{}, badRequest("link: %q is not an absolute http(s) URL", in.Link)
		}
	}
	t, err := parseTime("time", strings.TrimSpace(in.Time))
	switch {
	case err != nil:
		return Deploy{}, err
	case t.IsZero():
		t = now
	case t.After(now.Add(maxDeployAhead)):
		return Deploy{}, badRequest("time %s is %s ahead of incidentbot's clock: send UTC (with Z) or the offset, or leave time out to use the time of receipt",
			t.Format(time.RFC3339), t.Sub(now).Round(time.Second))
	case t.Before(earliestDeploy):
		return Deploy{}, badRequest("time %s is before 2000: check the timestamp", t.Format(time.RFC3339))
	}
	d.Time = t
	d.Key = DeployKey(d)
	return d, nil
}

// DeployKey is the dedupe identity of a deploy: its ID when the sender
// gave one, else its service, environment, version and time.
func DeployKey(d Deploy) string {
	if d.ID != "" {
		return DedupeKey(HookDeploy, "id", d.ID)
	}
	return DedupeKey(HookDeploy, "fields", d.Service, d.Environment, d.Version, d.Time.UTC().Format(time.RFC3339Nano))
}
