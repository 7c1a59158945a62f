// Package fuzzcheck holds a fuzz target to a budget for each input: the bytes it may
// allocate and the time it may take, given the input's size. A parser that stays within
// them cannot be turned into a memory or time bomb by a small file (an alias bomb, a count
// of 4.6e18 users looped over), and the fuzzer finds one that does not.
//
//	var budget = fuzzcheck.Budget{AllocBase: 32 << 20, AllocPerByte: 512}
//	f.Fuzz(func(t *testing.T, data []byte) {
//		budget.Check(t, len(data), func() { _, _ = Parse("fuzz", data) })
//	})
//
// Allocation is the runtime's count of heap bytes allocated, and time the CPU time of the
// process (user and system), both process-wide: a fuzz worker runs one input at a time, and
// go test runs the seed corpus after every other test has ended. CPU time, not the wall
// clock, because the machine may be busy: a fuzz worker descheduled for 3 s failed a 34-byte
// input that takes a millisecond. The time bound is a generous hang detector (ten times
// longer under the race detector), not a performance claim: those are benchmarks.
package fuzzcheck

import (
	"runtime/metrics"
	"testing"
	"time"
)

// Budget is what one input of n bytes may cost: AllocBase + AllocPerByte×n bytes allocated,
// and Time of CPU (DefaultTime when zero).
type Budget struct {
	AllocBase    uint64
	AllocPerByte uint64
	Time         time.Duration
}

// DefaultTime is the CPU time an input may take when the budget does not say.
const DefaultTime = 2 * time.Second

const allocMetric = "/gc/heap/allocs:bytes"

// Check runs fn, the work on an input of n bytes, and fails t if it went over the budget.
func (b Budget) Check(t testing.TB, n int, fn func()) {
	t.Helper()
	limit := b.AllocBase + b.AllocPerByte*uint64(n)
	timeLimit := b.Time
	if timeLimit == 0 {
		timeLimit = DefaultTime
	}
	if raceEnabled {
		timeLimit *= 10
	}
	before := allocated()
	start := spent()
	fn()
	took := spent() - start
	if got := allocated() - before; got > limit {
		t.Errorf("an input of %d bytes allocated %d bytes; the budget is %d (%d + %d per byte)", n, got, limit, b.AllocBase, b.AllocPerByte)
	}
	if took > timeLimit {
		t.Errorf("an input of %d bytes took %s of CPU; the budget is %s", n, took, timeLimit)
	}
}

// wall is the time since the process started, monotonic.
func wall() time.Duration { return time.Since(processStart) }

var processStart = time.Now()

// allocated is the number of heap bytes allocated so far by the process.
func allocated() uint64 {
	s := []metrics.Sample{{Name: allocMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
