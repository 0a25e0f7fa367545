//go:build unix

package oncall

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used so far. Benchmarks
// report CPU per operation beside wall time: on a busy shared machine the
// wall time says more about the neighbours than about the code.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
