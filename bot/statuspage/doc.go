// Package statuspage serves the public status page: the HTML page, its
// JSON API (/api/v1, documented in API.md), an Atom feed, an SVG badge and
// an embeddable script.
//
// It renders from a Snapshot of public-only types (PublicIncident,
// PublicUpdate, CustomerSummary) that the caller builds through a Source:
// private incidents, drills, cancelled incidents and unpublished updates
// are left out there, and since the types hold no other field, nothing
// else can reach a visitor. The page needs no JavaScript and loads nothing
// from elsewhere; its stylesheet is inline and allowed by hash in its
// Content-Security-Policy.
//
// A team embeds the status in its own product with EmbedSnippet's HTML: a
// script that writes a small status link where it is included (or into the
// element named by its data-target attribute) and refreshes it every minute
// (data-refresh="SECONDS" changes that, data-refresh="off" stops it), and a badge image for browsers without
// JavaScript.
package statuspage
