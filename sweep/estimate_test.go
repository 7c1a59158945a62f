package sweep

import (
	"testing"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/planner"
	"github.com/shopspring/decimal"
)

// TestEstimateWorstCaseInSteps: the sweep's estimate is every ladder step plus each refine
// step at the top level: 5, 10, 40 and twice 40 requests/s for 2 s is 10+20+80+80+80 = 270
// requests.
func TestEstimateWorstCaseInSteps(t *testing.T) {
	t.Parallel()
	budget := decimal.RequireFromString("0.01")
	cfg, _ := setup(t, &budget, 5, 10, 40)
	cfg.Refine = 2
	est, err := Estimate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := est.Requests.Expected.Decimal(); !got.Equal(decimal.NewFromInt(270)) {
		t.Errorf("expected requests %s, want 270", got)
	}
	one, err := planner.EstimateScenario(cfg.Plan, mustStep(t, cfg, 40), cfg.Catalog, planner.Options{Budget: &budget})
	if err != nil {
		t.Fatal(err)
	}
	// 270 requests, 80 a top step: the sum is 3.375 times one top step.
	want := one.Cost.Expected.Mul(decimal.RequireFromString("3.375"))
	if !est.Cost.Expected.Equal(want) {
		t.Errorf("expected cost %s, want %s", est.Cost.Expected, want)
	}
	if est.WithinBudget == nil || *est.WithinBudget || est.Budget == nil || !est.Budget.Limit.Equal(budget) {
		t.Errorf("gate: within %v, budget %+v (expected cost %s)", est.WithinBudget, est.Budget, est.Cost.Expected)
	}
}

func mustStep(t *testing.T, cfg Config, level float64) *plan.Scenario {
	t.Helper()
	sc, err := StepScenario(cfg.Scenario, level, false, cfg.StepDuration)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
