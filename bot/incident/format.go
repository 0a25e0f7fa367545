package incident

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// FormatDuration renders d for people: "45m", "1h 05m", "2d 3h". Durations
// under a minute show seconds; negative durations show as "0m". It is the
// one duration format of every message, card and document.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0m"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// MaxSlugLen is the longest slug Slug returns.
const MaxSlugLen = 50

// unaccent returns a transformer that strips the accents Unicode
// decomposes (é → e, ñ → n): compatibility decomposition, then the
// combining marks removed. A chain keeps buffers between calls, so it is
// made for each use: Slug runs in many goroutines at once.
func unaccent() transform.Transformer {
	return transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)))
}

// ligatures spells in ASCII the Latin letters that have no decomposition.
var ligatures = strings.NewReplacer("ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i")

// Slug turns a title into a name safe for files and Slack channels: lower
// case a-z, 0-9 and single hyphens, no hyphen at either end, at most
// MaxSlugLen bytes. Accented Latin letters are spelled in ASCII; other
// characters separate words. It returns "incident" when nothing is left.
func Slug(title string) string {
	folded, _, err := transform.String(unaccent(), strings.ToLower(title))
	if err != nil {
		folded = strings.ToLower(title)
	}
	folded = ligatures.Replace(folded)
	var b strings.Builder
	b.Grow(min(len(folded), MaxSlugLen))
	dash := false
	for _, r := range folded {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			dash = b.Len() > 0
			continue
		}
		if dash {
			if b.Len()+1 >= MaxSlugLen {
				break
			}
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
		if b.Len() >= MaxSlugLen {
			break
		}
	}
	if s := strings.Trim(b.String(), "-"); s != "" {
		return s
	}
	return "incident"
}
