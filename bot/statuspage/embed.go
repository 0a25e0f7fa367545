package statuspage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"strings"
)

//go:embed embed.js
var embedJS []byte

// renderEmbedJS is embed.js with the current status document in it, so the
// widget shows the state at once, without a second request or CORS.
// encoding/json escapes <, >, &, U+2028 and U+2029, so the data can
// neither end a script element nor a JavaScript string.
func renderEmbedJS(v *view, publicURL string) ([]byte, error) {
	data, err := json.Marshal(statusDoc(v, publicURL))
	if err != nil {
		return nil, fmt.Errorf("encode embedded status: %w", err)
	}
	return bytes.Replace(embedJS, []byte("/*STATUS*/null"), data, 1), nil
}

// EmbedSnippet returns the HTML a team pastes into its own product to show
// the status published at publicURL (the page's address, ending in "/"):
// the script, and for browsers without JavaScript the badge as an image
// linking to the page.
func EmbedSnippet(publicURL, name string) string {
	if !strings.HasSuffix(publicURL, "/") {
		publicURL += "/"
	}
	u, alt := html.EscapeString(publicURL), html.EscapeString(strings.TrimSpace(name+" status"))
	return fmt.Sprintf(`<script src="%sembed.js" async></script>
<noscript><a href="%s"><img src="%sbadge.svg" alt="%s" height="20"></a></noscript>
`, u, u, u, alt)
}
