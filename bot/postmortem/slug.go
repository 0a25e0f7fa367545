package postmortem

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// MaxSlugLen is the longest slug Slug returns.
const MaxSlugLen = 50

// fold spells common accented Latin letters in ASCII, so that "Café" slugs
// to "cafe" rather than "caf". Letters not listed become separators.
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ą': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'č': "c", 'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ę': "e", 'ě': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ı': "i", 'ł': "l", 'ľ': "l",
	'ñ': "n", 'ń': "n", 'ň': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o",
	'ö': "o", 'ø': "o", 'ő': "o", 'œ': "oe", 'ř': "r", 'ś': "s", 'š': "s",
	'ş': "s", 'ß': "ss", 'ť': "t", 'ţ': "t", 'þ': "th", 'ù': "u", 'ú': "u",
	'û': "u", 'ü': "u", 'ů': "u", 'ű': "u", 'ý': "y", 'ÿ': "y", 'ź': "z",
	'ż': "z", 'ž': "z",
}

// Slug turns a title into a name safe for files and Slack channels: lower
// case a-z, 0-9 and single hyphens, no hyphen at either end, at most
// MaxSlugLen bytes. Common accented letters are folded to ASCII; other
// characters separate words. It returns "incident" when nothing is left.
func Slug(title string) string {
	var b strings.Builder
	b.Grow(min(len(title), MaxSlugLen+8))
	dash := false
	for _, r := range strings.ToLower(title) {
		var s string
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			s = string(r)
		default:
			s = fold[r]
		}
		if s == "" {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
		if b.Len() >= MaxSlugLen {
			break
		}
	}
	slug := b.String()
	if len(slug) > MaxSlugLen {
		slug = slug[:MaxSlugLen]
	}
	slug = strings.Trim(slug, "-")
	if slug == "" {
		return "incident"
	}
	return slug
}

// FileName names the postmortem of inc:
// "YYYY-MM-DD-inc-<number>-<slug>.md", dated by DeclaredAt in UTC.
func FileName(inc *incident.Incident) string {
	return fmt.Sprintf("%s-inc-%d-%s.md", inc.DeclaredAt.UTC().Format(time.DateOnly), inc.ID, Slug(inc.Title))
}
