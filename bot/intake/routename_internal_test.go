package intake

import (
	"regexp"
	"strings"
	"testing"
)

// routeNamePattern is what validRouteName checks, written as the regular
// expression it replaced (too costly to keep compiled in the bot).
var routeNamePattern = `^[\pL\pN _.:/-]{1,80}$`

// FuzzValidRouteName checks validRouteName against the regular
// expression, on any input.
func FuzzValidRouteName(f *testing.F) {
	re := regexp.MustCompile(routeNamePattern)
	for _, s := range []string{"", "page", "Paging: DB/primary-1", "ünïcødé 名前 ٣", strings.Repeat("a", 80), strings.Repeat("é", 81),
		"tab\there", "emoji 🔥", "\xff", "a\x00b", "Ⅻ roman numeral", "x½"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validRouteName(s), re.MatchString(s); got != want {
			t.Errorf("validRouteName(%q) = %v, the regular expression says %v", s, got, want)
		}
	})
}
