// Package reports serves the internal reports site: every postmortem the
// company may read, rendered from its Markdown with goldmark, an index
// filtered by service, severity, date and words (plain query parameters, no
// JavaScript needed), the response metrics of each incident, and a timeline
// replay for brown-bag sessions that steps through the incident with the
// arrow keys (or Prev/Next links) showing who held which role and what was
// known at each step.
//
// It renders from its own view model (Summary, Report, ReplayEvent) that the
// caller fills through a Source, and has no authentication of its own: serve
// it on an internal address behind the company's SSO proxy.
package reports
