//go:build !unix

package fuzzcheck

import "time"

// spent is the wall clock where the process's CPU time is not at hand.
func spent() time.Duration { return wall() }
