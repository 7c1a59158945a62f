package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// --no-budget runs uncapped even when the scenario's own budget is below its estimate: there
// is no budget to gate on, and none is shown.
func TestRunNoBudgetIgnoresScenarioBudget(t *testing.T) {
	t.Parallel()
	srv, _ := slowServer(t, time.Millisecond)
	p := writePlan(t, strings.Replace(runPlan, "budget: 1.00", "budget: 0.000001", 1), srv.URL)
	if code, _, errOut := runCLI(t, "run", p, "--scenario", "quick"); code != exitGate {
		t.Fatalf("capped: exit %d, want 3: %s", code, errOut)
	}
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, errOut := runCLI(t, "run", p, "--scenario", "quick", "--no-budget", "--json", out)
	if code == exitGate || code == exitUsage {
		t.Fatalf("--no-budget: exit %d\n%s\n%s", code, stdout, errOut)
	}
	if s := readSummary(t, out); s.Budget != nil || s.Actual.Requests == 0 {
		t.Errorf("budget %v, requests %d", s.Budget, s.Actual.Requests)
	}
	if strings.Contains(stdout, "Budget: $") {
		t.Errorf("an uncapped run shows a budget:\n%s", stdout)
	}
}

func TestRunWithoutScenarioNamesThem(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "run", example)
	if code != exitUsage || strings.Contains(errOut, "--all") || !strings.Contains(errOut, "smoke, normal, peak, endurance") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestRunNoBudgetUnbounded: with --no-budget a step with no output bound is metered at what
// its responses report and never overruns.
func TestRunNoBudgetUnbounded(t *testing.T) {
	t.Parallel()
	srv, _ := usageServer(t, 0, "1000")
	plan := strings.Replace(overrunPlan, ", max_input_tokens: 20, max_output_tokens: 20", "", 1)
	plan = strings.Replace(plan, "{users: 3, duration: 1s,", "{users: 1, duration: 500ms,", 1)
	out := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCLI(t, "run", writePlan(t, plan, srv.URL), "--no-budget", "--json", out, "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, out)
	// 10 input and 1,000 output tokens at $3 and $15 per million: $0.01503 a response.
	want := decimal.RequireFromString("0.01503").Mul(decimal.NewFromInt(s.Actual.Requests))
	if s.StopReason != summary.StopCompleted || s.Meter.Overruns != 0 || s.Actual.Requests == 0 || !s.Actual.Cost.Equal(want) {
		t.Errorf("stop %s, %d requests, cost %s (want %s), meter %+v", s.StopReason, s.Actual.Requests, s.Actual.Cost, want, s.Meter)
	}
}

const freeNoWaitPlan = `version: 1
name: free
target: TARGET
tasks:
  ping: {request: {path: /ping}, price: free}
scenarios:
  s: {users: 1, duration: 300ms, wait: {constant: 0s}}
`

// TestRunFreeNoWait: a free plan with no wait and no expected latency has an unknown request
// count but a known cost of zero: it runs without a budget; a priced one fails the gate
// closed.
func TestRunFreeNoWait(t *testing.T) {
	t.Parallel()
	srv, hits := slowServer(t, 0)
	code, stdout, stderr := runCLI(t, "run", writePlan(t, freeNoWaitPlan, srv.URL), "--no-budget", "--quiet")
	if code != exitOK || hits.Load() == 0 {
		t.Errorf("--no-budget: exit %d, %d requests\n%s\n%s", code, hits.Load(), stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "run", writePlan(t, freeNoWaitPlan, srv.URL), "--budget", "1", "--quiet")
	if code != exitOK {
		t.Errorf("--budget 1: exit %d\n%s\n%s", code, stdout, stderr)
	}
	priced := strings.Replace(freeNoWaitPlan, "price: free", "price: 0.01", 1)
	n := hits.Load()
	code, stdout, stderr = runCLI(t, "run", writePlan(t, priced, srv.URL), "--budget", "1", "--quiet")
	if code != exitGate || hits.Load() != n {
		t.Errorf("priced: exit %d, want 3, %d requests sent\n%s\n%s", code, hits.Load()-n, stdout, stderr)
	}
}
