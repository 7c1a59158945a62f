package executor

import (
	"os"
	"testing"

	"github.com/loadplan/loadplan/internal/testenv"
)

// Most tests here run a scenario for a second or more against a local server: they wait on
// the clock far more than they compute, so they run in parallel (t.Parallel), more at once
// than the machine has cores.
//
// Some are not parallel: those that count what a fixed duration lets through (at least N
// requests, a fault seen among them, users started by a ramp, requests paced to the
// millisecond, a scrape settled before the end). They run first, one at a time, before the
// parallel ones start, so that a busy test binary does not starve them below their counts.
// TestPropertyBudgetCap keeps its runs to GOMAXPROCS at once for the same reason.
func TestMain(m *testing.M) {
	testenv.WaitingTests(8)
	os.Exit(m.Run())
}
