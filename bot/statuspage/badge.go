package statuspage

import (
	"encoding/xml"
	"fmt"
	"strings"
	"unicode/utf8"
)

// badgeColor is the message side's colour per indicator (readable with
// white text).
var badgeColor = map[Indicator]string{
	IndicatorNone:     "#1a7f37",
	IndicatorMinor:    "#9a6700",
	IndicatorMajor:    "#bc4c00",
	IndicatorCritical: "#cf222e",
}

// badgeMessage is the badge's short wording: the words are the state, the
// colour only repeats it.
func badgeMessage(i Indicator) string {
	switch i {
	case IndicatorMinor:
		return "degraded"
	case IndicatorMajor:
		return "partial outage"
	case IndicatorCritical:
		return "major outage"
	}
	return "operational"
}

// renderBadge draws a two-part badge ("Acme status | operational") in the
// usual 20-pixel style. Text widths are estimated at 7 px a character in
// Verdana 11 px, which errs wide rather than clipping.
func renderBadge(v *view) []byte {
	label := "status"
	if v.name != "" {
		label = v.name + " status"
	}
	msg := badgeMessage(v.overall)
	lw := 10 + 7*utf8.RuneCountInString(label)
	mw := 10 + 7*utf8.RuneCountInString(msg)
	w := lw + mw
	title := label + ": " + v.overall.Description()
	if len(v.current) > 0 {
		title += " (" + v.current[0].Title + ")"
	}
	e := xmlEscape
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s">
<title>%s</title>
<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="%d" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/><rect width="%d" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="%d" y="14">%s</text><text x="%d" y="14">%s</text></g>
</svg>
`, w, e(title), e(title), w, lw, lw, mw, badgeColor[v.overall], w, lw/2, e(label), lw+mw/2, e(msg))
}

// xmlEscape escapes s as XML text or attribute value, replacing characters
// XML cannot hold, so the badge stays well-formed whatever a title holds.
func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
