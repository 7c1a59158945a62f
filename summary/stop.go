package summary

// StopReason says why a run ended (DESIGN.md).
type StopReason string

// The stop reasons of DESIGN.md, from the most ordinary to the one that wins when several
// apply (see Rank).
const (
	StopCompleted       StopReason = "completed"
	StopThresholdAbort  StopReason = "threshold_abort"
	StopBudgetExhausted StopReason = "budget_exhausted"
	StopOverrun         StopReason = "overrun"
	StopError           StopReason = "error"
	StopInterrupted     StopReason = "interrupted"
	// StopLedgerUnreachable: the shared ledger (Redis) was unreachable past its grace period,
	// or this worker's lease lapsed; nothing was sent that was not reserved. Exit code 5.
	StopLedgerUnreachable StopReason = "ledger_unreachable"
	// StopKilled: the run was killed (SIGKILL, a crash, the machine lost) and its summary was
	// recovered from its journal (loadplan report recover): partial, its cost counting what
	// was reserved for the requests then in flight as spent. Exit code 130, as interrupted:
	// the run was ended from outside, before its end, and is no verdict on the target.
	StopKilled StopReason = "killed"
)

// The exit codes of a run that started (DESIGN.md, "Exit codes"; scripts depend on them).
// The codes of a run refused before it started (2: bad usage, 3: the gate) are the CLI's.
const (
	ExitPass        = 0   // ran, thresholds passed
	ExitThresholds  = 1   // thresholds failed, or threshold_abort
	ExitBudget      = 4   // stopped by the budget: budget_exhausted or overrun
	ExitError       = 5   // could not run or failed: error
	ExitInterrupted = 130 // interrupted
)

// Rank orders the stop reasons as DESIGN.md orders the exit codes when several apply:
// killed and interrupted (130), then error and ledger_unreachable (5), then overrun and budget_exhausted (4), then
// threshold_abort (1), then completed. A run's outcome is the reason of highest rank among
// all those it was given (an overrun after the scenario's end is an overrun); the summary of
// several workers stops for the highest of theirs.
func (r StopReason) Rank() int {
	switch r {
	case StopKilled:
		return 6
	case StopInterrupted:
		return 5
	case StopError, StopLedgerUnreachable:
		return 4
	case StopOverrun:
		return 3
	case StopBudgetExhausted:
		return 2
	case StopThresholdAbort:
		return 1
	}
	return 0
}

// ExitCode is the exit code of a run that stopped for r with the thresholds' verdict pass:
// 130, then 5, then 4, then 1 when several apply (DESIGN.md).
func (r StopReason) ExitCode(pass bool) int {
	switch r {
	case StopInterrupted, StopKilled:
		return ExitInterrupted
	case StopError, StopLedgerUnreachable:
		return ExitError
	case StopOverrun, StopBudgetExhausted:
		return ExitBudget
	case StopThresholdAbort:
		return ExitThresholds
	}
	if !pass {
		return ExitThresholds
	}
	return ExitPass
}
