//go:build !unix

package oncall

import "time"

// processCPU is unknown here; benchmarks then report no CPU metric.
func processCPU() time.Duration { return 0 }
