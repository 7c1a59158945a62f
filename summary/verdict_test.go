package summary

import (
	"testing"
	"time"

	"github.com/loadplan/loadplan/planner"
)

func TestVerdict(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		reason StopReason
		pass   bool
		want   Verdict
	}{
		{StopCompleted, true, VerdictPass},
		{StopCompleted, false, VerdictFail},
		{StopThresholdAbort, false, VerdictFail},
		// A run stopped by its budget is never PASS, whatever its thresholds said.
		{StopBudgetExhausted, true, VerdictBudget},
		{StopBudgetExhausted, false, VerdictBudget},
		{StopOverrun, true, VerdictOverrun},
		{StopInterrupted, true, VerdictInterrupted},
		{StopError, true, VerdictError},
		{StopLedgerUnreachable, true, VerdictError},
	} {
		r := &Run{StopReason: tc.reason, Pass: tc.pass}
		if got := r.Verdict(); got != tc.want {
			t.Errorf("%s pass=%v: verdict %q, want %q", tc.reason, tc.pass, got, tc.want)
		}
	}
}

// TestImplicitFailureRate: with no failure_rate threshold at any scope, any failed request
// fails the run (Locust's --exit-code-on-error, default 1), with the code given.
func TestImplicitFailureRate(t *testing.T) {
	t.Parallel()
	run := func(requests, failures int64, ths ...ThresholdResult) *Run {
		return &Run{StopReason: StopCompleted, Pass: true, DurationS: 10, Thresholds: ths,
			Actual: Actual{Requests: requests, Failures: failures}}
	}
	// 30 requests, 17 failed, no threshold: FAIL, exit 1, or the code given.
	r := run(30, 17)
	r.AddImplicitThresholds()
	r.AddImplicitThresholds() // once only
	if len(r.Thresholds) != 1 || !r.Thresholds[0].Implicit || r.Thresholds[0].Pass || r.Thresholds[0].Actual != "56.67%" || r.Thresholds[0].Limit != "0%" {
		t.Fatalf("thresholds %+v, want one implicit failure_rate 0%% failing at 56.67%%", r.Thresholds)
	}
	if r.Pass || r.Verdict() != VerdictFail || r.Exit(ExitThresholds) != 1 || r.Exit(3) != 3 || r.Exit(0) != 0 {
		t.Errorf("pass %v verdict %s exit %d/%d/%d, want false FAIL 1/3/0", r.Pass, r.Verdict(), r.Exit(1), r.Exit(3), r.Exit(0))
	}
	if got := r.FailedThresholds(); len(got) != 1 || got[0] != "failure_rate (implicit)" {
		t.Errorf("failed %q", got)
	}
	// No failure: it passes, and a run with no request at all has no failure.
	for _, r := range []*Run{run(30, 0), run(0, 0)} {
		r.AddImplicitThresholds()
		if !r.Pass || r.Exit(7) != 0 || len(r.Thresholds) != 1 {
			t.Errorf("%d requests, no failure: pass %v exit %d thresholds %+v", r.Actual.Requests, r.Pass, r.Exit(7), r.Thresholds)
		}
	}
	// A failure_rate at any scope (here a task's) replaces it.
	r = run(30, 17, ThresholdResult{Name: "failure_rate", Scope: ScopeTask, Task: "chat", Limit: "50%", Actual: "10%", Pass: true})
	r.AddImplicitThresholds()
	if len(r.Thresholds) != 1 || !r.Pass {
		t.Errorf("explicit failure_rate: %+v pass %v", r.Thresholds, r.Pass)
	}
	// Another threshold failing as well: exit 1 whatever --exit-code-on-error says.
	r = run(30, 17, ThresholdResult{Name: "p95", Scope: "plan", Limit: "1s", Actual: "2s", Pass: false})
	r.Pass = false
	r.AddImplicitThresholds()
	if r.Exit(3) != 1 {
		t.Errorf("p95 and implicit failed: exit %d, want 1", r.Exit(3))
	}
	// Stopped by the budget: exit 4 and STOPPED AT BUDGET whatever the thresholds.
	r = run(30, 17)
	r.StopReason = StopBudgetExhausted
	r.AddImplicitThresholds()
	if r.Exit(3) != 4 || r.Verdict() != VerdictBudget || r.ThresholdsText() != "FAIL: failure_rate (implicit)" {
		t.Errorf("budget: exit %d verdict %s thresholds %q", r.Exit(3), r.Verdict(), r.ThresholdsText())
	}
}

// TestMergeImplicitFailureRate: workers with failed requests and no failure_rate merge into
// a failed run whose implicit threshold is judged on the merged counts.
func TestMergeImplicitFailureRate(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)
	a := workerSummary(t, t0, map[string][]int64{"a": {1000, 2000}}, map[string]string{"a": "0.01"}, nil)
	b := workerSummary(t, t0, map[string][]int64{"a": {1000, 2000}}, map[string]string{"a": "0.01"}, nil)
	a.Thresholds, b.Thresholds = nil, nil
	m, err := Merge(planner.MergeEstimates, a, b)
	if err != nil {
		t.Fatal(err)
	}
	// 2 failures in 4 requests.
	if m.Pass || m.ExitCode != 1 || len(m.Thresholds) != 1 || !m.Thresholds[0].Implicit || m.Thresholds[0].Actual != "50%" {
		t.Errorf("merged: pass %v exit %d thresholds %+v", m.Pass, m.ExitCode, m.Thresholds)
	}
}
