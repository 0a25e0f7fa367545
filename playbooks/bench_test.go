package playbooks_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/playbooks"
)

// BenchmarkAssemble is the startup cost of the built-in playbooks: read,
// check, merge and validate.
func BenchmarkAssemble(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := playbooks.Assemble("", defaultKnown); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchDeclare is the per-declare cost of choosing playbooks.
func BenchmarkMatchDeclare(b *testing.B) {
	pbs, err := playbooks.Assemble("", defaultKnown)
	if err != nil {
		b.Fatal(err)
	}
	f := playbooks.Facts{Type: "security", Severity: "critical"}
	b.ReportAllocs()
	for b.Loop() {
		_, matched := playbooks.MatchDeclare(pbs, f)
		playbooks.Combine(matched)
	}
}
