package plan

import (
	"fmt"
	"math"
	"time"
)

// The largest values a plan, or a command-line override of it, may give. They are far past
// any load test one process can run; they exist so that the arithmetic on them cannot
// overflow (a scenario's users × seconds × rate stays below 2^53, where a float64 still
// counts exactly, and a duration below time.Duration's 292 years) and so that a slip of the
// keyboard (users: 9223372036854775807) is a located error, not a crash or an estimate of
// nonsense that passes a budget gate.
const (
	// MaxUsers bounds a scenario's users and each stage's, per process: a larger load is
	// spread over workers (loadplan report merge).
	MaxUsers = 10_000_000
	// MaxInFlight bounds an open scenario's max_in_flight.
	MaxInFlight = MaxUsers
	// MaxDuration bounds every duration: a scenario's, its stages' in all, waits, timeouts,
	// latencies and thresholds.
	MaxDuration = 365 * 24 * time.Hour
	// MaxRate bounds every rate, per second: arrival_rate, spawn_rate, an rps threshold and
	// the command line's --rate.
	MaxRate = 10_000_000
	// MaxStages bounds a scenario's stages.
	MaxStages = 1_000
	// MaxTokens bounds a request's expected token counts (expect.*_tokens), per request.
	MaxTokens = 100_000_000
	// MaxWeight bounds a task's weight.
	MaxWeight = 1_000_000
	// MaxRetries bounds a request's retry.max.
	MaxRetries = 10
	// MaxRPM and MaxTPM bound rate_limit: requests and tokens per minute (tpm, itpm, otpm).
	MaxRPM = 60 * MaxRate
	MaxTPM = 1_000_000_000_000
)

// CheckUsers checks a number of users given outside a plan file (--users).
func CheckUsers(n int) error {
	switch {
	case n < 0:
		return fmt.Errorf("%d users is negative; give 1 or more", n)
	case n > MaxUsers:
		return fmt.Errorf("%d users is too many; at most %d per process (spread a larger load over workers)", n, MaxUsers)
	}
	return nil
}

// CheckDuration checks a duration given outside a plan file (--run-time, --stop-timeout).
func CheckDuration(d time.Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("%s is negative; a duration is 0 or more", d)
	case d > MaxDuration:
		return fmt.Errorf("%s is longer than a year; a duration is at most %s", d, FormatDuration(MaxDuration))
	}
	return nil
}

// CheckRate checks a rate per second read as a number (--spawn-rate, spawn_rate: 5): a
// finite number from 0 to MaxRate. NaN and infinities are not numbers here.
func CheckRate(perSecond float64) error {
	switch {
	case math.IsNaN(perSecond) || math.IsInf(perSecond, 0):
		return fmt.Errorf("%g is not a number", perSecond)
	case perSecond < 0:
		return fmt.Errorf("%g is negative; a rate is 0 or more", perSecond)
	case perSecond > MaxRate:
		return fmt.Errorf("%g per second is too fast; at most %d per second", perSecond, MaxRate)
	}
	return nil
}

// CheckTokens checks a number of tokens per request given outside a plan file
// (--input-tokens).
func CheckTokens(n int64) error {
	switch {
	case n < 0:
		return fmt.Errorf("%d tokens is negative; give 0 or more", n)
	case n > MaxTokens:
		return fmt.Errorf("%d tokens is too many; at most %d per request", n, MaxTokens)
	}
	return nil
}
