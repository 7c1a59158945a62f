package fuzzcheck

import (
	"strings"
	"testing"
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
