package outbound

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/bot/manifest"
)

// TestClient_EveryMethodHasItsScope reads the client's source for every
// Web API method it calls and checks that the app manifest declares a
// scope that allows it: a workspace installs the app with exactly those
// scopes, and Slack refuses a call without one (missing_scope).
func TestClient_EveryMethodHasItsScope(t *testing.T) {
	files, err := filepath.Glob("client*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src []byte
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	calls := regexp.MustCompile(`c\.call\(ctx, "([a-zA-Z_.]+)"`).FindAllSubmatch(src, -1)
	if len(calls) < 20 {
		t.Fatalf("found %d methods in client.go; has the call pattern changed?", len(calls))
	}
	m := manifest.Default()
	for _, c := range calls {
		method := string(c[1])
		switch method {
		case "auth.test":
			continue // needs no scope
		case "response_url", "files.upload":
			continue // not Web API methods: the response_url and the upload URL Slack hands out
		}
		scopes, ok := manifest.ScopesFor(method)
		if !ok {
			t.Errorf("%s: not in the manifest's method table", method)
			continue
		}
		allowed := len(scopes) == 0
		for _, s := range scopes {
			allowed = allowed || m.HasScope(s)
		}
		if !allowed {
			t.Errorf("%s needs one of %v; the manifest declares none of them", method, scopes)
		}
	}
}
