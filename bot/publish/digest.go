package publish

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
	"github.com/incidentbot/incidentbot/bot/statuspage"
)

// Digest is the public view of one period, for the daily email digest
// of stakeholders: what the status page showed, no more. Incidents are
// listed as they stood at Until.
type Digest struct {
	// Since and Until bound the period: (Since, Until].
	Since, Until time.Time
	// Open are the incidents still open at Until, most severe first.
	Open []DigestIncident
	// Resolved are the incidents resolved in the period, in order.
	Resolved []DigestIncident
	// More counts the incidents left out beyond DigestLimit.
	More int
}

// Empty reports whether the period has nothing to tell.
func (d Digest) Empty() bool { return len(d.Open)+len(d.Resolved)+d.More == 0 }

// DigestIncident is one incident of a digest.
type DigestIncident struct {
	ID       int64
	Title    string // plain text
	Severity string
	// Status is its status at Until: "resolved" for a resolved one, else
	// the status it had (investigating, identified, monitoring).
	Status     string
	DeclaredAt time.Time
	ResolvedAt time.Time // zero while open at Until
	// New says it was declared in the period.
	New bool
	// Latest is its last update published to the status page by Until;
	// nil when none was.
	Latest *statuspage.PublicUpdate
}

// DigestLimit bounds the incidents a digest lists, so that one email
// stays readable (and fits one store transaction); the rest are counted.
const DigestLimit = 50

// ReadDigest reads the public view of the period (since, until]: the
// incidents open at until, and those resolved in the period, each with
// its latest public update. Only what PublicIncident lets out is read:
// no private incident, no drill, no cancelled one, no update that was not
// published to the status page. severities orders the open incidents,
// most severe first.
func ReadDigest(ctx context.Context, st Store, since, until time.Time, severities []string) (Digest, error) {
	d := Digest{Since: since, Until: until}
	seen := map[int64]bool{}
	add := func(inc *incident.Incident) error {
		if seen[inc.ID] || inc.DeclaredAt.After(until) {
			return nil
		}
		seen[inc.ID] = true
		resolved := !inc.ResolvedAt.IsZero() && !inc.ResolvedAt.After(until)
		if resolved && !inc.ResolvedAt.After(since) {
			return nil // resolved before the period
		}
		pub, ok, err := PublicIncident(ctx, st, inc)
		if err != nil || !ok {
			return err
		}
		di := DigestIncident{ID: pub.ID, Title: pub.Title, Severity: pub.Severity, Status: pub.Status,
			DeclaredAt: pub.StartedAt, New: pub.StartedAt.After(since)}
		for i := range pub.Updates {
			u := pub.Updates[i]
			if !u.At.After(until) && (di.Latest == nil || !u.At.Before(di.Latest.At)) {
				di.Latest = &u
			}
		}
		switch {
		case resolved:
			di.Status, di.ResolvedAt = string(incident.StatusResolved), pub.ResolvedAt
			d.Resolved = append(d.Resolved, di)
		default:
			// Resolved since until: say what it was then.
			if !inc.Status.Open() {
				di.Status = string(incident.StatusInvestigating)
				if di.Latest != nil && di.Latest.Status != "" {
					di.Status = di.Latest.Status
				}
			}
			d.Open = append(d.Open, di)
		}
		return nil
	}
	// Every open incident, whatever its age; then the recent ones, back to
	// the period and its margin (an incident declared before the period
	// and resolved in it).
	if err := eachIncident(ctx, st, incident.Filter{OpenOnly: true}, func(inc *incident.Incident) (bool, error) {
		return true, add(inc)
	}); err != nil {
		return d, err
	}
	cutoff := since.Add(-margin)
	if err := eachIncident(ctx, st, incident.Filter{}, func(inc *incident.Incident) (bool, error) {
		if inc.DeclaredAt.Before(cutoff) {
			return false, nil
		}
		return true, add(inc)
	}); err != nil {
		return d, err
	}
	rank := func(sev string) int {
		if i := slices.Index(severities, sev); i >= 0 {
			return i
		}
		return len(severities)
	}
	slices.SortFunc(d.Open, func(a, b DigestIncident) int {
		return cmp.Or(cmp.Compare(rank(a.Severity), rank(b.Severity)), cmp.Compare(a.ID, b.ID))
	})
	slices.SortFunc(d.Resolved, func(a, b DigestIncident) int {
		return cmp.Or(a.ResolvedAt.Compare(b.ResolvedAt), cmp.Compare(a.ID, b.ID))
	})
	if n := len(d.Open) + len(d.Resolved); n > DigestLimit {
		d.More = n - DigestLimit
		if len(d.Open) > DigestLimit {
			d.Open = d.Open[:DigestLimit]
		}
		d.Resolved = d.Resolved[:DigestLimit-len(d.Open)]
	}
	return d, nil
}
