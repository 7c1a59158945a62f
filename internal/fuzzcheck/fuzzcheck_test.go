package fuzzcheck

import (
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps the errors it is given.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, format)
}

var sink [][]byte

// TestCheck: an input that allocates past its budget fails, one within it does not. The
// count is the runtime's, exact to the allocation.
func TestCheck(t *testing.T) {
	b := Budget{AllocBase: 1 << 20, AllocPerByte: 1024}
	over := &recorder{TB: t}
	b.Check(over, 1000, func() { sink = append(sink, make([]byte, 4<<20)) }) // 4 MiB > 1 MiB + 1000 KiB
	within := &recorder{TB: t}
	b.Check(within, 1000, func() { sink = append(sink, make([]byte, 1<<20)) }) // 1 MiB < 1 MiB + 1000 KiB
	sink = nil
	if len(over.errs) != 1 || !strings.Contains(over.errs[0], "allocated") {
		t.Errorf("4 MiB against a budget of 2 MiB: %q", over.errs)
	}
	if len(within.errs) != 0 {
		t.Errorf("1 MiB against a budget of 2 MiB: %q", within.errs)
	}
}

// TestCheckTime: an input that spends its time budget on the CPU fails; one that waits (the
// process descheduled, a sleep) does not.
func TestCheckTime(t *testing.T) {
	b := Budget{AllocBase: 1 << 20, Time: 50 * time.Millisecond}
	if raceEnabled {
		t.Skip("the race detector's budget is ten times as long")
	}
	busy := &recorder{TB: t}
	b.Check(busy, 1, func() {
		for start := spent(); spent()-start < 100*time.Millisecond; {
		}
	})
	waiting := &recorder{TB: t}
	b.Check(waiting, 1, func() { time.Sleep(100 * time.Millisecond) })
	if len(busy.errs) != 1 || !strings.Contains(busy.errs[0], "of CPU") {
		t.Errorf("100 ms of CPU against a budget of 50 ms: %q", busy.errs)
	}
	if len(waiting.errs) != 0 {
		t.Errorf("100 ms asleep against a budget of 50 ms of CPU: %q", waiting.errs)
	}
}
