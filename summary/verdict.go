package summary

import (
	"strings"

	"github.com/loadplan/loadplan/plan"
)

// Verdict says in one word what happened to a run: the word of the terminal summary, the
// HTML badge, report, compare and merge. A run stopped by its budget is never PASS, whatever
// its thresholds said about the part that ran.
type Verdict string

// The verdicts, one per outcome (Run.Verdict).
const (
	VerdictPass        Verdict = "PASS"              // completed, every threshold passed
	VerdictFail        Verdict = "FAIL"              // a threshold failed, or threshold_abort
	VerdictBudget      Verdict = "STOPPED AT BUDGET" // budget_exhausted
	VerdictOverrun     Verdict = "OVERRUN"           // a response cost more than its reservation
	VerdictInterrupted Verdict = "INTERRUPTED"       // Ctrl-C or SIGTERM
	VerdictKilled      Verdict = "KILLED"            // recovered from the journal of a killed run
	VerdictError       Verdict = "ERROR"             // error, ledger_unreachable
)

// Verdict is the run's verdict, from its stop reason and, for a run that completed, its
// thresholds. It is the one place the verdict is decided.
func (r *Run) Verdict() Verdict {
	switch r.StopReason {
	case StopInterrupted:
		return VerdictInterrupted
	case StopKilled:
		return VerdictKilled
	case StopError, StopLedgerUnreachable:
		return VerdictError
	case StopOverrun:
		return VerdictOverrun
	case StopBudgetExhausted:
		return VerdictBudget
	case StopThresholdAbort:
		return VerdictFail
	}
	if !r.Pass {
		return VerdictFail
	}
	return VerdictPass
}

// Stopped reports whether the verdict is about how the run stopped rather than its
// thresholds (the thresholds were judged on the part that ran, and are listed beneath).
func (v Verdict) Stopped() bool {
	return v != VerdictPass && v != VerdictFail
}

// FailedThresholds names the thresholds that failed: "p95 (plan)", "failure_rate (implicit)".
func (r *Run) FailedThresholds() []string {
	var out []string
	for _, t := range r.Thresholds {
		if t.Pass {
			continue
		}
		scope := t.ScopeText()
		if t.Implicit {
			scope = "implicit"
		}
		out = append(out, t.Name+" ("+scope+")")
	}
	return out
}

// ImplicitFailureRate is the threshold that applies when no scope sets failure_rate: any
// failed request fails the run, as Locust's --exit-code-on-error does.
var ImplicitFailureRate = plan.Threshold{Kind: plan.ThFailureRate, Scope: "plan", Text: "0%"}

// HasFailureRate reports whether a failure_rate threshold is set at any scope.
func HasFailureRate(ths []ThresholdResult) bool {
	for _, t := range ths {
		if t.Name == string(plan.ThFailureRate) && !t.Implicit {
			return true
		}
	}
	return false
}

// JudgeImplicit judges the implicit failure_rate threshold on f: it passes when no request
// failed (a run with no request has no failure: it passes, unlike an explicit threshold).
func JudgeImplicit(f Figures) ThresholdResult {
	res := Judge(ImplicitFailureRate, f)
	if f.Requests == 0 {
		res.Actual, res.Pass = "0%", true
	}
	res.Implicit = true
	return res
}

// AddImplicitThresholds adds the implicit failure_rate threshold to r when none of its
// thresholds is a failure_rate at any scope, and updates r.Pass. Calling it twice adds it
// once.
func (r *Run) AddImplicitThresholds() {
	for _, t := range r.Thresholds {
		if t.Name == string(plan.ThFailureRate) {
			return
		}
	}
	f, _, _ := r.Figures("plan")
	res := JudgeImplicit(f)
	r.Thresholds = append(r.Thresholds, res)
	r.Pass = r.Pass && res.Pass
}

// onlyImplicitFailed reports whether every failed threshold is the implicit one (and one
// failed).
func (r *Run) onlyImplicitFailed() bool {
	failed := false
	for _, t := range r.Thresholds {
		if !t.Pass {
			if !t.Implicit {
				return false
			}
			failed = true
		}
	}
	return failed
}

// Exit is the exit code of r: StopReason.ExitCode, except that a completed run whose only
// failed threshold is the implicit failure_rate exits with onError (Locust's
// --exit-code-on-error, default ExitThresholds).
func (r *Run) Exit(onError int) int {
	if r.StopReason == StopCompleted && !r.Pass && r.onlyImplicitFailed() {
		return onError
	}
	return r.StopReason.ExitCode(r.Pass)
}

// ThresholdsText is the thresholds' verdict in a few words: "pass", "FAIL: p95 (plan)",
// "none"; judged on the part that ran for a run that stopped early.
func (r *Run) ThresholdsText() string {
	if len(r.Thresholds) == 0 {
		return "none"
	}
	if failed := r.FailedThresholds(); len(failed) > 0 {
		return "FAIL: " + strings.Join(failed, ", ")
	}
	return "pass"
}
