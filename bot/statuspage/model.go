package statuspage

import (
	"context"
	"sync"
	"time"
)

// Snapshot is everything the public status page may show, at one moment.
// It holds public data only: whoever builds it decides what is public
// (not private, not a drill, not cancelled; only the updates marked for the
// status page), so nothing else can reach any output.
type Snapshot struct {
	// Name is the product or company the page is about ("Acme"); the page
	// is titled "Acme status".
	Name string
	// Updated is when the public data last changed. It dates the feed and
	// the JSON documents; zero means "when the page was rendered".
	Updated time.Time
	// Severities are the severity names, most severe first (as in
	// incident.Policy.SeverityNames). The first is shown as a major outage,
	// the last (when there are several) as degraded performance, the others
	// as a partial outage. A severity not listed ranks below all of them.
	Severities []string
	// Current are the incidents still open, in any order.
	Current []PublicIncident
	// Recent are the incidents resolved in the last Options.Days days, in
	// any order. Older ones may be included: the page leaves them out.
	Recent []PublicIncident
}

// PublicIncident is what visitors may know about one incident.
type PublicIncident struct {
	ID       int64
	Title    string
	Severity string // one of Snapshot.Severities
	// Status is the incident's status: investigating, identified,
	// monitoring, resolved or closed. Other words are shown as they are.
	Status     string
	StartedAt  time.Time
	ResolvedAt time.Time // zero while open
	// Updates are the updates published to the status page, in any order.
	Updates []PublicUpdate
	// Summary is the customer-facing summary, once one is written.
	Summary *CustomerSummary
}

// PublicUpdate is one update published to the status page.
type PublicUpdate struct {
	At     time.Time
	Status string // the incident's status when it was posted
	Text   string
}

// CustomerSummary is the customer-facing account of a closed incident.
// Each field is plain text; line breaks are kept.
type CustomerSummary struct {
	WhatHappened string
	Impact       string
	Apology      string
	Changes      string // what we are changing so it does not happen again
}

// Source gives the page its data. The page calls Version on every request
// and Snapshot only when the version differs from the one it rendered.
type Source interface {
	// Version returns a number that changes whenever the public data
	// changes. It must be cheap: an atomic counter bumped by every commit
	// that may touch public data is enough (bumping too often only costs a
	// re-render).
	Version(ctx context.Context) (uint64, error)
	// Snapshot returns the public data and the version it was read at,
	// both from the same read, so that a change committed meanwhile is
	// never labelled with an older version.
	Snapshot(ctx context.Context) (Snapshot, uint64, error)
}

// MemorySource is a Source kept in memory: set a new snapshot whenever the
// public data changes. It is safe for concurrent use.
type MemorySource struct {
	mu      sync.Mutex
	snap    Snapshot
	version uint64
}

var _ Source = (*MemorySource)(nil)

// NewMemorySource returns a source holding s, at version 1.
func NewMemorySource(s Snapshot) *MemorySource { return &MemorySource{snap: s, version: 1} }

// Set replaces the snapshot and bumps the version.
func (m *MemorySource) Set(s Snapshot) {
	m.mu.Lock()
	m.snap = s
	m.version++
	m.mu.Unlock()
}

// Version implements Source.
func (m *MemorySource) Version(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version, nil
}

// Snapshot implements Source.
func (m *MemorySource) Snapshot(context.Context) (Snapshot, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap, m.version, nil
}
