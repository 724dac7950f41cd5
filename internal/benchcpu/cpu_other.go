//go:build !unix

package benchcpu

import "time"

// processCPU is -1: this platform's CPU time is not read.
func processCPU() time.Duration { return -1 }
