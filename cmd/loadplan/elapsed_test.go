package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

const budgetStopPlan = `version: 1
name: cut
target: TARGET
tasks:
  ping:
    request: {method: GET, path: /ping}
    price: 0.01
    expect: {latency: {median: 5ms, p95: 5ms}}
scenarios:
  long: {users: 1, duration: 10m, wait: {constant: 20ms}}
`

// TestRunBudgetStopEstimateElapsed: a run stopped by its budget after a fraction of a second
// of a 10-minute scenario is compared with the estimate of the part that ran, not with the
// whole schedule; the full estimate stays in the summary.
func TestRunBudgetStopEstimateElapsed(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, 5*time.Millisecond)
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, budgetStopPlan, srv.URL), "--budget", "0.05",
		"--allow-over-budget", "--json", out, "--quiet")
	if code != summary.ExitBudget {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	el := s.EstimateElapsed
	if s.StopReason != summary.StopBudgetExhausted || el == nil || el.Cost.Expected == nil {
		t.Fatalf("stop %s, estimate_elapsed %+v", s.StopReason, el)
	}
	if el.ElapsedS <= 0 || el.ElapsedS > s.DurationS+1e-9 || el.ElapsedS >= 600 {
		t.Errorf("elapsed_s %v, duration_s %v", el.ElapsedS, s.DurationS)
	}
	// The full estimate is 10 min at one request per 25 ms (20 ms wait + 5 ms latency):
	// 24,000 requests (and half a request for the one at 0), $240.005. The part that ran is the same rate over
	// elapsed_s, within a request ($0.01) for the discrete count.
	var est struct {
		Cost struct{ Expected decimal.Decimal } `json:"cost"`
	}
	if err := json.Unmarshal(s.Estimate, &est); err != nil || est.Cost.Expected.LessThan(decimal.RequireFromString("240")) || est.Cost.Expected.GreaterThan(decimal.RequireFromString("240.01")) {
		t.Fatalf("the full estimate is not kept: %v %s", err, s.Estimate)
	}
	want := decimal.RequireFromString("0.01").Mul(decimal.NewFromInt(int64(el.ElapsedS/0.025) + 1)) // requests × price
	if d := el.Cost.Expected.Sub(want).Abs(); d.GreaterThan(decimal.RequireFromString("0.01")) {
		t.Errorf("estimate for %v s: %s, want %s", el.ElapsedS, el.Cost.Expected, want)
	}
	if e := summary.EstimateErrorPct(s.Actual.Cost, el.Cost.Expected); s.Actual.EstimateErrorPct == nil || *s.Actual.EstimateErrorPct != *e {
		t.Errorf("estimate_error_pct %v, want %v against the elapsed part", s.Actual.EstimateErrorPct, *e)
	}
	_, rep, _ := runCLI(t, "report", out)
	if !strings.Contains(rep, "estimate for the ") || !strings.Contains(rep, " s that ran $") || !strings.Contains(rep, "; full run $240.01") {
		t.Errorf("cost line:\n%s", rep)
	}
}

// TestRunCompletedNoEstimateElapsed: a run that ran its schedule has no estimate_elapsed.
func TestRunCompletedNoEstimateElapsed(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, time.Millisecond)
	out := filepath.Join(t.TempDir(), "out.json")
	code, _, stderr := runCLI(t, "run", writePlan(t, runPlan, srv.URL), "--scenario", "quick", "--json", out, "--quiet")
	if code == exitFailed || code == exitUsage {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if s := readSummary(t, out); s.EstimateElapsed != nil || s.Partial {
		t.Errorf("partial %v, estimate_elapsed %+v", s.Partial, s.EstimateElapsed)
	}
}
