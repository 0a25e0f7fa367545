//go:build !unix

package postmortem_test

import "time"

// cpuTime is unknown on this platform.
func cpuTime() time.Duration { return 0 }
