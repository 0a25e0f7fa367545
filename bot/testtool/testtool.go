// Package testtool lets tests use real programs (Alertmanager, promtool,
// Chromium, an SMTP server, node, git): a test skips when one is missing on
// a developer's machine, and fails in CI, which installs them all
// (.ci/install.d) and sets INCIDENTBOT_REQUIRE_TOOLS=1 so that a missing
// tool cannot pass for a passing test.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// required reports whether a missing tool fails the test (CI) rather than
// skipping it.
func required() bool { return os.Getenv("INCIDENTBOT_REQUIRE_TOOLS") == "1" }

// Missing ends tb because a tool it needs is missing: why says which and
// how to install it. It skips tb, or fails it when required.
func Missing(tb testing.TB, why string) {
	tb.Helper()
	if required() {
		tb.Fatalf("%s (INCIDENTBOT_REQUIRE_TOOLS=1)", why)
	}
	tb.Skip(why)
}

// LookPath returns the path of program name on the PATH, or ends tb with
// Missing, saying how to install it (install: a command, such as "bash
// .ci/install.d/alertmanager.sh").
func LookPath(tb testing.TB, name, install string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, name+" is not installed; "+install+" installs it")
	}
	return path
}
