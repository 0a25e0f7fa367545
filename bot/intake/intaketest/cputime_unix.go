//go:build unix

package intaketest

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time this process has used: user and system, all
// threads, GC included. Benchmarks report it per op beside wall time,
// because a busy shared machine inflates wall time but not CPU time.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
