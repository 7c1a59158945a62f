package planner

import (
	"strings"
	"testing"
	"time"

	"github.com/loadplan/loadplan/plan"
	"github.com/loadplan/loadplan/pricing"
	"github.com/shopspring/decimal"
)

// TestNoWaitNoLatency: a plan whose users neither wait nor expect a latency has no request
// rate to count with: the estimate succeeds with the counts unknown and a warning; its cost
// is zero when every step is free (the gate passes a budget), else unknown (it fails closed).
func TestNoWaitNoLatency(t *testing.T) {
	free := &plan.Task{Name: "ping", Weight: 1, Steps: []*plan.Step{{Name: "ping", Cost: plan.CostRule{Kind: plan.CostFree}}}}
	sc := &plan.Scenario{Name: "s", Users: 5, Duration: time.Minute, Wait: plan.Wait{Kind: plan.WaitConstant}}
	budget := decimal.NewFromInt(1)

	p := &plan.Plan{Tasks: []*plan.Task{free}}
	e, err := EstimateScenario(p, sc, pricing.Default(), Options{Budget: &budget})
	if err != nil {
		t.Fatal(err)
	}
	if e.Requests.Low != nil || e.Requests.Expected != nil || e.Requests.Worst != nil || e.Tasks[0].Requests.Expected != nil {
		t.Errorf("requests %+v: want unknown", e.Requests)
	}
	for _, c := range []*decimal.Decimal{e.Cost.Low, e.Cost.Expected, e.Cost.Worst, e.Tasks[0].Cost.Expected} {
		if c == nil || !c.IsZero() {
			t.Errorf("cost %+v: want zero", e.Cost)
		}
	}
	if e.WithinBudget == nil || !*e.WithinBudget || !strings.Contains(strings.Join(e.Warnings, "\n"), "cannot be estimated") {
		t.Errorf("within budget %v, warnings %q", e.WithinBudget, e.Warnings)
	}

	p = &plan.Plan{Tasks: []*plan.Task{free, flatTask("priced", 1, "0.01")}}
	e, err = EstimateScenario(p, sc, pricing.Default(), Options{Budget: &budget})
	if err != nil {
		t.Fatal(err)
	}
	if e.Cost.Expected != nil || e.Cost.Worst != nil || e.WithinBudget == nil || *e.WithinBudget {
		t.Errorf("priced: cost %+v, within budget %v: want unknown, failing closed", e.Cost, e.WithinBudget)
	}
	if e, err := EstimateScenario(p, sc, pricing.Default(), Options{}); err != nil || e.WithinBudget != nil {
		t.Errorf("no budget: %v, within budget %v", err, e)
	}
}
