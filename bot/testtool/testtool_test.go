package testtool

import "testing"

// TestMissingSkips: away from CI a missing tool skips the test; a program
// on the PATH is found.
func TestMissingSkips(t *testing.T) {
	t.Setenv("INCIDENTBOT_REQUIRE_TOOLS", "")
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		LookPath(t, "incidentbot-no-such-tool", "nothing")
		t.Error("LookPath went on without the tool")
	})
	if !skipped {
		t.Error("a missing tool did not skip the test")
	}
	if p := LookPath(t, "sh", "apt-get install dash"); p == "" {
		t.Error("sh not found")
	}
}
