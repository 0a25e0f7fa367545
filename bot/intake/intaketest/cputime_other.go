//go:build !unix

package intaketest

import "time"

// CPUTime returns 0 where getrusage is missing: benchmarks then report no
// CPU time.
func CPUTime() time.Duration { return 0 }
