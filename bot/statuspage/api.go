package statuspage

import (
	"encoding/json"
	"fmt"
	"time"
)

// SchemaVersion is the version of the JSON documents under /api/v1 (see
// API.md). It changes only when a field changes meaning or goes away;
// new fields may appear within a version.
const SchemaVersion = 1

type apiPage struct {
	Name      string    `json:"name"`
	URL       string    `json:"url,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

type apiStatus struct {
	Indicator   Indicator `json:"indicator"`
	Description string    `json:"description"`
	Severity    string    `json:"severity,omitempty"`
}

type apiBrief struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Severity  string    `json:"severity"`
	Indicator Indicator `json:"indicator"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"started_at"`
	URL       string    `json:"url,omitempty"`
}

type apiStatusDoc struct {
	SchemaVersion int        `json:"schema_version"`
	Page          apiPage    `json:"page"`
	Status        apiStatus  `json:"status"`
	InProgress    []apiBrief `json:"incidents_in_progress"`
}

type apiIncident struct {
	apiBrief
	ResolvedAt *time.Time  `json:"resolved_at"`
	Updates    []apiUpdate `json:"updates"`
	Summary    *apiSummary `json:"summary"`
}

type apiUpdate struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Text   string    `json:"text"`
}

type apiSummary struct {
	WhatHappened string `json:"what_happened"`
	Impact       string `json:"impact"`
	Apology      string `json:"apology"`
	Changes      string `json:"changes"`
}

type apiWindow struct {
	Days int       `json:"days"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

type apiDay struct {
	Date        string    `json:"date"`
	Indicator   Indicator `json:"indicator"`
	Severity    string    `json:"severity,omitempty"`
	IncidentIDs []int64   `json:"incident_ids"`
}

type apiIncidentsDoc struct {
	SchemaVersion int           `json:"schema_version"`
	Page          apiPage       `json:"page"`
	Window        apiWindow     `json:"window"`
	Incidents     []apiIncident `json:"incidents"`
	Days          []apiDay      `json:"days"`
}

// statusDoc is the /api/v1/status document; embed.js carries it too.
func statusDoc(v *view, publicURL string) apiStatusDoc {
	d := apiStatusDoc{
		SchemaVersion: SchemaVersion,
		Page:          apiPageOf(v, publicURL),
		Status:        apiStatus{Indicator: v.overall, Description: v.overall.Description(), Severity: v.worst},
		InProgress:    []apiBrief{},
	}
	for _, inc := range v.current {
		d.InProgress = append(d.InProgress, apiBriefOf(v, inc, publicURL))
	}
	return d
}

func renderStatusJSON(v *view, publicURL string) ([]byte, error) {
	return marshal("status", statusDoc(v, publicURL))
}

func renderIncidentsJSON(v *view, publicURL string) ([]byte, error) {
	d := apiIncidentsDoc{
		SchemaVersion: SchemaVersion,
		Page:          apiPageOf(v, publicURL),
		Window:        apiWindow{Days: len(v.days), From: v.from.UTC(), To: v.to.UTC()},
		Incidents:     []apiIncident{},
	}
	for _, incs := range [][]PublicIncident{v.current, v.recent} {
		for _, inc := range incs {
			a := apiIncident{apiBrief: apiBriefOf(v, inc, publicURL), Updates: []apiUpdate{}}
			if !inc.ResolvedAt.IsZero() {
				r := inc.ResolvedAt.UTC()
				a.ResolvedAt = &r
			}
			for _, u := range inc.Updates {
				a.Updates = append(a.Updates, apiUpdate{At: u.At.UTC(), Status: u.Status, Text: u.Text})
			}
			if s := inc.Summary; s != nil {
				a.Summary = &apiSummary{WhatHappened: s.WhatHappened, Impact: s.Impact, Apology: s.Apology, Changes: s.Changes}
			}
			d.Incidents = append(d.Incidents, a)
		}
	}
	for _, day := range v.days {
		ad := apiDay{Date: day.start.Format(time.DateOnly), Indicator: day.indicator, Severity: day.severity, IncidentIDs: []int64{}}
		for _, inc := range day.incidents {
			ad.IncidentIDs = append(ad.IncidentIDs, inc.ID)
		}
		d.Days = append(d.Days, ad)
	}
	return marshal("incidents", d)
}

func apiPageOf(v *view, publicURL string) apiPage {
	return apiPage{Name: v.name, URL: publicURL, UpdatedAt: v.updated.UTC()}
}

func apiBriefOf(v *view, inc PublicIncident, publicURL string) apiBrief {
	b := apiBrief{
		ID:        inc.ID,
		Title:     inc.Title,
		Severity:  inc.Severity,
		Indicator: v.indicator(inc.Severity),
		Status:    inc.Status,
		StartedAt: inc.StartedAt.UTC(),
	}
	if publicURL != "" {
		b.URL = publicURL + "#" + anchor(inc.ID)
	}
	return b
}

// marshal encodes doc indented, for people reading the API in a browser.
// encoding/json escapes <, > and & as \u003c…, so no document can close a
// script element it is pasted into.
func marshal(name string, doc any) ([]byte, error) {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s document: %w", name, err)
	}
	return append(b, '\n'), nil
}
