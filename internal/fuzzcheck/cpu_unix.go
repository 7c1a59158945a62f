//go:build unix

package fuzzcheck

import (
	"syscall"
	"time"
)

// spent is the CPU time the process has used, user and system: unlike the wall clock, it
// does not advance while the process waits for a CPU on a busy machine.
func spent() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return wall()
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
