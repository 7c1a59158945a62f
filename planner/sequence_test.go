package planner

import (
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
)

// TestEstimateSequence: steps at 2/s, 4/s and 6/s for 10 s each are 20 + 40 + 60 = 120
// requests at $0.01 flat: $1.20, gated against the budget like one scenario: within at
// $1.20, over a cent under it.
func TestEstimateSequence(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{Name: "p", Tasks: []*plan.Task{flatTask("a", 1, "0.01")}}
	var steps []*plan.Scenario
	for _, r := range []float64{2, 4, 6} {
		steps = append(steps, &plan.Scenario{Name: "s", ArrivalRate: plan.Rate{PerSecond: r}, Duration: 10 * time.Second, MaxInFlight: 10})
	}
	for _, tc := range []struct {
		budget string
		within bool
	}{{"1.20", true}, {"1.19", false}} {
		b := dec(tc.budget)
		sum, parts, err := EstimateSequence(p, "s sweep", steps, pricing.Default(), Options{Budget: &b})
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != 3 || !parts[2].Cost.Expected.Equal(dec("0.6")) {
			t.Fatalf("parts: %d, the last %v", len(parts), parts[len(parts)-1].Cost.Expected)
		}
		if !sum.Requests.Expected.Decimal().Equal(dec("120")) || !sum.Cost.Expected.Equal(dec("1.2")) ||
			!sum.Cost.Worst.Equal(dec("1.2")) || sum.Duration != "30s" || sum.Name != "s sweep" {
			t.Errorf("sum: %v requests, %v / %v, %s, %s", sum.Requests.Expected, sum.Cost.Expected, sum.Cost.Worst, sum.Duration, sum.Name)
		}
		if sum.WithinBudget == nil || *sum.WithinBudget != tc.within || sum.Gate != GateExpected {
			t.Errorf("budget %s: within %v, want %v", tc.budget, sum.WithinBudget, tc.within)
		}
	}
	if _, _, err := EstimateSequence(p, "s", nil, pricing.Default(), Options{}); err == nil {
		t.Error("no steps was estimated")
	}
}
