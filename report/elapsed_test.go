package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loadplan/loadplan/summary"
	"github.com/shopspring/decimal"
)

// TestCostLineElapsedEstimate: a partial run's cost is set beside the estimate of what it ran
// (the error against that), and the full run's estimate after it.
func TestCostLineElapsedEstimate(t *testing.T) {
	t.Parallel()
	d := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	s := &summary.Run{Estimate: []byte(`{"cost": {"low": "8", "expected": "10.62", "worst": "30"}}`),
		Budget: &summary.Budget{Limit: decimal.RequireFromString("0.50"), Currency: "USD"}}
	s.Actual.Cost = decimal.RequireFromString("0.47")
	s.Actual.EstimateErrorPct = summary.EstimateErrorPct(s.Actual.Cost, d("10.62"))
	full := "Cost: $0.47; estimate $10.62 (-95.6%); budget $0.50 (94% used)"
	if got := CostLine(s); got != full {
		t.Errorf("completed:\n got %s\nwant %s", got, full)
	}
	// (0.47 - 0.52) / 0.52 = -9.615 %
	s.SetEstimateElapsed(&summary.ElapsedEstimate{ElapsedS: 29.6, Cost: summary.ElapsedCost{Low: d("0.4"), Expected: d("0.52"), Worst: d("1.5")}})
	want := "Cost: $0.47; estimate for the 29.6 s that ran $0.52 (-9.6%); full run $10.62; budget $0.50 (94% used)"
	if got := CostLine(s); got != want {
		t.Errorf("partial:\n got %s\nwant %s", got, want)
	}
}

// TestUnreachableSummary: a run whose target never answered says so, lists the failures,
// and draws no table of rates (the speed of refused connections is not the target's).
func TestUnreachableSummary(t *testing.T) {
	t.Parallel()
	s := &summary.Run{Plan: "ai", Scenario: "smoke", Target: "http://127.0.0.1:1", StopReason: summary.StopError,
		StopDetail: "target http://127.0.0.1:1 unreachable: connection refused", ExitCode: summary.ExitError,
		Actual:   summary.Actual{Requests: 10, Failures: 10, RPS: 5131.51},
		Failures: []summary.Failure{{Task: "on_start.login", Method: "POST", Error: "connection refused", Occurrences: 10}},
		Tasks:    []summary.TaskStats{{Name: "on_start.login", Method: "POST", Requests: 10, Failures: 10, RPS: 5131.51}}}
	var b bytes.Buffer
	if err := RunSummary(&b, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "unreachable.golden", b.Bytes())
	if strings.Contains(b.String(), "5131") {
		t.Errorf("a rate of refused connections is shown:\n%s", b.String())
	}
}
