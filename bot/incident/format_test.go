package incident_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestSlug(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Checkout fails for EU customers", "checkout-fails-for-eu-customers"},
		{"  API: 502s on /v1/orders!!  ", "api-502s-on-v1-orders"},
		{"Café down – Straße gesperrt, Øresund", "cafe-down-strasse-gesperrt-oresund"},
		{"数据库 down 🔥", "down"},
		{"数据库 🔥", "incident"},
		{"", "incident"},
		{"---", "incident"},
		{"**bold** |pipe| `code` &amp; [link](x)", "bold-pipe-code-amp-link-x"},
		{strings.Repeat("abcdefghi ", 10), "abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi"},
		{strings.Repeat("a", 49) + " bcd", strings.Repeat("a", 49)},
		{strings.Repeat("é", 60), strings.Repeat("e", 50)},
		{"Ærø: Łódź łódź Ðað ﬁle ½", "aero-lodz-lodz-dad-file-1-2"},
		{"Crème brûlée\u0301 naïve", "creme-brulee-naive"},
	} {
		if got := incident.Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := incident.Slug(tt.in); len(got) > incident.MaxSlugLen || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Errorf("Slug(%q) = %q: not a slug", tt.in, got)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "0m"}, {0, "0m"}, {30 * time.Second, "30s"}, {45 * time.Minute, "45m"},
		{time.Hour + 5*time.Minute + 59*time.Second, "1h 05m"}, {23*time.Hour + 59*time.Minute, "23h 59m"},
		{51 * time.Hour, "2d 3h"},
	} {
		if got := incident.FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
