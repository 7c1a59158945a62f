package summary

import "testing"

// TestStopReasonOrder: DESIGN.md's order when several reasons apply (130, then 5, then 4,
// then 1, then 0) is both the ranking and the exit code.
func TestStopReasonOrder(t *testing.T) {
	t.Parallel()
	order := []StopReason{StopCompleted, StopThresholdAbort, StopBudgetExhausted, StopOverrun, StopError, StopInterrupted, StopKilled}
	for i := 1; i < len(order); i++ {
		if order[i].Rank() <= order[i-1].Rank() {
			t.Errorf("%s ranks %d, not above %s (%d)", order[i], order[i].Rank(), order[i-1], order[i-1].Rank())
		}
		if order[i].ExitCode(true) < order[i-1].ExitCode(true) {
			t.Errorf("%s exits %d, below %s (%d)", order[i], order[i].ExitCode(true), order[i-1], order[i-1].ExitCode(true))
		}
	}
	tests := []struct {
		reason StopReason
		pass   bool
		want   int
	}{
		{StopCompleted, true, 0},
		{StopCompleted, false, 1}, // thresholds failed
		{StopThresholdAbort, true, 1},
		{StopThresholdAbort, false, 1},
		{StopBudgetExhausted, true, 4},
		{StopBudgetExhausted, false, 4}, // 4 before 1
		{StopOverrun, false, 4},
		{StopError, false, 5},
		{StopInterrupted, false, 130},
		{StopInterrupted, true, 130},
		{StopKilled, true, 130}, // recovered from a journal: ended from outside, as interrupted
		{"", true, 0},           // an unknown reason ranks with completed
	}
	for _, tc := range tests {
		if got := tc.reason.ExitCode(tc.pass); got != tc.want {
			t.Errorf("%q pass=%v: exit %d, want %d", tc.reason, tc.pass, got, tc.want)
		}
	}
}
